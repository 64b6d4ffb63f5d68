"""Unit-length vectors of texts: the sentence embedder when loaded, TF-IDF otherwise.

Topic segmentation and duplicate detection compare texts by cosine similarity. With the
bundled MiniLM model loaded (it is whenever a prompt is given) its embeddings are used;
without it a TF-IDF bag of words over the same texts keeps both working offline and model-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ai_video.types import FloatArray

if TYPE_CHECKING:
    from ai_video.analyze.embed import SentenceEmbedder


def tfidf_vectors(texts: Sequence[str]) -> FloatArray:
    """L2-normalised TF-IDF rows (English stop words removed); zero rows for empty texts."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float64)
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(list(texts))
    except ValueError:  # every text is empty or only stop words
        return np.zeros((len(texts), 1), dtype=np.float64)
    return np.asarray(matrix.toarray(), dtype=np.float64)


def text_vectors(texts: Sequence[str], embedder: SentenceEmbedder | None) -> FloatArray:
    """One unit-length row per text: embeddings when ``embedder`` is given, else TF-IDF."""
    if embedder is None:
        return tfidf_vectors(texts)
    return np.asarray(embedder.embed(list(texts)), dtype=np.float64)


def unit_rows(matrix: FloatArray) -> FloatArray:
    """``matrix`` with each non-zero row scaled to unit length."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    scaled: FloatArray = matrix / np.where(norms > 0, norms, 1.0)
    return scaled
