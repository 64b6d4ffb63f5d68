"""Sentence splitting: terminal punctuation, abbreviations, numbers, long unpunctuated runs."""

from __future__ import annotations

import pytest

from ai_video.curate.sentences import ends_sentence, split_sentences
from ai_video.errors import ConfigError
from ai_video.types import Word
from tests.curate.talk import timed_words


def _texts(text: str, max_sentence_s: float = 60.0) -> list[str]:
    return [s.text for s in split_sentences(timed_words(text, 0.0), max_sentence_s)]


def test_splits_on_terminal_punctuation_and_keeps_abbreviations_whole() -> None:
    text = (
        "Mr. Smith moved to the U.S. in 2003. He paid 3.5 million dollars! Did it work? "
        "Well… maybe. Dr. J. Jones agreed, e.g. by voting. It cost 4. 5 percent more, etc. "
        "Then the U.S. Navy came… And the end"
    )
    assert _texts(text) == [
        "Mr. Smith moved to the U.S. in 2003.",
        "He paid 3.5 million dollars!",
        "Did it work?",
        "Well…",
        "maybe.",
        "Dr. J. Jones agreed, e.g. by voting.",
        "It cost 4. 5 percent more, etc.",
        "Then the U.S.",
        "Navy came…",
        "And the end",
    ]


@pytest.mark.parametrize(
    ("word", "next_word", "expected"),
    [
        ("it.", "The", True),
        ('said."', "Then", True),
        ("really?)", "no", True),
        ("wait...", "what", True),
        ("Mrs.", "Doubtfire", False),
        ("St.", "Louis", False),
        ("A.", "Lincoln", False),
        ("U.K.", "economy", False),
        ("U.K.", "It", True),
        ("etc.", "and", False),
        ("7.", "25", False),
        ("7.", "Then", True),
        ("done.", None, True),
        ("hello", None, False),
        ("", "x", False),
    ],
)
def test_ends_sentence_cases(word: str, next_word: str | None, expected: bool) -> None:
    assert ends_sentence(word, next_word) is expected


def test_last_words_form_a_sentence_without_punctuation() -> None:
    sentences = split_sentences(timed_words("one two. three four", 0.0), 60.0)
    assert [s.index for s in sentences] == [0, 1]
    assert sentences[1].text == "three four"
    assert sentences[1].span.start_s == pytest.approx(0.7)


def test_long_unpunctuated_run_is_split_at_its_longest_pauses() -> None:
    first = timed_words(" ".join(f"a{i}" for i in range(14)), 0.0)
    second = timed_words(" ".join(f"b{i}" for i in range(14)), first[-1].end_s + 0.9)
    third = timed_words(" ".join(f"c{i}" for i in range(14)), second[-1].end_s + 0.7)
    words = first + second + third
    sentences = split_sentences(words, max_sentence_s=6.0)
    # 14 words x 0.35 s = 4.85 s per block: the two long pauses are the only cuts needed.
    assert [len(s.words) for s in sentences] == [14, 14, 14]
    assert [s.words[0].text.strip() for s in sentences] == ["a0", "b0", "c0"]
    shorter = split_sentences(words, max_sentence_s=3.0)
    assert all(s.span.duration_s <= 3.0 for s in shorter)
    assert [w for s in shorter for w in s.words] == words
    assert {s.words[0].text.strip() for s in shorter} >= {"a0", "b0", "c0"}


def test_single_word_longer_than_limit_stays_whole_and_blank_words_are_dropped() -> None:
    words = [Word(" hmm", 0.0, 9.0, 0.5), Word("  ", 9.0, 9.1, 0.1), Word(" ok.", 9.2, 9.5, 0.9)]
    sentences = split_sentences(words, max_sentence_s=2.0)
    assert [s.text for s in sentences] == ["hmm", "ok."]
    assert split_sentences([], 5.0) == []
    with pytest.raises(ConfigError):
        split_sentences(words, 0.0)
