"""Shot detection: precision, recall and F1 of detected cuts against true cuts, with a tolerance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CutScore:
    """Cuts matched one-to-one within the tolerance."""

    true_positives: int
    detected: int
    truth: int

    @property
    def precision(self) -> float:
        """Matched / detected (1.0 when nothing was detected and nothing was true)."""
        return self.true_positives / self.detected if self.detected else float(self.truth == 0)

    @property
    def recall(self) -> float:
        """Matched / true (1.0 when there is no true cut)."""
        return self.true_positives / self.truth if self.truth else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: CutScore) -> CutScore:
        return CutScore(
            self.true_positives + other.true_positives,
            self.detected + other.detected,
            self.truth + other.truth,
        )


def cut_score(truth: Sequence[float], detected: Sequence[float], tolerance: float) -> CutScore:
    """Match each true cut to the nearest unused detection within ``tolerance`` (same unit as
    the cuts: frames or seconds), closest pairs first."""
    pairs = sorted(
        (abs(d - t), ti, di)
        for ti, t in enumerate(truth)
        for di, d in enumerate(detected)
        if abs(d - t) <= tolerance
    )
    used_t: set[int] = set()
    used_d: set[int] = set()
    for _, ti, di in pairs:
        if ti not in used_t and di not in used_d:
            used_t.add(ti)
            used_d.add(di)
    return CutScore(len(used_t), len(detected), len(truth))
