"""Choose the clips: the best-scoring candidates that do not overlap in time."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ai_video.kernels.select import greedy_non_overlapping
from ai_video.types import FloatArray, ScoredCandidate

_TIE_DECIMALS = 9


def select_clips(
    scored: Sequence[ScoredCandidate], max_clips: int, min_score: float
) -> list[ScoredCandidate]:
    """Up to ``max_clips`` non-overlapping candidates scoring at least ``min_score``, best first.

    Greedy by score (ties: earlier start), so the best candidate is always kept. Totals are
    compared to 9 decimals, so float noise from summing features does not break ties.
    """
    if not scored:
        return []
    starts = np.array([s.candidate.span.start_s for s in scored], dtype=np.float64)
    ends = np.array([s.candidate.span.end_s for s in scored], dtype=np.float64)
    totals: FloatArray = np.array([s.score.total for s in scored], dtype=np.float64)
    totals = totals.round(_TIE_DECIMALS)
    chosen = greedy_non_overlapping(
        starts, ends, totals, max_clips, round(min_score, _TIE_DECIMALS)
    )
    return [scored[int(i)] for i in chosen]
