"""The URL policy against real HTTP servers on 127.0.0.1: refused by default, allowed by config.

Servers: a media server (serves a 1 s clip, counts requests), a redirecting server (302 to a
``Location`` the test chooses). Host names that "resolve to loopback" come from a stub of
:func:`ai_video.media.url_policy.resolve`, the one resolver the policy (and its proxy) uses.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ai_video.config import MediaConfig, UrlPolicyConfig
from ai_video.errors import InputError
from ai_video.media import url_policy
from ai_video.media.fetch import resolve_source
from ai_video.media.url_policy import (
    GENERIC_FETCH_ERROR,
    UrlRefused,
    check_url,
    checked_target,
    forbidden_reason,
)
from tests.conftest import make_lavfi_clip

MEDIA = MediaConfig(fetch_timeout_s=20.0)
PRIVATE_OK = UrlPolicyConfig(allow_private=True)


@dataclass
class Served:
    """A running test server: its base URL and the paths it was asked for."""

    port: int
    hits: list[str] = field(default_factory=list)
    location: str = ""
    folder: Path = Path()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _start(handler: Any) -> tuple[ThreadingHTTPServer, threading.Thread]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return httpd, thread


@pytest.fixture(scope="module")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Serves /clip.mp4 (1 s, 320x240) and records each request path."""
    folder = tmp_path_factory.mktemp("served")
    make_lavfi_clip(folder / "clip.mp4", duration_s=1.0, size="320x240")
    _live_playlist(folder)
    make_lavfi_clip(folder / "second.mp4", duration_s=1.5, size="160x120")
    (folder / "two.html").write_text(
        "<html><head><title>Two talks</title></head><body>"
        '<video src="clip.mp4"></video><video src="second.mp4"></video></body></html>'
    )
    served = Served(port=0, folder=folder)

    class Files(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            served.hits.append(self.path)
            super().do_GET()

    httpd, _ = _start(functools.partial(Files, directory=folder))
    served.port = httpd.server_port
    yield served
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def redirector() -> Iterator[Served]:
    """Answers every GET with 302 to ``served.location`` (set by each test)."""
    served = Served(port=0)

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            served.hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", served.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd, _ = _start(Redirect)
    served.port = httpd.server_port
    yield served
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Host names the policy's resolver maps to addresses (others resolve as usual)."""
    table: dict[str, str] = {}
    real = url_policy.resolve

    def stub(host: str, port: int) -> list[str]:
        return [table[host]] if host in table else real(host, port)

    monkeypatch.setattr(url_policy, "resolve", stub)
    return table


def _generic(exc: pytest.ExceptionInfo[InputError]) -> str:
    text = str(exc.value)
    assert text.startswith(GENERIC_FETCH_ERROR), text
    assert "127.0.0.1" not in text and "refused" not in text.removeprefix(GENERIC_FETCH_ERROR)
    return re.sub(r"reference \w+", "reference X", text)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "192.168.1.1",
        "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "239.255.255.250",
        "240.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.0.8",
        "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::127.0.0.1",
        "2002:7f00:1::", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/", "http://2130706433/", "http://0x7f.1/", "http://0x7f000001/",
        "http://017700000001/", "http://127.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/", "http://169.254.169.254/latest/meta-data/", "http://0/",
        "https://localhost:8443/", "http://LOCALHOST./", "http://[fe80::1%25lo]/",
    ],
)  # fmt: skip
def test_numeric_and_named_loopback_forms_are_refused(url: str) -> None:
    _, host, port = check_url(url)
    with pytest.raises(UrlRefused):
        checked_target(host, port, UrlPolicyConfig())


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/a.mp4", "unsupported URL scheme"),
        ("file:///etc/passwd", "unsupported URL scheme"),
        ("gopher://example.com/", "unsupported URL scheme"),
        ("http://user:pw@example.com/", "user name or password"),
        ("http:///nohost", "names no host"),
        ("http://example.com:99999/", "not a valid URL"),
    ],
)
def test_malformed_urls_are_named(url: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=problem):
        resolve_source(url, tmp_path, MEDIA)


