"""Source resolution: local paths as they are, http(s) URLs downloaded with yt-dlp (loopback)."""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ai_video.config import MediaConfig, UrlPolicyConfig
from ai_video.errors import InputError
from ai_video.media.fetch import resolve_source
from ai_video.media.probe import probe
from tests.conftest import make_lavfi_clip

MEDIA = MediaConfig()
LOOPBACK_OK = UrlPolicyConfig(allow_private=True)  # these servers are on 127.0.0.1
SLOW_BODY_BYTES = 320 * 1024  # trickled out in 80 steps of 50 ms: 4 s in all


class _QuietFiles(SimpleHTTPRequestHandler):
    """Serves a folder; ``/slow.mp4`` trickles bytes out to trip the download time limit."""

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""

    def do_GET(self) -> None:
        """Serve files, or the slow stream."""
        if self.path != "/slow.mp4":
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(SLOW_BODY_BYTES))
        self.end_headers()
        try:
            for _ in range(SLOW_BODY_BYTES // 4096):
                self.wfile.write(b"\0" * 4096)
                self.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving a tiny H.264+AAC clip as /clip.mp4."""
    folder = tmp_path_factory.mktemp("served")
    make_lavfi_clip(folder / "clip.mp4", duration_s=1.0, size="320x240")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietFiles, directory=folder))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", folder
    httpd.shutdown()
    httpd.server_close()


def test_local_path_is_returned_as_is(lavfi_clip: Path, tmp_path: Path) -> None:
    assert resolve_source(str(lavfi_clip), tmp_path, MEDIA) == lavfi_clip
    assert list(tmp_path.iterdir()) == []


def test_missing_local_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"talk_final\.mp4: file not found"):
        resolve_source(str(tmp_path / "talk_final.mp4"), tmp_path, MEDIA)
    with pytest.raises(InputError, match="not a regular file"):
        resolve_source(str(tmp_path), tmp_path, MEDIA)


def test_other_schemes_are_refused(tmp_path: Path) -> None:
    for url in ("ftp://127.0.0.1/clip.mp4", "file:///etc/passwd", "rtmp://127.0.0.1/live"):
        with pytest.raises(InputError, match="unsupported URL scheme"):
            resolve_source(url, tmp_path, MEDIA)


def test_urls_can_be_disabled(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(InputError, match="URL sources are disabled"):
        resolve_source(f"{base}/clip.mp4", tmp_path, MediaConfig(allow_urls=False))
    assert list(tmp_path.iterdir()) == []


def test_download_direct_mp4(server: tuple[str, Path], tmp_path: Path) -> None:
    base, folder = server
    work = tmp_path / "job"
    path = resolve_source(f"{base}/clip.mp4", work, MEDIA, LOOPBACK_OK)
    assert path.parent == work and path.suffix == ".mp4"
    served = (folder / "clip.mp4").read_bytes()
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(served).digest()
    info = probe(path, MEDIA)
    assert info.video is not None and info.audio is not None
    assert info.duration_s == pytest.approx(1.0, abs=0.1)


def test_download_failure_is_an_input_error(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(InputError, match=r"the URL could not be fetched .*reference"):
        resolve_source(f"{base}/missing.mp4", tmp_path, MEDIA, LOOPBACK_OK)


def test_download_time_limit(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    import yt_dlp  # noqa: F401  (the first import is slow; keep it out of the timing)

    started = time.monotonic()
    with pytest.raises(InputError, match=r"download took longer than"):
        resolve_source(f"{base}/slow.mp4", tmp_path, MediaConfig(fetch_timeout_s=0.5), LOOPBACK_OK)
    assert time.monotonic() - started < 3.0  # the full trickle would take 4 s
