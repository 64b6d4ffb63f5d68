"""Choose distinct clips: best first, never overlapping in time, never near-duplicate texts.

Two clips are near-duplicates when their content-word sets overlap by at least
``cfg.duplicate_jaccard`` (Jaccard) or their text vectors have a cosine of at least
``cfg.duplicate_cosine``; a source that repeats a passage then gives one clip of it, and the
selector moves on to the next best distinct clip.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ai_video.config import MomentsConfig
from ai_video.types import FloatArray, TimeSpan

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


def content_words(text: str) -> frozenset[str]:
    """Lower-case words of ``text`` without English stop words."""
    return frozenset(
        w for w in (m.lower() for m in _WORD.findall(text)) if w not in ENGLISH_STOP_WORDS
    )


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Size of the intersection over the size of the union (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def near_duplicate(
    words_a: frozenset[str],
    words_b: frozenset[str],
    vector_a: FloatArray | None,
    vector_b: FloatArray | None,
    cfg: MomentsConfig,
) -> bool:
    """Whether two clip texts say the same thing (see the module docstring)."""
    if jaccard(words_a, words_b) >= cfg.duplicate_jaccard:
        return True
    if vector_a is None or vector_b is None:
        return False
    return float(vector_a @ vector_b) >= cfg.duplicate_cosine


def select_distinct(
    spans: Sequence[TimeSpan],
    texts: Sequence[str],
    order_scores: FloatArray,
    max_clips: int,
    cfg: MomentsConfig,
    vectors: FloatArray | None = None,
) -> list[int]:
    """Indices of up to ``max_clips`` distinct clips, best ``order_scores`` first.

    Ties go to the earlier start. A clip is skipped when it overlaps a chosen clip in time
    or is a near-duplicate of one.
    """
    starts = np.array([s.start_s for s in spans], dtype=np.float64)
    order = np.lexsort((starts, -np.round(order_scores, 9)))
    chosen: list[int] = []
    words: dict[int, frozenset[str]] = {}
    for idx in (int(i) for i in order):
        if len(chosen) >= max_clips:
            break
        if any(spans[idx].overlaps(spans[c]) for c in chosen):
            continue
        words[idx] = content_words(texts[idx])
        vector = vectors[idx] if vectors is not None else None
        if any(
            near_duplicate(
                words[idx], words[c], vector, vectors[c] if vectors is not None else None, cfg
            )
            for c in chosen
        ):
            continue
        chosen.append(idx)
    return chosen
