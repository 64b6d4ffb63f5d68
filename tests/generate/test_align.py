"""Word timings: aligning ASR words to the script's words, and the caption timing error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_video.analyze.transcribe import Transcriber
from ai_video.config import Settings
from ai_video.generate.align import (
    align_words,
    match_key,
    spread_words,
    time_narration,
    voiced_span,
)
from ai_video.generate.script import Scene
from ai_video.generate.tts import SceneNarration, Synthesizer
from ai_video.media.audio import decode_audio
from ai_video.media.probe import probe
from ai_video.types import TimeSpan, Word

SPEECH = TimeSpan(0.0, 5.0)


def _heard(*items: tuple[str, float, float]) -> list[Word]:
    return [Word(text, start, end, 0.9) for text, start, end in items]


def test_match_key_ignores_case_punctuation_and_accents() -> None:
    assert match_key("Café,") == "cafe"
    assert match_key("don't") == "dont"
    assert match_key("—") == ""


def test_identical_words_take_the_asr_times() -> None:
    heard = _heard(("The", 0.1, 0.3), ("city", 0.3, 0.7), ("wakes.", 0.7, 1.2))
    result = align_words(["The", "city", "wakes."], heard, SPEECH, "asr")
    assert [(w.text, w.start_s, w.end_s) for w in result.words] == [
        ("The", 0.1, 0.3),
        ("city", 0.3, 0.7),
        ("wakes.", 0.7, 1.2),
    ]
    assert (result.matched, result.replaced, result.interpolated) == (3, 0, 0)
    assert result.matched_fraction == 1.0


def test_differently_spelled_words_share_the_time_of_what_was_heard() -> None:
    heard = _heard(("In", 0.0, 0.2), ("1961,", 0.2, 1.4), ("they", 1.5, 1.7))
    script = ["In", "nineteen", "sixty-one,", "they"]
    result = align_words(script, heard, SPEECH, "asr")
    assert [w.text for w in result.words] == script
    assert result.words[1].start_s == pytest.approx(0.2)
    assert result.words[2].end_s == pytest.approx(1.4)
    assert 0.2 < result.words[1].end_s == result.words[2].start_s < 1.4
    assert (result.matched, result.replaced) == (2, 2)


def test_missed_words_are_spread_over_the_gap_between_neighbours() -> None:
    heard = _heard(("Rivers", 0.2, 0.6), ("valleys.", 1.6, 2.1))
    result = align_words(["Rivers", "carve", "deep", "valleys."], heard, SPEECH, "asr")
    carve, deep = result.words[1], result.words[2]
    assert carve.start_s == pytest.approx(0.6) and deep.end_s == pytest.approx(1.6)
    assert carve.end_s == pytest.approx(deep.start_s)
    assert carve.probability == 0.0 and result.interpolated == 2


def test_leading_and_trailing_misses_stay_inside_the_speech() -> None:
    heard = _heard(("middle", 2.0, 2.5))
    result = align_words(["first", "middle", "last"], heard, TimeSpan(1.5, 4.0), "asr")
    starts = [w.start_s for w in result.words]
    assert starts == sorted(starts)
    assert 1.5 <= result.words[0].start_s < result.words[0].end_s <= 2.0
    assert 2.5 <= result.words[2].start_s < result.words[2].end_s <= 4.0


def test_nothing_heard_spreads_words_by_length() -> None:
    result = align_words(["a", "longer", "word"], [], TimeSpan(1.0, 3.0), "asr")
    assert result.words == spread_words(["a", "longer", "word"], TimeSpan(1.0, 3.0))
    assert result.words[0].start_s == 1.0 and result.words[-1].end_s == pytest.approx(3.0)
    assert (
        result.words[1].end_s - result.words[1].start_s
        > result.words[0].end_s - result.words[0].start_s
    )
    assert result.interpolated == 3


def test_voiced_span_finds_the_sound_between_silences() -> None:
    rate = 16000
    samples = np.zeros(rate * 2, dtype=np.float32)
    samples[int(0.5 * rate) : int(1.25 * rate)] = 0.3
    span = voiced_span(samples, rate)
    assert span.start_s == pytest.approx(0.5, abs=0.011)
    assert span.end_s == pytest.approx(1.25, abs=0.011)


@pytest.mark.media
@pytest.mark.slow
def test_caption_timing_error_on_grid_reference(
    media: Path, transcriber: Transcriber, small_settings: Settings
) -> None:
    """Natural speech with hand-checked word times (GRID .align): mean start error 0.14 s."""
    grid = media / "talking" / "grid"
    truth = [line.split() for line in (grid / "id2_vcd_swwp2s.align").read_text().splitlines()]
    words = [(int(a) / 25000, int(b) / 25000, w) for a, b, w in truth if w != "sil"]
    audio = decode_audio(
        probe(grid / "id2_vcd_swwp2s.mpg", small_settings.media), small_settings.media, 16000
    )
    heard = transcriber(audio).words
    result = align_words([w for _, _, w in words], heard, TimeSpan(0.0, len(audio) / 16000), "asr")
    start_errors = [abs(ref[0] - got.start_s) for ref, got in zip(words, result.words, strict=True)]
    assert [w.text for w in result.words] == ["set", "white", "with", "p", "two", "soon"]
    assert float(np.mean(start_errors)) < 0.2
    assert max(start_errors) < 0.35


@pytest.mark.slow
def test_caption_timing_error_against_piper_word_boundaries(
    synthesizer: Synthesizer, transcriber: Transcriber
) -> None:
    """Reference by construction: words synthesized one by one, joined with known gaps.

    Measured: mean start error 0.06 s, worst 0.15 s (whisper tiny.en timestamps).
    """
    text = "Rivers carve deep valleys over thousands of years, while water shapes the stone."
    rate = 0
    pieces: list[np.ndarray] = []
    truth: list[float] = []
    clock = 0.15
    for word in text.split():
        samples, rate = synthesizer(word)
        voiced = voiced_span(samples, rate)
        samples = samples[round(voiced.start_s * rate) : round(voiced.end_s * rate)]
        truth.append(clock)
        pieces += [samples, np.zeros(round(0.08 * rate), dtype=np.float32)]
        clock += (len(samples) + round(0.08 * rate)) / rate
    audio = np.concatenate([np.zeros(round(0.15 * rate), dtype=np.float32), *pieces])
    result = time_narration(SceneNarration(0, audio, rate, "piper"), Scene(0, text), transcriber)
    errors = np.abs(np.array(truth) - np.array([w.start_s for w in result.words]))
    assert result.method.startswith("asr-alignment:faster-whisper")
    assert result.matched >= 8
    assert float(errors.mean()) < 0.12
    assert float(errors.max()) < 0.3
