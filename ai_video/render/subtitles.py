"""Subtitle formats for a caption track: ASS with the spoken word highlighted, SRT, WebVTT.

The ASS text highlights the word being spoken: one event per word, showing the whole line
with that word recoloured. SRT and WebVTT carry one plain cue per caption line. Everything
here builds text; ``render.export`` writes the files.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pysubs2

from ai_video.config import CaptionStyle
from ai_video.errors import ConfigError
from ai_video.types import CaptionTrack

_CS = 10  # ASS stores centiseconds; event times are snapped to this many milliseconds.
_AUTO_DIRECTION = -1  # ASS Encoding -1: libass takes the base direction from the text (RTL)


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


def new_ass_file(width: int, height: int) -> pysubs2.SSAFile:
    """An empty ASS document laid out for a ``width`` x ``height`` frame."""
    subs = pysubs2.SSAFile()
    subs.info.update(
        {
            "PlayResX": str(width),
            "PlayResY": str(height),
            "WrapStyle": "0",
            "ScaledBorderAndShadow": "yes",
        }
    )
    return subs


def track_to_ass(track: CaptionTrack, style: CaptionStyle, size: tuple[int, int]) -> str:
    """The track as ASS text for a ``size`` frame, with the spoken word highlighted."""
    width, height = size
    subs = new_ass_file(width, height)
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
    return subs.to_string("ass")


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


# Public names of the ASS helpers for the other caption writer (render.caption_templates).
ssa_colour = _colour
ssa_colour_tag = _ass_colour_tag
ssa_text = _ass_text
snap_ms = _snap_ms
