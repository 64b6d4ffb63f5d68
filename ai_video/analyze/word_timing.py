"""Word times snapped to the audio: whisper's word boundaries moved to pauses and onsets.

Whisper's word timestamps come from cross-attention: after a pause a word usually starts
where the previous one ended (hundreds of ms early), inside speech words start 50-100 ms
late, and words often end late. This stage looks at the audio only (no text model), so it
works for any language the recogniser handles:

1. A spectral *activity* curve: per 5 ms hop, the mean over frequency bins of the dB by which
   a 16 ms frame rises above that bin's noise floor (floor from frames outside the
   voice-activity spans). Coloured noise beds and hum stay near zero; fricatives count as
   well as vowels. Computed in chunks, so memory stays flat on long audio.
2. A frame *sounds* when its activity is ``sound_threshold`` of the way from the noise level
   to the speech level and it lies within ``vad_margin_ms`` of a VAD speech span (breaths and
   clicks outside speech stay quiet); quiet runs of at least ``min_pause_ms`` are pauses.
3. Each pause serves the one whisper boundary (the gap between two of its words, or before
   the first / after the last) it is nearest to. A boundary takes its best pause inside
   ``onset_before_ms`` .. ``onset_after_ms`` of whisper's gap, if that leaves both words some
   length: the earlier word ends where the pause starts, the later starts where sound returns.
4. A boundary without a pause (continuous speech) moves to the nearest inner onset (end of a
   short quiet run, or the climb out of a dip ``dip_db`` deep) within ``boundary_before_ms``
   before / ``boundary_after_ms`` after whisper's start, nearest ``asr_lateness_ms`` before
   it; failing that, to the strongest spectral-flux onset there when it stands out
   (``flux_standout``); otherwise whisper's boundary stays.
5. Every word is kept, in order, starts monotonic, no overlap, each at least ``min_word_ms``
   long (or whisper's length if shorter); whisper's own times stay on each word
   (``Word.asr_start_s``/``asr_end_s``) and the transcript says ``refined-vad-energy``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from ai_video.analyze.sound_activity import Activity, spectral_activity
from ai_video.config import WordTimingConfig
from ai_video.errors import InputError
from ai_video.types import Segment, TimeSpan, Transcript, Word

REFINED_METHOD = "refined-vad-energy"
WHISPER_METHOD = "whisper"
_FLUX_CONTEXT = 40
"""Frames either side of the search window that make the flux context."""
_BLIP_FRAMES = 3
"""Sound shorter than this many hops between quiet frames is a click or noise, not a word."""


def refine_word_times(
    samples: npt.NDArray[np.floating[Any]],
    sample_rate_hz: int,
    transcript: Transcript,
    speech_spans: Sequence[TimeSpan],
    cfg: WordTimingConfig,
) -> Transcript:
    """The transcript with word starts/ends snapped to the audio; whisper's times kept beside.

    ``samples`` is the mono audio the transcript was made from; ``speech_spans`` the
    voice-activity spans of the same audio (they tell noise frames from speech). Returns the
    transcript unchanged when refinement is off, there are no words, or the audio is empty.
    """
    words = transcript.words
    if not cfg.enabled or not words:
        return transcript
    if samples.ndim != 1 or not np.issubdtype(samples.dtype, np.floating):
        raise InputError(
            f"word timing needs mono float samples as a 1-D array, got shape {samples.shape} "
            f"of {samples.dtype}"
        )
    activity = spectral_activity(samples, sample_rate_hz, speech_spans, cfg)
    if len(activity.level) < 2:
        return transcript
    bounds = refined_bounds(words, activity, cfg)
    refined = [
        dataclasses.replace(w, start_s=s, end_s=e, asr_start_s=w.start_s, asr_end_s=w.end_s)
        for w, (s, e) in zip(words, bounds, strict=True)
    ]
    return dataclasses.replace(
        transcript,
        segments=_resegmented(transcript.segments, refined),
        timing_method=REFINED_METHOD,
    )


def refined_bounds(
    words: Sequence[Word], activity: Activity, cfg: WordTimingConfig
) -> list[tuple[float, float]]:
    """(start, end) per word: every boundary placed on the audio, then made consistent."""
    quiet = _without_blips(
        (activity.level < activity.threshold) | ~activity.near_speech, _BLIP_FRAMES
    )
    runs = _quiet_runs(quiet)
    min_pause = max(1, math.ceil(cfg.min_pause_ms / 1000 / activity.hop_s))
    pauses = runs[(runs[:, 1] - runs[:, 0]) >= min_pause]
    onsets = _inner_onsets(runs[(runs[:, 1] - runs[:, 0]) < min_pause], activity, cfg.dip_db)
    starts = [w.start_s for w in words]
    ends = [w.end_s for w in words]
    n = len(words)
    min_word_s = cfg.min_word_ms / 1000
    gaps = _whisper_gaps(words)
    owned: dict[int, list[tuple[int, int]]] = {}
    for run, owner in zip(pauses.tolist(), _pause_owners(pauses, activity, gaps), strict=True):
        owned.setdefault(int(owner), []).append((run[0], run[1]))
    for i in range(n + 1):
        prev = words[i - 1] if i > 0 else None
        cur = words[i] if i < n else None
        b_lo, b_hi = gaps[i]
        window = (b_lo - cfg.onset_before_ms / 1000, b_hi + cfg.onset_after_ms / 1000)
        # the pause must leave both words some length: the earlier one from its (already
        # refined) start, the later one up to whisper's end
        keep = (
            starts[i - 1] + min_word_s if prev else -math.inf,
            cur.end_s - min_word_s if cur else math.inf,
        )
        pause = _best_pause(owned.get(i, ()), activity, window, (b_lo, b_hi), keep)
        if pause is not None:
            if prev is not None:
                ends[i - 1] = pause[0]
            if cur is not None:
                starts[i] = pause[1]
            continue
        if prev is None or cur is None:
            continue
        moved = _continuous_boundary(
            onsets,
            cur.start_s - cfg.asr_lateness_ms / 1000,
            (
                cur.start_s - cfg.boundary_before_ms / 1000,
                cur.start_s + cfg.boundary_after_ms / 1000,
            ),
            (starts[i - 1] + min_word_s, cur.end_s - min_word_s),
        )
        if moved is None and cfg.flux_standout > 0:
            moved = _flux_onset(
                activity,
                cfg.flux_standout,
                max(cur.start_s - cfg.boundary_before_ms / 1000, starts[i - 1] + min_word_s),
                min(cur.start_s + cfg.boundary_after_ms / 1000, cur.end_s - min_word_s),
            )
        if moved is not None:
            starts[i] = moved[1]
            ends[i - 1] = moved[0]
    return _consistent(words, starts, ends, min_word_s)


def _whisper_gaps(words: Sequence[Word]) -> npt.NDArray[np.float64]:
    """Whisper's boundary before each word and after the last: (earlier end, later start)."""
    gaps = np.empty((len(words) + 1, 2), dtype=np.float64)
    gaps[0] = (words[0].start_s, words[0].start_s)
    for i in range(1, len(words)):
        lo, hi = words[i - 1].end_s, words[i].start_s
        gaps[i] = (min(lo, hi), max(lo, hi))
    gaps[-1] = (words[-1].end_s, words[-1].end_s)
    return gaps


