"""Numba loop that picks the best non-overlapping spans greedily.

Spans are half-open ``[start, end)``: two spans that only touch do not overlap. The compiled
loop is cached on disk by numba, so only the first run on a machine pays for compiling.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from ai_video.types import FloatArray

IndexArray = npt.NDArray[np.int64]


def _greedy_non_overlapping(
    starts: FloatArray, ends: FloatArray, scores: FloatArray, max_count: int, min_score: float
) -> IndexArray:
    by_start = np.argsort(starts, kind="mergesort")
    order = by_start[np.argsort(-scores[by_start], kind="mergesort")]
    chosen = np.empty(min(max_count, starts.shape[0]), dtype=np.int64)
    count = 0
    for idx in order:
        if count >= max_count or not scores[idx] >= min_score:
            break
        free = True
        for c in range(count):
            other = chosen[c]
            if starts[idx] < ends[other] and starts[other] < ends[idx]:
                free = False
                break
        if free:
            chosen[count] = idx
            count += 1
    return chosen[:count]


_greedy_non_overlapping_jit = njit(cache=True, nogil=True)(_greedy_non_overlapping)


def greedy_non_overlapping(
    starts: FloatArray, ends: FloatArray, scores: FloatArray, max_count: int, min_score: float
) -> IndexArray:
    """Indices of up to ``max_count`` non-overlapping spans, best score first.

    Spans are taken in order of falling score (ties: earlier start, then lower index); a span
    is kept when its score is at least ``min_score`` and it overlaps no span kept before it.
    """
    starts_c = np.ascontiguousarray(starts, dtype=np.float64)
    ends_c = np.ascontiguousarray(ends, dtype=np.float64)
    scores_c = np.ascontiguousarray(scores, dtype=np.float64)
    if not starts_c.shape == ends_c.shape == scores_c.shape or starts_c.ndim != 1:
        raise ValueError(
            f"starts, ends and scores must be 1-D of one length, got "
            f"{starts_c.shape}, {ends_c.shape}, {scores_c.shape}"
        )
    if not np.isfinite(scores_c).all():
        raise ValueError("scores must be finite")
    if max_count <= 0 or starts_c.size == 0:
        return np.zeros(0, dtype=np.int64)
    chosen: IndexArray = _greedy_non_overlapping_jit(
        starts_c, ends_c, scores_c, int(max_count), float(min_score)
    )
    return chosen
