"""Every face on the shared analysis frames, linked into tracks, with mouth-region motion.

:class:`FaceCollector` rides along the one analysis decode (no second decode): on frames
sampled at ``SpeakerConfig.face_sample_fps`` it runs the face detector on the whole frame
and keeps every face with its five landmarks; on EVERY analysis frame it measures how much
the mouth region of each face of the last sample changed since the previous frame (mean
absolute luma difference), averaged up to the next sample. A speaking face moves its mouth;
a listener, or a frozen picture, does not.

:func:`link_face_tracks` then links the detections of consecutive samples into tracks by
box overlap and centre distance, keeping a track's identity through misses shorter than
``track_max_gap_s``. The result is one Polars table (one row per detection) in source
pixels and seconds; see :data:`TRACK_COLUMNS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt
import polars as pl

from ai_video.analyze.faces import Detection, Landmarks
from ai_video.config import SpeakerConfig
from ai_video.types import Box, FloatArray, FrameBatch, UInt8Array

LANDMARK_COLUMNS = tuple(f"lm{i}_{axis}" for i in range(5) for axis in ("x", "y"))
TRACK_COLUMNS = (
    "track_id",
    "t_s",
    "x",
    "y",
    "w",
    "h",
    "score",
    *LANDMARK_COLUMNS,
    "mouth_motion",
)
"""Columns of a face-track table: box and landmarks in source pixels, time in seconds,
``mouth_motion`` in luma levels per analysis frame (NaN when not measured)."""


class LandmarkDetector(Protocol):
    """A face detector that can also return the five landmarks of each face."""

    name: str

    def detect(self, rgb: UInt8Array) -> list[Detection]:
        """Faces as (box, score)."""
        ...


@dataclass
class _Sample:
    t_s: float
    boxes: list[Box]
    scores: list[float]
    marks: list[Landmarks | None]
    mouths: list[tuple[int, int, int, int]]
    motion_sum: list[float] = field(default_factory=list)
    motion_frames: int = 0


class FaceCollector:
    """All faces (boxes, landmarks) and their mouth motion over one stream of analysis batches."""

    def __init__(self, detector: LandmarkDetector, cfg: SpeakerConfig, fps: float) -> None:
        if fps <= 0 or cfg.face_sample_fps <= 0:
            raise ValueError(f"fps and face_sample_fps must be positive: {fps}, {cfg}")
        self._detector = detector
        self._cfg = cfg
        self._fps = fps
        self._step = max(1, round(fps / cfg.face_sample_fps))
        self._samples: list[_Sample] = []
        self._previous_gray: npt.NDArray[np.int16] | None = None
        self._last_full_scan_s = -math.inf
        self._scale = 1.0

    @property
    def detector_name(self) -> str:
        """Name (and version) of the detector that found the faces."""
        return self._detector.name

    @property
    def step(self) -> int:
        """Every ``step``-th analysis frame is searched for faces."""
        return self._step

    def push(self, batch: FrameBatch) -> None:
        """Detect on the sampled frames of ``batch``; measure mouth motion on all of them."""
        for offset in range(len(batch.frames)):
            self.observe(batch.frames[offset], batch.start_index + offset, batch.scale)

    def observe(self, rgb: UInt8Array, index: int, scale: float) -> list[Detection] | None:
        """Take analysis frame ``index``; its faces (analysis pixels) when it is a sample."""
        self._scale = scale
        gray = _luma(rgb)
        if self._samples and self._previous_gray is not None:
            self._measure(gray)
        self._previous_gray = gray
        if index % self._step != 0:
            return None
        sample = self._detect(rgb, index / self._fps)
        self._samples.append(sample)
        return list(zip(sample.boxes, sample.scores, strict=True))

    def detections(self) -> pl.DataFrame:
        """One row per detected face (no ``track_id`` yet), in source pixels."""
        s = self._scale
        rows: dict[str, list[float]] = {name: [] for name in TRACK_COLUMNS if name != "track_id"}
        for sample in self._samples:
            for i, box in enumerate(sample.boxes):
                rows["t_s"].append(sample.t_s)
                rows["x"].append(box.x * s)
                rows["y"].append(box.y * s)
                rows["w"].append(box.w * s)
                rows["h"].append(box.h * s)
                rows["score"].append(sample.scores[i])
                marks = sample.marks[i]
                for j in range(5):
                    mx, my = marks[j] if marks is not None else (math.nan, math.nan)
                    rows[f"lm{j}_x"].append(mx * s)
                    rows[f"lm{j}_y"].append(my * s)
                frames = sample.motion_frames
                rows["mouth_motion"].append(
                    sample.motion_sum[i] / frames if frames > 0 else math.nan
                )
        return pl.DataFrame(rows, schema={name: pl.Float64 for name in rows})

    def _detect(self, rgb: UInt8Array, t_s: float) -> _Sample:
        """All faces of one sample: a full scan, or a search around each last face.

        A full-frame scan runs at least every ``full_scan_every_s`` and whenever a face of
        the last sample was not found again; in between only a small region around each
        known face is searched, downscaled so the face is ``track_face_px`` tall (several
        times cheaper). New faces are therefore found within ``full_scan_every_s``.
        """
        height, width = rgb.shape[:2]
        last = self._samples[-1] if self._samples else None
        found: list[tuple[Box, float, Landmarks | None]] | None = None
        if (
            last is not None
            and last.boxes
            and t_s - self._last_full_scan_s < self._cfg.full_scan_every_s
        ):
            found = []
            for box in last.boxes:
                near = self._search_near(rgb, box)
                if not near:
                    found = None
                    break
                found.append(max(near, key=lambda f: f[1]))
        if found is None:
            found = self._find(rgb)
            self._last_full_scan_s = t_s
        return _Sample(
            t_s=t_s,
            boxes=[f[0] for f in found],
            scores=[f[1] for f in found],
            marks=[f[2] for f in found],
            mouths=[mouth_region(f[0], f[2], width, height) for f in found],
            motion_sum=[0.0] * len(found),
        )

    def _find(self, rgb: UInt8Array) -> list[tuple[Box, float, Landmarks | None]]:
        marks_fn = getattr(self._detector, "detect_landmarks", None)
        if marks_fn is not None:
            return list(marks_fn(rgb))
        return [(box, score, None) for box, score in self._detector.detect(rgb)]

    def _search_near(self, rgb: UInt8Array, face: Box) -> list[tuple[Box, float, Landmarks | None]]:
        """Faces found in a region around ``face``, in frame pixels."""
        height, width = rgb.shape[:2]
        margin = self._cfg.track_margin_frac * max(face.w, face.h)
        x0, y0 = max(0, math.floor(face.x - margin)), max(0, math.floor(face.y - margin))
        x1 = min(width, math.ceil(face.x + face.w + margin))
        y1 = min(height, math.ceil(face.y + face.h + margin))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return []
        zoom = min(1.0, self._cfg.track_face_px / max(face.w, face.h, 1.0))
        size = (max(8, round((x1 - x0) * zoom)), max(8, round((y1 - y0) * zoom)))
        crop = np.ascontiguousarray(
            cv2.resize(rgb[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
        zx, zy = size[0] / (x1 - x0), size[1] / (y1 - y0)
        out: list[tuple[Box, float, Landmarks | None]] = []
        for box, score, marks in self._find(crop):
            mapped = Box(box.x / zx + x0, box.y / zy + y0, box.w / zx, box.h / zy)
            points = (
                tuple((mx / zx + x0, my / zy + y0) for mx, my in marks)
                if marks is not None
                else None
            )
            out.append((mapped, score, points))
        return out

    def _measure(self, gray: npt.NDArray[np.int16]) -> None:
        assert self._previous_gray is not None
        sample = self._samples[-1]
        for i, (x0, y0, x1, y1) in enumerate(sample.mouths):
            if x1 <= x0 or y1 <= y0:
                continue
            diff = np.abs(gray[y0:y1, x0:x1] - self._previous_gray[y0:y1, x0:x1])
            sample.motion_sum[i] += float(diff.sum()) / diff.size
        sample.motion_frames += 1


def mouth_region(
    box: Box, marks: Landmarks | None, width: int, height: int
) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` around the mouth: from the landmarks, else the box's lower third."""
    if marks is not None:
        (_nx, ny), (rx, ry), (lx, ly) = marks[2], marks[3], marks[4]
        mouth_y = (ry + ly) / 2
        span_x = max(abs(lx - rx), 0.2 * box.w)
        drop = max(mouth_y - ny, 0.1 * box.h)
        x0, x1 = min(rx, lx) - 0.3 * span_x, max(rx, lx) + 0.3 * span_x
        y0, y1 = ny + 0.3 * drop, mouth_y + 0.9 * drop
    else:
        x0, x1 = box.x + 0.25 * box.w, box.x + 0.75 * box.w
        y0, y1 = box.y + 0.62 * box.h, box.y + 0.95 * box.h
    return (
        max(0, math.floor(x0)),
        max(0, math.floor(y0)),
        min(width, math.ceil(x1)),
        min(height, math.ceil(y1)),
    )


