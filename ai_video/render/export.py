"""Caption files next to a render: the burned-in ASS, and the SubRip and WebVTT side files."""

from __future__ import annotations

from pathlib import Path

from ai_video.config import CaptionStyle
from ai_video.media.files import write_atomic
from ai_video.render.subtitles import track_to_ass, track_to_srt, track_to_vtt
from ai_video.types import CaptionTrack


def write_caption_files(track: CaptionTrack, base_path: Path) -> tuple[Path, Path]:
    """Write ``BASE.srt`` and ``BASE.vtt`` for ``track``; returns both paths."""
    base_path = Path(base_path)
    srt = _write_text(base_path.with_suffix(".srt"), track_to_srt(track))
    vtt = _write_text(base_path.with_suffix(".vtt"), track_to_vtt(track))
    return srt, vtt


def write_ass(track: CaptionTrack, style: CaptionStyle, size: tuple[int, int], path: Path) -> Path:
    """Write ``track`` as an ASS file for a ``size`` frame with the spoken word highlighted."""
    return _write_text(Path(path), track_to_ass(track, style, size))


def _write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text to ``path`` atomically; returns ``path``."""
    write_atomic(path, text.encode("utf-8"))
    return path
