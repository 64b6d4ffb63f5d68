"""French and Japanese captions from a transcript, burned by libass: right text, real glyphs.

Truth by construction: espeak-ng speaks a known text, whisper base transcribes it, the
caption track is built and written as ASS, and ffmpeg (libass) renders a frame on a
1080x1920 canvas. Tofu is checked two ways: libass reports every character no installed
font has ("Glyph 0x... not found" then "failed to find any fallback"), and the rendered
caption is compared with a frame of .notdef boxes (private-use characters no font has) at
the same place: a caption drawn in boxes would look like that frame.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pysubs2
import pytest
from PIL import Image

from ai_video.analyze.transcribe import Transcriber
from ai_video.config import AsrConfig, CaptionStyle, LanguageConfig
from ai_video.edit.caption_lines import language_caption_track, style_for_track
from ai_video.render.export import write_ass
from ai_video.types import CaptionLine, CaptionTrack, CaptionWord, TimeSpan, Transcript
from tests.language_speech import speech

SIZE = (1080, 1920)
STYLE = CaptionStyle()
MISSING_GLYPH = re.compile(r"failed to find any fallback with glyph|Glyph 0x[0-9A-F]+ not found")


@pytest.fixture(scope="module")
def base() -> Iterator[Transcriber]:
    yield Transcriber(AsrConfig(model="base"))


def _render(ass: Path, at_s: float, out: Path) -> str:
    """One frame of a grey canvas with ``ass`` burned in at ``at_s``; returns libass's log."""
    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-v", "verbose", "-y", "-f", "lavfi",
         "-i", f"color=c=gray:s={SIZE[0]}x{SIZE[1]}:d={at_s + 1:.2f}", "-ss", f"{at_s:.2f}",
         "-vf", f"subtitles={ass}", "-frames:v", "1", str(out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return proc.stderr


def _fill(path: Path) -> np.ndarray:
    """The letters' fill: bright pixels (white or highlight yellow) on the grey canvas."""
    return np.asarray(Image.open(path).convert("L")) > 180


def _as_boxes(track: CaptionTrack) -> CaptionTrack:
    """The same lines and timings with every character replaced by one no font has."""
    lines = []
    for line in track.lines:
        words = tuple(
            CaptionWord("\U000f0041" * len(w.text), w.start_s, w.end_s) for w in line.words
        )
        lines.append(CaptionLine(words, line.separator))
    return CaptionTrack(tuple(lines), track.style_name)


def _caption_for(base: Transcriber, language: str) -> tuple[Transcript, CaptionTrack]:
    transcript = base(speech(language), language=language)
    span = TimeSpan(0.0, len(speech(language)) / 16000)
    track = language_caption_track(
        transcript.words, span, "Caption", STYLE, language, LanguageConfig()
    )
    return transcript, track


@pytest.mark.slow
@pytest.mark.parametrize(
    ("language", "font_file"), [("fr", "DejaVuSans-Bold"), ("ja", "NotoSansCJK-Bold")]
)
def test_caption_text_matches_transcript_and_glyphs_are_real(
    base: Transcriber, tmp_path: Path, language: str, font_file: str
) -> None:
    transcript, track = _caption_for(base, language)
    style = style_for_track(track, STYLE, LanguageConfig())
    ass = write_ass(track, style, SIZE, tmp_path / f"{language}.ass")

    # the text on screen is the transcript's, line by line, in order
    shown = []
    for event in pysubs2.load(str(ass)).events:
        if not shown or event.plaintext != shown[-1]:
            shown.append(event.plaintext)
    separator = "" if language == "ja" else " "
    assert shown == [line.text for line in track.lines]
    assert separator.join(shown) == transcript.text
    print(language, shown)

    at_s = (track.lines[0].start_s + track.lines[0].end_s) / 2
    log = _render(ass, at_s, tmp_path / "caption.png")
    assert MISSING_GLYPH.search(log) is None, MISSING_GLYPH.findall(log)
    assert re.search(
        rf"fontselect: \({re.escape(style.font_name)}, 700, 0\) -> \S*{font_file}", log
    )

    boxes_ass = write_ass(_as_boxes(track), style, SIZE, tmp_path / "boxes.ass")
    boxes_log = _render(boxes_ass, at_s, tmp_path / "boxes.png")
    assert MISSING_GLYPH.search(boxes_log)  # the check does see tofu when there is some

    caption, boxes = _fill(tmp_path / "caption.png"), _fill(tmp_path / "boxes.png")
    assert caption.sum() > 3000  # the caption was drawn
    overlap = (caption & boxes).sum() / (caption | boxes).sum()
    print(f"{language}: fill {caption.sum()} px, overlap with .notdef boxes {overlap:.2f}")
    assert overlap < 0.3  # measured 0.09 for both; a caption in boxes would overlap ~1


def test_arabic_runs_right_to_left(tmp_path: Path) -> None:
    """The first spoken word (highlighted) of an Arabic line is drawn at its right end."""
    pieces = ["اليوم", "أريد", "أن"]
    words = [CaptionWord(t, 0.2 * i, 0.2 * i + 0.18) for i, t in enumerate(pieces)]
    track = CaptionTrack((CaptionLine(tuple(words)),), "Caption")
    style = style_for_track(track, STYLE, LanguageConfig())
    assert style.font_name == "Noto Sans Arabic"
    ass = write_ass(track, style, SIZE, tmp_path / "ar.ass")
    log = _render(ass, 0.1, tmp_path / "ar.png")
    assert MISSING_GLYPH.search(log) is None
    rgb = np.asarray(Image.open(tmp_path / "ar.png").convert("RGB"), dtype=np.int16)
    yellow = (rgb[..., 0] > 180) & (rgb[..., 1] > 180) & (rgb[..., 2] < 140)
    white = (rgb > 200).all(axis=-1)
    assert yellow.sum() > 300 and white.sum() > 300
    yellow_x, white_x = np.nonzero(yellow)[1].mean(), np.nonzero(white)[1].mean()
    print(f"highlighted first word at x={yellow_x:.0f}, the rest at x={white_x:.0f}")
    assert yellow_x > white_x + 100
