"""Factories of the long-lived model objects that stages borrow (created once per worker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ai_video.config import Settings


def _asr(settings: Settings) -> Any:
    from ai_video.analyze.transcribe import Transcriber

    return Transcriber(settings.asr)


def _text(settings: Settings) -> Any:
    from ai_video.analyze.embed import TextEmbedder

    return TextEmbedder(settings.curate.text_model)


def _faces(settings: Settings) -> Any:
    from ai_video.analyze.faces import load_face_detector

    return load_face_detector(settings.faces)


MODEL_FACTORIES: dict[str, Callable[[Settings], Any]] = {
    "asr": _asr,
    "text": _text,
    "faces": _faces,
}
"""Model name -> factory. Imports are deferred so a worker loads only what it uses."""