def test_loopback_server_refused_by_default(media_server: Served, tmp_path: Path) -> None:
    before = len(media_server.hits)
    with pytest.raises(InputError) as exc:
        resolve_source(f"{media_server.base}/clip.mp4", tmp_path / "job", MEDIA)
    _generic(exc)
    assert len(media_server.hits) == before  # not one request reached it
    assert not (tmp_path / "job").exists() or not any((tmp_path / "job").iterdir())


def test_loopback_server_allowed_with_allow_private(media_server: Served, tmp_path: Path) -> None:
    path = resolve_source(f"{media_server.base}/clip.mp4", tmp_path / "job", MEDIA, PRIVATE_OK)
    assert path.parent == tmp_path / "job"
    served = (media_server.folder / "clip.mp4").read_bytes()
    assert hashlib.sha256(served).hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    assert media_server.hits[-1] == "/clip.mp4"


def test_name_resolving_to_loopback_is_refused(
    media_server: Served, names: dict[str, str], tmp_path: Path
) -> None:
    names["videos.example.com"] = "127.0.0.1"
    before = len(media_server.hits)
    with pytest.raises(InputError) as exc:
        resolve_source(f"http://videos.example.com:{media_server.port}/clip.mp4", tmp_path, MEDIA)
    _generic(exc)
    assert len(media_server.hits) == before


def test_allowed_host_may_be_private(
    media_server: Served, names: dict[str, str], tmp_path: Path
) -> None:
    names["media.internal"] = "127.0.0.1"
    policy = UrlPolicyConfig(allow_hosts=(".internal",))
    path = resolve_source(
        f"http://media.internal:{media_server.port}/clip.mp4", tmp_path, MEDIA, policy
    )
    assert path.stat().st_size > 0


def test_redirect_to_loopback_is_refused(
    media_server: Served, redirector: Served, names: dict[str, str], tmp_path: Path
) -> None:
    """The first hop is allowed (an operator's host); its redirect to 127.0.0.1 is not."""
    names["cdn.internal"] = "127.0.0.1"
    policy = UrlPolicyConfig(allow_hosts=("cdn.internal",))
    redirector.location = f"{media_server.base}/clip.mp4"
    before_media, before_redirect = len(media_server.hits), len(redirector.hits)
    with pytest.raises(InputError) as exc:
        resolve_source(f"http://cdn.internal:{redirector.port}/go.mp4", tmp_path, MEDIA, policy)
    _generic(exc)
    assert len(redirector.hits) > before_redirect  # the allowed hop was fetched
    assert len(media_server.hits) == before_media  # the redirect target never was


