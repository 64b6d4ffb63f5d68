"""How much sound each moment of speech audio holds: a spectral activity curve.

Per 5 ms hop, the mean over frequency bins of the dB by which a 16 ms frame rises above that
bin's noise floor (floor from frames outside the voice-activity spans), plus the positive
spectral flux and the level that counts as sound. Coloured noise beds and hum stay near zero;
fricatives count as well as vowels. Computed in chunks, so memory stays flat on long audio.
Word-timing refinement (analyze/word_timing.py) reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from ai_video.config import WordTimingConfig
from ai_video.types import FloatArray, TimeSpan

_EXCESS_CAP_DB = 30.0
_NOISE_PERCENTILE = 20.0
_SPEECH_PERCENTILE = 90.0
_MIN_NOISE_FRAMES = 40
_CHUNK_FRAMES = 8192
"""Spectral frames computed at once (bounds memory on long audio)."""
_FLOOR_FRAMES = 8192
"""At most this many non-speech frames, spread evenly, estimate the noise floor."""


@dataclass(frozen=True)
class Activity:
    """The spectral activity curve and what counts as sound on it."""

    hop_s: float
    offset_s: float
    """Time of frame 0's centre."""
    level: FloatArray
    """Mean dB above the per-bin noise floor, per frame (lightly smoothed)."""
    flux: FloatArray
    """Positive spectral flux per frame (dB summed over bins, averaged)."""
    threshold: float
    """Activity at or above this sounds."""
    near_speech: npt.NDArray[np.bool_]
    """Frames inside a voice-activity span or within the margin around one."""

    def time(self, frame: float) -> float:
        """Seconds at a (fractional) frame index."""
        return self.offset_s + frame * self.hop_s

    def frame(self, seconds: float) -> int:
        """Nearest frame index for a time, clipped to the curve."""
        index = round((seconds - self.offset_s) / self.hop_s)
        return int(min(max(index, 0), len(self.level) - 1))


def spectral_activity(
    samples: npt.NDArray[np.floating[Any]],
    sample_rate_hz: int,
    speech_spans: Sequence[TimeSpan],
    cfg: WordTimingConfig,
) -> Activity:
    """Activity (mean dB above the noise floor per bin), flux and the sound threshold."""
    hop = max(1, round(cfg.hop_ms * sample_rate_hz / 1000))
    n_fft = max(16, round(cfg.frame_ms * sample_rate_hz / 1000))
    hop_s = hop / sample_rate_hz
    x = np.ascontiguousarray(samples, dtype=np.float32)
    if len(x) < n_fft:
        empty = np.zeros(0)
        return Activity(hop_s, n_fft / 2 / sample_rate_hz, empty, empty, 0.0, empty.astype(bool))
    frames = sliding_window_view(x, n_fft)[::hop]
    window = np.hanning(n_fft).astype(np.float32)
    offset_s = n_fft / 2 / sample_rate_hz
    times = offset_s + np.arange(len(frames), dtype=np.float64) * hop_s
    outside = ~inside_spans(times, speech_spans)
    floor_source = np.flatnonzero(outside) if outside.sum() >= _MIN_NOISE_FRAMES else None
    if floor_source is None:
        floor_source = np.arange(len(frames))
    picked = floor_source[np.linspace(0, len(floor_source) - 1, _FLOOR_FRAMES).astype(np.int64)]
    floor = np.percentile(_log_power(frames[np.unique(picked)], window), _NOISE_PERCENTILE, axis=0)
    excess = np.empty(len(frames))
    flux = np.zeros(len(frames))
    for first in range(0, len(frames), _CHUNK_FRAMES):
        chunk_start = max(first - 1, 0)  # one frame of overlap for the flux difference
        log_power = _log_power(frames[chunk_start : first + _CHUNK_FRAMES], window)
        own = log_power[first - chunk_start :]
        excess[first : first + len(own)] = np.clip(own - floor, 0.0, _EXCESS_CAP_DB).mean(axis=1)
        rise = np.clip(np.diff(log_power, axis=0), 0.0, _EXCESS_CAP_DB).mean(axis=1)
        flux[max(first, 1) : first + len(own)] = rise[len(rise) - (len(own) - (first == 0)) :]
    level = np.convolve(excess, np.ones(3) / 3, mode="same")
    noise_level = (
        float(np.median(level[outside]))
        if outside.sum() >= _MIN_NOISE_FRAMES
        else (float(np.percentile(level, 10)))
    )
    inside = ~outside
    speech_rows = level[inside] if inside.any() else level
    speech_level = float(np.percentile(speech_rows, _SPEECH_PERCENTILE))
    threshold = noise_level + cfg.sound_threshold * max(speech_level - noise_level, 1.0)
    margin = cfg.vad_margin_ms / 1000
    widened = [TimeSpan(max(0.0, sp.start_s - margin), sp.end_s + margin) for sp in speech_spans]
    near_speech = (
        inside_spans(times, widened) if speech_spans else np.ones(len(times), dtype=np.bool_)
    )
    return Activity(hop_s, offset_s, level, flux, threshold, near_speech)


def _log_power(
    frames: npt.NDArray[np.float32], window: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Power spectrum of each windowed frame, in dB."""
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    return np.asarray(10.0 * np.log10(power + 1e-12), dtype=np.float32)


def inside_spans(times: FloatArray, spans: Sequence[TimeSpan]) -> npt.NDArray[np.bool_]:
    """Whether each time lies inside one of the (sorted, disjoint) spans."""
    if not spans:
        return np.zeros(len(times), dtype=np.bool_)
    starts = np.array([s.start_s for s in spans])
    ends = np.array([s.end_s for s in spans])
    last = np.searchsorted(starts, times, side="right") - 1
    return np.asarray((last >= 0) & (times < ends[np.maximum(last, 0)]), dtype=np.bool_)
