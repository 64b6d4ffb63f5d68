"""Turn a user's source (a local path or an http(s) URL) into a local file to analyse.

URLs are downloaded with the yt-dlp Python API (best MP4 up to 1080p, video and audio merged
by ffmpeg) into the job's work directory, only when ``MediaConfig.allow_urls`` is set.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ai_video.config import MediaConfig
from ai_video.errors import InputError

log = logging.getLogger(__name__)

URL_SCHEMES = ("http", "https")
FORMAT_SELECTOR = (
    "bv*[height<=?1080][ext=mp4]+ba[ext=m4a]/b[height<=?1080][ext=mp4]"
    "/bv*[height<=?1080]+ba/b[height<=?1080]/b"
)
"""Best MP4 up to 1080p (unknown heights pass), else the best that exists."""
SOCKET_TIMEOUT_CAP_S = 60.0


def resolve_source(source: str, work_dir: Path, media: MediaConfig) -> Path:
    """A local file for ``source``: a local path as is, or an http(s) URL downloaded."""
    text = source.strip()
    scheme = urlsplit(text).scheme.lower()
    if scheme in URL_SCHEMES:
        if not media.allow_urls:
            raise InputError(f"{text}: URL sources are disabled (media.allow_urls is false)")
        return download_url(text, work_dir, media)
    if "://" in text:
        raise InputError(f"{text}: unsupported URL scheme {scheme!r} (use http or https)")
    path = Path(text).expanduser()
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    return path


def download_url(url: str, work_dir: Path, media: MediaConfig) -> Path:
    """Download ``url`` with yt-dlp into ``work_dir`` within ``media.fetch_timeout_s``."""
    import yt_dlp
    from yt_dlp.utils import DownloadCancelled, YoutubeDLError

    work_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + media.fetch_timeout_s

    def stop_at_deadline(progress: dict[str, Any]) -> None:
        if time.monotonic() > deadline:
            raise DownloadCancelled(f"download took longer than {media.fetch_timeout_s:.0f} s")

    options: dict[str, Any] = {
        "format": FORMAT_SELECTOR,
        "merge_output_format": "mp4",
        "outtmpl": "%(id).80B.%(ext)s",
        "paths": {"home": str(work_dir), "temp": str(work_dir)},
        "restrictfilenames": True,
        "noplaylist": True,
        "noprogress": True,
        "cachedir": False,
        "socket_timeout": min(max(media.fetch_timeout_s, 1.0), SOCKET_TIMEOUT_CAP_S),
        "progress_hooks": [stop_at_deadline],
        "logger": _YtDlpLog(),
    }
    if "/" in media.ffmpeg_bin:
        options["ffmpeg_location"] = media.ffmpeg_bin
    log.info("downloading %s into %s", url, work_dir)
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(url, download=True)
    except (YoutubeDLError, OSError) as exc:
        raise InputError(f"{url}: download failed ({_reason(exc)})") from None
    return _downloaded_path(url, info)


def _downloaded_path(url: str, info: Any) -> Path:
    downloads = info.get("requested_downloads") if isinstance(info, dict) else None
    if not downloads:
        raise InputError(f"{url}: yt-dlp reported no downloaded file")
    path = Path(downloads[-1].get("filepath") or "")
    if not path.is_file() or path.stat().st_size == 0:
        raise InputError(f"{url}: the downloaded file {path} is missing or empty")
    log.info("downloaded %s -> %s (%d bytes)", url, path, path.stat().st_size)
    return path


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return text.removeprefix("ERROR: ").strip()


class _YtDlpLog:
    """Routes yt-dlp's messages to this module's logger (its errors come back as exceptions)."""

    def debug(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def info(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def warning(self, message: str) -> None:
        log.warning("yt-dlp: %s", message)

    def error(self, message: str) -> None:
        log.debug("yt-dlp error: %s", message)
