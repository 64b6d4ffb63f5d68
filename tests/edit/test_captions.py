"""Caption lines: words per line, line breaks at pauses, clip time."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_video.edit.captions import build_caption_track
from ai_video.errors import ConfigError
from ai_video.types import TimeSpan, Word
from tests.edit.caption_words import line_texts, spoken_words


def test_lines_hold_two_to_four_words_and_keep_every_word() -> None:
    text = "So this is the thing, we went there. And then nothing happened at all for a long time"
    track = build_caption_track(spoken_words(text), TimeSpan(0.0, 30.0), "tiktok")
    sizes = [len(line.words) for line in track.lines]
    assert all(2 <= n <= 4 for n in sizes), sizes
    assert " ".join(line_texts(track)) == text  # punctuation and every word kept
    assert "we went there." in line_texts(track)  # the sentence end closes a line
    assert track.style_name == "tiktok"


def test_pause_longer_than_threshold_breaks_the_line() -> None:
    words = spoken_words("one two three four five six", pauses={2: 0.5})
    track = build_caption_track(words, TimeSpan(0.0, 10.0), "s")
    assert line_texts(track) == ["one two three", "four five six"]
    short_pause = build_caption_track(
        spoken_words("one two three four five six", pauses={1: 0.3}), TimeSpan(0.0, 10.0), "s"
    )
    assert line_texts(short_pause) == ["one two three", "four five six"]  # balanced, no break at 1


def test_single_word_line_only_when_unavoidable() -> None:
    alone = build_caption_track(spoken_words("Hello."), TimeSpan(0.0, 5.0), "s")
    assert line_texts(alone) == ["Hello."]
    # A one-word sentence between pauses still joins a neighbour instead of standing alone.
    track = build_caption_track(
        spoken_words("Wait. I think we should go now.", pauses={0: 0.6}), TimeSpan(0.0, 10.0), "s"
    )
    assert min(len(line.words) for line in track.lines) >= 2
    five = build_caption_track(spoken_words("a b c d e"), TimeSpan(0.0, 10.0), "s")
    assert sorted(len(line.words) for line in five.lines) == [2, 3]


def test_words_shift_to_clip_time_and_outside_words_are_dropped() -> None:
    words = spoken_words("before inside words here after", start_s=9.0, step_s=1.0)
    track = build_caption_track(words, TimeSpan(9.9, 12.9), "s")
    assert " ".join(line_texts(track)) == "inside words here"
    first = track.lines[0].words[0]
    assert first.start_s == pytest.approx(0.1)
    assert first.end_s == pytest.approx(0.35)
    assert track.lines[-1].words[-1].end_s == pytest.approx(2.35)


def test_long_words_prefer_shorter_lines() -> None:
    text = "broadcasting journalists negotiated the new law"
    wide = build_caption_track(spoken_words(text), TimeSpan(0.0, 10.0), "s", max_chars=100)
    narrow = build_caption_track(spoken_words(text), TimeSpan(0.0, 10.0), "s", max_chars=22)
    assert [len(line.words) for line in wide.lines] == [3, 3]
    assert [len(line.words) for line in narrow.lines] == [2, 4]
    assert line_texts(narrow) == ["broadcasting journalists", "negotiated the new law"]


def test_invalid_word_limits_raise() -> None:
    with pytest.raises(ConfigError):
        build_caption_track(spoken_words("a b"), TimeSpan(0.0, 2.0), "s", min_words=3, max_words=2)


@pytest.mark.media
def test_grid_ground_truth_word_timings(media: Path) -> None:
    """GRID's hand-aligned word times (1/25000 s) become two 3-word lines at the true times."""
    rows = (media / "talking/grid/id2_vcd_swwp2s.align").read_text().split("\n")
    words = []
    for row in filter(None, rows):
        start, end, token = row.split()
        if token != "sil":
            words.append(Word(token, int(start) / 25000, int(end) / 25000, 1.0))
    track = build_caption_track(words, TimeSpan(0.0, 3.0), "grid")
    assert line_texts(track) == ["set white with", "p two soon"]
    assert track.lines[0].start_s == pytest.approx(0.49)
    assert track.lines[1].start_s == pytest.approx(1.22)
    assert track.lines[1].end_s == pytest.approx(2.21)
