"""Text to speech: piper with a checksum-verified voice, espeak-ng only when piper is unavailable.

A :class:`Synthesizer` loads its voice once (that is what the pipeline's single TTS actor
holds) and is then called once per scene, in order. Which engine spoke, and why the fallback
was taken when it was, is kept on the synthesizer for the manifest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ai_video.analyze.models import ModelRef, resolve_piper_voice
from ai_video.config import GenerateConfig
from ai_video.errors import InputError, ModelUnavailable
from ai_video.generate.script import Scene
from ai_video.media.espeak import synthesize_espeak

log = logging.getLogger(__name__)

ESPEAK_VOICE_NAME = "espeak"
Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SceneNarration:
    """One scene's synthesized voice."""

    scene_index: int
    samples: Samples
    """Mono float32 samples in [-1, 1]."""
    sample_rate_hz: int
    voice: str
    """Engine and voice that spoke, e.g. ``piper:en_US-joe-medium@1.0.0``."""

    @property
    def duration_s(self) -> float:
        """Length of the narration in seconds."""
        return len(self.samples) / self.sample_rate_hz


class Synthesizer:
    """A TTS voice loaded once; ``synth(text)`` returns ``(samples, sample_rate_hz)``."""

    def __init__(self, cfg: GenerateConfig) -> None:
        """Load the configured piper voice, or espeak-ng when asked for or when piper fails."""
        self._cfg = cfg
        self._piper: Any = None
        self._syn_config: Any = None
        self.fallback_reason: str | None = None
        """Why espeak-ng speaks instead of piper (None when piper speaks)."""
        self.model: ModelRef | None = None
        """The resolved piper voice (None for espeak-ng)."""
        if cfg.voice == ESPEAK_VOICE_NAME:
            self.fallback_reason = "espeak-ng requested (generate.voice = 'espeak')"
        else:
            try:
                self._load_piper(cfg)
            except ModelUnavailable as exc:
                if not cfg.espeak_fallback:
                    raise
                self.fallback_reason = f"piper unavailable: {exc}"
                log.warning("TTS falls back to espeak-ng: %s", exc)

    def _load_piper(self, cfg: GenerateConfig) -> None:
        """Resolve (checksum-verify) the voice and create the piper ONNX session."""
        ref = resolve_piper_voice(cfg.voice)
        try:
            from piper import PiperVoice, SynthesisConfig
        except ImportError as exc:
            raise ModelUnavailable(
                f"piper-tts is not installed ({exc}); install it with `pip install piper-tts`"
            ) from None
        if ref.path is None:
            raise ModelUnavailable(f"piper voice {cfg.voice!r} resolved to no file")
        try:
            self._piper = PiperVoice.load(ref.path)
        except (OSError, RuntimeError, ValueError, KeyError) as exc:
            raise ModelUnavailable(f"piper could not load voice {ref.path}: {exc}") from None
        self._syn_config = SynthesisConfig(length_scale=cfg.length_scale)
        self.model = ref

    @property
    def engine(self) -> str:
        """``piper`` or ``espeak-ng``."""
        return "piper" if self._piper is not None else "espeak-ng"

    @property
    def voice_label(self) -> str:
        """Engine and exact voice, recorded in the manifest."""
        if self.model is not None:
            return f"piper:{self.model.label}"
        return f"espeak-ng:{self._cfg.espeak_voice}"

    def __call__(self, text: str) -> tuple[Samples, int]:
        """Speak ``text``: mono float32 samples in [-1, 1] and their sample rate."""
        if not text.strip():
            raise InputError("cannot synthesize empty text")
        if self._piper is None:
            return synthesize_espeak(
                text,
                self._cfg.espeak_voice,
                self._cfg.espeak_wpm,
                self._cfg.espeak_bin,
                self._cfg.espeak_timeout_s,
            )
        rate = int(self._piper.config.sample_rate)
        pause = np.zeros(round(self._cfg.sentence_pause_s * rate), dtype=np.float32)
        pieces: list[Samples] = []
        for chunk in self._piper.synthesize(text, syn_config=self._syn_config):
            if pieces:
                pieces.append(pause)
            pieces.append(np.asarray(chunk.audio_float_array, dtype=np.float32))
        if not pieces:
            raise InputError(f"piper produced no audio for {text[:60]!r} (nothing to pronounce)")
        return np.concatenate(pieces), rate


def narrate_scene(synthesizer: Synthesizer, scene: Scene) -> SceneNarration:
    """Synthesize one scene's text (the unit the TTS actor runs, one at a time, in order)."""
    samples, rate = synthesizer(scene.text)
    return SceneNarration(
        scene_index=scene.index,
        samples=samples,
        sample_rate_hz=rate,
        voice=synthesizer.voice_label,
    )
