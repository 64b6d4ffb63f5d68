"""The score a creator can read: 0-100, grouped as hook, coherence, value, delivery, visual
and relevance, each with the evidence behind it.

Group values are in 0..1; a group that could not be measured (no audio, no video, no prompt)
drops out and the weights of the rest are renormalised, like the feature score.
"""

from __future__ import annotations

from collections.abc import Mapping

from ai_video.errors import ConfigError
from ai_video.types import ClipScore, ScoreGroup

GROUP_NAMES: tuple[str, ...] = ("hook", "coherence", "value", "delivery", "visual", "relevance")


def assemble_score(
    values: Mapping[str, float | None],
    evidence: Mapping[str, str],
    weights: Mapping[str, float],
) -> tuple[float, tuple[ScoreGroup, ...], ClipScore]:
    """The 0-100 score, its groups (0-100 each, with evidence) and the matching ClipScore."""
    unknown = sorted(set(weights) - set(GROUP_NAMES))
    if unknown:
        raise ConfigError(
            f"unknown score group(s) {', '.join(unknown)} in moments.group_weights "
            f"(known: {', '.join(GROUP_NAMES)})"
        )
    present = {
        name: min(max(float(v), 0.0), 1.0)
        for name in GROUP_NAMES
        if (v := values.get(name)) is not None
    }
    usable = {n: float(weights.get(n, 0.0)) for n in present if weights.get(n, 0.0) > 0}
    weight_sum = sum(usable.values())
    contributions = (
        {n: usable[n] * present[n] / weight_sum for n in usable} if weight_sum > 0 else {}
    )
    total = min(max(sum(contributions.values()), 0.0), 1.0)
    groups = tuple(
        ScoreGroup(name=n, score=round(100.0 * present[n], 1), evidence=evidence.get(n, ""))
        for n in GROUP_NAMES
        if n in present
    )
    clip_score = ClipScore(total=total, features=dict(present), contributions=contributions)
    return round(100.0 * total, 1), groups, clip_score


def mean_of(*values: float | None) -> float | None:
    """The mean of the values that are not None (None when all are)."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None
