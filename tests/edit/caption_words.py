"""Hand-built word timings for caption tests (lines, subtitle formats)."""

from __future__ import annotations

from ai_video.types import CaptionTrack, Word


def spoken_words(
    text: str, start_s: float = 0.0, step_s: float = 0.3, pauses: dict[int, float] | None = None
) -> list[Word]:
    """Words 0.25 s long every ``step_s``; ``pauses[i]`` adds silence after word ``i``."""
    out: list[Word] = []
    t = start_s
    for i, token in enumerate(text.split()):
        out.append(Word(" " + token, t, t + 0.25, 0.9))
        t += step_s + (pauses or {}).get(i, 0.0)
    return out


def line_texts(track: CaptionTrack) -> list[str]:
    """The text of each caption line, in order."""
    return [line.text for line in track.lines]
