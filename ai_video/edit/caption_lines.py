"""Caption lines and caption font for any language.

Spaced languages get the usual word lines. Chinese, Japanese and Thai are written without
spaces and whisper gives them as short pieces (a character or a few): lines are groups of
pieces joined without a separator, with the same timing rules (pauses and sentence marks
break lines) and a limit on display width, where a wide character counts two columns.
Arabic and Hebrew need nothing special here: libass (with fribidi) lays them out right to
left. The font is the one the language config names for the text's writing system.
"""

from __future__ import annotations

from collections.abc import Sequence

from ai_video.analyze.scripts import dominant_script, written_without_spaces
from ai_video.config import CaptionStyle, LanguageConfig
from ai_video.edit.captions import styled_caption_track
from ai_video.types import NO_SPACE_LANGUAGES, CaptionTrack, TimeSpan, Word


def uses_spaces(language: str | None, words: Sequence[Word]) -> bool:
    """Whether words of this language are separated by spaces (decided by the text if unsure)."""
    if language in NO_SPACE_LANGUAGES:
        return False
    if language not in (None, "", "und"):
        return True
    return not written_without_spaces("".join(w.text for w in words))


def language_caption_track(
    words: Sequence[Word],
    span: TimeSpan,
    style_name: str,
    style: CaptionStyle,
    language: str | None,
    cfg: LanguageConfig,
) -> CaptionTrack:
    """Caption lines for ``words`` of ``language`` spoken inside ``span``, in clip time."""
    if uses_spaces(language, words):
        return styled_caption_track(words, span, style_name, style)
    return styled_caption_track(
        words, span, style_name, style, max_words=cfg.no_space_max_units, separator=""
    )


def caption_font(text: str, style: CaptionStyle, cfg: LanguageConfig) -> str:
    """The font family for captions reading ``text``: the configured one for its script."""
    script = dominant_script(text)
    if script is None:
        return style.font_name
    return cfg.script_fonts.get(script, style.font_name)


def style_for_track(track: CaptionTrack, style: CaptionStyle, cfg: LanguageConfig) -> CaptionStyle:
    """``style`` with the font that covers the track's script."""
    text = " ".join(line.text for line in track.lines)
    font = caption_font(text, style, cfg)
    return style if font == style.font_name else style.model_copy(update={"font_name": font})
