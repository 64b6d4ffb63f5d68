"""Sentences you can trust: units built from the words, never from the ASR's segments.

A unit opens with a capitalised word (or a number or quote) that follows terminal
punctuation, or follows a pause of at least ``cfg.pause_boundary_s`` after a word that does
not leave the sentence hanging (no trailing ``, ; : -`` and not an article, preposition or
conjunction). A lower-case word never opens a unit: when the recogniser put a full stop before
a lower-case continuation (typically at a pause inside a sentence), the two halves are joined
again. A run longer than ``max_sentence_s`` is still cut at its longest pauses so it fits in a
clip, but the pieces are flagged: a clip may not start at a piece that continues a sentence,
nor end at a piece the sentence runs on from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ai_video.config import MomentsConfig
from ai_video.curate.sentences import ends_sentence, split_long_run
from ai_video.errors import ConfigError
from ai_video.types import Sentence, Word

_OPENERS = "\"'([{«“‘¿¡"
_HANGING_PUNCTUATION = (",", ";", ":", "-", "—", "–")
_HANGING_WORDS = frozenset(
    (
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "into",
        "onto",
        "upon",
        "about",
        "as",
        "and",
        "or",
        "but",
        "nor",
        "that",
        "which",
        "who",
        "whose",
        "whom",
        "than",
        "if",
        "because",
        "while",
        "when",
        "where",
        "my",
        "your",
        "his",
        "her",
        "its",
        "our",
        "their",
        "this",
        "these",
        "those",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "very",
    )
)


@dataclass(frozen=True)
class SentenceUnits:
    """Sentences with, for each, whether a clip may start at it and end after it."""

    sentences: tuple[Sentence, ...]
    opens: tuple[bool, ...]
    """The unit starts a sentence (not a piece of a long sentence cut to fit)."""
    closes: tuple[bool, ...]
    """The unit ends a sentence (the sentence does not run on into the next unit)."""


def starts_like_sentence(text: str) -> bool:
    """Whether a word may open a sentence: capitalised, a digit, a capitalised quote, a word
    after an opening ¿ or ¡, or a word of a script without letter case (Chinese, Japanese,
    Arabic, Hindi...), where punctuation and pauses alone mark sentences."""
    stripped = text.strip().lstrip(_OPENERS).lstrip("¿¡")
    if not stripped:
        return False
    first = stripped[0]
    caseless_letter = first.isalpha() and not first.isupper() and not first.islower()
    return first.isupper() or first.isdigit() or caseless_letter


def _hangs(word: str) -> bool:
    """Whether a sentence cannot end on ``word`` (trailing comma, article, preposition...)."""
    core = word.strip()
    if core.endswith(_HANGING_PUNCTUATION):
        return True
    return core.lower().strip("\"'()[]") in _HANGING_WORDS


def opens_after(prev: Word, nxt: Word, pause_boundary_s: float) -> bool:
    """Whether a new sentence starts at ``nxt``, given the word before it."""
    if not starts_like_sentence(nxt.text):
        return False
    if ends_sentence(prev.text, nxt.text):
        return True
    pause_s = nxt.start_s - prev.end_s
    return pause_s >= pause_boundary_s and not _hangs(prev.text)


def _turn_between(prev: Word, nxt: Word, turns: Sequence[float]) -> bool:
    """Whether a voice-turn change lies between the middles of two consecutive words."""
    lo, hi = (prev.start_s + prev.end_s) / 2, (nxt.start_s + nxt.end_s) / 2
    return any(lo < t <= hi for t in turns)


def sentence_units(
    words: Sequence[Word],
    cfg: MomentsConfig,
    max_sentence_s: float,
    turn_changes_s: Sequence[float] = (),
) -> SentenceUnits:
    """Group time-ordered words into trusted sentence units (see the module docstring).

    A voice-turn change (``turn_changes_s``, from diarization) always ends a unit: a sentence
    never runs on from one speaker to the next. The unit after it opens a sentence only when
    its first word looks like a sentence start.
    """
    if max_sentence_s <= 0:
        raise ConfigError(f"max_sentence_s must be positive, got {max_sentence_s}")
    spoken = [w for w in words if w.text.strip()]
    turns = sorted(turn_changes_s)
    runs: list[list[Word]] = []
    for i, word in enumerate(spoken):
        if (
            i == 0
            or opens_after(spoken[i - 1], word, cfg.pause_boundary_s)
            or _turn_between(spoken[i - 1], word, turns)
        ):
            runs.append([word])
        else:
            runs[-1].append(word)
    sentences: list[Sentence] = []
    opens: list[bool] = []
    closes: list[bool] = []
    for run in runs:
        pieces = split_long_run(run, max_sentence_s)
        for k, piece in enumerate(pieces):
            sentences.append(Sentence(index=len(sentences), words=piece))
            opens.append(k == 0 and starts_like_sentence(piece[0].text))
            closes.append(k == len(pieces) - 1)
    return SentenceUnits(tuple(sentences), tuple(opens), tuple(closes))
