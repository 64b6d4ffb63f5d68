"""Online b-roll search against a real HTTP server on 127.0.0.1 (search JSON, thumbnails,
media): candidates are scored before any download, only the best few are downloaded, through
the URL policy (the loopback allowance is set here), cached by URL, paced per site."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from PIL import Image

from ai_video.analyze.broll_online import OnlineBrollSearch, url_key
from ai_video.analyze.embed import TextEmbedder
from ai_video.config import Settings
from ai_video.media.online_search import OnlineSearchError, candidate_from_entry
from ai_video.media.rate_limit import SiteRateLimiter
from tests.analyze.broll_library import tiny_random_clip
from tests.conftest import make_lavfi_clip

# (title, thumbnail colour, media file or None for a 404, duration in the listing)
RESULTS = [
    ("Knitting tutorial for beginners", (200, 200, 200), "knit.mp4", 1.0),
    ("Red apple on a wooden table, close-up", (220, 20, 20), "apple.mp4", 1.0),
    ("Timelapse of city traffic at night", (20, 20, 60), "traffic.mp4", 1.0),
    (
        "Apple orchard harvest, picking ripe apples (full documentary)",
        (40, 160, 40),
        "long.mp4",
        5400.0,
    ),
    ("Ripe red apples falling", (200, 30, 30), None, 1.0),
    ("Ocean waves crashing on rocks", (30, 90, 200), "waves.mp4", 1.0),
]


class _Site(BaseHTTPRequestHandler):
    """/search -> JSON; /thumb/N.png -> a solid PNG; /media/NAME -> a file (404 if absent)."""

    folder: Path
    log: list[tuple[float, str]]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        """Record the request and answer it."""
        url = urlparse(self.path)
        self.log.append((time.monotonic(), url.path))
        if url.path == "/search":
            count = int(parse_qs(url.query)["n"][0])
            base = f"http://127.0.0.1:{self.server.server_port}"
            results = [
                {"url": f"{base}/media/{media or 'gone.mp4'}", "title": title,
                 "thumbnail": f"{base}/thumb/{i}.png", "duration": duration}
                for i, (title, _, media, duration) in enumerate(RESULTS)
            ][:count]  # fmt: skip
            self._send(200, "application/json", json.dumps({"results": results}).encode())
            return
        path = self.folder / url.path.lstrip("/")
        if url.path.startswith(("/thumb/", "/media/")) and path.is_file():
            kind = "image/png" if path.suffix == ".png" else "video/mp4"
            self._send(200, kind, path.read_bytes())
            return
        self._send(404, "text/plain", b"not found")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[tuple[float, str]]]]:
    folder = tmp_path_factory.mktemp("site")
    (folder / "thumb").mkdir()
    (folder / "media").mkdir()
    for i, (_, colour, media, _) in enumerate(RESULTS):
        Image.fromarray(np.full((90, 160, 3), colour, np.uint8)).save(folder / f"thumb/{i}.png")
        if media:
            make_lavfi_clip(folder / "media" / media, duration_s=1.0, size="160x90", audio=False)
    log: list[tuple[float, str]] = []
    handler = type("Site", (_Site,), {"folder": folder, "log": log})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", log
    httpd.shutdown()
    httpd.server_close()


def _settings(base: str, cache: Path, allow_loopback: bool = True) -> Settings:
    return Settings().with_overrides(
        {
            "url_policy.allow_private": allow_loopback,
            "broll.online_search": f"{base}/search",
            "broll.online_results": 6,
            "broll.online_downloads": 2,
            "broll.online_cache_dir": str(cache),
            "broll.online_rate_per_s": 20.0,
        }
    )


@pytest.mark.slow
def test_scores_before_downloading_and_downloads_only_the_best(
    site: tuple[str, list[tuple[float, str]]], tmp_path: Path, broll_embedder: TextEmbedder
) -> None:
    base, log = site
    log.clear()
    searcher = OnlineBrollSearch(_settings(base, tmp_path / "cache"), text_embedder=broll_embedder)
    scored = searcher.candidates("a ripe red apple")
    assert [p for _, p in log] == ["/search"]  # scoring fetched nothing else (no CLIP: no thumbs)
    titles = [s.candidate.title for s in scored]
    assert all("apple" in t.lower() for t in titles[:3]), titles  # the three apple titles lead
    assert {s.matched_by for s in scored} == {"text"}

    log.clear()
    matches = searcher.search("a ripe red apple", top_k=5)
    media_requests = {p for _, p in log if p.startswith("/media/")}
    # best two within the duration cap: the close-up and the 404; the 1.5 h one is never fetched
    assert media_requests == {"/media/apple.mp4", "/media/gone.mp4"}
    assert [m.rel_path for m in matches] == [f"{url_key(base + '/media/apple.mp4')}.mp4"]
    match = matches[0]
    assert match.path.parent == tmp_path / "cache" / "media" and match.path.is_file()
    assert (match.kind, match.width, match.height, match.matched_by) == ("video", 160, 90, "text")
    assert match.duration_s == pytest.approx(1.0, abs=0.1)
    assert searcher.downloads == 1

    log.clear()
    again = OnlineBrollSearch(_settings(base, tmp_path / "cache"), text_embedder=broll_embedder)
    assert [m.path for m in again.search("a ripe red apple", top_k=5)] == [match.path]
    assert again.downloads == 0
    assert not any(p == "/media/apple.mp4" for _, p in log)  # served from the cache


@pytest.mark.slow
def test_thumbnails_are_scored_with_clip_before_any_download(
    site: tuple[str, list[tuple[float, str]]], tmp_path: Path, broll_embedder: TextEmbedder
) -> None:
    clip = tiny_random_clip(tmp_path)
    base, log = site
    log.clear()
    settings = _settings(base, tmp_path / "cache").with_overrides({"broll.clip_offset": -10.0})
    searcher = OnlineBrollSearch(settings, text_embedder=broll_embedder, clip_model=clip)
    matches = searcher.search("a ripe red apple", top_k=1)
    paths = [p for _, p in log]
    thumbs = [i for i, p in enumerate(paths) if p.startswith("/thumb/")]
    media = [i for i, p in enumerate(paths) if p.startswith("/media/")]
    assert len(thumbs) == len(RESULTS) and media and max(thumbs) < min(media)
    assert len({p for p in paths if p.startswith("/media/")}) == 1  # top_k=1: one download
    assert all(m.matched_by == "clip" for m in matches)


def test_loopback_needs_the_allowance(
    site: tuple[str, list[tuple[float, str]]], tmp_path: Path, broll_embedder: TextEmbedder
) -> None:
    base, _ = site
    settings = _settings(base, tmp_path / "cache", allow_loopback=False)
    searcher = OnlineBrollSearch(settings, text_embedder=broll_embedder)
    with pytest.raises(OnlineSearchError, match="online search failed"):
        searcher.search("a ripe red apple", 2)


def test_ytdlp_flat_entries_become_candidates() -> None:
    """The shape of yt-dlp's flat ``ytsearch`` entries (no network here to ask it for real)."""
    entry = {
        "_type": "url", "ie_key": "Youtube", "id": "abc", "title": "Apples",
        "url": "https://www.youtube.com/watch?v=abc", "duration": 61.0,
        "thumbnails": [{"url": "https://i.ytimg.com/vi/abc/small.jpg"},
                       {"url": "https://i.ytimg.com/vi/abc/big.jpg"}],
    }  # fmt: skip
    candidate = candidate_from_entry(entry)
    assert candidate is not None
    assert (candidate.title, candidate.duration_s, candidate.site) == (
        "Apples",
        61.0,
        "www.youtube.com",
    )
    assert candidate.thumbnail_url == "https://i.ytimg.com/vi/abc/big.jpg"
    assert candidate_from_entry({"title": "no url"}) is None


def test_site_rate_limit_paces_one_host_not_others() -> None:
    limiter = SiteRateLimiter(10.0)
    start = time.monotonic()
    for _ in range(4):
        limiter.wait("http://a.example/x")
    same_host_s = time.monotonic() - start
    start = time.monotonic()
    for host in ("b", "c", "d", "e"):
        limiter.wait(f"http://{host}.example/x")
    other_hosts_s = time.monotonic() - start
    assert same_host_s >= 0.29 and other_hosts_s < 0.1
