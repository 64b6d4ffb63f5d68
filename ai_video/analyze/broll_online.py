"""B-roll found online: search, score candidates BEFORE downloading, fetch only the best few.

:class:`OnlineBrollSearch` implements ``types.BrollSearcher`` (``--broll-search online``; off
by default). For a query it asks the configured provider (``broll.online_search``: yt-dlp's
``ytsearchN:`` or a JSON endpoint, see ``media.online_search``) for candidates, scores each
by its title (sentence embeddings, like library labels) and, with a CLIP model, by its
thumbnail (mapped onto the text scale as in the library search), drops those over the
duration cap or under ``broll.online_min_score``, and downloads only the
``broll.online_downloads`` best, in parallel (``online_concurrency``), paced per site
(``online_rate_per_s``), through the URL policy and its byte/duration caps (yt-dlp behind the
policy proxy), each file then probed under the input policy. Downloads and thumbnails are
cached by URL (xxh3-128), so asking again fetches nothing.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import xxhash

from ai_video.analyze.broll_models import load_clip_model, load_label_embedder
from ai_video.analyze.embed import SentenceEmbedder
from ai_video.analyze.image_text import ImageTextModel
from ai_video.config import Settings
from ai_video.errors import AiVideoError
from ai_video.media.fetch import download_url
from ai_video.media.http import HttpClient
from ai_video.media.images import image_rgb
from ai_video.media.input_policy import probe_untrusted
from ai_video.media.online_search import (
    OnlineCandidate,
    fetch_thumbnail,
    policy_client,
    search_online,
)
from ai_video.media.probe import require_video
from ai_video.media.rate_limit import SiteRateLimiter
from ai_video.types import BrollMatch

log = logging.getLogger(__name__)

_MIB = 1024 * 1024
_THUMBNAIL_MAX_BYTES = 5 * _MIB


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    """A search result with the scores it got before anything was downloaded."""

    candidate: OnlineCandidate
    text_score: float
    clip_score: float | None
    """Thumbnail score mapped onto the text scale; None without CLIP or thumbnail."""

    @property
    def score(self) -> float:
        """The better of the two scores."""
        return max(self.text_score, self.clip_score if self.clip_score is not None else -1.0)

    @property
    def matched_by(self) -> Literal["clip", "text"]:
        """Which score decided."""
        return (
            "clip" if self.clip_score is not None and self.clip_score > self.text_score else "text"
        )


def default_online_cache() -> Path:
    """``$XDG_CACHE_HOME/ai_video/broll_online`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ai_video" / "broll_online"


def url_key(url: str) -> str:
    """The cache key of a URL: its xxh3-128 hex digest."""
    return xxhash.xxh3_128_hexdigest(url.encode("utf-8"))


class OnlineBrollSearch:
    """Searches online footage for a query; downloads (and caches) only the best few."""

    def __init__(
        self,
        settings: Settings,
        text_embedder: SentenceEmbedder | None = None,
        clip_model: ImageTextModel | None = None,
        http: HttpClient | None = None,
    ) -> None:
        """Load the models from ``settings.broll`` unless given; ``http`` is closed by close()."""
        self._settings = settings
        self._cfg = settings.broll
        self._embedder = text_embedder or load_label_embedder(self._cfg)
        self._clip = clip_model if clip_model is not None else load_clip_model(self._cfg)
        self._http = http or policy_client(settings.url_policy, self._cfg.online_timeout_s)
        self._limits = SiteRateLimiter(self._cfg.online_rate_per_s)
        self.cache_dir = self._cfg.online_cache_dir or default_online_cache()
        self.downloads = 0
        """Media files downloaded by this searcher (cache hits not counted)."""
        self._count_lock = threading.Lock()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def candidates(self, query: str) -> list[ScoredCandidate]:
        """The provider's candidates for ``query``, scored, best first (nothing downloaded)."""
        cfg = self._cfg
        provider = cfg.online_search
        self._limits.wait(provider if "://" in provider else "https://www.youtube.com")
        found = search_online(
            provider, query, cfg.online_results, self._http,
            self._settings.url_policy, cfg.online_timeout_s,
        )  # fmt: skip
        if not found:
            return []
        query_vector = self._embedder.embed_query([query])[0]
        titles = self._embedder.embed([c.title or c.url for c in found])
        text = titles.astype(np.float64) @ query_vector.astype(np.float64)
        clip = self._thumbnail_scores(query, found)
        scored = [
            ScoredCandidate(c, float(t), s) for c, t, s in zip(found, text, clip, strict=True)
        ]
        return sorted(scored, key=lambda s: -s.score)

    def search(self, query: str, top_k: int) -> list[BrollMatch]:
        """Download (or take from the cache) the best candidates for ``query``, best first."""
        cfg = self._cfg
        max_duration_s = min(cfg.online_max_duration_s, self._settings.url_policy.max_duration_s)
        chosen = [
            s
            for s in self.candidates(query)
            if s.score >= cfg.online_min_score
            and (s.candidate.duration_s is None or s.candidate.duration_s <= max_duration_s)
        ][: max(0, min(top_k, cfg.online_downloads))]
        if not chosen:
            return []
        with ThreadPoolExecutor(max_workers=cfg.online_concurrency) as pool:
            results = list(pool.map(self._fetch, chosen))
        return [r for r in results if r is not None]

    def _thumbnail_scores(self, query: str, found: list[OnlineCandidate]) -> list[float | None]:
        """CLIP score of each candidate's thumbnail (None where there is no CLIP or picture)."""
        if self._clip is None:
            return [None] * len(found)
        with ThreadPoolExecutor(max_workers=self._cfg.online_concurrency) as pool:
            pictures = list(pool.map(self._thumbnail, found))
        have = [i for i, p in enumerate(pictures) if p is not None]
        kept = [p for p in pictures if p is not None]
        scores: list[float | None] = [None] * len(found)
        if not kept:
            return scores
        vectors = self._clip.embed_pictures(kept)
        cosine = vectors @ self._clip.embed_texts([query])[0]
        for i, value in zip(have, cosine, strict=True):
            scores[i] = (float(value) - self._cfg.clip_offset) * self._cfg.clip_scale
        return scores

    def _thumbnail(self, candidate: OnlineCandidate) -> np.ndarray | None:
        """The candidate's thumbnail pixels (downloaded once, cached), or None."""
        if not candidate.thumbnail_url:
            return None
        dest = self.cache_dir / "thumbs" / url_key(candidate.thumbnail_url)
        try:
            cached = sorted(dest.parent.glob(dest.name + ".*"))
            if not cached:
                self._limits.wait(candidate.thumbnail_url)
                cached = [
                    fetch_thumbnail(self._http, candidate.thumbnail_url, dest, _THUMBNAIL_MAX_BYTES)
                ]
            return image_rgb(cached[0])
        except AiVideoError as exc:
            log.warning("b-roll online: thumbnail of %s unusable (%s)", candidate.url, exc)
            return None

    def _fetch(self, scored: ScoredCandidate) -> BrollMatch | None:
        """Download one candidate into the cache (or find it there) and describe it."""
        url = scored.candidate.url
        key = url_key(url)
        media_dir = self.cache_dir / "media"
        try:
            cached = sorted(media_dir.glob(key + ".*"))
            path = cached[0] if cached else self._download(url, media_dir / key)
            info = probe_untrusted(path, self._settings.media, self._settings.input_policy)
            require_video(info)
        except AiVideoError as exc:
            log.warning("b-roll online: %s not used (%s)", url, exc)
            return None
        assert info.video is not None
        width, height = info.video.display_size
        return BrollMatch(
            path=path, rel_path=path.name, score=round(scored.score, 4),
            matched_by=scored.matched_by, kind="video", duration_s=info.duration_s,
            width=int(width), height=int(height),
        )  # fmt: skip

    def _download(self, url: str, stem: Path) -> Path:
        """Fetch ``url`` with yt-dlp under the URL policy and the b-roll caps; move it to
        ``stem`` + its extension."""
        cfg, policy = self._cfg, self._settings.url_policy
        capped = policy.model_copy(
            update={
                "max_bytes": min(policy.max_bytes, round(cfg.online_max_download_mb * _MIB)),
                "max_duration_s": min(policy.max_duration_s, cfg.online_max_duration_s),
                "playlists": "refuse",
            }
        )
        stem.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".dl-", dir=stem.parent))
        try:
            self._limits.wait(url)
            downloaded = download_url(url, work, self._settings.media, capped)
            final = stem.with_suffix(downloaded.suffix or ".mp4")
            os.replace(downloaded, final)
            with self._count_lock:
                self.downloads += 1
            return final
        finally:
            shutil.rmtree(work, ignore_errors=True)
