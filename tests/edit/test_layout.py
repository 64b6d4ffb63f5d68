"""Speaker layouts on synthetic speaker turns and face tracks (behaviours, no media)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ai_video.analyze.speakers import SPEAKER_TURN_SCHEMA
from ai_video.config import LayoutConfig, ReframeConfig
from ai_video.edit.layout import plan_layout
from ai_video.kernels.smooth import bounded_follow
from ai_video.types import ClipLayout, TimeSpan

SOURCE = (1280, 720)
OUTPUT = (1080, 1920)
FACE_X = {0: 300.0, 1: 980.0}


def tracks(duration_s: float, drift: dict[int, float] | None = None) -> pl.DataFrame:
    """Two still faces (track 0 left, track 1 right) sampled at 5 fps; optional x drift/s."""
    times = np.arange(0.0, duration_s, 0.2)
    parts = []
    for track_id, x in FACE_X.items():
        speed = (drift or {}).get(track_id, 0.0)
        parts.append(
            pl.DataFrame(
                {
                    "track_id": np.full(len(times), track_id),
                    "t_s": times,
                    "x": x - 100 + speed * times,
                    "y": np.full(len(times), 200.0),
                    "w": np.full(len(times), 200.0),
                    "h": np.full(len(times), 240.0),
                }
            )
        )
    return pl.concat(parts)


def turns(*rows: tuple[float, float, int]) -> pl.DataFrame:
    """Speaker turns where voice v is face v."""
    return pl.DataFrame(
        {
            "start_s": [r[0] for r in rows],
            "end_s": [r[1] for r in rows],
            "voice_id": [r[2] for r in rows],
            "face_track_id": [r[2] for r in rows],
            "confidence": [0.9] * len(rows),
        },
        schema=SPEAKER_TURN_SCHEMA,
    )


def framed_at(layout: ClipLayout, t_s: float) -> tuple[str, tuple[int, ...]]:
    """Layout and framed tracks at clip time ``t_s``."""
    segment = next(s for s in layout.segments if s.span.contains(t_s))
    return segment.layout, segment.track_ids


def plan(t: pl.DataFrame, f: pl.DataFrame, span: TimeSpan, **cfg: object) -> ClipLayout:
    return plan_layout(
        span, t, f, [], SOURCE, OUTPUT, LayoutConfig.model_validate(cfg), ReframeConfig()
    )


def test_hard_cut_at_the_turn_start_and_interjection_ignored() -> None:
    layout = plan(
        turns((0, 6, 0), (6, 12, 1), (12, 12.6, 0), (12.6, 20, 1)),
        tracks(20),
        TimeSpan(0, 20),
        layout="speaker",
    )
    assert [s.span.start_s for s in layout.segments] == [0.0, 6.0]
    assert framed_at(layout, 5.9) == ("speaker", (0,))
    assert framed_at(layout, 6.0) == ("speaker", (1,))
    assert framed_at(layout, 12.3) == ("speaker", (1,))
    crop = layout.single_crop()
    assert crop is not None
    left, right = crop.at(3.0), crop.at(9.0)
    assert left.x <= FACE_X[0] - 100 and FACE_X[0] + 100 <= left.x + left.w
    assert right.x <= FACE_X[1] - 100 and FACE_X[1] + 100 <= right.x + right.w


def test_clip_span_is_clip_time_and_starts_on_the_first_speaker() -> None:
    layout = plan(turns((12, 20, 1), (20, 30, 0)), tracks(30), TimeSpan(10, 30))
    assert layout.segments[0].span == TimeSpan(0.0, 10.0)
    assert framed_at(layout, 1.0) == ("speaker", (1,))
    assert framed_at(layout, 10.5) == ("speaker", (0,))


def test_auto_splits_a_quick_exchange_only() -> None:
    quick = [(8 + 1.5 * i, 9.5 + 1.5 * i, i % 2) for i in range(6)]
    layout = plan(turns((0, 8, 0), *quick, (17, 25, 1)), tracks(25), TimeSpan(0, 25))
    assert framed_at(layout, 4.0) == ("speaker", (0,))
    assert framed_at(layout, 12.0) == ("split", (0, 1))
    assert framed_at(layout, 21.0) == ("speaker", (1,))
    split = next(s for s in layout.segments if s.layout == "split")
    top, bottom = (c.keyframes[0] for c in split.crops)
    assert top.x <= FACE_X[0] <= top.x + top.w and bottom.x <= FACE_X[1] <= bottom.x + bottom.w
    assert top.w * 960 == pytest.approx(top.h * 1080, rel=0.01)  # a half of 9:16
    assert layout.single_crop() is None


def test_fit_when_nobody_is_on_screen() -> None:
    empty = tracks(10).filter(pl.col("t_s") < 0)
    layout = plan(turns((0, 10, 0)), empty, TimeSpan(0, 10))
    assert [(s.layout, s.crops) for s in layout.segments] == [("fit", ())]
    assert layout.segments[0].as_dict()["layout"] == "fit"


def test_a_still_speaker_gets_one_keyframe_and_a_walker_a_bounded_pan() -> None:
    still = plan(turns((0, 10, 0)), tracks(10), TimeSpan(0, 10), layout="speaker")
    assert len(still.segments[0].crops[0].keyframes) == 1
    walking = plan(
        turns((0, 10, 0)), tracks(10, drift={0: 60.0}), TimeSpan(0, 10), layout="speaker"
    )
    keys = walking.segments[0].crops[0].keyframes
    xs = np.array([k.x for k in keys], dtype=float)
    assert len(keys) > 5 and np.all(np.diff(xs) >= 0)  # moves one way only
    assert xs[-1] - xs[0] > 300


def test_bounded_follow_limits_speed_and_acceleration_without_overshoot() -> None:
    target = np.concatenate([np.zeros(20), np.full(200, 500.0)])
    path = bounded_follow(target, dead_zone=20.0, max_step=10.0, max_accel=1.0)
    speed = np.diff(path)
    assert np.abs(speed).max() <= 10.0 + 1e-9
    assert np.abs(np.diff(speed)).max() <= 1.0 + 1e-9
    assert path.max() <= 480.0 + 1e-9 and path[-1] == pytest.approx(480.0, abs=1.0)
    jitter = bounded_follow(np.sin(np.arange(100.0)) * 15.0, 20.0, 10.0, 1.0)
    assert np.ptp(jitter) == 0.0  # wobble inside the dead zone never moves the camera
