"""Scoring: weighted sum renormalised over the features present, with its breakdown."""

from __future__ import annotations

import polars as pl
import pytest

from ai_video.config import CurateConfig
from ai_video.curate.score import score_candidates, score_table
from ai_video.errors import ConfigError

WEIGHTS = CurateConfig().weights


def _table(**features: list[float | None]) -> pl.DataFrame:
    n = len(next(iter(features.values())))
    base = {
        "start_s": [float(10 * i) for i in range(n)],
        "end_s": [float(10 * i + 9) for i in range(n)],
        "first_sentence": list(range(n)),
        "last_sentence": list(range(n)),
        "text": [f"Sentence {i}." for i in range(n)],
        "hook_text": [f"Sentence {i}." for i in range(n)],
    }
    return pl.DataFrame({**base, **features}, schema_overrides=dict.fromkeys(features, pl.Float64))


def test_breakdown_sums_to_total_and_is_renormalised_over_present_features() -> None:
    table = _table(
        hook=[1.0, 0.2, 0.0],
        completeness=[1.0, 0.5, 0.0],
        speech_density=[0.5, 0.5, 0.0],
        duration_fit=[1.0, 0.75, 0.0],
    )
    scored = score_candidates(table, WEIGHTS)
    present = WEIGHTS["hook"] + WEIGHTS["completeness"] + WEIGHTS["speech_density"]
    present += WEIGHTS["duration_fit"]
    for item in scored:
        assert sum(item.score.contributions.values()) == pytest.approx(item.score.total)
        assert 0.0 <= item.score.total <= 1.0
        assert set(item.score.contributions) == set(item.score.features)
    first = scored[0].score
    assert first.contributions["hook"] == pytest.approx(WEIGHTS["hook"] / present)
    assert first.contributions["speech_density"] == pytest.approx(0.5 * 0.10 / present)
    assert first.total == pytest.approx((0.25 + 0.15 + 0.05 + 0.10) / 0.60)
    assert scored[2].score.total == 0.0
    assert [s.candidate.first_sentence for s in scored] == [0, 1, 2]
    assert scored[1].candidate.span.end_s == 19.0


def test_a_null_feature_drops_out_of_that_rows_weights_only() -> None:
    table = _table(hook=[0.8, 0.8], face_presence=[None, 0.2])
    scored = score_candidates(table, {"hook": 0.5, "face_presence": 0.5})
    assert scored[0].score.total == pytest.approx(0.8)
    assert scored[0].score.features == {"hook": 0.8}
    assert scored[1].score.total == pytest.approx(0.5)
    assert scored[1].score.contributions == pytest.approx({"hook": 0.4, "face_presence": 0.1})


def test_perfect_candidate_scores_one_and_unweighted_features_are_kept_for_display() -> None:
    table = _table(hook=[1.0], completeness=[1.0], prompt_similarity=[1.0])
    scored = score_table(table, {"hook": 2.0, "completeness": 1.0, "prompt_similarity": 0.0})
    assert scored["total"].to_list() == pytest.approx([1.0])
    assert "contrib_prompt_similarity" not in scored.columns
    item = score_candidates(table, {"hook": 1.0})[0]
    assert item.score.features == {"hook": 1.0, "completeness": 1.0, "prompt_similarity": 1.0}
    assert item.score.contributions == {"hook": 1.0}


def test_bad_weights_are_config_errors() -> None:
    table = _table(hook=[0.5])
    with pytest.raises(ConfigError, match="virality"):
        score_candidates(table, {"hook": 1.0, "virality": 1.0})
    with pytest.raises(ConfigError, match="negative"):
        score_candidates(table, {"hook": -1.0})
    with pytest.raises(ConfigError, match="no positive weight"):
        score_candidates(table, {"face_presence": 1.0})
