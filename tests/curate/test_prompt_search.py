"""Prompt search: prompt splitting, BM25, and hybrid relevance calibration."""

from __future__ import annotations

import numpy as np
import pytest

from ai_video.config import MomentsConfig
from ai_video.curate.prompt_search import bm25_scores, sentence_relevance, split_prompts
from tests.curate.long_talk import AUSTEN, COOKING, FOOTBALL, JFK

CFG = MomentsConfig()
TEXTS = [*AUSTEN, JFK, *FOOTBALL, *COOKING]


def test_prompts_split_on_semicolons_and_lists() -> None:
    assert split_prompts("a; b ;a;;") == ["a", "b"]
    assert split_prompts(["x;y", "z"]) == ["x", "y", "z"]
    assert split_prompts(None) == [] and split_prompts("  ") == []


def test_bm25_rewards_rare_prompt_words_and_ignores_absent_ones() -> None:
    scores = bm25_scores("pasta dough", TEXTS)
    assert int(np.argmax(scores)) == TEXTS.index(COOKING[0]) or scores.argmax() == TEXTS.index(
        COOKING[1]
    )
    assert np.all(bm25_scores("volcano eruption", TEXTS) == 0.0)


def test_lexical_only_relevance_without_an_embedder() -> None:
    relevance = sentence_relevance("your country", TEXTS, None, None, CFG)
    assert int(np.argmax(relevance)) == TEXTS.index(JFK)
    assert relevance.min() >= 0.0 and relevance.max() <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        # held out: none of these prompts was used to set relevance_threshold
        ("the invention of printing with movable type", None),
        ("a selfish brother and his family", AUSTEN[1]),
        ("how to make fresh pasta at home", COOKING[0]),
        ("a goalkeeper conceding a late goal", FOOTBALL),
        ("duty to one's nation", JFK),
    ],
)
def test_related_prompts_pass_the_threshold(
    prompt: str, expected: str | list[str] | None, minilm: object
) -> None:
    vectors = minilm.embed(TEXTS).astype(np.float64)  # type: ignore[attr-defined]
    relevance = sentence_relevance(prompt, TEXTS, vectors, minilm, CFG)  # type: ignore[arg-type]
    if expected is None:  # printing is not in TEXTS: nothing should pass
        assert relevance.max() < CFG.relevance_threshold
    else:
        best = TEXTS[int(np.argmax(relevance))]
        assert best in expected if isinstance(expected, list) else best == expected
        assert relevance.max() >= CFG.relevance_threshold


@pytest.mark.slow
@pytest.mark.parametrize(
    "prompt",
    [
        "volcanoes and earthquakes",
        "quantum computing",
        "how to train a puppy",
        "stock market crash",
    ],
)
def test_unrelated_prompts_stay_below_the_threshold(prompt: str, minilm: object) -> None:
    vectors = minilm.embed(TEXTS).astype(np.float64)  # type: ignore[attr-defined]
    relevance = sentence_relevance(prompt, TEXTS, vectors, minilm, CFG)  # type: ignore[arg-type]
    assert relevance.max() < CFG.relevance_threshold
