"""Finding footage online without downloading it: search results with titles and thumbnails.

Two providers: yt-dlp's ``ytsearchN:QUERY`` with flat extraction (one results page, no video
page and no media fetched), every connection through the URL-policy proxy; or a JSON search
endpoint (``GET URL?q=QUERY&n=N`` -> ``{"results": [{"url", "title", "thumbnail",
"duration"}]}``), asked through the policy-checked HTTP client. Thumbnails are fetched by
:func:`fetch_thumbnail` (size-capped, policy-checked) so candidates can be scored before any
media is downloaded.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ai_video.config import UrlPolicyConfig
from ai_video.errors import AiVideoError
from ai_video.media.fetch import _YtDlpLog
from ai_video.media.guard_proxy import guarded_proxy
from ai_video.media.guard_transport import GuardedTransport
from ai_video.media.http import HttpClient, HttpError

log = logging.getLogger(__name__)

YTSEARCH = "ytsearch"
_IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


class OnlineSearchError(AiVideoError):
    """The online search failed or answered something unusable."""


@dataclass(frozen=True, slots=True)
class OnlineCandidate:
    """One search result, before anything of it is downloaded."""

    url: str
    """Page or media URL to download the footage from."""
    title: str
    thumbnail_url: str | None
    duration_s: float | None

    @property
    def site(self) -> str:
        """Host of the footage URL (rate limits are per site)."""
        return (urlparse(self.url).hostname or "").lower()


def policy_client(policy: UrlPolicyConfig, timeout_s: float) -> HttpClient:
    """An HTTP client whose every request (search, thumbnails) passes the URL policy."""
    return HttpClient(timeout_s, transport=GuardedTransport(policy), follow_redirects=True)


def search_online(
    provider: str,
    query: str,
    count: int,
    http: HttpClient,
    policy: UrlPolicyConfig,
    timeout_s: float,
) -> list[OnlineCandidate]:
    """Up to ``count`` candidates for ``query`` from ``provider`` (``ytsearch`` or a URL)."""
    if provider == YTSEARCH:
        return ytdlp_search(query, count, policy, timeout_s)
    if not provider.startswith(("http://", "https://")):
        raise OnlineSearchError(f"unknown online search provider {provider!r}")
    try:
        answer = http.get_json(provider, {"q": query, "n": str(count)})
    except HttpError as exc:
        raise OnlineSearchError(f"online search failed ({exc})") from None
    results = answer.get("results") if isinstance(answer, Mapping) else None
    if not isinstance(results, list):
        raise OnlineSearchError("online search answer has no 'results' list")
    found = [candidate_from_entry(r) for r in results if isinstance(r, Mapping)]
    return [c for c in found if c is not None][:count]


def ytdlp_search(
    query: str, count: int, policy: UrlPolicyConfig, http_timeout_s: float
) -> list[OnlineCandidate]:
    """``ytsearchN:query`` with flat extraction: titles, URLs, thumbnails; nothing downloaded."""
    import yt_dlp
    from yt_dlp.utils import YoutubeDLError

    with guarded_proxy(policy, http_timeout_s) as (proxy, ledger):
        options: dict[str, Any] = {
            "extract_flat": True,
            "skip_download": True,
            "quiet": True,
            "noprogress": True,
            "cachedir": False,
            "proxy": proxy,
            "socket_timeout": http_timeout_s,
            "logger": _YtDlpLog(),
        }
        try:
            with yt_dlp.YoutubeDL(options) as ydl:
                info = ydl.extract_info(f"{YTSEARCH}{count}:{query}", download=False)
        except (YoutubeDLError, OSError) as exc:
            raise OnlineSearchError(f"yt-dlp search failed ({exc}; {ledger.refusals})") from None
    entries = info.get("entries") if isinstance(info, dict) else None
    found = [candidate_from_entry(e) for e in entries or () if isinstance(e, Mapping)]
    return [c for c in found if c is not None][:count]


def candidate_from_entry(entry: Mapping[str, Any]) -> OnlineCandidate | None:
    """A candidate from one result (a yt-dlp flat entry or a JSON result); None without URL."""
    url = entry.get("url") or entry.get("webpage_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    thumbnail = entry.get("thumbnail")
    thumbnails = entry.get("thumbnails")
    if not isinstance(thumbnail, str) and isinstance(thumbnails, list) and thumbnails:
        last = thumbnails[-1]  # yt-dlp lists thumbnails smallest first
        thumbnail = last.get("url") if isinstance(last, Mapping) else None
    duration = entry.get("duration")
    return OnlineCandidate(
        url=url,
        title=str(entry.get("title") or ""),
        thumbnail_url=thumbnail if isinstance(thumbnail, str) else None,
        duration_s=float(duration) if isinstance(duration, int | float) else None,
    )


def fetch_thumbnail(http: HttpClient, url: str, dest: Path, max_bytes: int) -> Path:
    """Download an image (JPEG, PNG or WebP only) to ``dest`` + its extension; size-capped."""

    def final_path(content_type: str) -> Path:
        suffix = _IMAGE_TYPES.get(content_type.split(";")[0].strip().lower())
        if suffix is None:
            raise HttpError(f"{url}: not an image ({content_type or 'no content type'})")
        return dest.with_suffix(suffix)

    return http.download(url, final_path, max_bytes)
