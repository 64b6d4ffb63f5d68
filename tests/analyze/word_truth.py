"""Speech with word-level truth built by construction, and onset-error measurement.

Words and short phrases are synthesised (espeak-ng voices, and the bundled piper voice),
each render trimmed to its real audio (first/last 2 ms frame above an energy threshold on
the clean render), and laid on a timeline at known offsets with known silences, over a
quiet noise bed. Truth per unit kind:

- ``word``: one word alone; its onset and end are known.
- ``joined``: words rendered one by one and butted together with 0-40 ms gaps; every
  word's onset and end are known (the joins are the truth).
- ``phrase``: a phrase rendered whole; only its first word's onset and the last word's end
  are known.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

from ai_video.analyze.models import resolve_piper_voice
from ai_video.config import GenerateConfig
from ai_video.media.espeak import synthesize_espeak
from ai_video.types import Word

RATE_HZ = 16000
_TRIM_FRAME = 32  # 2 ms at 16 kHz
_TRIM_BELOW_PEAK_DB = 45.0
_TRIM_FLOOR_DBFS = -60.0

Render = Callable[[str], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class TruthWord:
    """A word placed on the timeline: onset always known, end when the unit allows."""

    text: str
    onset_s: float | None
    end_s: float | None
    after_pause: bool


@dataclass(frozen=True)
class ConstructedSpeech:
    """Samples at 16 kHz and the words they hold, in order."""

    samples: npt.NDArray[np.float32]
    words: tuple[TruthWord, ...]


def espeak_render(voice: str, wpm: int) -> Render:
    """A renderer speaking with an espeak-ng voice at ``wpm``, resampled to 16 kHz."""

    def render(text: str) -> npt.NDArray[np.float32]:
        samples, rate = synthesize_espeak(text, voice, wpm, "espeak-ng", 30.0)
        return _to_16k(samples, rate)

    return render


def piper_render() -> Render:
    """The bundled piper voice with its sampling noise off (the same audio every run)."""
    from piper import PiperVoice, SynthesisConfig

    ref = resolve_piper_voice(GenerateConfig().voice)
    assert ref.path is not None
    voice = PiperVoice.load(ref.path)
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)

    def render(text: str) -> npt.NDArray[np.float32]:
        chunks = [c.audio_float_array for c in voice.synthesize(text, syn_config=config)]
        return _to_16k(np.concatenate(chunks).astype(np.float32), voice.config.sample_rate)

    return render


def _to_16k(samples: npt.NDArray[np.float32], rate: int) -> npt.NDArray[np.float32]:
    if rate == RATE_HZ:
        return samples.astype(np.float32)
    g = np.gcd(rate, RATE_HZ)
    return np.asarray(resample_poly(samples, RATE_HZ // g, rate // g), dtype=np.float32)


def trimmed(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The render cut to its first and last 2 ms frame above the energy threshold."""
    n = len(samples) // _TRIM_FRAME
    frames = samples[: n * _TRIM_FRAME].reshape(n, _TRIM_FRAME).astype(np.float64)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    threshold = max(float(db.max()) - _TRIM_BELOW_PEAK_DB, _TRIM_FLOOR_DBFS)
    loud = np.flatnonzero(db > threshold)
    return samples[loud[0] * _TRIM_FRAME : (loud[-1] + 1) * _TRIM_FRAME]


def construct(
    units: Sequence[tuple[str, str]],
    renders: Sequence[Render],
    seed: int,
    pause_range_s: tuple[float, float] = (0.15, 1.5),
    noise_dbfs: float = -40.0,
    lead_s: float = 0.6,
) -> ConstructedSpeech:
    """Lay ``(kind, text)`` units on a timeline with random pauses, voices cycling per unit."""
    rng = np.random.default_rng(seed)
    pieces: list[npt.NDArray[np.float32]] = [np.zeros(round(lead_s * RATE_HZ), np.float32)]
    cursor = len(pieces[0])
    truth: list[TruthWord] = []
    for k, (kind, text) in enumerate(units):
        render = renders[k % len(renders)]
        words = text.split()
        if kind == "phrase":
            audio = _level(trimmed(render(text)), rng)
            start = cursor / RATE_HZ
            end = (cursor + len(audio)) / RATE_HZ
            for i, w in enumerate(words):
                truth.append(
                    TruthWord(
                        w,
                        start if i == 0 else None,
                        end if i == len(words) - 1 else None,
                        after_pause=i == 0,
                    )
                )
            pieces.append(audio)
            cursor += len(audio)
        else:
            level_db = rng.uniform(-24.0, -16.0)
            for i, w in enumerate(words):
                if i > 0:
                    gap = np.zeros(round(rng.uniform(0.0, 0.04) * RATE_HZ), np.float32)
                    pieces.append(gap)
                    cursor += len(gap)
                audio = _level(trimmed(render(w)), rng, level_db)
                truth.append(
                    TruthWord(
                        w, cursor / RATE_HZ, (cursor + len(audio)) / RATE_HZ, after_pause=i == 0
                    )
                )
                pieces.append(audio)
                cursor += len(audio)
        pause = np.zeros(round(rng.uniform(*pause_range_s) * RATE_HZ), np.float32)
        pieces.append(pause)
        cursor += len(pause)
    clean = np.concatenate(pieces)
    return ConstructedSpeech(clean + _pinkish_noise(len(clean), noise_dbfs, rng), tuple(truth))


