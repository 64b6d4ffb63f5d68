"""Split recognised words into sentences on terminal punctuation.

A word ending in ``.``, ``?``, ``!``, an ellipsis, or another script's terminal (``。！？``,
``؟``, ``।``...) closes a sentence, except where the dot
belongs to a title ("Mr."), a single initial ("J."), an initialism or abbreviation ("U.S.",
"e.g.", "etc.") not followed by a capitalised word, or a decimal number split across two
words ("3." "5").
A run of words longer than ``max_sentence_s`` without any of these is cut at its longest
pauses, so every sentence can fit in a clip.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ai_video.analyze.punctuation import is_sentence_end
from ai_video.errors import ConfigError
from ai_video.types import Sentence, Word

_TRAILING_CLOSERS = "\"')]}»”’"
_TITLE = re.compile(
    r"^(?:mr|mrs|ms|dr|prof|st|mt|ft|vs|gen|gov|sen|rep|capt|lt|col|sgt|rev|hon)\.$",
    re.IGNORECASE,
)
_ABBREVIATION = re.compile(
    r"^(?:etc|jr|sr|inc|ltd|corp|approx|dept|vol|fig|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov"
    r"|dec)\.$",
    re.IGNORECASE,
)
_INITIALISM = re.compile(r"^(?:[a-z]\.){2,}$", re.IGNORECASE)
_SINGLE_INITIAL = re.compile(r"^[A-Z]\.$")
_DIGIT_DOT = re.compile(r"\d\.$")


def _core(text: str) -> str:
    """The word without surrounding whitespace and trailing quotes or brackets."""
    return text.strip().rstrip(_TRAILING_CLOSERS)


def _starts_capitalised(text: str) -> bool:
    stripped = text.strip().lstrip("\"'([{«“‘")
    return bool(stripped) and stripped[0].isupper()


def ends_sentence(word: str, next_word: str | None) -> bool:
    """Whether ``word`` closes a sentence, given the word after it (None at the end)."""
    core = _core(word)
    if not core:
        return False
    if core.endswith(("?", "!", "…", "...")):
        return True
    if not core.endswith("."):
        return is_sentence_end(core)  # the terminals of other scripts: 。！？ ؟ । ...
    if next_word is None:
        return True
    if _DIGIT_DOT.search(core) and next_word.strip()[:1].isdigit():
        return False
    bare = core.lstrip("\"'([{«“‘")
    if _TITLE.match(bare) or _SINGLE_INITIAL.match(bare):
        return False
    if _INITIALISM.match(bare) or _ABBREVIATION.match(bare):
        return _starts_capitalised(next_word)
    return True


def split_long_run(words: Sequence[Word], max_sentence_s: float) -> list[tuple[Word, ...]]:
    """Cut a run longer than ``max_sentence_s`` at its longest pause, recursively."""
    if len(words) < 2 or words[-1].end_s - words[0].start_s <= max_sentence_s:
        return [tuple(words)]
    middle = (len(words) - 1) / 2
    best_index = 1
    best_key = (-float("inf"), 0.0)
    for i in range(1, len(words)):
        pause_s = words[i].start_s - words[i - 1].end_s
        key = (pause_s, -abs(i - 1 - middle))
        if key > best_key:
            best_key, best_index = key, i
    return split_long_run(words[:best_index], max_sentence_s) + split_long_run(
        words[best_index:], max_sentence_s
    )


def split_sentences(words: Sequence[Word], max_sentence_s: float) -> list[Sentence]:
    """Group time-ordered words into sentences; long unpunctuated runs are cut at pauses."""
    if max_sentence_s <= 0:
        raise ConfigError(f"max_sentence_s must be positive, got {max_sentence_s}")
    runs: list[tuple[Word, ...]] = []
    current: list[Word] = []
    for i, word in enumerate(words):
        if not word.text.strip():
            continue
        current.append(word)
        next_text = words[i + 1].text if i + 1 < len(words) else None
        if ends_sentence(word.text, next_text):
            runs.extend(split_long_run(current, max_sentence_s))
            current = []
    if current:
        runs.extend(split_long_run(current, max_sentence_s))
    return [Sentence(index=i, words=run) for i, run in enumerate(runs)]
