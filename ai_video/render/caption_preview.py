"""A still of a caption style on a sample line: ``ai-video captions preview STYLE --out x.png``.

The sample line is burned by the same ``subtitles`` (libass) filter as a clip render, on a
plain background, and one frame is taken while a chosen word is being spoken.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ai_video.config import CaptionStyle, MediaConfig
from ai_video.media.ffmpeg import file_url, run_ffmpeg
from ai_video.media.files import replace_atomic
from ai_video.render.caption_templates import write_caption_ass
from ai_video.render.graph import subtitles_filter
from ai_video.types import CaptionLine, CaptionTrack, CaptionWord

SAMPLE_WORDS = ("Here", "are", "3", "ways", "to", "win", "more", "love")
WORD_S = 0.4
BACKGROUND = "0x2B3A55"


def sample_track(style: CaptionStyle, words: tuple[str, ...] = SAMPLE_WORDS) -> CaptionTrack:
    """The sample words, one every ``WORD_S`` seconds, in lines of the style's length."""
    timed = [CaptionWord(w, i * WORD_S, (i + 0.9) * WORD_S) for i, w in enumerate(words)]
    size = max(1, style.max_words_per_line)
    lines = tuple(CaptionLine(tuple(timed[i : i + size])) for i in range(0, len(timed), size))
    return CaptionTrack(lines=lines, style_name="preview")


def render_caption_preview(
    style: CaptionStyle,
    size: tuple[int, int],
    out_png: Path,
    media: MediaConfig,
    fonts_dir: Path | None = None,
    word_index: int = 2,
) -> Path:
    """Write a PNG of the sample line at the middle of word ``word_index``."""
    width, height = size
    at_s = (word_index + 0.45) * WORD_S
    duration_s = len(SAMPLE_WORDS) * WORD_S
    with tempfile.TemporaryDirectory(prefix="caption-preview-") as tmp:
        ass = write_caption_ass(sample_track(style), style, size, Path(tmp) / "preview.ass")
        with replace_atomic(Path(out_png)) as partial:
            args = [
                "-y", "-v", "error", "-f", "lavfi",
                "-i", f"color=c={BACKGROUND}:s={width}x{height}:r=25:d={duration_s}",
                "-vf", subtitles_filter(ass, fonts_dir), "-ss", f"{at_s:.3f}", "-frames:v", "1",
                "-f", "image2", "-c:v", "png", "-update", "1", file_url(partial),
            ]  # fmt: skip
            run_ffmpeg(media.ffmpeg_bin, args, timeout_s=media.probe_timeout_s)
    return Path(out_png)
