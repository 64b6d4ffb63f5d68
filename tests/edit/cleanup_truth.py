"""Real speech with fillers and long pauses spliced in at known times (truth by construction).

LibriVox utterances (their ``.lab`` files give each one's speech extent) are laid end to end;
between some of them an espeak-ng filler ("um", "uh", "er") is inserted with short silences
around it, between others a long pause. Every piece is levelled to the same RMS, over a quiet
noise bed. The truth: filler spans, long-pause spans and real-speech spans, in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ai_video.media.audio import read_wav
from tests.analyze.word_truth import RATE_HZ, espeak_render, trimmed

LIBRIVOX = "speech/librivox/sense_and_sensibility_01_austen_64kb-{}"
TARGET_RMS = 0.08
NOISE_RMS = 0.0005


@dataclass(frozen=True)
class CleanupTruth:
    """Samples at 16 kHz and where each kind of sound lies."""

    samples: npt.NDArray[np.float32]
    fillers: tuple[tuple[float, float], ...]
    pauses: tuple[tuple[float, float], ...]
    speech: tuple[tuple[float, float], ...]
    text: str
    """What the real speech says (the utterances' transcripts, in order)."""


def _utterance(media: Path, key: str) -> tuple[npt.NDArray[np.float32], str]:
    """One utterance cut to its labelled speech extent, and its text."""
    base = media / LIBRIVOX.format(key)
    samples, rate = read_wav(base.with_suffix(".wav"))
    assert rate == RATE_HZ
    first = base.with_suffix(".lab").read_text().split()
    start, end = float(first[0]), float(first[3])
    return samples[round(start * rate) : round(end * rate)], base.with_suffix(".txt").read_text()


def _level(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    return (samples * (TARGET_RMS / max(rms, 1e-9))).astype(np.float32)


def build(
    media: Path, plan: list[tuple[str, str]], seed: int = 7, voice: tuple[str, int] = ("en-us", 150)
) -> CleanupTruth:
    """Lay out ``plan``: ``("speech", key)``, ``("filler", word)`` or ``("pause", seconds)``.

    Utterances are butted with 0.25 s of silence; a filler gets ``gap_s`` of silence on each
    side (so the gap around it is a natural hesitation); a pause is silence of that length.
    """
    render = espeak_render(*voice)
    rng = np.random.default_rng(seed)
    pieces: list[npt.NDArray[np.float32]] = [np.zeros(round(0.3 * RATE_HZ), np.float32)]
    fillers, pauses, speech, texts = [], [], [], []
    t = 0.3

    def add(samples: npt.NDArray[np.float32]) -> tuple[float, float]:
        nonlocal t
        pieces.append(samples)
        start, t = t, t + len(samples) / RATE_HZ
        return start, t

    for kind, value in plan:
        if kind == "speech":
            samples, text = _utterance(media, value)
            speech.append(add(_level(samples)))
            texts.append(text.strip())
        elif kind == "filler":
            add(np.zeros(round(0.15 * RATE_HZ), np.float32))
            fillers.append(add(_level(trimmed(render(value))) * 0.8))
            add(np.zeros(round(0.15 * RATE_HZ), np.float32))
        else:
            pauses.append(add(np.zeros(round(float(value) * RATE_HZ), np.float32)))
        if kind == "speech":
            add(np.zeros(round(0.25 * RATE_HZ), np.float32))
    add(np.zeros(round(0.3 * RATE_HZ), np.float32))
    samples = np.concatenate(pieces)
    samples = samples + rng.normal(0.0, NOISE_RMS, len(samples)).astype(np.float32)
    return CleanupTruth(
        samples=np.clip(samples, -1, 1).astype(np.float32),
        fillers=tuple(fillers),
        pauses=tuple(pauses),
        speech=tuple(speech),
        text=" ".join(texts),
    )
