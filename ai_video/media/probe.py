"""ffprobe a source into :class:`MediaInfo`, rejecting unusable input with a clear reason."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson

from ai_video.config import MediaConfig
from ai_video.errors import FFmpegError, InputError
from ai_video.media.ffmpeg import ProcessResult, local_input, run_ffmpeg
from ai_video.types import AudioStreamInfo, MediaInfo, VideoStreamInfo

_STILL_IMAGE_CODECS = {"png", "mjpeg", "bmp", "gif", "webp", "tiff", "jpegls"}


def probe(path: Path, cfg: MediaConfig) -> MediaInfo:
    """Read container and stream facts of a local media file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path}: file is empty (0 bytes)")
    data = probe_json(path, cfg, refusal=f"{path}: not a readable media file")
    return media_info(path, size, data)


def probe_json(
    path: Path, cfg: MediaConfig, refusal: str, before_input: tuple[str, ...] = ()
) -> dict[str, Any]:
    """ffprobe's JSON (format and streams) for a local file; ``before_input`` goes before -i."""
    args = [
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        *before_input,
        *local_input(path),
    ]
    result = _run_or_refuse(cfg.ffprobe_bin, args, cfg, refusal)
    data: dict[str, Any] = orjson.loads(result.stdout or b"{}")
    return data


def media_info(path: Path, size: int, data: dict[str, Any]) -> MediaInfo:
    """The :class:`MediaInfo` of ffprobe's JSON ``data`` for ``path`` (``size`` bytes)."""
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    if not fmt and not streams:
        raise InputError(f"{path}: not a readable media file (ffprobe found no streams)")
    video = _video_stream(streams)
    audio = _audio_stream(streams)
    duration = _float(fmt.get("duration"))
    if not math.isfinite(duration) or duration <= 0:
        durations = [_float(s.get("duration")) for s in streams]
        finite = [d for d in durations if math.isfinite(d) and d > 0]
        duration = max(finite) if finite else 0.0
    if video is None and audio is None:
        raise InputError(f"{path}: no audio or video stream found")
    return MediaInfo(
        path=path,
        container=str(fmt.get("format_name", "")),
        duration_s=duration,
        size_bytes=size,
        video=video,
        audio=audio,
    )


def _run_or_refuse(binary: str, args: list[str], cfg: MediaConfig, refusal: str) -> ProcessResult:
    """Run a quick check; a failure caused by the input becomes ``InputError(refusal (why))``."""
    try:
        return run_ffmpeg(binary, args, timeout_s=cfg.probe_timeout_s)
    except FFmpegError as exc:
        if exc.returncode == 127:
            raise
        tail = exc.stderr_tail.strip()
        reason = tail.splitlines()[-1] if tail else "no output"
        raise InputError(f"{refusal} ({_short(reason)})") from None


def _video_stream(streams: list[dict[str, Any]]) -> VideoStreamInfo | None:
    for s in streams:
        if s.get("codec_type") != "video":
            continue
        if _is_still_picture(s):
            continue
        avg = _rate(s.get("avg_frame_rate"))
        real = _rate(s.get("r_frame_rate"))
        fps = avg if math.isfinite(avg) and avg > 0 else real
        if not math.isfinite(fps) or fps <= 0 or fps > 1000:
            fps = 25.0
        vfr = math.isfinite(avg) and math.isfinite(real) and avg > 0 and abs(avg - real) > 0.01
        nominal = real if math.isfinite(real) and fps - 0.01 <= real <= 240 else 0.0
        return VideoStreamInfo(
            codec=str(s.get("codec_name", "unknown")),
            width=int(s.get("width") or 0),
            height=int(s.get("height") or 0),
            fps=fps,
            pix_fmt=str(s.get("pix_fmt", "")),
            rotation_deg=_rotation(s),
            variable_frame_rate=vfr,
            nominal_fps=nominal,
        )
    return None


def _is_still_picture(stream: dict[str, Any]) -> bool:
    """Cover art or a single picture, not video (an MJPEG *movie* is video)."""
    if (stream.get("disposition") or {}).get("attached_pic"):
        return True
    if stream.get("codec_name") not in _STILL_IMAGE_CODECS:
        return False
    frames = str(stream.get("nb_frames") or "")
    moving = _rate(stream.get("avg_frame_rate")) > 0 and (not frames.isdigit() or int(frames) > 1)
    return not moving


def _audio_stream(streams: list[dict[str, Any]]) -> AudioStreamInfo | None:
    for s in streams:
        if s.get("codec_type") == "audio":
            return AudioStreamInfo(
                codec=str(s.get("codec_name", "unknown")),
                sample_rate_hz=int(s.get("sample_rate") or 0),
                channels=int(s.get("channels") or 0),
            )
    return None


def _rotation(stream: dict[str, Any]) -> int:
    tags = stream.get("tags") or {}
    if "rotate" in tags:
        return int(float(tags["rotate"])) % 360
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return int(-float(side["rotation"])) % 360
    return 0


def _rate(value: Any) -> float:
    if not value or value == "0/0":
        return math.nan
    num, _, den = str(value).partition("/")
    try:
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return math.nan


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _short(text: str, limit: int = 160) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def require_video(info: MediaInfo) -> None:
    """Raise :class:`InputError` unless the source has a decodable picture."""
    if info.video is None or info.video.width <= 0 or info.video.height <= 0:
        raise InputError(f"{info.path}: has no video stream (audio-only input cannot be clipped)")


def require_audio(info: MediaInfo) -> None:
    """Raise :class:`InputError` unless the source has sound to transcribe."""
    if info.audio is None:
        raise InputError(f"{info.path}: has no audio track (clips are cut on speech)")


def require_complete(info: MediaInfo, cfg: MediaConfig) -> None:
    """Raise :class:`InputError` if nothing can be decoded near the end the header promises.

    Catches files cut short after a front-loaded header (``+faststart`` mp4), which probe
    fine but hold no data past the cut. Costs one decode of the last second.
    """
    args = [
        "-v",
        "error",
        "-sseof",
        "-1",
        *local_input(info.path),
        "-map",
        "0",
        "-f",
        "framecrc",
        "-",
    ]
    result = _run_or_refuse(cfg.ffmpeg_bin, args, cfg, f"{info.path}: damaged media file")
    frames = [ln for ln in result.stdout.splitlines() if ln and not ln.startswith(b"#")]
    if not frames:
        raise InputError(
            f"{info.path}: file is truncated: no decodable data near its end "
            f"(the header says {info.duration_s:.1f} s)"
        )
