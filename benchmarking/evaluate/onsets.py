"""Caption onset error: how far each recognised word starts from its reference start."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmarking.evaluate.asr import normalize

TimedWord = tuple[str, float, float]
"""(text, start_s, end_s)."""


@dataclass(frozen=True)
class OnsetScore:
    """Absolute onset errors of the words matched to the reference."""

    median_ms: float
    p95_ms: float
    matched: int
    reference_words: int

    def line(self) -> str:
        """``median / p95 ms (matched/reference)``."""
        return (
            f"{self.median_ms:.0f} / {self.p95_ms:.0f} ms ({self.matched}/{self.reference_words})"
        )


def matched_onsets(
    reference: Sequence[TimedWord], hypothesis: Sequence[TimedWord]
) -> list[tuple[float, float]]:
    """(reference start, hypothesis start) of words paired by a text alignment of both lists.

    Words are compared after normalisation; only equal runs of the alignment pair up, so a
    misrecognised word has no onset error (it shows in the WER instead).
    """
    ref_text = [normalize(w[0]) for w in reference]
    hyp_text = [normalize(w[0]) for w in hypothesis]
    matcher = difflib.SequenceMatcher(a=ref_text, b=hyp_text, autojunk=False)
    pairs = []
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            pairs.append((reference[block.a + k][1], hypothesis[block.b + k][1]))
    return pairs


def onset_score(reference: Sequence[TimedWord], hypothesis: Sequence[TimedWord]) -> OnsetScore:
    """Median and p95 absolute onset error in ms over matched words (NaN when none match)."""
    pairs = matched_onsets(reference, hypothesis)
    errors = np.abs(np.asarray([h - r for r, h in pairs], dtype=np.float64)) * 1000.0
    if errors.size == 0:
        return OnsetScore(float("nan"), float("nan"), 0, len(reference))
    return OnsetScore(
        median_ms=float(np.median(errors)),
        p95_ms=float(np.percentile(errors, 95)),
        matched=int(errors.size),
        reference_words=len(reference),
    )
