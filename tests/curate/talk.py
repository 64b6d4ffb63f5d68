"""Hand-built transcripts with exact word timings for the curation tests."""

from __future__ import annotations

from collections.abc import Sequence

from ai_video.types import Segment, Transcript, Word


def timed_words(text: str, start_s: float, word_s: float = 0.3, gap_s: float = 0.05) -> list[Word]:
    """The words of ``text``, each ``word_s`` long, ``gap_s`` apart, from ``start_s``."""
    words = []
    t = start_s
    for token in text.split():
        words.append(Word(text=" " + token, start_s=t, end_s=t + word_s, probability=0.9))
        t += word_s + gap_s
    return words


def talk(
    sentences: Sequence[str],
    pauses_s: Sequence[float] | float = 0.6,
    start_s: float = 0.5,
    word_s: float = 0.3,
) -> Transcript:
    """A transcript saying ``sentences`` in order, one segment each, with the given pauses."""
    pauses = [pauses_s] * len(sentences) if isinstance(pauses_s, float) else list(pauses_s)
    segments = []
    t = start_s
    for i, sentence in enumerate(sentences):
        words = timed_words(sentence, t, word_s=word_s)
        segments.append(Segment(sentence, words[0].start_s, words[-1].end_s, tuple(words)))
        t = words[-1].end_s + (pauses[i] if i < len(pauses) else 0.6)
    return Transcript(language="en", segments=tuple(segments), model="hand-built")


def sentence_at(text: str, start_s: float, end_s: float) -> Segment:
    """One segment saying ``text`` with its words spread evenly over ``[start_s, end_s]``."""
    tokens = text.split()
    step = (end_s - start_s) / len(tokens)
    words = tuple(
        Word(" " + tok, start_s + i * step, start_s + (i + 1) * step - 0.01 * step, 0.9)
        for i, tok in enumerate(tokens)
    )
    words = (*words[:-1], Word(words[-1].text, words[-1].start_s, end_s, 0.9))
    return Segment(text, start_s, end_s, words)
