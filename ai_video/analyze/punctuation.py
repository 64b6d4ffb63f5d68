"""Sentence punctuation of every script: where a sentence ends, where one visibly begins.

Whisper writes each language's own marks: ``. ! ? …`` in Latin, Cyrillic and Greek
text (Greek's question mark ``;`` too), ``。！？`` in Chinese and Japanese, ``؟`` and
``۔`` in Arabic and Urdu, the danda ``।`` / ``॥`` in Hindi and other Indic scripts, ``።``
in Amharic, ``။`` in Burmese. Spanish opens questions and exclamations with ``¿ ¡``:
a token starting with one begins a sentence even when the previous token had no mark.
Closing quotes and brackets after the mark are allowed (``"¿Qué?"``, ``「はい。」``).
"""

from __future__ import annotations

import re

_CLOSERS = "\"'”’»«)\\]」』）】〉》"
_TERMINALS_COMMON = ".!?…‼⁇⁈⁉"
_TERMINALS_EXTRA = "。！？｡．؟۔।॥።။"
_GREEK_QUESTION = ";;"  # ASCII semicolon and U+037E GREEK QUESTION MARK
_SENTENCE_END = re.compile(
    f"[{re.escape(_TERMINALS_COMMON + _TERMINALS_EXTRA)}]+[{re.escape(_CLOSERS)}]*$"
)
_GREEK_END = re.compile(f"[{re.escape(_GREEK_QUESTION)}][{re.escape(_CLOSERS)}]*$")
_CLAUSE_END = re.compile(f"[,;:–—、，；：،؛][{re.escape(_CLOSERS)}]*$")
_OPENERS = re.compile("^[\"'“‘«(\\[「『（]*[¿¡]")


def is_sentence_end(token: str, language: str | None = None) -> bool:
    """Whether ``token`` (a recognised word with its punctuation) ends a sentence.

    ``language`` (ISO 639-1) adds language-only marks: the Greek question mark, which is
    a semicolon, ends a sentence only in Greek. This looks at the marks alone: whether a
    dot belongs to an abbreviation (``Mr.``, ``U.S.``) is the sentence splitter's call.
    """
    text = token.strip()
    if not text:
        return False
    if _SENTENCE_END.search(text):
        return True
    return language == "el" and bool(_GREEK_END.search(text))


def starts_sentence(token: str) -> bool:
    """Whether ``token`` visibly opens a sentence (Spanish ``¿`` or ``¡``, maybe after a quote)."""
    return bool(_OPENERS.match(token.strip()))


def is_clause_end(token: str, language: str | None = None) -> bool:
    """Whether ``token`` ends a clause (comma, colon, semicolon, dash, 、，؛...), not a sentence."""
    text = token.strip()
    if language == "el" and _GREEK_END.search(text):
        return False
    return bool(_CLAUSE_END.search(text))


def sentence_break_before(previous: str, token: str, language: str | None = None) -> bool:
    """Whether a sentence boundary lies between two consecutive tokens."""
    return is_sentence_end(previous, language) or starts_sentence(token)
