"""Fixtures of the curation tests: the bundled sentence embedder, loaded once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ai_video.analyze.embed import TextEmbedder


@pytest.fixture(scope="session")
def minilm() -> TextEmbedder:
    """The bundled all-MiniLM-L6-v2 on the CPU."""
    from ai_video.analyze.embed import TextEmbedder

    return TextEmbedder("bundled:all-MiniLM-L6-v2", device="cpu")
