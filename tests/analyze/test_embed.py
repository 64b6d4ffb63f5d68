"""Text embeddings with the real bundled all-MiniLM-L6-v2 model (offline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_video.analyze.embed import TextEmbedder
from ai_video.errors import ModelUnavailable

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder() -> TextEmbedder:
    """The bundled MiniLM, loaded once for this module, with the network switched off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        return TextEmbedder("bundled:all-MiniLM-L6-v2", device="cpu")


def test_embeddings_are_unit_length_float32(embedder: TextEmbedder) -> None:
    vectors = embedder.embed(["The stock market fell today.", "Boil the pasta in salted water."])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 384)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert embedder.embed([]).shape == (0, 384)
    assert embedder.label == "bundled:all-MiniLM-L6-v2@0.1.0"


def test_similarity_prefers_the_text_on_the_query_topic(embedder: TextEmbedder) -> None:
    texts = [
        "Index funds spread your savings across hundreds of companies at a low fee.",
        "Boil the spaghetti for nine minutes in plenty of salted water.",
        "The goalkeeper saved a penalty in the last minute of the match.",
    ]
    scores = embedder.similarity("how to invest money for retirement", texts)
    assert scores.shape == (3,) and np.all((scores >= 0.0) & (scores <= 1.0))
    assert int(np.argmax(scores)) == 0
    assert scores[0] - max(scores[1], scores[2]) > 0.1
    same = embedder.similarity("boil the spaghetti", ["boil the spaghetti"])
    assert same[0] == pytest.approx(1.0, abs=1e-5)
    assert embedder.similarity("anything", []).shape == (0,)


def test_unknown_bundled_model_is_reported() -> None:
    with pytest.raises(ModelUnavailable, match="no bundled text model"):
        TextEmbedder("bundled:not-a-model")


def test_unloadable_directory_is_model_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="could not be loaded"):
        TextEmbedder(str(tmp_path))
