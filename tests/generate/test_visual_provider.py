"""Visual search API: parallel under a concurrency cap and a rate limit, checked downloads."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from ai_video.config import Settings
from ai_video.generate.visual_provider import HttpVisualProvider, RateLimiter, fetch_visuals

IMAGES = {"apple": "opencv_apple.jpg", "squirrel": "opencv_squirrel_cls.jpg"}


class Catalog:
    """What the fake API serves, and when requests arrived."""

    def __init__(self, image_dir: Path) -> None:
        self.image_dir = image_dir
        self.starts: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()


def _handler(catalog: Catalog, base: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with catalog.lock:
                catalog.starts.append(time.monotonic())
                catalog.in_flight += 1
                catalog.max_in_flight = max(catalog.max_in_flight, catalog.in_flight)
            time.sleep(0.15)
            url = urlparse(self.path)
            if url.path == "/search":
                query = parse_qs(url.query)["query"][0]
                results = [
                    {"url": f"{base[0]}/files/{name}", "kind": "image", "label": f"a {key}"}
                    for key, name in IMAGES.items()
                    if key in query
                ]
                if "broken" in query:
                    results = [{"url": f"{base[0]}/files/broken.jpg", "kind": "image"}]
                body, kind = json.dumps({"results": results}).encode(), "application/json"
            elif url.path == "/files/broken.jpg":
                body, kind = b"\xff\xd8 not an image", "image/jpeg"
            else:
                body, kind = (catalog.image_dir / Path(url.path).name).read_bytes(), "image/jpeg"
            with catalog.lock:
                catalog.in_flight -= 1
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@pytest.fixture()
def catalog(media: Path) -> Iterator[tuple[Catalog, str]]:
    """A local search API on 127.0.0.1 serving two broll images and one broken file."""
    data = Catalog(media / "broll" / "images")
    base: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(data, base))
    base.append(f"http://127.0.0.1:{server.server_address[1]}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield data, base[0]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.media
def test_queries_run_in_parallel_within_limits_and_bad_files_are_skipped(
    catalog: tuple[Catalog, str], small_settings: Settings, tmp_path: Path
) -> None:
    served, base = catalog
    cfg = small_settings.generate.model_copy(
        update={
            "provider_url": f"{base}/search",
            "provider_concurrency": 2,
            "provider_rate_per_s": 20.0,
        }
    )
    provider = HttpVisualProvider(cfg)
    queries = ["an apple", "a squirrel", "something broken", "nothing at all"]
    results = fetch_visuals(queries, provider, tmp_path, small_settings.media, concurrency=2)
    provider.close()
    assert [r.query for r in results] == queries
    assert results[0].item is not None and results[0].item.label == "a apple"
    assert results[1].item is not None and results[1].item.path.suffix == ".jpg"
    assert results[2].item is None and "unreadable image" in (results[2].error or "")
    assert results[3].item is None and results[3].error == "no results"
    assert served.max_in_flight == 2
    gaps = [b - a for a, b in zip(served.starts, served.starts[1:], strict=False)]
    assert min(gaps) >= 0.045, "requests start at most 20 per second"

    again = HttpVisualProvider(cfg)
    before = len(served.starts)
    cached = fetch_visuals(queries[:1], again, tmp_path, small_settings.media, concurrency=1)
    again.close()
    assert cached[0].item == results[0].item
    assert len(served.starts) == before + 1, "a known URL is not downloaded again"


def test_rate_limiter_spaces_starts() -> None:
    limiter = RateLimiter(50.0)
    started = time.monotonic()
    for _ in range(6):
        limiter.wait()
    assert time.monotonic() - started >= 5 / 50 - 0.005


@pytest.mark.media
def test_result_downloads_follow_the_url_policy(
    catalog: tuple[Catalog, str], small_settings: Settings, tmp_path: Path
) -> None:
    _, base = catalog
    cfg = small_settings.generate.model_copy(update={"provider_url": f"{base}/search"})
    guarded = HttpVisualProvider(cfg, download_policy=small_settings.url_policy)
    refused = fetch_visuals(["an apple"], guarded, tmp_path, small_settings.media, 1)
    guarded.close()
    assert refused[0].item is None and "refused" in (refused[0].error or "").lower()
    allowed = small_settings.url_policy.model_copy(update={"allow_private": True})
    trusted = HttpVisualProvider(cfg, download_policy=allowed)
    fetched = fetch_visuals(["an apple"], trusted, tmp_path / "b", small_settings.media, 1)
    trusted.close()
    assert fetched[0].item is not None
