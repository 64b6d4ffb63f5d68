"""Word timings for known text: align ASR word timestamps to the script's own words.

The narration's words are known exactly (the script); only their times are not. The ASR
(faster-whisper word timestamps) hears the audio; its words are matched to the script's
words with :class:`difflib.SequenceMatcher` over normalised spellings. Matched words take the
ASR times; a run of script words the ASR heard differently ("1961" for "nineteen sixty-one")
shares the time of the ASR words it replaced, by length; words the ASR missed are spread, by
length, over the gap between their matched neighbours. The captions therefore always show the
script's words, in order, with times from the audio.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

from ai_video.analyze.transcribe import Transcriber
from ai_video.config import ASR_SAMPLE_RATE_HZ
from ai_video.generate.script import Scene
from ai_video.generate.tts import SceneNarration
from ai_video.types import TimeSpan, Word

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_DEFAULT_S_PER_CHAR = 0.065
"""Speaking pace used before any word has been heard (about 15 characters per second)."""
_VOICED_DBFS = -40.0
_VOICE_HOP_S = 0.01


@dataclass(frozen=True)
class WordAlignment:
    """Script words with times, and how they were found."""

    words: tuple[Word, ...]
    """The script's words (as written) with start/end in narration time; ``probability`` is
    the ASR's confidence for matched words and 0 for words whose time was interpolated."""
    matched: int
    """Words whose time came from an identically spelled ASR word."""
    replaced: int
    """Words timed from ASR words spelled differently (numbers, homophones)."""
    interpolated: int
    """Words the ASR missed, spread over the gap between their neighbours."""
    method: str
    """What timed the words, e.g. ``asr-alignment:faster-whisper:tiny.en@0.1.0``."""

    @property
    def matched_fraction(self) -> float:
        """Share of words timed by an identical ASR word (1.0 = all heard as written)."""
        return self.matched / len(self.words) if self.words else 1.0


def time_narration(
    narration: SceneNarration, scene: Scene, transcriber: Transcriber | None
) -> WordAlignment:
    """Time a scene's script words in its narration (ASR alignment, or by length without ASR)."""
    speech = voiced_span(narration.samples, narration.sample_rate_hz)
    if transcriber is None:
        words = spread_words(scene.words, speech)
        return WordAlignment(words, 0, 0, len(words), "length-spread (ASR alignment off)")
    transcript = transcriber(to_asr_rate(narration.samples, narration.sample_rate_hz))
    return align_words(scene.words, transcript.words, speech, f"asr-alignment:{transcript.model}")


def time_track(
    scenes: Sequence[Scene],
    narrations: Sequence[SceneNarration],
    spans: Sequence[TimeSpan],
    track: npt.NDArray[np.float32],
    sample_rate_hz: int,
    transcriber: Transcriber | None,
) -> list[WordAlignment]:
    """Time every scene's words with one ASR pass over the whole narration track.

    One pass instead of one per scene: whisper encodes audio in 30 s windows, so short scenes
    transcribed one by one each pay for a whole window.
    """
    if transcriber is None:
        return [time_narration(n, s, None) for n, s in zip(narrations, scenes, strict=True)]
    transcript = transcriber(to_asr_rate(track, sample_rate_hz))
    method = f"asr-alignment:{transcript.model}"
    alignments = []
    for scene, narration, span in zip(scenes, narrations, spans, strict=True):
        heard = [
            Word(w.text, w.start_s - span.start_s, w.end_s - span.start_s, w.probability)
            for w in heard_in(transcript.words, span)
        ]
        speech = voiced_span(narration.samples, narration.sample_rate_hz)
        alignments.append(align_words(scene.words, heard, speech, method))
    return alignments


def heard_in(words: Sequence[Word], span: TimeSpan) -> list[Word]:
    """Recognised words whose midpoint falls inside ``span``."""
    return [w for w in words if span.contains((w.start_s + w.end_s) / 2)]


