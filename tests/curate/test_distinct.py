"""Distinct selection: no time overlap, no near-duplicate texts, fill with the next best."""

from __future__ import annotations

import numpy as np

from ai_video.config import MomentsConfig
from ai_video.curate.distinct import content_words, jaccard, near_duplicate, select_distinct
from ai_video.types import TimeSpan

CFG = MomentsConfig()
PASSAGE = "It has never been surpassed as an example of fine typography, the Gutenberg Bible."


def test_content_words_and_jaccard() -> None:
    a = content_words("The Gutenberg Bible has never been surpassed.")
    assert a == {"gutenberg", "bible", "surpassed"}
    assert jaccard(a, a) == 1.0 and jaccard(a, frozenset()) == 0.0


def test_a_repeated_passage_is_chosen_once_and_the_next_best_fills_in() -> None:
    spans = [TimeSpan(0, 10), TimeSpan(50, 60), TimeSpan(5, 15), TimeSpan(20, 30)]
    texts = [PASSAGE, "So, " + PASSAGE.lower(), "overlapping words", "Pasta needs flour and eggs."]
    scores = np.array([0.9, 0.95, 0.8, 0.5])
    assert select_distinct(spans, texts, scores, 3, CFG) == [1, 2, 3]  # 2 only overlaps 0
    assert select_distinct(spans, texts, scores, 1, CFG) == [1]
    lax = MomentsConfig(duplicate_jaccard=1.01)
    assert select_distinct(spans, texts, scores, 3, lax) == [1, 0, 3]


def test_embedding_cosine_catches_reworded_duplicates() -> None:
    a, b = content_words("alpha beta gamma"), content_words("delta epsilon zeta")
    same = np.array([1.0, 0.0])
    assert near_duplicate(a, b, same, same, CFG)
    assert not near_duplicate(a, b, same, np.array([0.0, 1.0]), CFG)
    assert not near_duplicate(a, b, None, None, CFG)