def test_redirect_to_allowed_host_is_followed(
    media_server: Served, redirector: Served, names: dict[str, str], tmp_path: Path
) -> None:
    names["cdn.internal"] = names["media.internal"] = "127.0.0.1"
    policy = UrlPolicyConfig(allow_hosts=("cdn.internal", "media.internal"))
    redirector.location = f"http://media.internal:{media_server.port}/clip.mp4"
    path = resolve_source(f"http://cdn.internal:{redirector.port}/go.mp4", tmp_path, MEDIA, policy)
    assert path.stat().st_size > 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_same_message_for_closed_open_and_missing(
    media_server: Served, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No port oracle: closed port, 404 and refused address read the same to the user."""
    messages = set()
    for url, policy in (
        (f"http://127.0.0.1:{_closed_port()}/clip.mp4", PRIVATE_OK),
        (f"{media_server.base}/missing.mp4", PRIVATE_OK),
        (f"{media_server.base}/clip.mp4", UrlPolicyConfig()),
    ):
        with pytest.raises(InputError) as exc:
            resolve_source(url, tmp_path, MEDIA, policy)
        messages.add(_generic(exc))
    assert len(messages) == 1
    assert "refused" in caplog.text or "404" in caplog.text  # details are in the server log


def test_size_cap_refuses_big_downloads(media_server: Served, tmp_path: Path) -> None:
    policy = UrlPolicyConfig(allow_private=True, max_bytes=4096)
    with pytest.raises(InputError, match="larger than 4096 bytes"):
        resolve_source(f"{media_server.base}/clip.mp4", tmp_path, MEDIA, policy)


def _live_playlist(folder: Path) -> None:
    """``live.m3u8``: an HLS playlist without EXT-X-ENDLIST, i.e. a live stream."""
    import subprocess

    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", "testsrc2=size=160x120:rate=10:duration=2", "-c:v", "libx264",
         "-preset", "ultrafast", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
         str(folder / "live.m3u8")],
        check=True,
    )  # fmt: skip
    text = (folder / "live.m3u8").read_text()
    (folder / "live.m3u8").write_text(text.replace("#EXT-X-ENDLIST\n", ""))


def test_live_streams_are_refused(media_server: Served, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="live streams are not accepted"):
        resolve_source(f"{media_server.base}/live.m3u8", tmp_path, MEDIA, PRIVATE_OK)
    assert not any(p.suffix in (".mp4", ".ts") for p in tmp_path.rglob("*"))


def _download(url: str, policy: UrlPolicyConfig, dest: Path) -> Path:
    from ai_video.media.http import HttpClient

    client = HttpClient(5.0, follow_redirects=True, download_policy=policy)
    try:
        return client.download(url, lambda _ct: dest, 10_000_000)
    finally:
        client.close()


def test_http_downloads_follow_the_policy_too(
    media_server: Served, redirector: Served, names: dict[str, str], tmp_path: Path
) -> None:
    """Visual-provider result URLs: refused on loopback, by name, and after a redirect."""
    from ai_video.media.http import HttpError

    names["img.example.com"] = names["cdn.internal"] = names["img.internal"] = "127.0.0.1"
    before = len(media_server.hits)
    for url in (
        f"{media_server.base}/clip.mp4",
        f"http://img.example.com:{media_server.port}/clip.mp4",
    ):
        with pytest.raises(HttpError, match="refused by the URL policy"):
            _download(url, UrlPolicyConfig(), tmp_path / "a.mp4")
    redirector.location = f"{media_server.base}/clip.mp4"
    with pytest.raises(HttpError, match="refused by the URL policy"):
        _download(
            f"http://cdn.internal:{redirector.port}/x",
            UrlPolicyConfig(allow_hosts=("cdn.internal",)),
            tmp_path / "b.mp4",
        )
    assert len(media_server.hits) == before
    allowed = UrlPolicyConfig(allow_hosts=(".internal",))
    redirector.location = f"http://img.internal:{media_server.port}/clip.mp4"
    got = _download(f"http://cdn.internal:{redirector.port}/x", allowed, tmp_path / "c.mp4")
    assert got.read_bytes() == (media_server.folder / "clip.mp4").read_bytes()


def test_a_playlist_gives_its_first_entry_or_is_refused(
    media_server: Served, tmp_path: Path
) -> None:
    """A page with two videos is a playlist to yt-dlp: one download, or none when refused."""
    url = f"{media_server.base}/two.html"
    first = resolve_source(url, tmp_path / "first", MEDIA, PRIVATE_OK)
    assert [p.name for p in (tmp_path / "first").iterdir()] == [first.name]
    assert first.read_bytes() == (media_server.folder / "clip.mp4").read_bytes()
    refuse = UrlPolicyConfig(allow_private=True, playlists="refuse")
    with pytest.raises(InputError, match="playlists are not accepted"):
        resolve_source(url, tmp_path / "refused", MEDIA, refuse)
    assert not any((tmp_path / "refused").glob("*.mp4"))
