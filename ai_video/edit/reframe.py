"""Plan the crop that keeps the main face in frame when changing aspect (e.g. 16:9 -> 9:16).

The crop is as large as fits in the source at the output aspect, in even integer source
pixels, always inside the frame. Each shot inside the clip gets its own plan, so the crop
jumps at cuts instead of sliding across them:

* **steady** - the face barely moves in the shot: one keyframe on its median position;
* **following** - it moves: a dead-zone, exponentially eased path sampled every
  ``keyframe_step_s`` (repeated rectangles dropped);
* **no face** - the crop holds the last position seen earlier in the same shot, else
  centres.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ai_video.config import ReframeConfig
from ai_video.kernels.smooth import centered_moving_average, dead_zone_follow, fill_gaps
from ai_video.types import CropKeyframe, CropPath, FaceTrack, FloatArray, Shot, TimeSpan

# Face samples averaged on each side before following (removes detector jitter).
_JITTER_RADIUS_SAMPLES = 1


@dataclass(frozen=True, slots=True)
class _Frame:
    """Crop size and the largest top-left corner that keeps the crop inside the source."""

    crop_w: int
    crop_h: int
    max_x: int
    max_y: int

    def corner(self, cx: float, cy: float) -> tuple[int, int]:
        """Even top-left corner of the crop centred as near ``(cx, cy)`` as the frame allows."""
        x = _even(cx - self.crop_w / 2)
        y = _even(cy - self.crop_h / 2)
        return min(max(x, 0), self.max_x), min(max(y, 0), self.max_y)

    def centred(self) -> tuple[int, int]:
        """Even top-left corner of the centred crop."""
        return _even(self.max_x / 2), _even(self.max_y / 2)


def crop_size(source_size: tuple[int, int], output_size: tuple[int, int]) -> tuple[int, int]:
    """Largest even ``(w, h)`` with the output's aspect that fits in the source."""
    src_w, src_h = source_size
    out_w, out_h = output_size
    if min(src_w, src_h, out_w, out_h) <= 0:
        raise ValueError(f"sizes must be positive: source {source_size}, output {output_size}")
    ratio = out_w / out_h
    if src_w / src_h > ratio:
        w, h = src_h * ratio, float(src_h)
    else:
        w, h = float(src_w), src_w / ratio
    return _even_floor(min(round(w), src_w)), _even_floor(min(round(h), src_h))


def plan_crop(
    span: TimeSpan,
    faces: FaceTrack,
    shots: Sequence[Shot],
    source_size: tuple[int, int],
    output_size: tuple[int, int],
    cfg: ReframeConfig,
) -> CropPath:
    """Crop keyframes (clip time, source pixels) that keep the main face in view over ``span``."""
    crop_w, crop_h = crop_size(source_size, output_size)
    frame = _Frame(
        crop_w=crop_w,
        crop_h=crop_h,
        max_x=_even_floor(source_size[0] - crop_w),
        max_y=_even_floor(source_size[1] - crop_h),
    )
    if frame.max_x == 0 and frame.max_y == 0:
        return CropPath((CropKeyframe(0.0, 0, 0, crop_w, crop_h),))
    ordered = sorted(shots, key=lambda s: s.span.start_s)
    cuts = [s.span.start_s for s in ordered if span.start_s < s.span.start_s < span.end_s]
    bounds = [span.start_s, *cuts, span.end_s]
    keyframes: list[CropKeyframe] = []
    for seg_start, seg_end in itertools.pairwise(bounds):
        shot_start = _shot_start(ordered, seg_start)
        for t_s, x, y in _plan_segment(seg_start, seg_end, shot_start, faces, frame, cfg):
            keyframe = CropKeyframe(round(t_s - span.start_s, 6), x, y, crop_w, crop_h)
            if keyframes and (keyframes[-1].x, keyframes[-1].y) == (x, y):
                continue
            keyframes.append(keyframe)
    return CropPath(tuple(keyframes))


