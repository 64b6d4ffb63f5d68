"""Caption lines from word timings, and the files that carry them (ASS, SRT, WebVTT).

Lines are chosen by a small dynamic programme over the words: every line has
``min_words..max_words`` words, lines end at sentence ends and pauses where they can, and a
one-word line appears only when the clip holds a single word. The ASS file highlights the
word being spoken: one event per word, showing the whole line with that word recoloured.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from ai_video.analyze.punctuation import is_clause_end, is_sentence_end
from ai_video.analyze.scripts import display_width
from ai_video.config import CaptionStyle
from ai_video.errors import ConfigError
from ai_video.media.ffmpeg import write_atomically
from ai_video.types import CaptionLine, CaptionTrack, CaptionWord, TimeSpan, Word

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
_AUTO_DIRECTION = -1  # ASS Encoding -1: libass takes the base direction from the text (RTL)
_CS = 10  # ASS stores centiseconds; event times are snapped to this many milliseconds.


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


# --------------------------------------------------------------------------- ASS


@dataclass(frozen=True, slots=True)
class HighlightEvent:
    """One ASS event: a line shown from ``start_ms`` to ``end_ms`` with one word highlighted."""

    start_ms: int
    end_ms: int
    line_index: int
    word_index: int


def highlight_events(track: CaptionTrack, hold_s: float) -> list[HighlightEvent]:
    """Word-by-word events: each word from its start to the next word's start, never overlapping."""
    events: list[HighlightEvent] = []
    for li, line in enumerate(track.lines):
        next_start = track.lines[li + 1].start_s if li + 1 < len(track.lines) else math.inf
        line_end = max(line.end_s, min(line.end_s + hold_s, next_start))
        for wi, word in enumerate(line.words):
            stop = line.words[wi + 1].start_s if wi + 1 < len(line.words) else line_end
            start_ms, end_ms = _snap_ms(word.start_s), _snap_ms(min(stop, next_start))
            if events:
                start_ms = max(start_ms, events[-1].end_ms)
            if end_ms > start_ms:
                events.append(HighlightEvent(start_ms, end_ms, li, wi))
    return events


def write_ass(track: CaptionTrack, style: CaptionStyle, size: tuple[int, int], path: Path) -> Path:
    """Write ``track`` as an ASS file for a ``size`` frame with the spoken word highlighted."""
    width, height = size
    subs = pysubs2.SSAFile()
    subs.info.update(
        {
            "PlayResX": str(width),
            "PlayResY": str(height),
            "WrapStyle": "0",
            "ScaledBorderAndShadow": "yes",
        }
    )
    subs.styles = {track.style_name: _ssa_style(style, width, height)}
    highlight = _ass_colour_tag(style.highlight_colour)
    for event in highlight_events(track, style.hold_s):
        line = track.lines[event.line_index]
        texts = [_ass_text(w.text.upper() if style.uppercase else w.text) for w in line.words]
        texts[event.word_index] = "{\\1c" + highlight + "}" + texts[event.word_index] + "{\\r}"
        subs.events.append(
            pysubs2.SSAEvent(
                start=event.start_ms,
                end=event.end_ms,
                text=line.separator.join(texts),
                style=track.style_name,
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = write_atomically(path)
    partial.write_text(subs.to_string("ass"), encoding="utf-8")
    os.replace(partial, path)
    return path


def _ssa_style(style: CaptionStyle, width: int, height: int) -> pysubs2.SSAStyle:
    """The pysubs2 style for a frame of ``width`` x ``height`` (PlayRes = frame size)."""
    outline = _colour(style.outline_colour)
    return pysubs2.SSAStyle(
        fontname=style.font_name,
        fontsize=float(style.font_size_px),
        primarycolor=_colour(style.primary_colour),
        secondarycolor=_colour(style.highlight_colour),
        outlinecolor=outline,
        backcolor=outline,
        bold=style.bold,
        borderstyle=1,
        outline=style.outline_px,
        shadow=style.shadow_px,
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginl=round(style.margin_h_frac * width),
        marginr=round(style.margin_h_frac * width),
        marginv=round(style.margin_v_frac * height),
        encoding=_AUTO_DIRECTION,
    )


def _colour(value: str) -> pysubs2.Color:
    """``#RRGGBB`` or ``#RRGGBBAA`` (AA = opacity, FF opaque) as a pysubs2 colour."""
    match = re.fullmatch(r"#?([0-9a-fA-F]{6})([0-9a-fA-F]{2})?", value.strip())
    if match is None:
        raise ConfigError(f"caption colour {value!r} is not #RRGGBB or #RRGGBBAA")
    rgb = bytes.fromhex(match.group(1))
    opacity = int(match.group(2), 16) if match.group(2) else 255
    return pysubs2.Color(rgb[0], rgb[1], rgb[2], 255 - opacity)


def _ass_colour_tag(value: str) -> str:
    """``&HBBGGRR&``: the colour as an ASS override-tag value."""
    c = _colour(value)
    return f"&H{c.b:02X}{c.g:02X}{c.r:02X}&"


def _ass_text(text: str) -> str:
    """Word text made safe for an ASS event (braces and backslashes are markup there)."""
    return text.replace("\\", "/").replace("{", "(").replace("}", ")")


def _snap_ms(t_s: float) -> int:
    """Seconds to milliseconds on the centisecond grid ASS stores."""
    return round(t_s * 1000 / _CS) * _CS


# --------------------------------------------------------------------------- SRT / VTT


def _plain_file(track: CaptionTrack) -> pysubs2.SSAFile:
    """One plain-text event per caption line."""
    subs = pysubs2.SSAFile()
    for li, line in enumerate(track.lines):
        next_start = track.lines[li + 1].start_s if li + 1 < len(track.lines) else math.inf
        start_ms = round(line.start_s * 1000)
        end_ms = max(round(min(line.end_s, next_start) * 1000), start_ms + 1)
        subs.events.append(pysubs2.SSAEvent(start=start_ms, end=end_ms, text=line.text))
    return subs


def track_to_srt(track: CaptionTrack) -> str:
    """The track as SubRip text, one cue per caption line."""
    return _plain_file(track).to_string("srt")


def track_to_vtt(track: CaptionTrack) -> str:
    """The track as WebVTT text, one cue per caption line."""
    return _plain_file(track).to_string("vtt")
