"""Loudness and voice activity over time: RMS level per hop and Silero VAD speech regions."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ai_video.config import ASR_SAMPLE_RATE_HZ, SpeechConfig
from ai_video.errors import InputError
from ai_video.types import FloatArray, SpeechActivity, TimeSpan

VAD_SAMPLE_RATE_HZ = ASR_SAMPLE_RATE_HZ  # Silero VAD reads the same 16 kHz track
SILENCE_FLOOR_DBFS = -90.0
VAD_WINDOW_MS = 32


def speech_activity(
    audio: npt.NDArray[np.floating[Any]], sample_rate_hz: int, cfg: SpeechConfig
) -> SpeechActivity:
    """Loudness per hop, and voiced hops and speech spans from the Silero VAD (16 kHz mono)."""
    samples = _checked_samples(audio, sample_rate_hz)
    hop_samples = max(1, round(cfg.hop_s * sample_rate_hz))
    hop_s = hop_samples / sample_rate_hz
    loudness_db = rms_dbfs(samples, hop_samples)
    spans = voice_spans(samples, cfg)
    return SpeechActivity(
        hop_s=hop_s,
        loudness_db=loudness_db,
        voiced=voiced_hops(spans, len(loudness_db), hop_s),
        speech_spans=spans,
    )


def rms_dbfs(samples: npt.NDArray[np.float32], hop_samples: int) -> FloatArray:
    """RMS level of each hop in dBFS (full-scale sine ≈ -3), floored at -90 for silence."""
    n_hops = -(-len(samples) // hop_samples)
    if n_hops == 0:
        return np.zeros(0, dtype=np.float64)
    padded = np.zeros(n_hops * hop_samples, dtype=np.float64)
    padded[: len(samples)] = samples
    frames = padded.reshape(n_hops, hop_samples)
    energy = np.einsum("ij,ij->i", frames, frames)
    counts = np.full(n_hops, hop_samples, dtype=np.float64)
    counts[-1] = len(samples) - (n_hops - 1) * hop_samples
    rms = np.sqrt(energy / counts)
    floor = 10.0 ** (SILENCE_FLOOR_DBFS / 20.0)
    return np.asarray(20.0 * np.log10(np.maximum(rms, floor)), dtype=np.float64)


def voice_spans(samples: npt.NDArray[np.float32], cfg: SpeechConfig) -> tuple[TimeSpan, ...]:
    """Speech regions found by the Silero VAD bundled with faster-whisper (16 kHz input).

    The audio is followed by enough digital silence for the detector to close a span that
    runs to the end (it otherwise ends it at the last sample, however long the trailing
    silence shorter than ``min_silence_ms``); span ends are clipped to the real audio.
    """
    if len(samples) == 0:
        return ()
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        threshold=cfg.vad_threshold,
        min_silence_duration_ms=cfg.min_silence_ms,
        min_speech_duration_ms=cfg.vad_min_speech_ms,
        speech_pad_ms=cfg.vad_speech_pad_ms,
    )
    tail_ms = cfg.min_silence_ms + cfg.vad_speech_pad_ms + 2 * VAD_WINDOW_MS
    tail = np.zeros(VAD_SAMPLE_RATE_HZ * tail_ms // 1000, dtype=np.float32)
    chunks = get_speech_timestamps(
        np.concatenate([samples, tail]), options, sampling_rate=VAD_SAMPLE_RATE_HZ
    )
    spans = []
    for chunk in chunks:
        start, end = chunk["start"], min(chunk["end"], len(samples))
        if end > start:
            spans.append(TimeSpan(start / VAD_SAMPLE_RATE_HZ, end / VAD_SAMPLE_RATE_HZ))
    return tuple(spans)


def voiced_hops(spans: tuple[TimeSpan, ...], n_hops: int, hop_s: float) -> npt.NDArray[np.bool_]:
    """Whether each hop's centre lies inside one of the (sorted, disjoint) speech spans."""
    centres = (np.arange(n_hops, dtype=np.float64) + 0.5) * hop_s
    if not spans:
        return np.zeros(n_hops, dtype=np.bool_)
    starts = np.array([span.start_s for span in spans])
    ends = np.array([span.end_s for span in spans])
    last_started = np.searchsorted(starts, centres, side="right") - 1
    inside = centres < ends[np.maximum(last_started, 0)]
    return np.asarray((last_started >= 0) & inside, dtype=np.bool_)


def _checked_samples(
    audio: npt.NDArray[np.floating[Any]], sample_rate_hz: int
) -> npt.NDArray[np.float32]:
    """Contiguous mono float32 samples at the VAD's rate; anything else is refused."""
    if sample_rate_hz != VAD_SAMPLE_RATE_HZ:
        raise InputError(
            f"speech activity needs {VAD_SAMPLE_RATE_HZ} Hz audio (the Silero VAD rate), got "
            f"{sample_rate_hz} Hz; extract the audio at {VAD_SAMPLE_RATE_HZ} Hz mono"
        )
    if audio.ndim != 1 or not np.issubdtype(audio.dtype, np.floating):
        raise InputError(
            f"speech activity needs mono float samples as a 1-D array, got shape "
            f"{audio.shape} of {audio.dtype}"
        )
    return np.ascontiguousarray(audio, dtype=np.float32)
