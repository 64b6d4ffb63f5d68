"""Crop planning: synthetic face tracks for the behaviours, real talking heads for accuracy."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from ai_video.analyze.faces import load_face_detector
from ai_video.analyze.visual import analyze_visuals
from ai_video.config import ReframeConfig, Settings
from ai_video.edit.reframe import crop_size, plan_crop
from ai_video.media.frames import analysis_fps, stream_frames
from ai_video.media.probe import probe
from ai_video.types import CropPath, FaceTrack, Shot, TimeSpan

CFG = ReframeConfig()
SOURCE = (1280, 720)
VERTICAL = (1080, 1920)
SAMPLE_FPS = 5.0


def make_track(
    duration_s: float, centre_x: np.ndarray | float, face_px: float = 120.0
) -> FaceTrack:
    """A face track sampled at 5 fps whose face centre follows ``centre_x`` (NaN = no face)."""
    times = np.arange(0.0, duration_s, 1 / SAMPLE_FPS)
    cx = np.broadcast_to(np.asarray(centre_x, dtype=np.float64), times.shape).copy()
    boxes = np.stack(
        [
            cx - face_px / 2,
            np.full_like(cx, 300.0),
            np.full_like(cx, face_px),
            np.full_like(cx, face_px),
        ],
        axis=1,
    )
    boxes[np.isnan(cx)] = np.nan
    return FaceTrack(
        times_s=times,
        boxes=boxes,
        scores=np.where(np.isnan(cx), np.nan, 0.9),
        counts=(~np.isnan(cx)).astype(np.int32),
        detector="synthetic",
    )


def make_shots(*bounds: float) -> list[Shot]:
    """Shots between consecutive ``bounds`` (seconds), at 25 fps."""
    return [
        Shot(i, TimeSpan(a, b), round(a * 25), round(b * 25))
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    ]


def assert_valid(path: CropPath, source: tuple[int, int], span: TimeSpan) -> None:
    """Keyframes start at 0, rise in time, stay inside the frame, with even integer corners."""
    assert path.keyframes[0].t_s == 0.0
    times = [k.t_s for k in path.keyframes]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert times[-1] < span.duration_s
    for k in path.keyframes:
        assert k.x % 2 == 0 and k.y % 2 == 0 and k.w % 2 == 0 and k.h % 2 == 0
        assert k.x >= 0 and k.x + k.w <= source[0] and k.y >= 0 and k.y + k.h <= source[1]
        assert (k.w, k.h) == (path.keyframes[0].w, path.keyframes[0].h)


def test_crop_size_is_the_largest_even_crop_of_the_output_aspect() -> None:
    assert crop_size((1280, 720), VERTICAL) == (404, 720)
    assert crop_size((1920, 1080), VERTICAL) == (608, 1080)
    assert crop_size((512, 512), VERTICAL) == (288, 512)
    assert crop_size((1080, 1920), (1920, 1080)) == (1080, 608)
    assert crop_size((1080, 1920), VERTICAL) == (1080, 1920)


def test_matching_aspect_gives_the_full_frame_once() -> None:
    span = TimeSpan(1.0, 9.0)
    track = make_track(10.0, np.linspace(100, 900, 50))
    path = plan_crop(span, track, make_shots(0, 5, 10), (720, 1280), VERTICAL, CFG)
    assert path.as_lists() == [[0.0, 0, 0, 720, 1280]]


def test_still_face_gives_exactly_one_keyframe_per_shot() -> None:
    rng = np.random.default_rng(7)
    centre = np.repeat([400.0, 800.0, 600.0], 20) + rng.uniform(-4, 4, 60)
    track = make_track(12.0, centre)
    span = TimeSpan(0.0, 12.0)
    path = plan_crop(span, track, make_shots(0, 4, 8, 12), SOURCE, VERTICAL, CFG)
    assert_valid(path, SOURCE, span)
    assert [k.t_s for k in path.keyframes] == [0.0, 4.0, 8.0]
    assert [k.x + k.w // 2 for k in path.keyframes] == pytest.approx([400, 800, 600], abs=6)


def test_face_jump_at_a_cut_reanchors_at_the_cut_without_sliding() -> None:
    centre = np.where(np.arange(50) < 25, 300.0, 1000.0)
    track = make_track(10.0, centre)
    span = TimeSpan(2.0, 8.0)
    path = plan_crop(span, track, make_shots(0, 5, 10), SOURCE, VERTICAL, CFG)
    assert_valid(path, SOURCE, span)
    before, at_cut = path.at(2.999), path.at(3.0)
    assert before.x <= 300 <= before.x + before.w
    assert at_cut.x <= 1000 <= at_cut.x + at_cut.w
    assert at_cut.x == SOURCE[0] - at_cut.w or abs(at_cut.x + at_cut.w / 2 - 1000) <= 2
    assert len(path.keyframes) == 2, "steady shots: no smoothing across the cut"


def test_moving_face_jump_at_a_cut_is_not_smoothed_across() -> None:
    centre = np.concatenate([np.linspace(200.0, 500.0, 25), np.linspace(1000.0, 800.0, 25)])
    track = make_track(10.0, centre)
    span = TimeSpan(1.0, 9.0)
    path = plan_crop(span, track, make_shots(0, 5, 10), SOURCE, VERTICAL, CFG)
    assert_valid(path, SOURCE, span)
    assert 4.0 in [k.t_s for k in path.keyframes], "a keyframe exactly at the cut"
    before, at_cut = path.at(3.999), path.at(4.0)
    dead_zone = CFG.dead_zone_frac * at_cut.w
    assert abs(before.x + before.w / 2 - 500) <= 0.25 * before.w
    assert abs(at_cut.x + at_cut.w / 2 - 1000) <= dead_zone
    assert len(path.keyframes) > 10, "both shots are followed"


def test_slowly_panning_face_is_followed_smoothly() -> None:
    rng = np.random.default_rng(3)
    centre = np.linspace(300.0, 900.0, 50) + rng.normal(0.0, 3.0, 50)
    track = make_track(10.0, centre)
    span = TimeSpan(0.0, 10.0)
    path = plan_crop(span, track, make_shots(0, 10), SOURCE, VERTICAL, CFG)
    assert_valid(path, SOURCE, span)
    xs = np.array([k.x for k in path.keyframes])
    steps = np.diff(xs)
    signs = np.sign(steps[steps != 0])
    print(f"pan: {len(xs)} keyframes, max step {np.abs(steps).max()} px, moved {xs[-1] - xs[0]} px")
    assert len(xs) > 30
    assert np.count_nonzero(np.diff(signs)) == 0, "the crop never reverses during a steady pan"
    assert np.abs(steps).max() <= 10, "at most 10 px per 1/15 s keyframe for a 60 px/s pan"
    assert xs[-1] - xs[0] >= 450
    for t, cx in zip(track.times_s, centre, strict=True):
        k = path.at(t)
        assert k.x <= cx <= k.x + k.w


def test_shot_without_face_is_centred_and_gap_holds_within_a_shot() -> None:
    centre = np.full(50, np.nan)
    centre[5:15] = 300.0
    track = make_track(10.0, centre)
    shots = make_shots(0, 5, 10)
    no_face = plan_crop(TimeSpan(5.0, 10.0), track, shots, SOURCE, VERTICAL, CFG)
    assert no_face.as_lists() == [[0.0, 438, 0, 404, 720]]
    held = plan_crop(TimeSpan(3.5, 6.0), track, shots, SOURCE, VERTICAL, CFG)
    assert held.as_lists() == [[0.0, 98, 0, 404, 720], [1.5, 438, 0, 404, 720]]


# --------------------------------------------------------------------------- real media

TALKING = [
    pytest.param("dfrf_cnn2_25fps.mp4", marks=pytest.mark.slow),
    "sadtalker_WDA_KatieHill_000.mp4",
    "real3dportrait_May_5s.mp4",
    "liveportrait_s18.mp4",
    "latentsync_demo1_video.mp4",
]


def face_inside_rate(path: CropPath, faces: FaceTrack, span: TimeSpan) -> tuple[float, int]:
    """Share of face samples in ``span`` whose centre lies in the crop, and how many there were."""
    inside: list[bool] = []
    for t_s, (x, y, w, h) in zip(faces.times_s, faces.boxes, strict=True):
        if np.isnan(x) or not span.contains(t_s):
            continue
        k = path.at(t_s - span.start_s)
        cx, cy = x + w / 2, y + h / 2
        inside.append(k.x <= cx <= k.x + k.w and k.y <= cy <= k.y + k.h)
    return float(np.mean(inside)), len(inside)


@pytest.mark.media
@pytest.mark.parametrize("name", TALKING)
def test_crop_keeps_the_real_speaker_in_frame(name: str, media: Path, settings: Settings) -> None:
    source = media / "talking" / name
    info = probe(source, settings.media)
    assert info.video is not None
    fps = analysis_fps(info, settings.analysis)
    detector = load_face_detector(settings.faces)
    batches = stream_frames(info, settings.analysis, settings.media)
    visual = analyze_visuals(batches, settings.shots, settings.faces, detector, fps)
    faces, size, duration = visual.faces, info.video.display_size, info.duration_s
    face_rate = faces.presence(TimeSpan(0.0, duration))
    print(f"{name}: faces on {face_rate:.1%} of {len(faces.times_s)} samples")
    assert face_rate >= 0.9
    spans = [
        TimeSpan(0.0, duration),
        TimeSpan(0.0, duration / 3),
        TimeSpan(0.4 * duration, 0.7 * duration),
        TimeSpan(0.75 * duration, duration),
    ]
    for span in spans:
        path = plan_crop(span, faces, visual.shots, size, VERTICAL, settings.reframe)
        assert_valid(path, size, span)
        rate, samples = face_inside_rate(path, faces, span)
        print(
            f"  {span.start_s:5.1f}-{span.end_s:5.1f} s: {len(path.keyframes)} keyframes, "
            f"face centre in crop on {rate:.1%} of {samples} samples"
        )
        assert rate >= 0.95
    whole = plan_crop(spans[0], faces, visual.shots, size, VERTICAL, settings.reframe)
    if name.startswith("latentsync"):
        assert whole.as_lists() == [[0.0, 0, 0, 1080, 1920]], "already 9:16: the full frame"
    if name.startswith("liveportrait"):
        # She sits right of the image centre (on her own left): face centre near 0.59 W.
        face_cx = np.nanmedian(faces.boxes[:, 0] + faces.boxes[:, 2] / 2)
        crop_cx = np.median([k.x + k.w / 2 for k in whole.keyframes])
        print(f"  face centre x {face_cx:.0f} px, crop centre x {crop_cx:.0f} px of {size[0]}")
        assert 0.52 * size[0] <= face_cx <= 0.66 * size[0]
        assert crop_cx - size[0] / 2 >= 80, "the crop follows the face, not the image centre"
