"""ASS text for a caption template: word highlight, pop-in, karaoke fill, box, emphasis, emoji.

A template (``config.CaptionTemplate``) is a caption style plus an effect. ``highlight`` and
``pop`` write one event per spoken word (the whole line, the spoken word recoloured and, for
``pop``, scaled up with a short grow animation); ``karaoke`` writes one event per line whose
words fill with ``\\kf`` tags at their spoken times; ``none`` writes plain lines. Keywords and
numbers can take an emphasis colour and scale, keywords a symbol from the emoji map. Sizes are
for a frame whose short side is 1080 px and scale with the frame. Everything goes through
libass (the ``subtitles`` filter of the one render process).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pysubs2

from ai_video.config import CaptionStyle, CaptionTemplate
from ai_video.media.files import write_atomic
from ai_video.render.export import write_ass
from ai_video.render.subtitles import (
    highlight_events,
    new_ass_file,
    snap_ms,
    ssa_colour,
    ssa_colour_tag,
    ssa_text,
)
from ai_video.types import CaptionLine, CaptionTrack

REFERENCE_SHORT_SIDE_PX = 1080
POP_IN_MS = 90
_ALIGNMENT = {
    "bottom": pysubs2.Alignment.BOTTOM_CENTER,
    "middle": pysubs2.Alignment.MIDDLE_CENTER,
    "lower_left": pysubs2.Alignment.BOTTOM_LEFT,
}
_WORD_CHARS = re.compile(r"[^\w']+")


def template_to_ass(track: CaptionTrack, template: CaptionTemplate, size: tuple[int, int]) -> str:
    """The track as ASS text for a ``size`` frame in the look of ``template``."""
    width, height = size
    subs = new_ass_file(width, height)
    scale = min(width, height) / REFERENCE_SHORT_SIDE_PX
    subs.styles = {track.style_name: _style(template, width, height, scale)}
    if template.effect == "karaoke":
        events = _karaoke_events(track, template)
    else:
        events = _word_events(track, template)
    for start_ms, end_ms, text in events:
        subs.events.append(
            pysubs2.SSAEvent(start=start_ms, end=end_ms, text=text, style=track.style_name)
        )
    return subs.to_string("ass")


def _style(t: CaptionTemplate, width: int, height: int, scale: float) -> pysubs2.SSAStyle:
    """The template's base style; a box is libass's opaque box (border style 3)."""
    karaoke = t.effect == "karaoke"
    outline = t.box_padding_px if t.box else t.outline_px
    return pysubs2.SSAStyle(
        fontname=t.font_name,
        fontsize=float(t.font_size_px) * scale,
        # karaoke fills from the secondary colour (not yet spoken) to the primary (spoken)
        primarycolor=ssa_colour(t.highlight_colour if karaoke else t.primary_colour),
        secondarycolor=ssa_colour(t.primary_colour if karaoke else t.highlight_colour),
        outlinecolor=ssa_colour(t.box_colour if t.box else t.outline_colour),
        backcolor=ssa_colour(t.box_colour if t.box else t.outline_colour),
        bold=t.bold,
        borderstyle=3 if t.box else 1,
        outline=outline * scale,
        shadow=t.shadow_px * scale,
        alignment=_ALIGNMENT[t.position],
        marginl=round(t.margin_h_frac * width),
        marginr=round(t.margin_h_frac * width),
        marginv=round(t.margin_v_frac * height),
    )


def _word_events(track: CaptionTrack, t: CaptionTemplate) -> list[tuple[int, int, str]]:
    """One event per spoken word: the line with that word highlighted (or plain lines)."""
    if t.effect == "none":
        return [
            (snap_ms(line.start_s), snap_ms(_line_end(track, i, t.hold_s)), _line_text(line, t))
            for i, line in enumerate(track.lines)
        ]
    out = []
    for event in highlight_events(track, t.hold_s):
        line = track.lines[event.line_index]
        text = _line_text(line, t, active=event.word_index)
        out.append((event.start_ms, event.end_ms, text))
    return out


def _karaoke_events(track: CaptionTrack, t: CaptionTemplate) -> list[tuple[int, int, str]]:
    """One event per line; each word fills (``\\kf``) over its spoken time."""
    out = []
    for index, line in enumerate(track.lines):
        start_ms = snap_ms(line.start_s)
        end_ms = snap_ms(_line_end(track, index, t.hold_s))
        parts, cursor = [], start_ms
        for word in line.words:
            begin, finish = snap_ms(word.start_s), snap_ms(max(word.end_s, word.start_s + 0.05))
            if begin > cursor:  # the pause before the word: a zero-width unfilled wait
                parts.append("{\\k" + str((begin - cursor) // 10) + "}")
                cursor = begin
            duration_cs = max(1, (finish - cursor) // 10)
            parts.append("{\\kf" + str(duration_cs) + "}" + _word_text(word.text, t) + " ")
            cursor += duration_cs * 10
        if end_ms > start_ms:
            out.append((start_ms, end_ms, "".join(parts).rstrip()))
    return out


def _line_end(track: CaptionTrack, index: int, hold_s: float) -> float:
    """When a line leaves: after its hold, never past the next line's start."""
    line = track.lines[index]
    following = track.lines[index + 1].start_s if index + 1 < len(track.lines) else math.inf
    return max(line.end_s, min(line.end_s + hold_s, following))


