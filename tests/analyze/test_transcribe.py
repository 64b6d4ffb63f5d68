"""ASR accuracy and word timing of the default model on real speech with ground truth.

WER is word-level Levenshtein distance over reference length after normalising both sides:
lower case, hyphens as spaces, punctuation dropped, a few abbreviations expanded
("mr" -> "mister"), and digits spelled out the way LJSpeech's reference does ("1455" ->
"fourteen fifty five", "15th" -> "fifteenth", "42" -> "forty two").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import numpy.typing as npt
import pytest
from faster_whisper.audio import decode_audio

from ai_video.analyze import transcribe
from ai_video.analyze.transcribe import Transcriber
from ai_video.config import AsrConfig
from ai_video.errors import InputError, ModelUnavailable
from ai_video.types import Transcript

_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_ENDINGS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                    "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}  # fmt: skip
_ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"}


def _cardinal(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + (f" {_ONES[n % 10]}" if n % 10 else "")
    if 1100 <= n < 2000 and n % 100 >= 10:  # years, read in pairs: "fourteen fifty five"
        return f"{_cardinal(n // 100)} {_cardinal(n % 100)}"
    if n < 1000:
        return f"{_ONES[n // 100]} hundred" + (f" {_cardinal(n % 100)}" if n % 100 else "")
    rest = n % 1000
    return f"{_cardinal(n // 1000)} thousand" + (f" {_cardinal(rest)}" if rest else "")


def _ordinal(n: int) -> str:
    *head, last = _cardinal(n).split()
    if last in _ORDINAL_ENDINGS:
        last = _ORDINAL_ENDINGS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*head, last])


def normalise(text: str) -> list[str]:
    """Lower-case word tokens with numbers spelled out and punctuation removed."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: _ordinal(int(m.group(1))), text)
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)
    text = re.sub(r"\d+", lambda m: f" {_cardinal(int(m.group(0)))} ", text)
    text = re.sub(r"[^a-z' ]+", " ", text)
    return [_ABBREVIATIONS.get(token, token) for token in text.split()]


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions + deletions + insertions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return previous[-1]


def corpus_wer(pairs: list[tuple[str, str]]) -> float:
    """Aggregate WER: total word errors over total reference words."""
    errors = sum(word_errors(normalise(ref), normalise(hyp)) for ref, hyp in pairs)
    return errors / sum(len(normalise(ref)) for ref, _ in pairs)


def audio_16k(path: Path) -> npt.NDArray[np.float32]:
    """Mono 16 kHz float32 samples of any media file."""
    return np.asarray(decode_audio(str(path), sampling_rate=16000), dtype=np.float32)


@pytest.fixture(scope="module")
def transcriber() -> Iterator[Transcriber]:
    """The default model, loaded once for the module."""
    yield Transcriber(AsrConfig())


def test_normaliser_spells_numbers_like_ljspeech() -> None:
    assert normalise('or 42 -line Bible" of about 1455.') == [
        "or",
        "forty",
        "two",
        "line",
        "bible",
        "of",
        "about",
        "fourteen",
        "fifty",
        "five",
    ]
    assert normalise("the 15th century, Mr. P2") == [
        "the",
        "fifteenth",
        "century",
        "mister",
        "p",
        "two",
    ]
    assert word_errors(["a", "b", "c", "d"], ["a", "x", "c"]) == 2


@pytest.mark.media
@pytest.mark.slow
def test_jfk_wer_and_punctuation(media: Path, transcriber: Transcriber) -> None:
    transcript = transcriber(audio_16k(media / "speech/jfk.flac"))
    reference = (media / "speech/jfk.txt").read_text().strip()
    wer = corpus_wer([(reference, transcript.text)])
    print(f"jfk WER {wer:.3f}: {transcript.text!r}")
    assert wer <= 0.10
    assert transcript.model == "faster-whisper:tiny.en@0.1.0"
    assert transcript.language == "en"
    assert transcript.words[-1].text == "country."
    assert transcript.words[1].text == "so,"
    starts = [w.start_s for w in transcript.words]
    assert starts == sorted(starts)
    assert all(0.0 <= w.start_s <= w.end_s <= 11.0 for w in transcript.words)


