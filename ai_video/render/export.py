"""Caption side files (SubRip and WebVTT) next to a rendered clip, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

from ai_video.edit.captions import track_to_srt, track_to_vtt
from ai_video.media.ffmpeg import write_atomically
from ai_video.types import CaptionTrack


def write_caption_files(track: CaptionTrack, base_path: Path) -> tuple[Path, Path]:
    """Write ``BASE.srt`` and ``BASE.vtt`` for ``track``; returns both paths."""
    base_path = Path(base_path)
    srt = _write_text(base_path.with_suffix(".srt"), track_to_srt(track))
    vtt = _write_text(base_path.with_suffix(".vtt"), track_to_vtt(track))
    return srt, vtt


def _write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text to a temporary sibling, then move it onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = write_atomically(path)
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path
