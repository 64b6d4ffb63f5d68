"""Caption lines from word timings: which words share a line, in clip time.

Lines are chosen by a small dynamic programme over the words: every line has
``min_words..max_words`` words, lines end at sentence ends and pauses where they can, and a
one-word line appears only when the clip holds a single word. The subtitle formats that
carry a track (ASS with the spoken word highlighted, SRT, WebVTT) are ``render.subtitles``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ai_video.analyze.punctuation import is_clause_end, is_sentence_end
from ai_video.analyze.scripts import display_width
from ai_video.config import CaptionStyle
from ai_video.errors import ConfigError
from ai_video.types import CaptionLine, CaptionTrack, CaptionWord, TimeSpan, Word

__all__ = ["build_caption_track", "styled_caption_track"]

_STYLE_DEFAULTS = CaptionStyle.model_validate({})

# Line-breaking costs: a short line must lose to any other choice, a line running over a
# pause or sentence end to any choice that keeps the minimum length.
_SHORT_LINE_COST = 1000.0
_COST_INSIDE = {"hard": 100.0, "soft": 10.0, "none": 0.0}
_COST_AT_END = {"hard": 0.0, "soft": 1.0, "none": 3.0}
_LINE_COST = 2.0
_PREFERRED_WORDS = 3
_BALANCE_COST = 0.5
_OVERFLOW_COST_PER_CHAR = 2.0


def build_caption_track(
    words: Sequence[Word],
    span: TimeSpan,
    style_name: str,
    min_words: int = _STYLE_DEFAULTS.min_words_per_line,
    max_words: int = _STYLE_DEFAULTS.max_words_per_line,
    *,
    break_pause_s: float = _STYLE_DEFAULTS.line_break_pause_s,
    max_chars: int = _STYLE_DEFAULTS.max_chars_per_line,
    separator: str = " ",
) -> CaptionTrack:
    """Group the words spoken inside ``span`` into caption lines, in clip time.

    ``max_chars`` is a display width (a wide CJK character counts 2); ``separator`` is what
    goes between words ('' for scripts written without spaces).
    """
    if not 1 <= min_words <= max_words:
        raise ConfigError(
            f"caption words per line: need 1 <= min <= max, got {min_words}..{max_words}"
        )
    clip_words = _clip_words(words, span)
    lines: list[CaptionLine] = []
    gap = display_width(separator)
    for first, last in _break_lines(
        clip_words, min_words, max_words, break_pause_s, max_chars, gap
    ):
        lines.append(CaptionLine(words=tuple(clip_words[first : last + 1]), separator=separator))
    return CaptionTrack(lines=tuple(lines), style_name=style_name)


def _clip_words(words: Sequence[Word], span: TimeSpan) -> list[CaptionWord]:
    """Words whose midpoint is in ``span``, shifted to clip time, clamped and made monotonic."""
    out: list[CaptionWord] = []
    prev_start = 0.0
    for word in sorted(words, key=lambda w: (w.start_s, w.end_s)):
        text = word.text.strip()
        if not text or not span.contains((word.start_s + word.end_s) / 2):
            continue
        start = min(max(word.start_s - span.start_s, 0.0, prev_start), span.duration_s)
        end = min(max(word.end_s - span.start_s, start), span.duration_s)
        out.append(CaptionWord(text=text, start_s=start, end_s=end))
        prev_start = start
    return out


def _boundary(left: CaptionWord, right: CaptionWord, break_pause_s: float) -> str:
    """How strongly the gap between two words asks for a line break."""
    if is_sentence_end(left.text) or right.start_s - left.end_s > break_pause_s:
        return "hard"
    if is_clause_end(left.text):
        return "soft"
    return "none"


def _break_lines(
    words: Sequence[CaptionWord],
    min_words: int,
    max_words: int,
    break_pause_s: float,
    max_chars: int,
    gap: int = 1,
) -> list[tuple[int, int]]:
    """Cheapest split of ``words`` into lines: ``[(first, last), ...]`` inclusive indices."""
    n = len(words)
    bounds = [_boundary(words[i], words[i + 1], break_pause_s) for i in range(n - 1)]
    best = [0.0] + [math.inf] * n  # best[j]: cost of the first j words
    choice = [0] * (n + 1)
    for end in range(1, n + 1):
        for size in range(1, min(max_words, end) + 1):
            start = end - size
            cost = best[start] + _line_cost(words, bounds, start, end, min_words, max_chars, gap)
            if cost < best[end]:
                best[end], choice[end] = cost, start
    spans: list[tuple[int, int]] = []
    end = n
    while end > 0:
        spans.append((choice[end], end - 1))
        end = choice[end]
    return spans[::-1]


def _line_cost(
    words: Sequence[CaptionWord],
    bounds: Sequence[str],
    start: int,
    end: int,
    min_words: int,
    max_chars: int,
    gap: int = 1,
) -> float:
    """Cost of one line holding ``words[start:end]`` (width in display columns)."""
    size = end - start
    cost = _LINE_COST + _BALANCE_COST * abs(size - _PREFERRED_WORDS)
    cost += _SHORT_LINE_COST * max(0, min_words - size)
    cost += sum(_COST_INSIDE[b] for b in bounds[start : end - 1])
    if end < len(words):
        cost += _COST_AT_END[bounds[end - 1]]
    chars = sum(display_width(w.text) for w in words[start:end]) + gap * (size - 1)
    return cost + _OVERFLOW_COST_PER_CHAR * max(0, chars - max_chars)


def styled_caption_track(
    words: Sequence[Word],
    span: TimeSpan,
    style_name: str,
    style: CaptionStyle,
    *,
    max_words: int | None = None,
    separator: str = " ",
) -> CaptionTrack:
    """Caption lines for ``words`` inside ``span`` with the line rules of ``style``
    (``max_words`` and ``separator`` override them for scripts written without spaces)."""
    most = style.max_words_per_line if max_words is None else max_words
    return build_caption_track(
        words,
        span,
        style_name,
        min(style.min_words_per_line, most),
        most,
        break_pause_s=style.line_break_pause_s,
        max_chars=style.max_chars_per_line,
        separator=separator,
    )
