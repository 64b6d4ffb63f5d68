"""The long-lived models that stages borrow, and how each is held.

A model kind is built once per holder: in-process once per backend; on Ray either inside
an actor created once (``actor=True``: heavy models such as ASR or the text embedder) or
inside the task that needs it (light ones such as the face detector).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ModelKind:
    """How to build one kind of model and where Ray keeps it."""

    name: str
    build: Callable[[Settings], Any]
    actor: bool
    """Held by a Ray actor created once (True) or built inside each task (False)."""
    pool_size: Callable[[Settings], int] = lambda settings: 1
    """How many actors hold this model on Ray."""


MODEL_KINDS: dict[str, ModelKind] = {
    kind.name: kind
    for kind in (
        ModelKind("asr", _asr, actor=True, pool_size=lambda s: s.ray.asr_actors),
        ModelKind("text", _text, actor=True),
        ModelKind("faces", _faces, actor=False),
    )
}
"""Model kind name -> its declaration. Imports are deferred so a worker loads only what
it uses."""
