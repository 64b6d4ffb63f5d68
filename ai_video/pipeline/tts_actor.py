"""The one TTS actor: a named singleton that holds the voice and speaks scenes in order.

TTS models are memory-heavy and contend for CPU, so the whole cluster shares one voice
process (``ai_video_tts`` in namespace ``ai_video``); callers reach it through
:class:`ActorSynthesizer`, which looks like :class:`~ai_video.generate.tts.Synthesizer`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import ray

from ai_video.config import GenerateConfig

TTS_ACTOR_NAME = "ai_video_tts"
TTS_NAMESPACE = "ai_video"


@ray.remote(max_restarts=2, max_task_retries=2)
class TtsActor:
    """Holds one piper voice (or espeak-ng); a sync actor runs one call at a time, in order."""

    def __init__(self, cfg: GenerateConfig) -> None:
        from ai_video.generate.tts import Synthesizer

        self._synth = Synthesizer(cfg)

    def describe(self) -> dict[str, Any]:
        """Engine, voice label and fallback reason, for the manifest."""
        return {
            "engine": self._synth.engine,
            "voice_label": self._synth.voice_label,
            "fallback_reason": self._synth.fallback_reason,
            "model": self._synth.model,
        }

    def synthesize(self, text: str) -> tuple[npt.NDArray[np.float32], int]:
        """Speak ``text``: mono float32 samples and their sample rate."""
        return self._synth(text)


def tts_actor(cfg: GenerateConfig, detached: bool) -> Any:
    """The cluster's TTS actor, created on first use (detached on a long-lived cluster)."""
    options: dict[str, Any] = {
        "name": TTS_ACTOR_NAME,
        "namespace": TTS_NAMESPACE,
        "get_if_exists": True,
        "num_cpus": 1,
    }
    if detached:
        options["lifetime"] = "detached"
    return TtsActor.options(**options).remote(cfg)  # type: ignore[attr-defined]


class ActorSynthesizer:
    """A Synthesizer-shaped handle on the TTS actor (calls block, so scenes stay in order)."""

    def __init__(self, actor: Any) -> None:
        self._actor = actor
        info = ray.get(actor.describe.remote())
        self.engine: str = info["engine"]
        self.voice_label: str = info["voice_label"]
        self.fallback_reason: str | None = info["fallback_reason"]
        self.model = info["model"]

    def __call__(self, text: str) -> tuple[npt.NDArray[np.float32], int]:
        """Speak ``text`` on the actor."""
        try:
            samples, rate = ray.get(self._actor.synthesize.remote(text))
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, BaseException):
                raise cause from None
            raise
        return samples, int(rate)
