"""Visuals from a search API: one query per scene, in parallel, under a concurrency and rate limit.

:class:`VisualProvider` is the small interface (``search`` then ``download``); the bundled
implementation, :class:`HttpVisualProvider`, speaks a plain JSON search API::

    GET {provider_url}?query=QUERY&per_page=N   ->   {"results": [{"url": ..., "kind":
    "image"|"video", "label": ...}, ...]}

which is what a thin adapter in front of Pexels, Pixabay or an internal asset store returns.
Downloads are content-addressed (xxh3 of the URL) so a rerun fetches nothing, checked like any
local visual, and a scene whose search or download fails keeps the library or the title card
(the failure is logged and reported, the short is still made).
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import xxhash

from ai_video.analyze.broll_files import media_kind
from ai_video.config import GenerateConfig, MediaConfig, UrlPolicyConfig
from ai_video.errors import AiVideoError
from ai_video.generate.visuals import VisualItem
from ai_video.media.http import DownloadTooLarge, HttpClient, HttpError
from ai_video.media.images import check_visual
from ai_video.media.rate_limit import RateLimiter

log = logging.getLogger(__name__)

_MIB = 1024 * 1024


class VisualProviderError(AiVideoError):
    """The visual search API failed or returned something unusable."""


@dataclass(frozen=True, slots=True)
class ProviderHit:
    """One search result: where to fetch it and what it shows."""

    url: str
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class ProviderResult:
    """What one scene's query produced: a checked local file, or the reason there is none."""

    query: str
    item: VisualItem | None
    error: str | None = None


class VisualProvider(Protocol):
    """A source of images and videos found by a text query."""

    name: str

    def search(self, query: str) -> list[ProviderHit]:
        """Results for ``query``, best first."""
        ...

    def download(self, hit: ProviderHit, dest_dir: Path) -> Path:
        """Fetch ``hit`` into ``dest_dir`` and return the local file."""
        ...


class HttpVisualProvider:
    """The JSON search API at ``generate.provider_url``, rate limited, with bearer auth."""

    def __init__(
        self,
        cfg: GenerateConfig,
        http: HttpClient | None = None,
        download_policy: UrlPolicyConfig | None = None,
    ) -> None:
        """Prepare the HTTP client (or use ``http``; it is closed here); needs ``provider_url``.

        With ``download_policy`` every result download (and its redirects) must reach an
        address the URL policy allows (media.url_policy).
        """
        if not cfg.provider_url:
            raise VisualProviderError("generate.provider_url is not set")
        self._url = cfg.provider_url
        self.name = f"provider:{urlparse(cfg.provider_url).netloc}"
        self._http = http or HttpClient(
            cfg.provider_timeout_s,
            cfg.provider_api_key,
            follow_redirects=True,
            download_policy=download_policy,
        )
        self._limiter = RateLimiter(cfg.provider_rate_per_s)
        self._results_per_query = cfg.provider_results_per_query
        self._max_bytes = round(cfg.provider_max_download_mb * _MIB)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def search(self, query: str) -> list[ProviderHit]:
        """Results for ``query``; raise :class:`VisualProviderError` on any failure."""
        self._limiter.wait()
        params = {"query": query, "per_page": str(self._results_per_query)}
        try:
            results = self._http.get_json(self._url, params)["results"]
            return [
                ProviderHit(str(r["url"]), str(r.get("kind") or ""), str(r.get("label") or query))
                for r in results
            ]
        except HttpError as exc:
            raise VisualProviderError(f"search {query!r} failed: {exc}") from None
        except (KeyError, TypeError) as exc:
            raise VisualProviderError(
                f"search {query!r} failed: {type(exc).__name__}: {exc}"
            ) from None

    def download(self, hit: ProviderHit, dest_dir: Path) -> Path:
        """Fetch ``hit`` (once: files are named by the URL's hash) into ``dest_dir``."""
        stem = xxhash.xxh3_64_hexdigest(hit.url)
        existing = [p for p in dest_dir.glob(f"{stem}.*") if media_kind(p) is not None]
        if existing:
            return existing[0]
        self._limiter.wait()

        def final_path(content_type: str) -> Path:
            return dest_dir / f"{stem}{_suffix(hit.url, content_type)}"

        try:
            return self._http.download(hit.url, final_path, self._max_bytes)
        except DownloadTooLarge as exc:
            raise VisualProviderError(str(exc)) from None
        except HttpError as exc:
            raise VisualProviderError(f"download {hit.url} failed: {exc}") from None


def fetch_visuals(
    queries: Sequence[str],
    provider: VisualProvider,
    dest_dir: Path,
    media: MediaConfig,
    concurrency: int,
) -> list[ProviderResult]:
    """One visual per query, searched and downloaded ``concurrency`` at a time, in order."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="visual") as pool:
        futures = [pool.submit(_fetch_one, q, provider, dest_dir, media) for q in queries]
        return [future.result() for future in futures]


def _fetch_one(
    query: str, provider: VisualProvider, dest_dir: Path, media: MediaConfig
) -> ProviderResult:
    """The first result of ``query`` that downloads and decodes."""
    try:
        hits = provider.search(query)
    except VisualProviderError as exc:
        log.warning("visual search failed, scene keeps the library or a card: %s", exc)
        return ProviderResult(query, None, str(exc))
    problems: list[str] = []
    for hit in hits:
        try:
            path = provider.download(hit, dest_dir)
            kind = media_kind(path) or hit.kind
            check_visual(path, kind, media)
        except AiVideoError as exc:
            problems.append(str(exc))
            continue
        return ProviderResult(query, VisualItem(path=path, kind=kind, label=hit.label))
    reason = "; ".join(problems) or "no results"
    log.warning("no usable visual for %r from %s: %s", query, provider.name, reason)
    return ProviderResult(query, None, reason)


def _suffix(url: str, content_type: str) -> str:
    """The file extension from the URL path, else from the content type; only media kinds."""
    from_path = Path(urlparse(url).path).suffix.lower()
    if media_kind(Path(f"x{from_path}")) is not None:
        return from_path
    guessed = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
    if media_kind(Path(f"x{guessed}")) is not None:
        return guessed
    raise VisualProviderError(f"{url}: not an image or video ({content_type or 'no content type'})")
