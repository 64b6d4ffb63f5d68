"""Turn a user's source (a local path or an http(s) URL) into a local file to analyse.

URLs are downloaded with the yt-dlp Python API (best MP4 up to 1080p, video and audio merged
by ffmpeg) into the job's work directory, only when ``MediaConfig.allow_urls`` is set. Every
connection yt-dlp makes goes through :func:`ai_video.media.guard_proxy.guarded_proxy`, which
applies the URL policy (``media/url_policy.py``) to the page, each redirect and each media
request, and caps the bytes received. Live streams and videos over the duration cap are
refused before their media is fetched; a playlist gives its first entry (or is refused).

Users see :data:`~ai_video.media.url_policy.GENERIC_FETCH_ERROR` with a reference for any
network failure; what really happened is logged under that reference.
"""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path
from typing import Any

from ai_video.config import MediaConfig, UrlPolicyConfig
from ai_video.errors import InputError
from ai_video.media.guard_proxy import ProxyLedger, guarded_proxy
from ai_video.media.url_policy import GENERIC_FETCH_ERROR, UrlRefused, check_url, checked_target

log = logging.getLogger(__name__)

_PROTOCOLS = "[protocol~='^(https?|m3u8_native|http_dash_segments)$']"
"""Formats yt-dlp downloads itself (through the guard proxy); never handed to ffmpeg/rtmp."""
FORMAT_SELECTOR = "/".join(
    f"{choice}{_PROTOCOLS}"
    for choice in (
        "bv*[height<=?1080][ext=mp4]+ba[ext=m4a]",
        "b[height<=?1080][ext=mp4]",
        "bv*[height<=?1080]+ba",
        "b[height<=?1080]",
        "b",
    )
)
"""Best MP4 up to 1080p (unknown heights pass), else the best that exists."""
SOCKET_TIMEOUT_CAP_S = 60.0
_LIVE_STATES = ("is_live", "is_upcoming", "post_live")


class _Refusal(Exception):
    """The URL reached its media but the media is not accepted; the text is for the user."""


def resolve_source(
    source: str, work_dir: Path, media: MediaConfig, policy: UrlPolicyConfig | None = None
) -> Path:
    """A local file for ``source``: a local path as is, or an http(s) URL downloaded."""
    text = source.strip()
    if "://" in text:
        check_url(text)  # scheme, host, no credentials
        if not media.allow_urls:
            raise InputError("URL sources are disabled (media.allow_urls is false)")
        return download_url(text, work_dir, media, policy or UrlPolicyConfig())
    path = Path(text).expanduser()
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    return path


def download_url(url: str, work_dir: Path, media: MediaConfig, policy: UrlPolicyConfig) -> Path:
    """Download ``url`` with yt-dlp into ``work_dir`` under ``policy``, within the time limit.

    Raises :class:`InputError`: a specific message for media the policy refuses (live, too
    long, too large, a refused playlist), the generic one for everything network-level.
    """
    reference = secrets.token_hex(4)
    _, host, port = check_url(url)
    try:
        checked_target(host, port, policy)  # fail fast; the proxy checks every connection
        work_dir.mkdir(parents=True, exist_ok=True)
        return _fetch(url, work_dir, media, policy)
    except _Refusal as exc:
        log.warning("fetch %s refused [%s]: %s", url, reference, exc)
        raise InputError(str(exc)) from None
    except (UrlRefused, _FetchFailed) as exc:
        log.warning("fetch %s failed [%s]: %s", url, reference, exc)
        raise InputError(f"{GENERIC_FETCH_ERROR} (reference {reference})") from None


class _FetchFailed(Exception):
    """yt-dlp or the network failed; the text (for logs) says how."""