def link_face_tracks(
    detections: pl.DataFrame, cfg: SpeakerConfig, cuts_s: Sequence[float] = ()
) -> pl.DataFrame:
    """Detections linked into tracks (``track_id`` 0..n-1 by first appearance).

    ``cuts_s``: shot-cut times; no track continues across a cut (the same place in the
    next shot may show someone else).

    Each sample's faces are matched greedily, best pair first, to the live tracks by a
    score mixing box overlap and centre distance relative to the face size (faces of very
    different sizes never match). A track not seen for ``track_max_gap_s`` ends; tracks
    with fewer than ``track_min_samples`` detections are dropped.
    """
    if detections.is_empty():
        return pl.DataFrame(schema=_track_schema())
    table = detections.sort("t_s")
    times = table["t_s"].to_numpy()
    boxes = table.select("x", "y", "w", "h").to_numpy()
    ids = np.full(len(table), -1, dtype=np.int64)
    live: dict[int, tuple[float, FloatArray]] = {}
    next_id = 0
    unique_times, starts = np.unique(times, return_index=True)
    ends = [*starts[1:], len(times)]
    cuts = np.sort(np.asarray(cuts_s, dtype=np.float64))
    for t_s, start, end in zip(unique_times, starts, ends, strict=True):
        shot = np.searchsorted(cuts, t_s, side="right")
        live = {
            k: v
            for k, v in live.items()
            if t_s - v[0] <= cfg.track_max_gap_s
            and np.searchsorted(cuts, v[0], side="right") == shot
        }
        _match_greedily(range(start, end), live, boxes, ids, cfg.track_max_shift)
        for row in range(start, end):
            if ids[row] == -1:
                ids[row] = next_id
                next_id += 1
            live[int(ids[row])] = (float(t_s), boxes[row])
    return _renumbered(table.with_columns(pl.Series("track_id", ids)), cfg.track_min_samples)


