"""What an untrusted media file may be: checked on its header, before anything is decoded.

A user's file is probed with ffprobe restricted to the allowed demuxers
(``-format_whitelist``) and to local file reads, so a playlist in disguise (HLS, DASH,
ffconcat, image sequences — any file name) is refused before it can open another file on
the server. Then its size, duration, stream count and picture size are held to the caps of
:class:`~ai_video.config.InputPolicyConfig`. Messages name the file by its base name only:
no server path reaches the user.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ai_video.config import InputPolicyConfig, MediaConfig
from ai_video.errors import InputError
from ai_video.media.probe import media_info, probe_json
from ai_video.types import MediaInfo


def demuxer_args(policy: InputPolicyConfig) -> tuple[str, ...]:
    """ffmpeg/ffprobe input options that allow only the policy's demuxers."""
    return ("-format_whitelist", ",".join(policy.formats))


def probe_untrusted(path: Path, media: MediaConfig, policy: InputPolicyConfig) -> MediaInfo:
    """Probe a user's file under ``policy``; :class:`InputError` naming the problem if refused."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError(f"{name}: file not found")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{name}: file is empty (0 bytes)")
    if size > policy.max_file_bytes:
        raise InputError(f"{name}: file is larger than {policy.max_file_bytes} bytes")
    try:
        data = probe_json(
            path,
            media,
            refusal=f"{name}: not a readable media file of an accepted kind",
            before_input=demuxer_args(policy),
        )
        check_probe(name, data, policy)
        return media_info(path, size, data)
    except InputError as exc:
        raise InputError(_without_paths(str(exc), path)) from None


def _without_paths(text: str, path: Path) -> str:
    """``text`` with the file's absolute path (and its folder) replaced by its name."""
    for spelled in (f"file:{path.absolute()}", str(path.absolute()), str(path)):
        text = text.replace(spelled, path.name)
    return text.replace(str(path.absolute().parent), "…")


def check_probe(name: str, data: dict[str, Any], policy: InputPolicyConfig) -> None:
    """Hold ffprobe's ``data`` for file ``name`` to the policy's container and size caps."""
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    formats = set(str(fmt.get("format_name", "")).split(","))
    if not formats & set(policy.formats):
        raise InputError(f"{name}: container {fmt.get('format_name')!r} is not accepted")
    if len(streams) > policy.max_streams:
        raise InputError(f"{name}: {len(streams)} streams (at most {policy.max_streams})")
    durations = [_number(fmt.get("duration"))] + [_number(s.get("duration")) for s in streams]
    longest = max((d for d in durations if math.isfinite(d)), default=0.0)
    if longest > policy.max_duration_s:
        raise InputError(f"{name}: {longest:.0f} s long (at most {policy.max_duration_s:.0f} s)")
    for stream in streams:
        if stream.get("codec_type") != "video":
            continue
        width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
        if width * height > policy.max_pixels:
            raise InputError(
                f"{name}: picture of {width}x{height} pixels "
                f"(at most {policy.max_pixels} pixels per frame)"
            )


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