def _pause_owners(
    pauses: npt.NDArray[np.int64], activity: Activity, gaps: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """For each pause, the whisper boundary nearest to it (a pause serves one boundary).

    Whisper's gaps are often wider than one word (a word placed after its pause): a pause
    overlapping two gaps goes to the one it overlaps most. On a tie (a zero-length word
    squeezed against the pause) the later boundary wins: the squeezed word ends the phrase
    before the pause, where whisper's collapsed phrase-final words belong.
    """
    owners = np.zeros(len(pauses), dtype=np.int64)
    last = len(gaps) - 1
    for k, (first, stop) in enumerate(pauses):
        start, end = activity.time(first - 0.5), activity.time(stop - 0.5)
        near = int(np.searchsorted(gaps[:, 0], start))
        candidates = range(max(0, near - 2), min(last, near + 2) + 1)
        owners[k] = min(candidates, key=lambda j: (_gap_distance(start, end, gaps[j]), -j))
    return owners


def _gap_distance(start: float, end: float, gap: npt.NDArray[np.float64]) -> float:
    """How far a pause lies from a gap; negative: by how much they overlap."""
    overlap = min(end, gap[1]) - max(start, gap[0])
    return float(max(0.0, gap[0] - end, start - gap[1]) - max(0.0, overlap))


def _best_pause(
    pauses: Sequence[tuple[int, int]],
    activity: Activity,
    window: tuple[float, float],
    boundary: tuple[float, float],
    keep: tuple[float, float],
) -> tuple[float, float] | None:
    """The pause overlapping ``window`` that best explains whisper's ``boundary``, as times.

    A pause must start after ``keep[0]`` and end before ``keep[1]`` (both words keep some of
    their own span); among those, longer pauses and pauses nearer the boundary win. Its start
    becomes the earlier word's end and its end the later word's start.
    """
    best: tuple[float, float] | None = None
    best_score = -math.inf
    for first, stop in pauses:
        start = activity.time(first - 0.5)
        end = activity.time(stop - 0.5)
        if end <= window[0] or start >= window[1] or start < keep[0] or end > keep[1]:
            continue
        distance = max(0.0, boundary[0] - end, start - boundary[1])
        score = min(end, window[1]) - max(start, window[0]) - 0.5 * distance
        if score > best_score:
            best, best_score = (float(start), float(end)), score
    return best


def _inner_onsets(
    short_quiet: npt.NDArray[np.int64], activity: Activity, dip_db: float
) -> npt.NDArray[np.float64]:
    """(end of the earlier word, start of the later) candidates inside continuous speech.

    Short quiet runs (shorter than a pause) and dips: local minima of the activity at least
    ``dip_db`` below the highest activity within 40 ms on both sides; a dip's word start is
    where the activity has climbed half-way back up.
    """
    level = activity.level
    pairs = [(activity.time(a - 0.5), activity.time(b - 0.5)) for a, b in short_quiet]
    k = max(1, round(0.04 / activity.hop_s))
    if len(level) > 2 * k + 1:
        padded = np.pad(level, k, mode="edge")
        left_max = sliding_window_view(padded[:-k], k).max(axis=1)[: len(level)]
        right_max = sliding_window_view(padded[k + 1 :], k).max(axis=1)[: len(level)]
        depth = np.minimum(left_max, right_max) - level
        is_min = np.zeros(len(level), dtype=np.bool_)
        is_min[1:-1] = (level[1:-1] <= level[:-2]) & (level[1:-1] < level[2:])
        for m in np.flatnonzero(is_min & (depth >= dip_db)):
            half = level[m] + (right_max[m] - level[m]) / 2
            rise = m + 1 + int(np.argmax(level[m + 1 : m + k + 1] >= half))
            pairs.append((activity.time(float(m)), activity.time(rise - 0.5)))
    pairs.sort(key=lambda p: p[1])
    return np.asarray(pairs, dtype=np.float64).reshape(-1, 2)


def _continuous_boundary(
    onsets: npt.NDArray[np.float64],
    expected: float,
    window: tuple[float, float],
    keep: tuple[float, float],
) -> tuple[float, float] | None:
    """The inner onset in ``window`` (and leaving both words length) nearest ``expected``."""
    first, stop = np.searchsorted(onsets[:, 1], window, side="left")
    near = onsets[first:stop]  # ``onsets`` is sorted by word start
    ok = (near[:, 0] >= keep[0]) & (near[:, 1] <= keep[1])
    if not ok.any():
        return None
    candidates = near[ok]
    best = candidates[int(np.argmin(np.abs(candidates[:, 1] - expected)))]
    return float(best[0]), float(best[1])


def _flux_onset(
    activity: Activity, standout: float, lo: float, hi: float
) -> tuple[float, float] | None:
    """The strongest spectral-flux onset in [lo, hi], when ``standout`` times its context's
    median (the median flux within 200 ms either side)."""
    f_lo, f_hi = activity.frame(lo), activity.frame(hi)
    if f_hi - f_lo < 2:
        return None
    local = activity.flux[f_lo : f_hi + 1]
    peak = int(np.argmax(local))
    context = activity.flux[max(0, f_lo - _FLUX_CONTEXT) : f_hi + _FLUX_CONTEXT + 1]
    if local[peak] < standout * max(float(np.median(context)), 1e-6):
        return None
    onset = activity.time(f_lo + peak - 0.5)
    return onset, onset


def _without_blips(quiet: npt.NDArray[np.bool_], longest: int) -> npt.NDArray[np.bool_]:
    """Quiet frames, with sound runs of at most ``longest`` frames between quiet ones quietened."""
    out = quiet.copy()
    sound = _quiet_runs(~quiet)
    for first, stop in sound:
        if stop - first <= longest and first > 0 and stop < len(quiet):
            out[first:stop] = True
    return out


def _quiet_runs(quiet: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """[first, stop) frame index pairs of every run of quiet frames."""
    padded = np.concatenate([[False], quiet, [False]]).astype(np.int8)
    change = np.diff(padded)
    return np.stack([np.flatnonzero(change == 1), np.flatnonzero(change == -1)], axis=1).astype(
        np.int64
    )


def _consistent(
    words: Sequence[Word], starts: list[float], ends: list[float], min_word_s: float
) -> list[tuple[float, float]]:
    """Monotonic, non-overlapping, positive-length bounds; a word that cannot be is whisper's."""
    out: list[tuple[float, float]] = []
    floor = 0.0
    for w, s, e in zip(words, starts, ends, strict=True):
        need = min(min_word_s, max(w.end_s - w.start_s, 1e-3))
        start = max(s, floor)
        end = max(e, start + need)
        if end - start < need or start < floor:
            start, end = max(w.start_s, floor), max(w.end_s, max(w.start_s, floor) + need)
        out.append((float(start), float(end)))
        floor = end
    return out


def _resegmented(segments: Sequence[Segment], words: Sequence[Word]) -> tuple[Segment, ...]:
    """The segments holding the refined words, each spanning its first to last word."""
    out: list[Segment] = []
    k = 0
    for seg in segments:
        own = tuple(words[k : k + len(seg.words)])
        k += len(seg.words)
        if own:
            seg = dataclasses.replace(seg, words=own, start_s=own[0].start_s, end_s=own[-1].end_s)
        out.append(seg)
    return tuple(out)