def _match_greedily(
    rows: range,
    live: dict[int, tuple[float, FloatArray]],
    boxes: FloatArray,
    ids: npt.NDArray[np.int64],
    max_shift: float,
) -> None:
    """Give each detection of one sample the best free live track, best pair first."""
    pairs: list[tuple[float, int, int]] = []
    for row in rows:
        for track_id, (_, last) in live.items():
            score = _link_score(last, boxes[row], max_shift)
            if score > 0:
                pairs.append((score, row, track_id))
    pairs.sort(reverse=True)
    used_rows: set[int] = set()
    used_tracks: set[int] = set()
    for _score, row, track_id in pairs:
        if row in used_rows or track_id in used_tracks:
            continue
        ids[row] = track_id
        used_rows.add(row)
        used_tracks.add(track_id)


def _renumbered(linked: pl.DataFrame, min_samples: int) -> pl.DataFrame:
    """Tracks with at least ``min_samples`` detections, numbered 0.. by first appearance."""
    counts = linked.group_by("track_id").len()
    keep = counts.filter(pl.col("len") >= min_samples)["track_id"]
    linked = linked.filter(pl.col("track_id").is_in(keep.implode()))
    order = (
        linked.group_by("track_id")
        .agg(pl.col("t_s").min().alias("first"))
        .sort("first", "track_id")
        .with_row_index("new_id")
    )
    linked = (
        linked.join(order.select("track_id", "new_id"), on="track_id")
        .drop("track_id")
        .rename({"new_id": "track_id"})
        .with_columns(pl.col("track_id").cast(pl.Int64))
    )
    return linked.select(TRACK_COLUMNS).sort("t_s", "track_id")


def _link_score(last: FloatArray, box: FloatArray, max_shift: float) -> float:
    """Overlap plus closeness in 0..2; 0 means "not the same face"."""
    size_a, size_b = math.sqrt(last[2] * last[3]), math.sqrt(box[2] * box[3])
    if min(size_a, size_b) <= 0 or max(size_a, size_b) > 1.6 * min(size_a, size_b):
        return 0.0
    ca = (last[0] + last[2] / 2, last[1] + last[3] / 2)
    cb = (box[0] + box[2] / 2, box[1] + box[3] / 2)
    shift = math.hypot(ca[0] - cb[0], ca[1] - cb[1]) / max(size_a, size_b)
    if shift > max_shift:
        return 0.0
    return _iou(last, box) + (1.0 - shift / max_shift)


def _iou(a: FloatArray, b: FloatArray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def _track_schema() -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {name: pl.Float64() for name in TRACK_COLUMNS}
    schema["track_id"] = pl.Int64()
    return schema


def _luma(rgb: UInt8Array) -> npt.NDArray[np.int16]:
    """BT.601 luma of an RGB frame (OpenCV, no BLAS), as int16 ready for differences."""
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.int16)
