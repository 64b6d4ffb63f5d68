"""Spoken-language identification on speech windows, and the ASR model each language gets.

Whisper identifies a language from one 30 s encoder pass. Instead of the first 30 s of the
file (often music or an intro), a few windows of speech are taken from the voice-activity
spans, spread evenly over all the speech of the source. The windows are first identified
together in one pass (they fit in 30 s); when that is sure, it is the answer. Otherwise each
window gets a pass of its own, the source's language is the one with the highest mean
probability weighted by each window's speech, and a window that is sure of another
language marks a possible switch. English then goes to the fast English-only model, every
other language to the multilingual one with the language fixed (no second guess).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ai_video.analyze.transcribe import UNDETERMINED_LANGUAGE
from ai_video.config import ASR_SAMPLE_RATE_HZ, AsrConfig, LanguageConfig
from ai_video.errors import ConfigError, ModelUnavailable
from ai_video.types import LanguageId, TimeSpan, WindowLanguage

log = logging.getLogger(__name__)

AUTO = "auto"
ENGLISH = "en"
_ENGLISH_TEXT_MODELS = frozenset({"bundled:all-MiniLM-L6-v2", "all-MiniLM-L6-v2"})
MULTILINGUAL_TEXT_MODEL = "bundled:multilingual-e5-small"
_MULTILINGUAL_TEXT_MODELS = frozenset({MULTILINGUAL_TEXT_MODEL})
WHISPER_WINDOW_SAMPLES = 30 * ASR_SAMPLE_RATE_HZ
"""Whisper's encoder always sees 30 s: shorter audio is padded with silence."""


def speech_windows(
    spans: Sequence[TimeSpan], count: int, window_s: float, min_window_s: float
) -> list[tuple[TimeSpan, ...]]:
    """Up to ``count`` windows of about ``window_s`` seconds of speech each, spread evenly.

    Speech time is the VAD spans laid end to end; window ``k`` is centred on the
    ``(k + 0.5) / count`` quantile of it, so a long intro without speech is skipped and the
    windows sample the beginning, middle and end of what is said. Each window is the list
    of source-time pieces it covers. Fewer windows are made when the speech is too short
    for ``count`` disjoint ones; none when there is less than ``min_window_s`` of speech.
    """
    ordered = sorted((s for s in spans if s.duration_s > 0), key=lambda s: s.start_s)
    total_s = sum(s.duration_s for s in ordered)
    if total_s < min_window_s or count < 1:
        return []
    count = max(1, min(count, math.floor(total_s / max(window_s, 1e-9)) or 1))
    length_s = min(window_s, total_s / count)
    windows = []
    for k in range(count):
        centre = (k + 0.5) / count * total_s
        lo = min(max(centre - length_s / 2, 0.0), total_s - length_s)
        windows.append(_source_pieces(ordered, lo, lo + length_s))
    return windows


def _source_pieces(spans: Sequence[TimeSpan], lo_s: float, hi_s: float) -> tuple[TimeSpan, ...]:
    """The parts of ``spans`` between speech times ``lo_s`` and ``hi_s`` (spans end to end)."""
    pieces = []
    elapsed = 0.0
    for span in spans:
        start, end = elapsed, elapsed + span.duration_s
        elapsed = end
        a, b = max(start, lo_s), min(end, hi_s)
        if b > a:
            pieces.append(TimeSpan(span.start_s + a - start, span.start_s + b - start))
    return tuple(pieces)


def window_probabilities(whisper: Any, samples: npt.NDArray[np.float32]) -> dict[str, float]:
    """Probability of every language for one window of 16 kHz speech (one encoder pass).

    The audio is padded with 30 s of silence before the log-mel (as OpenAI's whisper does),
    not padded with zero features afterwards: on synthetic test speech that raised the
    probability of the right language in 9 of 12 languages.
    """
    from faster_whisper.audio import pad_or_trim

    extractor = whisper.feature_extractor
    features = extractor(np.pad(samples, (0, WHISPER_WINDOW_SAMPLES)))
    encoded = whisper.encode(pad_or_trim(features[..., : extractor.nb_max_frames]))
    results = whisper.model.detect_language(encoded)[0]
    return {token[2:-2]: float(probability) for token, probability in results}


def identify_language(
    whisper: Any,
    audio: npt.NDArray[np.float32],
    spans: Sequence[TimeSpan],
    cfg: LanguageConfig,
    model_label: str,
) -> LanguageId:
    """The language of 16 kHz mono ``audio`` from speech windows chosen in its VAD ``spans``.

    ``whisper`` is a loaded multilingual ``faster_whisper.WhisperModel``. No speech gives
    ``und`` with probability 0.
    """
    if not getattr(whisper.model, "is_multilingual", False):
        raise ModelUnavailable(
            f"language identification needs a multilingual whisper model, {model_label} is "
            "English-only; set language.multilingual_model (bundled: 'base')"
        )
    started = time.perf_counter()
    windows = speech_windows(spans, cfg.id_windows, cfg.id_window_s, cfg.id_min_window_s)
    clips = [
        (pieces, np.concatenate([_slice(audio, piece) for piece in pieces])) for pieces in windows
    ]
    clips = [(pieces, samples) for pieces, samples in clips if samples.size > 0]
    packed = _packed_identification(whisper, clips, cfg.id_sure_probability)
    if packed is not None:
        wall_s = time.perf_counter() - started
        log.info(
            "language %s (p=%.2f) from %d windows in one pass, %.2f s",
            packed.language,
            packed.probability,
            len(clips),
            wall_s,
        )
        return LanguageId(packed.language, packed.probability, (packed,), (), model_label, wall_s)
    result = _per_window_identification(whisper, clips, cfg, model_label)
    wall_s = time.perf_counter() - started
    log.info(
        "language %s (p=%.2f) from %d windows in %.2f s%s",
        result.language,
        result.probability,
        len(result.windows),
        wall_s,
        f"; other languages heard: {', '.join(result.switches)}" if result.switches else "",
    )
    return dataclasses.replace(result, wall_s=wall_s)


