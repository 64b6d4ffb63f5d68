"""Clip boundaries: do clip edges fall between words, and on sentence starts and ends?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Span = tuple[float, float]
"""(start_s, end_s)."""


@dataclass(frozen=True)
class BoundaryScore:
    """Shares of clip edges (two per clip)."""

    edges: int
    in_word_gaps: float
    """Edges that cut no word: not strictly inside any word (within the tolerance)."""
    on_sentences: float
    """Starts whose first whole word starts a sentence, ends whose last whole word ends one."""


def cuts_a_word(edge_s: float, words: Sequence[Span], tolerance_s: float) -> bool:
    """Whether ``edge_s`` lies inside a word by more than ``tolerance_s`` on both sides."""
    return any(start + tolerance_s < edge_s < end - tolerance_s for start, end in words)


def boundary_score(
    clips: Sequence[Span],
    words: Sequence[Span],
    sentences: Sequence[Span],
    tolerance_s: float = 0.05,
) -> BoundaryScore:
    """Score every clip's start and end against word and sentence times (NaN with no clip).

    An edge is on a sentence when the first word the clip holds whole starts a sentence
    (for the start) or the last one ends a sentence (for the end); clip padding around the
    words does not matter.
    """
    edges = [edge for clip in clips for edge in clip]
    if not edges:
        return BoundaryScore(0, float("nan"), float("nan"))
    gaps = sum(not cuts_a_word(e, words, tolerance_s) for e in edges)
    starts = [s for s, _ in sentences]
    ends = [e for _, e in sentences]
    on = 0
    for c0, c1 in clips:
        held = [w for w in words if w[0] >= c0 - tolerance_s and w[1] <= c1 + tolerance_s]
        if held:
            on += any(abs(held[0][0] - s) <= tolerance_s for s in starts)
            on += any(abs(held[-1][1] - e) <= tolerance_s for e in ends)
    return BoundaryScore(len(edges), gaps / len(edges), on / len(edges))