def _fetch(url: str, work_dir: Path, media: MediaConfig, policy: UrlPolicyConfig) -> Path:
    import yt_dlp
    from yt_dlp.utils import DownloadCancelled, YoutubeDLError

    deadline = time.monotonic() + media.fetch_timeout_s
    refusals: list[str] = []

    def watch_progress(progress: dict[str, Any]) -> None:
        if time.monotonic() > deadline:
            refusals.append(f"the download took longer than {media.fetch_timeout_s:.0f} s")
            raise DownloadCancelled(refusals[-1])
        size = progress.get("total_bytes") or progress.get("downloaded_bytes") or 0
        if size > policy.max_bytes:
            refusals.append(f"the video is larger than {policy.max_bytes} bytes")
            raise DownloadCancelled(refusals[-1])

    def accept(info: dict[str, Any], *, incomplete: bool) -> str | None:
        reason = _refusal(info, policy)
        if reason:
            refusals.append(reason)
        return reason

    timeout_s = min(max(media.fetch_timeout_s, 1.0), SOCKET_TIMEOUT_CAP_S)
    with guarded_proxy(policy, timeout_s) as (proxy, ledger):
        options = _options(work_dir, media, timeout_s, proxy, policy)
        options |= {"progress_hooks": [watch_progress], "match_filter": accept}
        log.info("downloading %s into %s", url, work_dir)
        try:
            with yt_dlp.YoutubeDL(options) as ydl:
                info = ydl.extract_info(url, download=False, process=False)
                if _is_playlist(info) and policy.playlists == "refuse":
                    raise _Refusal("playlists are not accepted (give one video's URL)")
                info = ydl.process_ie_result(info, download=True)
        except DownloadCancelled as exc:
            _raise_refusal(refusals, ledger)
            raise _FetchFailed(_reason(exc)) from None
        except (YoutubeDLError, OSError) as exc:
            _raise_refusal(refusals, ledger)
            raise _FetchFailed(f"{_reason(exc)}; proxy: {ledger.refusals}") from None
    _raise_refusal(refusals, ledger)
    return _downloaded_path(info, ledger)


def _options(
    work_dir: Path, media: MediaConfig, timeout_s: float, proxy: str, policy: UrlPolicyConfig
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "format": FORMAT_SELECTOR,
        "merge_output_format": "mp4",
        "outtmpl": "%(id).80B.%(ext)s",
        "paths": {"home": str(work_dir), "temp": str(work_dir)},
        "restrictfilenames": True,
        "noplaylist": True,
        "playlist_items": "1",
        "noprogress": True,
        "cachedir": False,
        "proxy": proxy,
        "hls_prefer_native": True,
        "socket_timeout": timeout_s,
        "logger": _YtDlpLog(),
    }
    if "/" in media.ffmpeg_bin:
        options["ffmpeg_location"] = media.ffmpeg_bin
    return options


def _refusal(info: dict[str, Any], policy: UrlPolicyConfig) -> str | None:
    """Why the video ``info`` describes is not accepted, or None."""
    if info.get("is_live") or info.get("live_status") in _LIVE_STATES:
        return "live streams are not accepted"
    duration = info.get("duration")
    if isinstance(duration, int | float) and duration > policy.max_duration_s:
        return f"the video is longer than {policy.max_duration_s:.0f} s"
    size = info.get("filesize") or info.get("filesize_approx")
    if isinstance(size, int | float) and size > policy.max_bytes:
        return f"the video is larger than {policy.max_bytes} bytes"
    return None


def _is_playlist(info: Any) -> bool:
    return isinstance(info, dict) and info.get("_type") in ("playlist", "multi_video")


def _raise_refusal(refusals: list[str], ledger: ProxyLedger) -> None:
    if ledger.over_cap:
        raise _Refusal(f"the video is larger than {ledger.max_bytes} bytes")
    if refusals:
        raise _Refusal(refusals[0])


def _downloaded_path(info: Any, ledger: ProxyLedger) -> Path:
    if _is_playlist(info):  # the first entry was downloaded (playlist_items "1")
        entries = [e for e in info.get("entries") or () if isinstance(e, dict)]
        info = next((e for e in entries if e.get("requested_downloads")), {})
    downloads = info.get("requested_downloads") if isinstance(info, dict) else None
    if not downloads:
        raise _FetchFailed(f"yt-dlp reported no downloaded file; proxy: {ledger.refusals}")
    path = Path(downloads[-1].get("filepath") or "")
    if not path.is_file() or path.stat().st_size == 0:
        raise _FetchFailed(f"the downloaded file {path} is missing or empty")
    log.info("downloaded -> %s (%d bytes)", path, path.stat().st_size)
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
