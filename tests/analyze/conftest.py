"""Fixtures shared by the analyze tests."""

from __future__ import annotations

import pytest

from ai_video.analyze.embed import TextEmbedder
from ai_video.config import Settings


@pytest.fixture(scope="session")
def broll_embedder() -> TextEmbedder:
    """The b-roll index's default text model (the bundled MiniLM), loaded once per session."""
    return TextEmbedder(Settings().broll.text_model)
