"""Text to speech: the bundled piper voice, the espeak-ng fallback, and what is recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_video.analyze.models import bundled_model
from ai_video.config import Settings
from ai_video.errors import InputError, ModelUnavailable
from ai_video.generate.align import voiced_span
from ai_video.generate.script import Scene
from ai_video.generate.tts import Synthesizer, narrate_scene


def test_piper_speaks_with_the_checksummed_bundled_voice(synthesizer: Synthesizer) -> None:
    narration = narrate_scene(synthesizer, Scene(0, "Rivers carve valleys. Water is patient."))
    pinned = bundled_model("tts-voice", "en_US-joe-medium")
    assert pinned is not None and synthesizer.model is not None
    assert synthesizer.model.sha256 == pinned.sha256
    assert (synthesizer.engine, synthesizer.fallback_reason) == ("piper", None)
    assert narration.voice == "piper:en_US-joe-medium@1.0.0"
    assert narration.sample_rate_hz == 22050 and narration.samples.dtype == np.float32
    assert 1.5 < narration.duration_s < 5.0
    speech = voiced_span(narration.samples, narration.sample_rate_hz)
    assert speech.duration_s > 0.8 * narration.duration_s
    assert float(np.abs(narration.samples).max()) <= 1.0


def test_sentences_are_separated_by_at_least_the_configured_pause(
    synthesizer: Synthesizer, small_settings: Settings
) -> None:
    samples, rate = synthesizer("One sentence. Another one.")
    frame = round(0.01 * rate)
    quiet = np.abs(samples[: len(samples) // frame * frame].reshape(-1, frame)).max(axis=1) < 1e-3
    inner = "".join("q" if q else "." for q in quiet).strip("q")
    longest_run = max(len(run) for run in inner.split("."))
    assert longest_run * 0.01 >= small_settings.generate.sentence_pause_s - 0.01


def test_espeak_speaks_when_asked(small_settings: Settings) -> None:
    synth = Synthesizer(small_settings.generate.model_copy(update={"voice": "espeak"}))
    samples, rate = synth("Hello from the fallback voice.")
    assert synth.engine == "espeak-ng" and synth.voice_label == "espeak-ng:en-us"
    assert "requested" in (synth.fallback_reason or "")
    assert rate == 22050 and 1.0 < len(samples) / rate < 4.0
    assert float(np.abs(samples).max()) > 0.1


def test_missing_piper_voice_falls_back_to_espeak_and_says_why(
    small_settings: Settings, tmp_path: Path
) -> None:
    missing = str(tmp_path / "nowhere.onnx")
    synth = Synthesizer(small_settings.generate.model_copy(update={"voice": missing}))
    assert synth.engine == "espeak-ng" and synth.model is None
    assert "piper unavailable" in (synth.fallback_reason or "") and "nowhere.onnx" in (
        synth.fallback_reason or ""
    )
    strict = small_settings.generate.model_copy(update={"voice": missing, "espeak_fallback": False})
    with pytest.raises(ModelUnavailable, match="not found"):
        Synthesizer(strict)


def test_empty_text_is_refused(synthesizer: Synthesizer) -> None:
    with pytest.raises(InputError, match="empty text"):
        synthesizer("   ")