def _line_text(line: CaptionLine, t: CaptionTemplate, active: int | None = None) -> str:
    """The line's ASS text, the ``active`` word highlighted, keywords emphasised."""
    texts = []
    for index, word in enumerate(line.words):
        text = _word_text(word.text, t)
        if index == active:
            texts.append(_highlighted(text, t))
        else:
            texts.append(text)
    return " ".join(texts)


def _highlighted(text: str, t: CaptionTemplate) -> str:
    """The spoken word: highlight colour, and for ``pop`` a quick grow to ``pop_scale``."""
    tag = "\\1c" + ssa_colour_tag(t.highlight_colour)
    if t.effect == "pop" and t.pop_scale != 1.0:
        pct = round(100 * t.pop_scale)
        tag += f"\\fscx100\\fscy100\\t(0,{POP_IN_MS},\\fscx{pct}\\fscy{pct})"
    return "{" + tag + "}" + _strip_tags(text) + "{\\r}"


def _word_text(raw: str, t: CaptionTemplate) -> str:
    """A word as ASS text: case, emphasis (colour and scale) and its symbol."""
    text = ssa_text(raw.upper() if t.uppercase else raw)
    key = _WORD_CHARS.sub("", raw.lower())
    emphasised = t.emphasis_colour is not None and (
        key in t.emphasis_words or (t.emphasise_numbers and any(c.isdigit() for c in raw))
    )
    if emphasised and t.emphasis_colour is not None:
        pct = round(100 * t.emphasis_scale)
        colour = ssa_colour_tag(t.emphasis_colour)
        text = "{\\1c" + colour + f"\\fscx{pct}\\fscy{pct}" + "}" + text + "{\\r}"
    if t.emoji and key in t.emoji_map:
        text += " " + t.emoji_map[key]
    return text


def _strip_tags(text: str) -> str:
    """Text with override blocks removed (the highlight replaces the emphasis)."""
    return re.sub(r"\{[^}]*\}", "", text)


def write_caption_ass(
    track: CaptionTrack, style: CaptionStyle, size: tuple[int, int], path: Path
) -> Path:
    """Write the burned-in ASS of ``track``: a template's look, or the plain highlight style."""
    if isinstance(style, CaptionTemplate):
        write_atomic(Path(path), template_to_ass(track, style, size).encode("utf-8"))
        return Path(path)
    return write_ass(track, style, size, path)