def _plan_segment(
    start_s: float,
    end_s: float,
    shot_start_s: float,
    faces: FaceTrack,
    frame: _Frame,
    cfg: ReframeConfig,
) -> list[tuple[float, int, int]]:
    """``(t_s, x, y)`` keyframes in source time for one shot's part of the clip."""
    times, cx, cy = _segment_centres(start_s, end_s, shot_start_s, faces, frame)
    known = ~np.isnan(cx)
    if not known.any():
        return [(start_s, *frame.centred())]
    spread_x = _spread(cx[known])
    spread_y = _spread(cy[known])
    still = (
        spread_x <= cfg.still_motion_frac * frame.crop_w
        and spread_y <= cfg.still_motion_frac * frame.crop_h
    )
    if still or known.sum() == 1:
        x, y = frame.corner(float(np.median(cx[known])), float(np.median(cy[known])))
        return [(start_s, x, y)]
    steps = max(1, math.ceil((end_s - start_s) / cfg.keyframe_step_s - 1e-9))
    grid = start_s + np.arange(steps, dtype=np.float64) * cfg.keyframe_step_s
    alpha = 1.0 - math.exp(-cfg.keyframe_step_s / cfg.smoothing_s)
    path_x = _follow(times, cx, grid, cfg.dead_zone_frac * frame.crop_w, alpha)
    path_y = _follow(times, cy, grid, cfg.dead_zone_frac * frame.crop_h, alpha)
    out: list[tuple[float, int, int]] = []
    for t_s, px, py in zip(grid, path_x, path_y, strict=True):
        x, y = frame.corner(float(px), float(py))
        if not out or (out[-1][1], out[-1][2]) != (x, y):
            out.append((float(t_s), x, y))
    return out


def _segment_centres(
    start_s: float, end_s: float, shot_start_s: float, faces: FaceTrack, frame: _Frame
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Face-centre samples inside the segment, led by the last one seen earlier in its shot.

    Centres are clamped to where the crop can actually go, so the dead zone and the
    stillness test never react to motion the crop could not follow.
    """
    times = faces.times_s
    inside = (times >= start_s) & (times < end_s)
    earlier = np.flatnonzero(
        (times >= shot_start_s) & (times < start_s) & ~np.isnan(faces.boxes[:, 0])
    )
    rows = np.flatnonzero(inside)
    if len(earlier):
        rows = np.concatenate([earlier[-1:], rows])
    boxes = faces.boxes[rows]
    sample_times = times[rows].astype(np.float64)
    if len(earlier):
        sample_times[0] = start_s
    half_w, half_h = frame.crop_w / 2, frame.crop_h / 2
    cx = np.clip(boxes[:, 0] + boxes[:, 2] / 2, half_w, frame.max_x + half_w)
    cy = np.clip(boxes[:, 1] + boxes[:, 3] / 2, half_h, frame.max_y + half_h)
    return sample_times, cx, cy


def _follow(
    times: FloatArray, centres: FloatArray, grid: FloatArray, dead_zone: float, alpha: float
) -> FloatArray:
    """Gap-filled, de-jittered centres resampled on ``grid`` and followed with a dead zone."""
    filled = fill_gaps(centres)
    calm = centered_moving_average(filled, _JITTER_RADIUS_SAMPLES)
    on_grid = np.interp(grid, times, calm)
    return dead_zone_follow(on_grid, dead_zone, alpha)


def _shot_start(ordered_shots: Sequence[Shot], t_s: float) -> float:
    """Start of the shot showing ``t_s`` (``t_s`` itself when no shot covers it)."""
    for shot in ordered_shots:
        if shot.span.start_s <= t_s < shot.span.end_s:
            return shot.span.start_s
    return t_s


def _spread(values: FloatArray) -> float:
    """Robust extent of a series: 90th minus 10th percentile."""
    low, high = np.percentile(values, [10.0, 90.0])
    return float(high - low)


def _even(value: float) -> int:
    return round(value / 2.0) * 2


def _even_floor(value: float) -> int:
    return math.floor(value / 2.0) * 2
