"""Weighted score of each candidate, renormalised over the features it has.

A feature missing from the table (no prompt, no video) or null in a row (no voiced audio in
the span) drops out of that row's weights, so the total stays in 0..1 and comparable. Each
contribution is ``weight / sum(weights present) * value``; they sum to the total.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from ai_video.curate.features import FEATURE_NAMES
from ai_video.errors import ConfigError
from ai_video.types import Candidate, ClipScore, ScoredCandidate, TimeSpan

CONTRIBUTION_PREFIX = "contrib_"


def _checked_weights(table: pl.DataFrame, weights: Mapping[str, float]) -> dict[str, float]:
    """The positive weights of features present in ``table``; raises on bad weights."""
    unknown = sorted(set(weights) - set(FEATURE_NAMES))
    if unknown:
        raise ConfigError(
            f"unknown feature(s) {', '.join(unknown)} in curate.weights "
            f"(known: {', '.join(FEATURE_NAMES)})"
        )
    negative = sorted(name for name, w in weights.items() if w < 0)
    if negative:
        raise ConfigError(f"curate.weights must be >= 0, negative: {', '.join(negative)}")
    usable = {n: float(w) for n, w in weights.items() if w > 0 and n in table.columns}
    if not usable and table.height > 0:
        raise ConfigError(
            "curate.weights gives no positive weight to any available feature "
            f"(available: {', '.join(n for n in FEATURE_NAMES if n in table.columns)})"
        )
    return usable


def score_table(table: pl.DataFrame, weights: Mapping[str, float]) -> pl.DataFrame:
    """``table`` plus ``contrib_<feature>`` columns and ``total`` (0..1) for every row."""
    usable = _checked_weights(table, weights)
    if not usable:
        return table.with_columns(total=pl.lit(0.0, dtype=pl.Float64))
    present_weight = pl.sum_horizontal(
        [pl.col(n).is_not_null().cast(pl.Float64) * w for n, w in usable.items()]
    )
    contributions = [
        pl.when(present_weight > 0)
        .then(pl.col(n).fill_null(0.0) * w / present_weight)
        .otherwise(0.0)
        .alias(CONTRIBUTION_PREFIX + n)
        for n, w in usable.items()
    ]
    scored = table.with_columns(contributions)
    total = pl.sum_horizontal([pl.col(CONTRIBUTION_PREFIX + n) for n in usable])
    return scored.with_columns(total=total.clip(0.0, 1.0))


def score_candidates(table: pl.DataFrame, weights: Mapping[str, float]) -> list[ScoredCandidate]:
    """One :class:`ScoredCandidate` per row of the feature table, in table order."""
    scored = score_table(table, weights)
    features = [n for n in FEATURE_NAMES if n in scored.columns]
    contributed = [n for n in features if CONTRIBUTION_PREFIX + n in scored.columns]
    out: list[ScoredCandidate] = []
    for row in scored.iter_rows(named=True):
        candidate = Candidate(
            span=TimeSpan(row["start_s"], row["end_s"]),
            first_sentence=row["first_sentence"],
            last_sentence=row["last_sentence"],
            text=row["text"],
            hook_text=row["hook_text"],
        )
        score = ClipScore(
            total=row["total"],
            features={n: row[n] for n in features if row[n] is not None},
            contributions={
                n: row[CONTRIBUTION_PREFIX + n] for n in contributed if row[n] is not None
            },
        )
        out.append(ScoredCandidate(candidate=candidate, score=score))
    return out