def to_asr_rate(samples: npt.NDArray[np.float32], sample_rate_hz: int) -> npt.NDArray[np.float32]:
    """Mono samples resampled to the ASR's 16 kHz (polyphase filter, exact ratio)."""
    if sample_rate_hz == ASR_SAMPLE_RATE_HZ:
        return samples
    common = math.gcd(ASR_SAMPLE_RATE_HZ, sample_rate_hz)
    resampled = resample_poly(samples, ASR_SAMPLE_RATE_HZ // common, sample_rate_hz // common)
    return np.asarray(resampled, dtype=np.float32)


def match_key(text: str) -> str:
    """A word's spelling for matching: accents dropped, lower case, letters and digits only."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub("", ascii_text.lower())


def align_words(
    script_words: Sequence[str],
    heard: Sequence[Word],
    speech: TimeSpan,
    method: str,
) -> WordAlignment:
    """Time each script word from the ASR words heard in the same audio."""
    heard = [w for w in heard if match_key(w.text)]
    if not script_words:
        return WordAlignment((), 0, 0, 0, method)
    if not heard:
        words = spread_words(script_words, speech)
        return WordAlignment(words, 0, 0, len(words), "length-spread (ASR heard no words)")
    times: list[tuple[float, float, float] | None] = [None] * len(script_words)
    matcher = difflib.SequenceMatcher(
        a=[match_key(t) for t in script_words], b=[match_key(w.text) for w in heard], autojunk=False
    )
    matched = replaced = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                h = heard[j1 + offset]
                times[i1 + offset] = (h.start_s, h.end_s, h.probability)
            matched += i2 - i1
        elif tag == "replace":
            span = TimeSpan(heard[j1].start_s, max(heard[j2 - 1].end_s, heard[j1].start_s))
            confidence = min(h.probability for h in heard[j1:j2])
            for offset, w in enumerate(spread_words(script_words[i1:i2], span)):
                times[i1 + offset] = (w.start_s, w.end_s, confidence)
            replaced += i2 - i1
    interpolated = sum(t is None for t in times)
    _fill_gaps(script_words, times, speech, _seconds_per_char(script_words, times))
    words = tuple(
        Word(text=text, start_s=t[0], end_s=t[1], probability=t[2])
        for text, t in zip(script_words, _monotonic(times, speech.start_s), strict=True)
    )
    return WordAlignment(words, matched, replaced, interpolated, method)


def spread_words(script_words: Sequence[str], span: TimeSpan) -> tuple[Word, ...]:
    """Words laid end to end over ``span``, each taking time in proportion to its length."""
    if not script_words:
        return ()
    weights = np.array([len(w) + 1 for w in script_words], dtype=np.float64)
    edges = (
        span.start_s + span.duration_s * np.concatenate(([0.0], np.cumsum(weights))) / weights.sum()
    )
    return tuple(
        Word(text=w, start_s=float(edges[i]), end_s=float(edges[i + 1]), probability=0.0)
        for i, w in enumerate(script_words)
    )


def voiced_span(samples: npt.NDArray[np.float32], sample_rate_hz: int) -> TimeSpan:
    """From the first to the last 10 ms hop louder than -40 dBFS (the whole clip if none is)."""
    hop = max(1, round(_VOICE_HOP_S * sample_rate_hz))
    count = len(samples) // hop
    total = TimeSpan(0.0, len(samples) / sample_rate_hz)
    if count == 0:
        return total
    frames = samples[: count * hop].astype(np.float64).reshape(count, hop)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.flatnonzero(level > _VOICED_DBFS)
    if loud.size == 0:
        return total
    start_s = float(loud[0] * hop / sample_rate_hz)
    return TimeSpan(start_s, min(float((loud[-1] + 1) * hop / sample_rate_hz), total.end_s))


def _seconds_per_char(
    script_words: Sequence[str], times: Sequence[tuple[float, float, float] | None]
) -> float:
    """Observed speaking pace over the timed words (default pace when too few are timed)."""
    chars = sum(len(w) + 1 for w, t in zip(script_words, times, strict=True) if t is not None)
    spent = sum(t[1] - t[0] for t in times if t is not None)
    return spent / chars if chars >= 10 and spent > 0 else _DEFAULT_S_PER_CHAR


def _fill_gaps(
    script_words: Sequence[str],
    times: list[tuple[float, float, float] | None],
    speech: TimeSpan,
    s_per_char: float,
) -> None:
    """Give each run of untimed words the gap between its timed neighbours, by length."""
    i = 0
    while i < len(times):
        if times[i] is not None:
            i += 1
            continue
        j = i
        while j < len(times) and times[j] is None:
            j += 1
        need = s_per_char * sum(len(w) + 1 for w in script_words[i:j])
        before = times[i - 1] if i > 0 else None
        after = times[j] if j < len(times) else None
        prev_end = before[1] if before is not None else None
        next_start = after[0] if after is not None else None
        if prev_end is None and next_start is None:
            lo, hi = speech.start_s, speech.end_s
        elif prev_end is None:
            assert next_start is not None
            lo, hi = max(speech.start_s, next_start - need), next_start
        elif next_start is None:
            lo, hi = prev_end, min(max(speech.end_s, prev_end), prev_end + need)
        else:
            lo, hi = prev_end, max(next_start, prev_end)
        for offset, w in enumerate(spread_words(script_words[i:j], TimeSpan(lo, max(hi, lo)))):
            times[i + offset] = (w.start_s, w.end_s, 0.0)
        i = j


def _monotonic(
    times: Sequence[tuple[float, float, float] | None], earliest_s: float
) -> list[tuple[float, float, float]]:
    """No word starts before the speech does, starts never go back, ends follow starts."""
    out: list[tuple[float, float, float]] = []
    last_start = earliest_s
    for t in times:
        assert t is not None
        start = max(t[0], last_start)
        out.append((start, max(t[1], start), t[2]))
        last_start = start
    return out
