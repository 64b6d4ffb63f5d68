"""Per-frame change features of consecutive YUV 4:2:0 frames (numba hot loops).

Frames come as the cheap analysis stream (:class:`ai_video.types.PlaneBatch`): limited-range
BT.601 luma plus half-size chroma planes, one I420 row per frame. For each frame: mean luma,
the brightest block of a block-averaged luma image, the mean absolute change of that block
image and of the luma pixels against the previous frame, and the change of the Y, U and V
histograms. Luma figures are converted to the full 0-255 range. The previous frame's state
is carried between calls so a long video can be processed batch by batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

from ai_video.types import FloatArray, UInt8Array

F = TypeVar("F", bound=Callable[..., Any])

LUMA_BLOCKS_WIDE = 32
"""The block-averaged luma image is this many blocks wide (blocks are square)."""
LUMA_BINS = 16
SAMPLED_WIDTH = 160
"""Wider frames are read at a stride (every 2nd pixel of every 2nd row at 320 px, ...)."""
CHROMA_BINS = 32
"""Chroma sits near the middle of its range, so it gets finer bins than luma."""
LUMA_FLOOR = 16.0
LUMA_TO_FULL = 255.0 / 219.0
"""Limited-range luma (16-235) to full range (0-255)."""

_HIST_SIZE = LUMA_BINS + 2 * CHROMA_BINS


def _jit(fn: F) -> F:
    return cast(F, numba.njit(cache=True, nogil=True)(fn))


@dataclass
class FrameDiffState:
    """What the next batch needs from the last frame of the previous one."""

    small_luma: npt.NDArray[np.float32]
    luma: UInt8Array
    histograms: FloatArray
    has_previous: bool


@dataclass(frozen=True)
class FrameFeatures:
    """Per-frame change features of one batch (frame 0 of a video has zero changes)."""

    mean_luma: FloatArray
    """Mean luma per frame (0-255)."""
    peak_luma: FloatArray
    """Brightest block of the block-averaged luma image per frame (0-255)."""
    luma_change: FloatArray
    """Mean absolute change of the block-averaged luma image against the previous frame."""
    pixel_change: FloatArray
    """Mean absolute change of the luma pixels against the previous frame (0-255)."""
    histogram_change: FloatArray
    """Mean of the Y, U and V histogram distances (half L1, 0..1) to the previous frame."""


def block_px(width: int) -> int:
    """Side of the luma blocks for frames ``width`` pixels wide."""
    return max(1, width // LUMA_BLOCKS_WIDE)


def new_state(height: int, width: int) -> FrameDiffState:
    """Empty carried state for frames of the given analysis size (both even)."""
    if height % 2 or width % 2 or height <= 0 or width <= 0:
        raise ValueError(f"YUV 4:2:0 frames need a positive even size, got {width}x{height}")
    block = block_px(width)
    return FrameDiffState(
        small_luma=np.zeros((max(1, height // block), max(1, width // block)), dtype=np.float32),
        luma=np.zeros(height * width, dtype=np.uint8),
        histograms=np.zeros(_HIST_SIZE, dtype=np.float64),
        has_previous=False,
    )


def frame_features(
    yuv: UInt8Array, height: int, width: int, state: FrameDiffState
) -> FrameFeatures:
    """Change features of ``yuv`` (n, height * width * 3 / 2); updates ``state``."""
    if yuv.ndim != 2 or yuv.shape[1] != height * width * 3 // 2:
        raise ValueError(f"expected I420 rows of {height * width * 3 // 2} bytes, got {yuv.shape}")
    if state.luma.shape[0] != height * width:
        raise ValueError("state was made for another frame size")
    count = yuv.shape[0]
    out = np.zeros((5, count), dtype=np.float64)
    if count:
        readonly = np.ascontiguousarray(yuv).view()
        readonly.flags.writeable = False  # one compiled specialization for every caller
        state.has_previous = _features_kernel(
            readonly, height, width, state.small_luma, state.luma, state.histograms,
            state.has_previous, out,
        )  # fmt: skip
    return FrameFeatures(out[0], out[1], out[2], out[3], out[4])


@_jit
def _features_kernel(
    yuv: UInt8Array,
    height: int,
    width: int,
    prev_small: npt.NDArray[np.float32],
    prev_luma: UInt8Array,
    prev_hist: FloatArray,
    has_previous: bool,
    out: FloatArray,
) -> bool:
    small = np.empty_like(prev_small)
    hist = np.empty_like(prev_hist)
    plane = height * width
    for i in range(yuv.shape[0]):
        luma = yuv[i, :plane]
        mean = _block_luma(luma, height, width, small)
        out[0, i] = max(0.0, mean - LUMA_FLOOR) * LUMA_TO_FULL
        out[1, i] = max(0.0, small.max() - LUMA_FLOOR) * LUMA_TO_FULL
        _histograms(yuv[i], height, width, hist)
        if has_previous:
            out[2, i] = np.mean(np.abs(small - prev_small)) * LUMA_TO_FULL
            out[3, i] = _pixel_change(luma, prev_luma, height, width) * LUMA_TO_FULL
            out[4, i] = _histogram_distance(hist, prev_hist)
        prev_small[:, :] = small
        prev_luma[:] = luma
        prev_hist[:] = hist
        has_previous = True
    return has_previous


@_jit
def _block_luma(luma: UInt8Array, height: int, width: int, small: npt.NDArray[np.float32]) -> float:
    """Fill ``small`` with block means of luma (the last row/column of blocks takes the
    remainder); return the frame's mean luma (limited range). Every ``sample_stride(width)``-th
    pixel of every that-many-th row is read."""
    small_h, small_w = small.shape
    block = max(1, width // LUMA_BLOCKS_WIDE)
    stride = max(1, width // SAMPLED_WIDTH)
    small[:, :] = 0.0
    counts = np.zeros_like(small)
    total = 0.0
    samples = 0
    for y in range(0, height, stride):
        by = min(y // block, small_h - 1)
        row = y * width
        for x in range(0, width, stride):
            value = float(luma[row + x])
            total += value
            samples += 1
            bx = min(x // block, small_w - 1)
            small[by, bx] += value
            counts[by, bx] += 1.0
    for by in range(small_h):
        for bx in range(small_w):
            small[by, bx] /= max(1.0, counts[by, bx])
    return total / max(1, samples)


@_jit
def _pixel_change(luma: UInt8Array, previous: UInt8Array, height: int, width: int) -> float:
    stride = max(1, width // SAMPLED_WIDTH)
    total = 0.0
    samples = 0
    for y in range(0, height, stride):
        row = y * width
        for x in range(0, width, stride):
            total += abs(np.int32(luma[row + x]) - np.int32(previous[row + x]))
            samples += 1
    return total / max(1, samples)


@_jit
def _soft_add(hist: FloatArray, offset: int, bins: int, shift: int, value: float) -> None:
    """Add one sample to ``bins`` bins of width ``2**shift``, split linearly between the two
    nearest bin centres (a small level change moves a little mass, never a whole bin)."""
    position = value / (1 << shift) - 0.5
    low = int(np.floor(position))
    weight = position - low
    if low >= 0:
        hist[offset + low] += 1.0 - weight
    else:
        hist[offset] += 1.0 - weight
    hist[offset + min(low + 1, bins - 1)] += weight


@_jit
def _histograms(frame: UInt8Array, height: int, width: int, hist: FloatArray) -> None:
    """Normalised soft Y (16 bins), U and V (32 bins each) histograms, concatenated."""
    stride = max(1, width // SAMPLED_WIDTH)
    plane = height * width
    half_h, half_w = height // 2, width // 2
    hist[:] = 0.0
    luma_n = 0
    for y in range(0, height, stride):
        for x in range(0, width, stride):
            _soft_add(hist, 0, LUMA_BINS, 4, float(frame[y * width + x]))
            luma_n += 1
    chroma_n = 0
    for y in range(0, half_h, stride):
        for x in range(0, half_w, stride):
            k = y * half_w + x
            _soft_add(hist, LUMA_BINS, CHROMA_BINS, 3, float(frame[plane + k]))
            _soft_add(
                hist, LUMA_BINS + CHROMA_BINS, CHROMA_BINS, 3, float(frame[plane + plane // 4 + k])
            )
            chroma_n += 1
    hist[:LUMA_BINS] /= max(1, luma_n)
    hist[LUMA_BINS:] /= max(1, chroma_n)


@_jit
def _histogram_distance(current: FloatArray, previous: FloatArray) -> float:
    """Half the L1 distance (0..1) of the luma histograms averaged with the larger one of
    the U and V histograms (a change of hue at equal brightness moves only chroma)."""
    luma = 0.0
    for i in range(LUMA_BINS):
        luma += abs(current[i] - previous[i])
    u = 0.0
    v = 0.0
    for i in range(CHROMA_BINS):
        u += abs(current[LUMA_BINS + i] - previous[LUMA_BINS + i])
        v += abs(current[LUMA_BINS + CHROMA_BINS + i] - previous[LUMA_BINS + CHROMA_BINS + i])
    return (luma + max(u, v)) / 4.0
