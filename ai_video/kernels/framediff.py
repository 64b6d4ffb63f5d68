"""Per-frame change features of consecutive RGB frames (numba hot loops).

For each frame: mean luma, mean absolute change of a block-averaged luma image against the
previous frame, and the change of its HSV colour histograms. The previous frame's state is
carried between calls so a long video can be processed batch by batch.
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

LUMA_BLOCK_PX = 4
"""Side of the square blocks averaged into the small luma image."""
HIST_STRIDE_PX = 2
"""Colour histograms sample every n-th pixel in both directions."""
HUE_BINS = 16
SAT_BINS = 8
VAL_BINS = 8
GREY_SATURATION = 0.12
"""Pixels less saturated than this (or nearly black) have no meaningful hue."""
DARK_VALUE = 16.0

_HUE_SLOTS = HUE_BINS + 1  # the last slot counts pixels without a hue


def _jit(fn: F) -> F:
    return cast(F, numba.njit(cache=True, nogil=True)(fn))


@dataclass
class FrameDiffState:
    """What the next batch needs from the last frame of the previous one."""

    small_luma: npt.NDArray[np.float32]
    histograms: FloatArray
    has_previous: bool


@dataclass(frozen=True)
class FrameFeatures:
    """Per-frame change features of one batch."""

    mean_luma: FloatArray
    """Mean luma per frame (0-255, BT.601 weights)."""
    peak_luma: FloatArray
    """Brightest block of the block-averaged luma image per frame (0-255)."""
    luma_change: FloatArray
    """Mean absolute change of the block-averaged luma image against the previous frame."""
    histogram_change: FloatArray
    """Mean of the H, S and V histogram distances (half L1, 0..1) to the previous frame."""


def new_state(height: int, width: int) -> FrameDiffState:
    """Empty carried state for frames of the given analysis size."""
    small_h = max(1, height // LUMA_BLOCK_PX)
    small_w = max(1, width // LUMA_BLOCK_PX)
    return FrameDiffState(
        small_luma=np.zeros((small_h, small_w), dtype=np.float32),
        histograms=np.zeros(_HUE_SLOTS + SAT_BINS + VAL_BINS, dtype=np.float64),
        has_previous=False,
    )


def frame_features(frames: UInt8Array, state: FrameDiffState) -> FrameFeatures:
    """Change features of ``frames`` (n, h, w, 3 RGB); updates ``state`` to the last frame."""
    if frames.ndim != 4 or frames.shape[3] != 3:
        raise ValueError(f"expected frames of shape (n, h, w, 3), got {frames.shape}")
    count = frames.shape[0]
    mean_luma = np.zeros(count, dtype=np.float64)
    peak_luma = np.zeros(count, dtype=np.float64)
    luma_change = np.zeros(count, dtype=np.float64)
    hist_change = np.zeros(count, dtype=np.float64)
    if count == 0:
        return FrameFeatures(mean_luma, peak_luma, luma_change, hist_change)
    readonly = np.ascontiguousarray(frames).view()
    readonly.flags.writeable = False  # one compiled specialization for every caller
    state.has_previous = _features_kernel(
        readonly,
        state.small_luma,
        state.histograms,
        state.has_previous,
        mean_luma,
        peak_luma,
        luma_change,
        hist_change,
    )
    return FrameFeatures(mean_luma, peak_luma, luma_change, hist_change)


@_jit
def _features_kernel(
    frames: UInt8Array,
    prev_small: npt.NDArray[np.float32],
    prev_hist: FloatArray,
    has_previous: bool,
    mean_luma: FloatArray,
    peak_luma: FloatArray,
    luma_change: FloatArray,
    hist_change: FloatArray,
) -> bool:
    small = np.empty_like(prev_small)
    hist = np.empty_like(prev_hist)
    for i in range(frames.shape[0]):
        mean_luma[i] = _small_luma(frames[i], small)
        peak_luma[i] = small.max()
        _hsv_histograms(frames[i], hist)
        if has_previous:
            luma_change[i] = np.mean(np.abs(small - prev_small))
            hist_change[i] = _histogram_distance(hist, prev_hist)
        prev_small[:, :] = small
        prev_hist[:] = hist
        has_previous = True
    return has_previous


@_jit
def _small_luma(frame: UInt8Array, small: npt.NDArray[np.float32]) -> float:
    """Fill ``small`` with block means of luma; return the frame's mean luma."""
    small_h, small_w = small.shape
    height, width = frame.shape[0], frame.shape[1]
    block = LUMA_BLOCK_PX
    small[:, :] = 0.0
    total = 0.0
    for y in range(height):
        by = min(y // block, small_h - 1)
        for x in range(width):
            luma = 0.299 * frame[y, x, 0] + 0.587 * frame[y, x, 1] + 0.114 * frame[y, x, 2]
            total += luma
            small[by, min(x // block, small_w - 1)] += luma
    for by in range(small_h):
        rows = (min(height, (by + 1) * block) if by < small_h - 1 else height) - by * block
        for bx in range(small_w):
            cols = (min(width, (bx + 1) * block) if bx < small_w - 1 else width) - bx * block
            small[by, bx] /= max(1, rows * cols)
    return float(total / (height * width))


@_jit
def _hsv_histograms(frame: UInt8Array, hist: FloatArray) -> None:
    """Normalised hue (with a no-hue slot), saturation and value histograms, concatenated."""
    hist[:] = 0.0
    samples = 0
    for y in range(0, frame.shape[0], HIST_STRIDE_PX):
        for x in range(0, frame.shape[1], HIST_STRIDE_PX):
            r = float(frame[y, x, 0])
            g = float(frame[y, x, 1])
            b = float(frame[y, x, 2])
            high = max(r, g, b)
            delta = high - min(r, g, b)
            saturation = delta / high if high > 0 else 0.0
            if saturation < GREY_SATURATION or high < DARK_VALUE:
                hist[HUE_BINS] += 1
            else:
                if high == r:
                    hue = ((g - b) / delta) % 6.0
                elif high == g:
                    hue = (b - r) / delta + 2.0
                else:
                    hue = (r - g) / delta + 4.0
                hist[min(HUE_BINS - 1, int(hue / 6.0 * HUE_BINS))] += 1
            hist[_HUE_SLOTS + min(SAT_BINS - 1, int(saturation * SAT_BINS))] += 1
            hist[_HUE_SLOTS + SAT_BINS + min(VAL_BINS - 1, int(high / 256.0 * VAL_BINS))] += 1
            samples += 1
    if samples > 0:
        hist /= samples


@_jit
def _histogram_distance(current: FloatArray, previous: FloatArray) -> float:
    """Mean over H, S, V of half the L1 distance between normalised histograms (0..1)."""
    total = 0.0
    for i in range(current.shape[0]):
        total += abs(current[i] - previous[i])
    return total / 2.0 / 3.0