def _per_window_identification(
    whisper: Any,
    clips: Sequence[tuple[tuple[TimeSpan, ...], npt.NDArray[np.float32]]],
    cfg: LanguageConfig,
    model_label: str,
) -> LanguageId:
    """One pass per window; the speech-weighted mean winner, and the windows sure of another."""
    heard: list[WindowLanguage] = []
    totals: dict[str, float] = {}
    weight_sum = 0.0
    for pieces, samples in clips:
        speech_s = samples.size / ASR_SAMPLE_RATE_HZ
        probabilities = window_probabilities(whisper, samples)
        top = max(probabilities, key=probabilities.__getitem__)
        span = TimeSpan(pieces[0].start_s, pieces[-1].end_s)
        heard.append(WindowLanguage(span, speech_s, top, probabilities[top]))
        for language, probability in probabilities.items():
            totals[language] = totals.get(language, 0.0) + speech_s * probability
        weight_sum += speech_s
    if not heard:
        return LanguageId(UNDETERMINED_LANGUAGE, 0.0, (), (), model_label, 0.0)
    language = max(totals, key=totals.__getitem__)
    switches = sorted(
        {
            w.language
            for w in heard
            if w.language != language and w.probability >= cfg.switch_min_probability
        }
    )
    return LanguageId(
        language=language,
        probability=totals[language] / weight_sum,
        windows=tuple(heard),
        switches=tuple(switches),
        model=model_label,
        wall_s=0.0,
    )


def _packed_identification(
    whisper: Any,
    clips: Sequence[tuple[tuple[TimeSpan, ...], npt.NDArray[np.float32]]],
    sure_probability: float,
) -> WindowLanguage | None:
    """All windows identified in one encoder pass, when they fit in 30 s and it is sure.

    One pass costs the same for 10 s or 30 s of audio, so three windows cost a third; a
    source that mixes languages comes out unsure and is identified window by window.
    """
    total = sum(samples.size for _pieces, samples in clips)
    if len(clips) < 2 or total > WHISPER_WINDOW_SAMPLES or sure_probability > 1.0:
        return None
    probabilities = window_probabilities(whisper, np.concatenate([s for _p, s in clips]))
    top = max(probabilities, key=probabilities.__getitem__)
    if probabilities[top] < sure_probability:
        return None
    span = TimeSpan(clips[0][0][0].start_s, clips[-1][0][-1].end_s)
    return WindowLanguage(span, total / ASR_SAMPLE_RATE_HZ, top, probabilities[top])


def _slice(audio: npt.NDArray[np.float32], span: TimeSpan) -> npt.NDArray[np.float32]:
    first = max(0, round(span.start_s * ASR_SAMPLE_RATE_HZ))
    last = min(len(audio), round(span.end_s * ASR_SAMPLE_RATE_HZ))
    return audio[first:last]


def known_languages() -> frozenset[str]:
    """ISO 639-1 codes whisper knows (``en``, ``fr``, ``zh``...)."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return frozenset(_LANGUAGE_CODES)


def needs_identification(cfg: LanguageConfig) -> bool:
    """Whether the source's language must be identified before transcription."""
    return cfg.language == AUTO


def asr_config_for(
    asr: AsrConfig, cfg: LanguageConfig, detected: LanguageId | None = None
) -> AsrConfig:
    """The ASR settings for the configured or detected language.

    English gets ``cfg.english_model``, any other language ``cfg.multilingual_model`` with
    the language fixed; no speech (``und``) gets the English model. A user-chosen
    ``asr.model`` (anything but the default) is kept for every language.
    """
    language = cfg.language
    if language == AUTO:
        if detected is None:
            raise ConfigError("language is 'auto' but no language was identified")
        language = detected.language if detected.language != UNDETERMINED_LANGUAGE else ENGLISH
    if language not in known_languages():
        known = ", ".join(sorted(known_languages()))
        raise ConfigError(f"unknown language {language!r}: use 'auto' or one of {known}")
    default_model = AsrConfig.model_fields["model"].default
    if asr.model != default_model:
        model = asr.model
        if model.endswith(".en") and language != ENGLISH:
            raise ConfigError(
                f"asr.model {model!r} is English-only but the language is {language!r}; "
                f"choose a multilingual model (bundled: {cfg.multilingual_model!r})"
            )
    else:
        model = cfg.english_model if language == ENGLISH else cfg.multilingual_model
    return asr.model_copy(update={"model": model, "language": language})


def prompt_similarity_scope(text_model: str, language: str) -> str:
    """How prompt similarity treats this language, for the manifest.

    ``english``: English text with the bundled English MiniLM. ``multilingual``: the
    bundled multilingual-e5-small (any language, prompt and clip may even differ).
    ``english-only-model``: another language compared with the English MiniLM, so the
    similarity is weak there. ``configured-model``: the user's own model, whatever it covers.
    """
    if text_model in _MULTILINGUAL_TEXT_MODELS:
        return "multilingual"
    if text_model not in _ENGLISH_TEXT_MODELS:
        return "configured-model"
    return "english" if language == ENGLISH else "english-only-model"


def prompt_text_model(text_model: str, language: str) -> str:
    """The text model for prompt similarity: the multilingual one replaces the English
    MiniLM for a source that is not in English (a user's own model is kept)."""
    if language != ENGLISH and text_model in _ENGLISH_TEXT_MODELS:
        return MULTILINGUAL_TEXT_MODEL
    return text_model
