"""The long-lived models that stages borrow, and how each is held.

A model kind is built once per holder (ASR and text models as a :class:`ModelShelf` that
keeps one model per configuration): in-process once per backend; on Ray either inside
a named actor created once per Ray session and shared by every job and driver of it
(``actor=True``: heavy models such as ASR or the text embedder) or inside the task that
needs it (light ones such as the face detector).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ai_video.config import Settings

T = TypeVar("T")


class ModelShelf:
    """Models of one kind, each built on first use and kept: e.g. whisper tiny.en for English
    and the multilingual base for every other language, in the same ASR actor."""

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.builds = 0
        """How many models this shelf has built (a reused shelf stops counting up)."""

    def get(self, key: str, build: Callable[[], T]) -> T:
        """The model stored under ``key``, built by ``build()`` the first time."""
        with self._lock:
            if key not in self._models:
                self._models[key] = build()
                self.builds += 1
            model: T = self._models[key]
            return model


def _shelf(settings: Settings) -> ModelShelf:
    return ModelShelf()


def _faces(settings: Settings) -> Any:
    from ai_video.analyze.faces import load_face_detector

    return load_face_detector(settings.faces)


def _voice(settings: Settings) -> Any:
    from ai_video.analyze.diarize import VoiceEncoder

    return VoiceEncoder()


@dataclass(frozen=True)
class ModelKind:
    """How to build one kind of model and where Ray keeps it."""

    name: str
    build: Callable[[Settings], Any]
    actor: bool
    """Held by a Ray actor created once per session (True) or built inside each task."""
    pool_size: Callable[[Settings], int] = lambda settings: 1
    """How many actors hold this model on Ray."""
    group: str = ""
    """On Ray, the actor holding it: kinds of one group share one process and its runtime
    (the text embedder and the voice encoder both run on torch, loaded once); "" = its own."""
    config: Callable[[Settings], str] = lambda settings: ""
    """The settings its ``build`` reads, as text: actors are shared by kind and this text
    (a shelf builds per configuration itself, so shelf kinds read none)."""


MODEL_KINDS: dict[str, ModelKind] = {
    kind.name: kind
    for kind in (
        ModelKind("asr", _shelf, actor=True, pool_size=lambda s: s.ray.asr_actors),
        ModelKind("text", _shelf, actor=True, group="torch"),
        ModelKind("faces", _faces, actor=False, config=lambda s: s.faces.model_dump_json()),
        ModelKind("voice", _voice, actor=True, group="torch"),
    )
}
"""Model kind name -> its declaration. Imports are deferred so a worker loads only what
it uses."""


def actor_group(kind: str) -> str:
    """The name of the Ray actor group that holds ``kind``."""
    return MODEL_KINDS[kind].group or kind


def group_kinds(group: str) -> list[ModelKind]:
    """The model kinds held by the actors of ``group``."""
    return [k for k in MODEL_KINDS.values() if k.actor and actor_group(k.name) == group]