@pytest.mark.media
@pytest.mark.slow
def test_ljspeech_wer(media: Path, transcriber: Transcriber) -> None:
    folder = media / "speech/ljspeech"
    rows = [line.split("\t") for line in (folder / "transcripts.tsv").read_text().splitlines()[1:]]
    pairs = [(text, transcriber(audio_16k(folder / name)).text) for name, text in rows]
    wer = corpus_wer(pairs)
    print(f"LJSpeech WER {wer:.3f} over {len(pairs)} clips")
    assert len(pairs) == 8
    assert wer <= 0.10


@pytest.mark.media
@pytest.mark.slow
def test_librivox_wer_and_hyphenated_words(media: Path, transcriber: Transcriber) -> None:
    clips = sorted((media / "speech/librivox").glob("*.wav"))
    transcripts = [transcriber(audio_16k(clip)) for clip in clips]
    pairs = [
        (c.with_suffix(".txt").read_text(), t.text) for c, t in zip(clips, transcripts, strict=True)
    ]
    wer = corpus_wer(pairs)
    print(f"LibriVox WER {wer:.3f} over {len(pairs)} clips")
    assert wer <= 0.10
    all_words = [w.text for t in transcripts for w in t.words]
    assert "cold-hearted" in all_words  # faster-whisper splits it as " cold" + "-hearted"


@pytest.mark.media
def test_grid_word_start_times(media: Path, transcriber: Transcriber) -> None:
    grid = media / "talking/grid"
    transcript = transcriber(audio_16k(grid / "id2_vcd_swwp2s.mpg"))
    truth = []
    for line in (grid / "id2_vcd_swwp2s.align").read_text().splitlines():
        start, _end, label = line.split()
        if label != "sil":
            truth.append((label, int(start) / 25000))
    errors = []
    remaining = list(truth)
    for recognised in transcript.words:
        tokens = normalise(recognised.text)
        if len(tokens) != 1:
            continue  # "P2" covers two reference words; its start says nothing about "two"
        for k, (ref_word, ref_start) in enumerate(remaining):
            if ref_word == tokens[0]:
                errors.append(abs(recognised.start_s - ref_start))
                del remaining[: k + 1]
                break
    mean_error = float(np.mean(errors))
    print(
        f"GRID: {len(errors)} of {len(truth)} words matched, mean |start error| {mean_error:.3f} s"
    )
    assert len(errors) >= 4
    assert mean_error <= 0.15


@pytest.mark.media
def test_music_without_speech_gives_empty_transcript(media: Path, transcriber: Transcriber) -> None:
    transcript = transcriber(audio_16k(media / "talking/liveportrait_s18.mp4"))
    assert transcript.segments == ()
    assert transcript.text == ""


def test_silence_and_empty_audio_give_empty_transcripts(transcriber: Transcriber) -> None:
    for audio in (np.zeros(0, np.float32), np.zeros(32000, np.float32)):
        transcript = transcriber(audio)
        assert transcript == Transcript("en", (), "faster-whisper:tiny.en@0.1.0")


def test_bad_input_and_bad_model_raise(tmp_path: Path, transcriber: Transcriber) -> None:
    with pytest.raises(InputError, match="mono"):
        transcriber(np.zeros((2, 16000), np.float32))
    with pytest.raises(InputError, match="float"):
        transcriber(np.zeros(16000, np.int16))
    (tmp_path / "model.bin").write_bytes(b"not a model" * 10)
    with pytest.raises(ModelUnavailable, match="could not load faster-whisper model"):
        Transcriber(AsrConfig(model=str(tmp_path)))


def test_device_choice() -> None:
    assert transcribe._choose_device("auto", 0) == "cpu"
    assert transcribe._choose_device("auto", 1) == "cuda"
    assert transcribe._choose_device("cpu", 1) == "cpu"
    with pytest.raises(ModelUnavailable, match="no CUDA device"):
        transcribe._choose_device("cuda", 0)


def test_word_pieces_without_leading_space_join_the_word_before() -> None:
    raw = [
        SimpleNamespace(word=" 42", start=1.0, end=1.2, probability=0.9),
        SimpleNamespace(word="-line", start=1.2, end=1.5, probability=0.6),
        SimpleNamespace(word=" Bible,", start=1.5, end=1.9, probability=0.8),
        SimpleNamespace(word=" ", start=1.9, end=1.9, probability=0.1),
    ]
    words = transcribe._joined_words(raw)
    assert [(w.text, w.start_s, w.end_s, w.probability) for w in words] == [
        ("42-line", 1.0, 1.5, 0.6),
        ("Bible,", 1.5, 1.9, 0.8),
    ]
