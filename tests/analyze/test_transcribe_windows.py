"""Long audio is transcribed window by window (flat memory) with the words of one pass."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from faster_whisper.audio import decode_audio

from ai_video.analyze.transcribe import Transcriber, window_bounds
from ai_video.config import AsrConfig

RATE = 16000


def _plain(text: str) -> str:
    """A word without case or punctuation (whisper punctuates by context)."""
    return re.sub(r"[^a-z0-9']", "", text.lower())


def test_windows_cut_in_the_quietest_moment_and_cover_everything() -> None:
    rng = np.random.default_rng(7)
    loud = rng.standard_normal(RATE * 30).astype(np.float32) * 0.3
    loud[RATE * 22 : RATE * 23] = 0.0  # a one-second pause at 22 s, inside the search span
    bounds = window_bounds(loud, RATE, window_s=25.0, search_s=10.0)
    assert bounds[0][0] == 0 and bounds[-1][1] == loud.size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    assert RATE * 22 <= bounds[0][1] <= RATE * 23, bounds
    assert window_bounds(loud, RATE, window_s=60.0, search_s=10.0) == [(0, loud.size)]


@pytest.mark.media
@pytest.mark.slow
def test_windowed_transcript_has_the_words_and_times_of_one_pass(media: Path) -> None:
    jfk = np.asarray(decode_audio(str(media / "speech/jfk.flac"), sampling_rate=RATE))
    gap = np.zeros(RATE * 2, dtype=np.float32)
    audio = np.concatenate([jfk, gap, jfk]).astype(np.float32)  # the speech twice, a pause between
    one_pass = Transcriber(AsrConfig())(audio)
    cfg = AsrConfig(window_s=jfk.size / RATE + 1.5, window_cut_search_s=3.0)
    windowed = Transcriber(cfg)(audio)
    words = [_plain(w.text) for w in windowed.words]
    assert words == [_plain(w.text) for w in one_pass.words] and len(words) > 40
    first_half = [w for w in windowed.words if w.start_s < jfk.size / RATE]
    second_half = [w for w in windowed.words if w.start_s >= jfk.size / RATE + 1.0]
    assert [_plain(w.text) for w in first_half] == [_plain(w.text) for w in second_half]
    # the second window's times are in source seconds: they agree with the one-pass times
    diffs = [
        abs(b.start_s - a.start_s) for a, b in zip(one_pass.words, windowed.words, strict=True)
    ]
    assert float(np.median(diffs)) <= 0.05 and max(diffs) <= 1.0, diffs  # whisper jitters a word
    assert second_half[0].start_s > (jfk.size + gap.size) / RATE - 0.5
