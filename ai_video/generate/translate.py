"""Caption translation through the configured OpenAI-compatible LLM, line by line.

No offline translation model ships in a package we can pin (argostranslate needs its
language models downloaded from its own index), so captions are translated by the LLM the
generate job already uses. One request per caption track: the lines go out as a JSON list
and must come back as a list of the same length, so every translated line keeps the time
its original line was on screen; inside a line the translated words share that time in
proportion to their display width (word timings of another language cannot be known).
"""

from __future__ import annotations

import orjson
from pydantic import BaseModel, ConfigDict, Field

from ai_video.analyze.scripts import display_width
from ai_video.generate.llm import ChatClient, LlmError
from ai_video.types import NO_SPACE_LANGUAGES, CaptionLine, CaptionTrack, CaptionWord

_SYSTEM = (
    "You translate subtitles. Answer with one JSON object and nothing else: no prose, no "
    "code fences."
)


class TranslationAnswer(BaseModel):
    """The LLM's translated lines."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    lines: list[str] = Field(min_length=1)


def translation_messages(
    lines: list[str], source_language: str, target_language: str
) -> list[dict[str, str]]:
    """The chat messages asking for ``lines`` in ``target_language`` (ISO 639-1 codes)."""
    request = orjson.dumps(
        {"source_language": source_language, "target_language": target_language, "lines": lines}
    ).decode()
    return [
        {"role": "system", "content": _SYSTEM},
        {
            "role": "user",
            "content": "Translate each subtitle line from the source language to the target "
            "language. Keep the same number of lines, in the same order, one translated line "
            "for each input line; keep each line short. Answer as "
            '{"lines": ["...", "..."]}.\n' + request,
        },
    ]


def translate_track(
    track: CaptionTrack,
    source_language: str,
    target_language: str,
    client: ChatClient,
    temperature: float,
) -> CaptionTrack:
    """``track`` with every line translated, each on screen when its original was."""
    if not track.lines:
        return track
    texts = [line.text for line in track.lines]
    answer = client.complete_json(
        translation_messages(texts, source_language, target_language),
        TranslationAnswer,
        temperature,
    )
    if len(answer.lines) != len(texts):
        raise LlmError(
            f"the LLM translated {len(texts)} caption lines into {len(answer.lines)}; "
            "each line must come back as one line"
        )
    unspaced = target_language in NO_SPACE_LANGUAGES
    lines = tuple(
        _timed_line(text, line, unspaced)
        for text, line in zip(answer.lines, track.lines, strict=True)
    )
    return CaptionTrack(lines=lines, style_name=track.style_name)


def _timed_line(text: str, original: CaptionLine, unspaced: bool) -> CaptionLine:
    """``text`` shown over ``original``'s time, its words sharing it by display width."""
    pieces = [text] if unspaced else text.split()
    pieces = [p for p in pieces if p] or [text or "…"]
    widths = [max(1, display_width(p)) for p in pieces]
    start, end = original.start_s, original.end_s
    per_column = (end - start) / sum(widths)
    words, t = [], start
    for piece, width in zip(pieces, widths, strict=True):
        words.append(CaptionWord(piece, t, t + width * per_column))
        t += width * per_column
    return CaptionLine(tuple(words), "" if unspaced else " ")
