"""Writing systems of text: which script it is in, how wide it shows, which way it runs.

Caption lines are measured in display columns, not characters: a CJK ideograph or kana
takes two columns (East Asian Wide/Fullwidth), a combining mark none. The script decides
the caption font (a font that has its glyphs) and whether words are separated by spaces.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from wcwidth import wcswidth, wcwidth

# First word of a character's Unicode name -> writing system (the font map's keys).
_SCRIPT_BY_NAME_PREFIX = {
    "LATIN": "latin",
    "CYRILLIC": "cyrillic",
    "GREEK": "greek",
    "CJK": "han",
    "HIRAGANA": "japanese",
    "KATAKANA": "japanese",
    "HALFWIDTH": "japanese",
    "HANGUL": "hangul",
    "ARABIC": "arabic",
    "HEBREW": "hebrew",
    "DEVANAGARI": "devanagari",
    "BENGALI": "bengali",
    "TAMIL": "tamil",
    "THAI": "thai",
}
_RIGHT_TO_LEFT = frozenset({"arabic", "hebrew"})
_UNSPACED = frozenset({"han", "japanese", "thai"})


def display_width(text: str) -> int:
    """Columns ``text`` takes on screen: wide East Asian characters count 2, marks 0."""
    width = wcswidth(text)
    if width >= 0:
        return int(width)
    return sum(max(0, wcwidth(ch)) for ch in text)  # control characters count nothing


def char_script(ch: str) -> str | None:
    """The writing system of one character, or None for digits, punctuation and spaces."""
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return _SCRIPT_BY_NAME_PREFIX.get(name.split(" ", 1)[0], "other")


def dominant_script(text: str) -> str | None:
    """The writing system most letters of ``text`` use; Japanese wins over Han when kana appear.

    Japanese text mixes kanji (Han) and kana: any kana makes the whole text Japanese, so it
    gets a Japanese font (Han glyph shapes differ between Chinese and Japanese fonts).
    """
    counts = Counter(s for s in map(char_script, text) if s is not None)
    if not counts:
        return None
    if counts.get("japanese"):
        return "japanese"
    return counts.most_common(1)[0][0]


def is_right_to_left(text: str) -> bool:
    """Whether ``text`` is mostly in a right-to-left script (Arabic, Hebrew)."""
    return dominant_script(text) in _RIGHT_TO_LEFT


def written_without_spaces(text: str) -> bool:
    """Whether ``text`` is in a script written without spaces between words (zh, ja, th)."""
    return dominant_script(text) in _UNSPACED
