"""Linking detections into face tracks (synthetic detections, no media)."""

from __future__ import annotations

import numpy as np
import polars as pl

from ai_video.analyze.face_tracks import TRACK_COLUMNS, link_face_tracks, mouth_region
from ai_video.config import SpeakerConfig
from ai_video.types import Box

CFG = SpeakerConfig()


def detections(rows: list[tuple[float, float, float]]) -> pl.DataFrame:
    """Detections ``(t_s, x, size)`` with y = 100, landmarks unknown, no motion."""
    data: dict[str, list[float]] = {c: [] for c in TRACK_COLUMNS if c != "track_id"}
    for t_s, x, size in rows:
        for column in data:
            data[column].append(np.nan)
        data["t_s"][-1], data["x"][-1], data["y"][-1] = t_s, x, 100.0
        data["w"][-1], data["h"][-1], data["score"][-1] = size, size, 0.9
    return pl.DataFrame(data, schema={c: pl.Float64 for c in data})


def test_two_moving_faces_keep_their_ids_through_a_short_miss() -> None:
    rows = []
    for i in range(20):
        t_s = i * 0.2
        if not 8 <= i < 12:  # the right face is missed for 0.8 s
            rows.append((t_s, 900.0 + 2 * i, 200.0))
        rows.append((t_s, 200.0 - i, 180.0))
    tracks = link_face_tracks(detections(rows), CFG)
    assert tracks["track_id"].n_unique() == 2
    by_track = tracks.group_by("track_id").agg(pl.col("x").min(), pl.len())
    spans = sorted((r["x"], r["len"]) for r in by_track.iter_rows(named=True))
    assert spans[0][1] == 20 and spans[1][1] == 16


def test_a_long_miss_or_a_cut_starts_a_new_track() -> None:
    rows = [(i * 0.2, 300.0, 150.0) for i in range(10)]
    rows += [(4.0 + i * 0.2, 300.0, 150.0) for i in range(10)]  # after a 2.2 s gap
    assert link_face_tracks(detections(rows), CFG)["track_id"].n_unique() == 2
    steady = [(i * 0.2, 300.0, 150.0) for i in range(20)]
    assert link_face_tracks(detections(steady), CFG)["track_id"].n_unique() == 1
    assert link_face_tracks(detections(steady), CFG, cuts_s=[2.0])["track_id"].n_unique() == 2


def test_far_jumps_size_changes_and_one_off_detections_do_not_link() -> None:
    rows = [(i * 0.2, 300.0, 150.0) for i in range(5)]
    rows += [(1.0 + i * 0.2, 900.0, 150.0) for i in range(5)]  # jumped 4 face sizes
    rows += [(2.0 + i * 0.2, 900.0, 300.0) for i in range(5)]  # doubled in size
    rows += [(3.0, 50.0, 60.0)]  # a single stray detection
    tracks = link_face_tracks(detections(rows), CFG)
    assert sorted(tracks.group_by("track_id").len()["len"].to_list()) == [5, 5, 5]


def test_mouth_region_sits_between_nose_and_chin() -> None:
    box = Box(100, 100, 100, 120)
    marks = ((125.0, 140.0), (175.0, 140.0), (150.0, 165.0), (130.0, 190.0), (170.0, 190.0))
    x0, y0, x1, y1 = mouth_region(box, marks, 640, 360)
    assert x0 < 130 < 170 < x1 and 165 < y0 < 190 < y1 <= 220
    assert mouth_region(box, None, 640, 360) == (125, 174, 175, 214)
