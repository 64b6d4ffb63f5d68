"""Check a rendered clip before it is called done: streams present, length as planned, and
its last second decodes (a damaged source can make ffmpeg exit 0 with a short file)."""

from __future__ import annotations

from pathlib import Path

from ai_video.config import MediaConfig
from ai_video.errors import InputError, MediaError
from ai_video.media.probe import probe, require_complete


class ClipDamaged(MediaError):
    """A rendered clip is not what the plan asked for; the message says how."""


def verify_clip(path: Path, planned_s: float, media: MediaConfig, tolerance_s: float) -> None:
    """Raise :class:`ClipDamaged` unless ``path`` has video and audio, lasts ``planned_s``
    (within ``tolerance_s``) and decodes to its end."""
    name = Path(path).name
    try:
        info = probe(path, media)
        if info.video is None or info.video.width <= 0:
            raise ClipDamaged(f"{name}: no video stream")
        if info.audio is None:
            raise ClipDamaged(f"{name}: no audio stream")
        if abs(info.duration_s - planned_s) > tolerance_s:
            raise ClipDamaged(
                f"{name}: lasts {info.duration_s:.2f} s, planned {planned_s:.2f} s "
                f"(tolerance {tolerance_s:.2f} s)"
            )
        require_complete(info, media)
    except InputError as exc:
        raise ClipDamaged(str(exc).replace(str(Path(path).absolute()), name)) from None
