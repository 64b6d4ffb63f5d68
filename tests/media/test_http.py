"""HTTP against a local server: retries with Retry-After, refusals, JSON errors, download cap."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from ai_video.media.http import (
    DownloadTooLarge,
    HttpClient,
    HttpError,
    HttpRefused,
    HttpUnavailable,
    RetryPolicy,
)

RETRY = RetryPolicy(max_attempts=3, backoff_s=0.05, max_backoff_s=0.3)


class _Handler(BaseHTTPRequestHandler):
    statuses: ClassVar[list[int]] = []
    authorizations: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        status = self.statuses.pop(0) if self.statuses else 200
        retry_after = {"Retry-After": "0.2"} if status == 429 else {}
        self._send(status, b'{"ok": true}' if status == 200 else b"busy", retry_after)

    def do_GET(self) -> None:
        self.authorizations.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/json"):
            self._send(200, b'{"results": []}')
        elif self.path.startswith("/broken"):
            self._send(200, b"<html>")
        else:
            self._send(200, b"x" * 5000, {"Content-Type": "image/jpeg"})


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_post_retries_busy_answers_and_honours_retry_after(server: str) -> None:
    _Handler.statuses = [503, 429]
    client = HttpClient(timeout_s=5.0)
    started = time.perf_counter()
    assert client.post_json(f"{server}/x", {"a": 1}, RETRY) == b'{"ok": true}'
    assert client.requests == 3
    assert time.perf_counter() - started >= 0.05 + 0.2  # backoff, then Retry-After
    client.close()


def test_refusal_and_exhaustion_say_what_the_server_did(server: str) -> None:
    client = HttpClient(timeout_s=5.0)
    _Handler.statuses = [404]
    with pytest.raises(HttpRefused, match="HTTP 404: busy"):
        client.post_json(f"{server}/x", {}, RETRY)
    _Handler.statuses = [500, 500, 500]
    with pytest.raises(HttpUnavailable, match="HTTP 500: busy"):
        client.post_json(f"{server}/x", {}, RETRY)
    assert client.requests == 4
    with pytest.raises(HttpError, match=r"^JSONDecodeError: "):
        client.get_json(f"{server}/broken", {})
    assert client.get_json(f"{server}/json", {"q": "a b"}) == {"results": []}
    client.close()


def test_download_is_atomic_and_capped(server: str, tmp_path: Path) -> None:
    client = HttpClient(timeout_s=5.0)
    seen: list[str] = []

    def target(content_type: str) -> Path:
        seen.append(content_type)
        return tmp_path / "pic.jpg"

    assert client.download(f"{server}/file", target, max_bytes=10_000) == tmp_path / "pic.jpg"
    assert (tmp_path / "pic.jpg").stat().st_size == 5000 and seen == ["image/jpeg"]
    (tmp_path / "pic.jpg").unlink()
    with pytest.raises(DownloadTooLarge, match="larger than 1000 bytes"):
        client.download(f"{server}/file", target, max_bytes=1000)
    assert list(tmp_path.iterdir()) == []
    client.close()


def test_the_token_goes_to_api_calls_never_to_downloads(server: str, tmp_path: Path) -> None:
    """A search result may name any host: downloads never carry the provider's token."""
    _Handler.authorizations.clear()
    client = HttpClient(5.0, bearer_token="secret-token")
    try:
        client.get_json(f"{server}/json", {"q": "x"})
        client.download(f"{server}/image.jpg", lambda _ct: tmp_path / "a.jpg", 10_000)
    finally:
        client.close()
    assert dict(_Handler.authorizations) == {
        "/json?q=x": "Bearer secret-token",
        "/image.jpg": None,
    }
