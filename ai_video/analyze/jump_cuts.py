"""Same-speaker jump cuts: a piece taken out of one continuous shot, the two sides spliced.

Nothing about the picture changes at a jump cut except that everything moves at once: the
colour histograms stay (same scene, same framing) while the frame difference jumps for
exactly one frame. A frame is a candidate when its block-luma change is a single-frame
spike: the largest within two frames on either side, at least twice the change of the
frames right beside it, at least ``jump_ratio`` times the
median change of the frames around it (repeated frames left out) and at least
``jump_min_luma_change``. Continuous motion, even fast, builds up over several frames and
stays far below that ratio. A candidate becomes a jump cut only when it is not a hard cut
and the main face is there on both sides with the same framing (its box at most
``jump_max_face_shift`` face widths away and ``jump_max_size_ratio`` times bigger or
smaller): a same-speaker jump, not a cut to another picture nor motion in a face-less shot.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from ai_video.config import ShotConfig
from ai_video.types import FaceTrack, FloatArray

BoolArray = npt.NDArray[np.bool_]
_GUARD = 1
"""Frames right next to a candidate are left out of its baseline (a spike can spill over)."""


def spike_frames(luma_change: FloatArray, repeated: BoolArray, cfg: ShotConfig) -> list[int]:
    """Frames whose change is a single-frame spike over the median of its surroundings."""
    count = len(luma_change)
    window = max(2, cfg.jump_window_frames)
    if count < 2 * window + 1:
        return []
    values = np.where(repeated, np.nan, luma_change)
    padded = np.concatenate([np.full(window, np.nan), values, np.full(window, np.nan)])
    views = sliding_window_view(padded, 2 * window + 1).copy()
    views[:, window - _GUARD : window + _GUARD + 1] = np.nan  # the frame and its neighbours
    with np.errstate(all="ignore"):
        baseline = np.nanmedian(
            np.where(np.isnan(views).all(axis=1, keepdims=True), 0.0, views), axis=1
        )
    padded_change = np.concatenate([[0.0] * 2, luma_change, [0.0] * 2])
    near = sliding_window_view(padded_change, 5).max(axis=1)
    beside = np.maximum(padded_change[1:-3], padded_change[3:-1])  # frames i - 1 and i + 1
    is_spike = (
        (luma_change >= cfg.jump_min_luma_change)
        & (luma_change >= near)
        & (beside <= 0.5 * luma_change)  # one frame, not a movement spread over several
        & (luma_change >= cfg.jump_ratio * np.maximum(baseline, 1e-6))
    )
    return [int(i) for i in np.flatnonzero(is_spike)]


def same_face_across(faces: FaceTrack, t_s: float, cfg: ShotConfig) -> bool:
    """True when the main face is found just before and just after ``t_s``, framed alike."""
    found = ~np.isnan(faces.boxes[:, 0])
    before = np.flatnonzero(
        found & (faces.times_s < t_s) & (faces.times_s >= t_s - cfg.jump_face_window_s)
    )
    after = np.flatnonzero(
        found & (faces.times_s >= t_s) & (faces.times_s <= t_s + cfg.jump_face_window_s)
    )
    if not len(before) or not len(after):
        return False
    x0, y0, w0, h0 = faces.boxes[before[-1]]
    x1, y1, w1, h1 = faces.boxes[after[0]]
    size_ratio = math.sqrt(w1 * h1) / max(math.sqrt(w0 * h0), 1e-6)
    shift = math.hypot(x1 + w1 / 2 - x0 - w0 / 2, y1 + h1 / 2 - y0 - h0 / 2) / max(w0, 1e-6)
    return (
        shift <= cfg.jump_max_face_shift
        and 1 / cfg.jump_max_size_ratio <= size_ratio <= cfg.jump_max_size_ratio
    )


def jump_cuts(
    luma_change: FloatArray,
    repeated: BoolArray,
    scores: FloatArray,
    faces: FaceTrack,
    fps: float,
    cfg: ShotConfig,
) -> list[int]:
    """Frames that start a same-speaker jump cut (see the module docstring)."""
    return [
        i
        for i in spike_frames(luma_change, repeated, cfg)
        if scores[i] < cfg.cut_threshold and same_face_across(faces, i / fps, cfg)
    ]
