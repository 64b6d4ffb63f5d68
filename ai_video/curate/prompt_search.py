"""Prompt search: hybrid lexical (BM25) and embedding relevance of every sentence to a prompt.

Relevance of a sentence, in 0..1::

    semantic = max(cosine(prompt, sentence), cosine(prompt, sentence + neighbours), 0)
    lexical = bm25 / (bm25 + cfg.bm25_half_score)
    relevance = semantic + cfg.lexical_weight * lexical * (1 - semantic)

The cosine comes from the sentence embedder and carries paraphrases on its own; BM25
(``bm25s``, English stop words removed, each sentence a document) lifts sentences that say
the prompt's rare words, but a lexical hit alone (one shared common word) cannot pass the
threshold. Both parts are absolute (not rescaled per video), so one threshold
(``cfg.relevance_threshold``) means the same thing on every input, and a prompt about
something never said stays below it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import bm25s
import numpy as np

from ai_video.config import MomentsConfig
from ai_video.curate.text_vectors import unit_rows
from ai_video.types import FloatArray

if TYPE_CHECKING:
    from ai_video.analyze.embed import SentenceEmbedder

_PROMPT_SEPARATOR = re.compile(r"\s*;\s*")


def split_prompts(prompts: str | Sequence[str] | None) -> list[str]:
    """The distinct non-empty prompts of a ``;``-separated string or a list of them."""
    if prompts is None:
        return []
    items = [prompts] if isinstance(prompts, str) else list(prompts)
    out: list[str] = []
    for item in items:
        for part in _PROMPT_SEPARATOR.split(item):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


def bm25_scores(prompt: str, texts: Sequence[str]) -> FloatArray:
    """BM25 score of each text (as a document of the collection ``texts``) for ``prompt``."""
    if not texts:
        return np.zeros(0, dtype=np.float64)
    corpus = bm25s.tokenize(list(texts), stopwords="en", show_progress=False)
    query = bm25s.tokenize([prompt], stopwords="en", show_progress=False)
    by_id = {i: token for token, i in query.vocab.items()}
    words = [by_id[i] for i in query.ids[0] if by_id[i]]
    known = [w for w in words if w in corpus.vocab]
    if not known:
        return np.zeros(len(texts), dtype=np.float64)
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    return np.asarray(retriever.get_scores(known), dtype=np.float64)


def context_vectors(vectors: FloatArray, segment_of: Sequence[int] | None) -> FloatArray:
    """Each sentence's vector averaged with its neighbours in the same segment, unit length."""
    n = vectors.shape[0]
    segments = list(segment_of) if segment_of is not None else [0] * n
    out = np.empty_like(vectors)
    for i in range(n):
        rows = [j for j in (i - 1, i, i + 1) if 0 <= j < n and segments[j] == segments[i]]
        out[i] = vectors[rows].mean(axis=0)
    return unit_rows(out)


def sentence_relevance(
    prompt: str,
    texts: Sequence[str],
    vectors: FloatArray | None,
    embedder: SentenceEmbedder | None,
    cfg: MomentsConfig,
    segment_of: Sequence[int] | None = None,
) -> FloatArray:
    """Hybrid relevance (0..1) of each sentence to ``prompt`` (see the module docstring).

    ``vectors`` are the sentences' embeddings from ``embedder``; the cosine part is the better
    of the sentence's own and that of the sentence with its neighbours in the same segment
    (``segment_of``, e.g. topics). Without an embedder only the lexical part counts.
    """
    bm25 = bm25_scores(prompt, texts)
    lexical = bm25 / (bm25 + cfg.bm25_half_score)
    if embedder is None or vectors is None:
        return np.clip(lexical, 0.0, 1.0)
    query = np.asarray(embedder.embed_query([prompt]), dtype=np.float64)[0]
    own = vectors @ query
    around = context_vectors(vectors, segment_of) @ query
    cosine = np.clip(embedder.calibrated(np.maximum(own, around)), 0.0, 1.0)
    hybrid = cosine + cfg.lexical_weight * lexical * (1.0 - cosine)
    result: FloatArray = np.clip(hybrid, 0.0, 1.0)
    return result
