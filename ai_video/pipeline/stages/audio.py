"""The clip job's audio stages: extraction, voice activity, language, transcription, word
timing and diarization. Each ``produce_*`` writes a stage's files into a fresh cache entry,
each ``load_*`` reads it back; the ``Stage`` declarations are everything else about a stage.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ai_video.config import ASR_SAMPLE_RATE_HZ, AsrConfig, Settings
from ai_video.pipeline.model_kinds import ModelShelf
from ai_video.pipeline.serialize import load_speech, save_speech
from ai_video.pipeline.source import SourceRef
from ai_video.pipeline.stage import Stage
from ai_video.types import LanguageId, SpeechActivity, Transcript

# --------------------------------------------------------------------------- audio


def produce_audio(out: Path, src: SourceRef, settings: Settings, model: None) -> None:
    """Extract the audio once as mono WAV at the analysis sample rate (streamed to the file:
    memory does not grow with the source's length)."""
    from ai_video.media.audio import extract_wav

    extract_wav(src.info, settings.media, ASR_SAMPLE_RATE_HZ, out / "audio.wav")


def load_audio(entry: Path) -> Path:
    """The extracted WAV's path."""
    return entry / "audio.wav"


AUDIO = Stage[Path](
    name="audio",
    version=1,
    produce=produce_audio,
    load=load_audio,
    key_extra=lambda s: {"rate": ASR_SAMPLE_RATE_HZ},
)


_shared_samples: weakref.WeakValueDictionary[tuple[str, int, int], np.ndarray] = (
    weakref.WeakValueDictionary()
)
_shared_lock = threading.Lock()


def samples_of(wav: Path) -> np.ndarray:
    """The WAV's samples, read-only and shared: stages running side by side in one process
    (speech, language, transcription, diarization, word timing) hold one copy of the track,
    not one each; it is freed when the last of them lets go (issue 15)."""
    from ai_video.media.audio import read_wav

    stat = wav.stat()
    key = (str(wav), stat.st_size, stat.st_mtime_ns)
    with _shared_lock:
        samples = _shared_samples.get(key)
        if samples is None:
            samples, _ = read_wav(wav)
            samples.setflags(write=False)
            _shared_samples[key] = samples
        return samples


# --------------------------------------------------------------------------- speech


def produce_speech(out: Path, src: SourceRef, settings: Settings, model: None, wav: Path) -> None:
    """Loudness and voice activity over time."""
    from ai_video.analyze.speech import speech_activity

    samples = samples_of(wav)
    save_speech(speech_activity(samples, ASR_SAMPLE_RATE_HZ, settings.speech), out / "speech.npz")


def load_speech_entry(entry: Path) -> SpeechActivity:
    """The speech activity written by :func:`produce_speech`."""
    return load_speech(entry / "speech.npz")


SPEECH = Stage[SpeechActivity](
    name="speech",
    version=1,
    produce=produce_speech,
    load=load_speech_entry,
    reads=("speech",),
    upstream=(AUDIO,),
)

# --------------------------------------------------------------------------- language (issue 11)


def _transcriber(shelf: ModelShelf, cfg: AsrConfig) -> Any:
    """The shelf's transcriber for ``cfg`` (tiny.en and base can both stay loaded); the
    language is given per call, so language id and transcription share one loaded model."""
    from ai_video.analyze.transcribe import Transcriber

    key = cfg.model_copy(update={"language": None}).model_dump_json()
    return shelf.get(key, lambda: Transcriber(cfg))


def produce_language(
    out: Path, src: SourceRef, settings: Settings, shelf: Any, wav: Path, speech: SpeechActivity
) -> None:
    """The spoken language: given by the user, or identified on speech windows (VAD-chosen,
    spread over the whole source) with the multilingual model."""
    from ai_video.analyze.language import identify_language, needs_identification
    from ai_video.analyze.language_format import given_language, language_id_to_json

    cfg = settings.language
    if not needs_identification(cfg):
        (out / "language.json").write_bytes(language_id_to_json(given_language(cfg.language)))
        return
    multilingual = settings.asr.model_copy(update={"model": cfg.multilingual_model})
    transcriber = _transcriber(shelf, multilingual)
    found = identify_language(
        transcriber.whisper, samples_of(wav), speech.speech_spans, cfg, transcriber.model_label
    )
    (out / "language.json").write_bytes(language_id_to_json(found))


def load_language(entry: Path) -> LanguageId:
    """The language decision written by :func:`produce_language`."""
    from ai_video.analyze.language_format import language_id_from_json

    return language_id_from_json((entry / "language.json").read_bytes())


LANGUAGE = Stage[LanguageId](
    name="language",
    version=1,
    produce=produce_language,
    load=load_language,
    reads=("language",),
    upstream=(AUDIO, SPEECH),
    model="asr",
    model_needed=lambda s: s.language.language == "auto",
)


# --------------------------------------------------------------------------- transcribe


def produce_transcript(
    out: Path, src: SourceRef, settings: Settings, shelf: Any, wav: Path, language: LanguageId
) -> None:
    """Transcribe with word timings: English on the fast English model, any other language
    on the multilingual one with the language fixed."""
    from ai_video.analyze.language import asr_config_for, needs_identification
    from ai_video.analyze.transcript_format import transcript_to_json

    cfg = asr_config_for(settings.asr, settings.language, language)
    transcriber = _transcriber(shelf, cfg)
    transcript = transcriber(
        samples_of(wav), language=cfg.language, initial_prompt=settings.asr.initial_prompt
    )
    if needs_identification(settings.language):
        transcript = dataclasses.replace(transcript, language_probability=language.probability)
    (out / "transcript.json").write_bytes(transcript_to_json(transcript))


def load_transcript(entry: Path) -> Transcript:
    """The transcript written by :func:`produce_transcript`."""
    from ai_video.analyze.transcript_format import transcript_from_json

    return transcript_from_json((entry / "transcript.json").read_bytes())


TRANSCRIBE = Stage[Transcript](
    name="transcribe",
    version=2,
    produce=produce_transcript,
    load=load_transcript,
    reads=("asr", "language"),
    upstream=(AUDIO, LANGUAGE),
    model="asr",
)

# --------------------------------------------------------------------------- word timing (issue 17)


def produce_word_times(
    out: Path,
    src: SourceRef,
    settings: Settings,
    model: None,
    transcript: Transcript,
    speech: SpeechActivity,
    wav: Path,
) -> None:
    """Whisper's word times snapped to pauses and energy onsets in the audio."""
    from ai_video.analyze.transcript_format import transcript_to_json
    from ai_video.analyze.word_timing import refine_word_times

    refined = refine_word_times(
        samples_of(wav), ASR_SAMPLE_RATE_HZ, transcript, speech.speech_spans, settings.word_timing
    )
    (out / "transcript.json").write_bytes(transcript_to_json(refined))


WORD_TIMING = Stage[Transcript](
    name="word_timing",
    version=1,
    produce=produce_word_times,
    load=load_transcript,
    reads=("word_timing",),
    upstream=(TRANSCRIBE, SPEECH),
)

# --------------------------------------------------------------------------- diarization (issue 9)


def produce_voice_turns(
    out: Path, src: SourceRef, settings: Settings, encoder: Any, wav: Path, speech: SpeechActivity
) -> None:
    """Who speaks when, by voice: embeddings of speech windows clustered into voices."""
    from ai_video.analyze.diarize import diarize

    turns = diarize(samples_of(wav), speech, encoder, settings.speakers)
    turns.write_parquet(out / "voice_turns.parquet")


def load_voice_turns(entry: Path) -> pl.DataFrame:
    """Voice turns ``(start_s, end_s, voice_id)``."""
    return pl.read_parquet(entry / "voice_turns.parquet")


DIARIZE = Stage[pl.DataFrame](
    name="diarize",
    version=1,
    produce=produce_voice_turns,
    load=load_voice_turns,
    reads=("speakers",),
    upstream=(AUDIO, SPEECH),
    model="voice",
)
