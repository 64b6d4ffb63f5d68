"""The readable score: 0-100, groups renormalised over what was measured, with evidence."""

from __future__ import annotations

import pytest

from ai_video.curate.breakdown import assemble_score, mean_of
from ai_video.errors import ConfigError

WEIGHTS = {"hook": 0.5, "coherence": 0.25, "visual": 0.25, "relevance": 0.5}


def test_missing_groups_drop_out_and_contributions_sum_to_the_total() -> None:
    score, groups, clip = assemble_score(
        {"hook": 1.0, "coherence": 0.5, "visual": None, "value": 0.2},
        {"hook": "opens with: Stop wasting money.", "coherence": "topic 2"},
        WEIGHTS,
    )
    assert score == pytest.approx(100 * (0.5 * 1.0 + 0.25 * 0.5) / 0.75, abs=0.05)
    assert [g.name for g in groups] == ["hook", "coherence", "value"]  # value: weight 0, shown
    assert groups[0].evidence.startswith("opens with") and groups[0].score == 100.0
    assert sum(clip.contributions.values()) == pytest.approx(clip.total)
    assert "value" not in clip.contributions


def test_unknown_group_is_a_config_error_and_mean_of_skips_none() -> None:
    with pytest.raises(ConfigError, match="unknown score group"):
        assemble_score({"hook": 1.0}, {}, {"hoook": 1.0})
    assert mean_of(None, 0.2, 0.4) == pytest.approx(0.3) and mean_of(None) is None