def _level(
    audio: npt.NDArray[np.float32], rng: np.random.Generator, level_db: float | None = None
) -> npt.NDArray[np.float32]:
    """Scale to an RMS level (random -24..-16 dBFS unless given)."""
    target = rng.uniform(-24.0, -16.0) if level_db is None else level_db
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    return (audio * (10 ** (target / 20) / max(rms, 1e-9))).astype(np.float32)


def _pinkish_noise(n: int, dbfs: float, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """Noise with a 1/f power spectrum at an RMS of ``dbfs``."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1]
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    noise *= 10 ** (dbfs / 20) / np.sqrt(np.mean(noise**2))
    return noise.astype(np.float32)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9äöüßéèêàâçôûîëï']+", "", text.lower())


def matched_pairs(truth_texts: Sequence[str], words: Sequence[Word]) -> list[tuple[int, int]]:
    """(truth index, word index) of words spelled alike, in order (difflib matching blocks)."""
    a = [_norm(t) for t in truth_texts]
    b = [_norm(w.text) for w in words]
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    pairs: list[tuple[int, int]] = []
    for block in matcher.get_matching_blocks():
        pairs.extend((block.a + i, block.b + i) for i in range(block.size))
    return pairs


@dataclass(frozen=True)
class OnsetErrors:
    """Absolute onset errors (s) of matched words, and how many truth words there were."""

    errors: npt.NDArray[np.float64]
    truth_words: int

    @property
    def median_ms(self) -> float:
        """Median absolute onset error in milliseconds."""
        return float(np.median(self.errors) * 1000)

    @property
    def p95_ms(self) -> float:
        """95th percentile absolute onset error in milliseconds."""
        return float(np.percentile(self.errors, 95) * 1000)

    def within(self, seconds: float) -> float:
        """Share of onsets within ``seconds`` of the truth."""
        return float(np.mean(self.errors <= seconds))

    def summary(self) -> str:
        """One line: count, median, p95, share within one frame (33 ms)."""
        return (
            f"{len(self.errors)}/{self.truth_words} onsets, median {self.median_ms:.0f} ms, "
            f"p95 {self.p95_ms:.0f} ms, within 33 ms {self.within(0.033):.0%}"
        )


def onset_errors(
    truth: Sequence[TruthWord], words: Sequence[Word], only_after_pause: bool = False
) -> OnsetErrors:
    """Errors of matched words whose onset is known (optionally only words after a pause)."""
    errors = []
    known = 0
    for t in truth:
        known += t.onset_s is not None and (t.after_pause or not only_after_pause)
    for ti, wi in matched_pairs([t.text for t in truth], words):
        t = truth[ti]
        if t.onset_s is None or (only_after_pause and not t.after_pause):
            continue
        errors.append(abs(words[wi].start_s - t.onset_s))
    return OnsetErrors(np.asarray(errors, dtype=np.float64), known)


TUNING_UNITS: tuple[tuple[str, str], ...] = (
    ("word", "morning"), ("phrase", "the quick brown fox jumps"), ("joined", "seven green apples"),
    ("word", "window"), ("phrase", "please call stella tomorrow"), ("joined", "take the red train"),
    ("phrase", "she sells sea shells"), ("word", "river"), ("joined", "open every door slowly"),
    ("phrase", "we bought fresh bread today"), ("word", "garden"), ("joined", "blue paper boats"),
    ("phrase", "the museum opens at nine"), ("joined", "never forget your keys"),
    ("word", "mountain"),
)  # fmt: skip
"""Set A: thresholds were chosen on this one (espeak en-us, en-gb+f3, en-us+m3; seed 1)."""

HELD_OUT_UNITS: tuple[tuple[str, str], ...] = (
    ("phrase", "yesterday the market was busy"), ("word", "lantern"),
    ("joined", "four small dogs barked"), ("phrase", "my brother plays the violin"),
    ("word", "sugar"), ("joined", "hold the ladder steady"), ("phrase", "rain is falling again"),
    ("word", "pocket"), ("joined", "count every silver coin"),
    ("phrase", "turn left at the bridge"), ("word", "kitchen"), ("joined", "fix the broken chair"),
    ("phrase", "nobody answered the phone"), ("joined", "bring warm coats"), ("word", "thunder"),
    ("phrase", "dinner will be ready soon"),
)  # fmt: skip
"""Set B, never tuned on: other words, other voices (piper joe, espeak en-gb-x-rp, en-us+f4)."""


def tuning_set() -> ConstructedSpeech:
    """Constructed set A (thresholds tuned here)."""
    voices = [espeak_render("en-us", 165), espeak_render("en-gb+f3", 150)]
    return construct(TUNING_UNITS, [*voices, espeak_render("en-us+m3", 180)], seed=1)


def held_out_set() -> ConstructedSpeech:
    """Constructed set B (reported, never tuned on)."""
    renders = [piper_render(), espeak_render("en-gb-x-rp", 170), espeak_render("en-us+f4", 155)]
    return construct(HELD_OUT_UNITS, renders, seed=2)
