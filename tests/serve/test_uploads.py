"""Streaming multipart parsing: bytes land on disk exactly, limits and bad forms are refused."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ai_video.errors import InputError
from ai_video.serve.uploads import (
    ReceivedForm,
    UploadTooLarge,
    read_small_body,
    receive_multipart,
    stored_suffix,
)


def multipart_body(
    fields: dict[str, str], file_name: str | None, content: bytes, file_field: str = "file"
) -> tuple[bytes, str]:
    """A real multipart body and content type, as httpx encodes it (fields only if no name)."""
    if file_name is None:
        parts = [
            f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        ]
        return ("".join(parts) + "--b--\r\n").encode(), "multipart/form-data; boundary=b"
    files = {file_field: (file_name, content, "video/mp4")}
    request = httpx.Request("POST", "http://x/", data=fields, files=files)
    return request.read(), request.headers["content-type"]


async def in_chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    """The body as an async stream of ``size``-byte chunks."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def receive(body: bytes, content_type: str, dest: Path, max_bytes: int) -> ReceivedForm:
    """Run the parser over 1000-byte chunks."""
    return asyncio.run(receive_multipart(in_chunks(body, 1000), content_type, dest, max_bytes))


def test_file_and_fields_arrive_intact(tmp_path: Path) -> None:
    content = os.urandom(250_000)
    body, ctype = multipart_body(
        {"max_clips": "3", "prompt": "über rockets"}, "My Talk.MP4", content
    )

    form = receive(body, ctype, tmp_path / "upload", max_bytes=len(content))

    assert form.fields == {"max_clips": "3", "prompt": "über rockets"}
    assert form.file_name == "My Talk.MP4"
    assert form.file_path == tmp_path / "upload" / "source.mp4"
    assert form.size_bytes == len(content)
    assert form.file_path.read_bytes() == content


def test_upload_over_the_limit_is_refused_and_removed(tmp_path: Path) -> None:
    body, ctype = multipart_body({}, "big.mp4", b"\0" * 10_001)
    with pytest.raises(UploadTooLarge) as err:
        receive(body, ctype, tmp_path, max_bytes=10_000)
    assert err.value.limit_bytes == 10_000
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("file_name", "file_field", "content", "message"),
    [
        (None, "file", b"", "no 'file' file part"),
        ("a.mp4", "video", b"abc", "in the 'file' field"),
        ("a.mp4", "file", b"", "empty"),
    ],
)
def test_forms_without_one_usable_file_are_refused(
    tmp_path: Path, file_name: str | None, file_field: str, content: bytes, message: str
) -> None:
    body, ctype = multipart_body({"platform": "tiktok"}, file_name, content, file_field)
    with pytest.raises(InputError, match=message):
        receive(body, ctype, tmp_path, max_bytes=1_000)
    assert list(tmp_path.rglob("*.mp4")) == []


def test_malformed_body_and_missing_boundary(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="boundary"):
        receive(b"x", "multipart/form-data", tmp_path, 100)
    with pytest.raises(InputError, match="malformed"):
        receive(
            b"--zz\r\ngarbage without headers", "multipart/form-data; boundary=zz", tmp_path, 100
        )


def test_suffix_kept_only_when_plain() -> None:
    assert stored_suffix("clip.MOV") == ".mov"
    assert stored_suffix("../../etc/passwd") == ""
    assert stored_suffix("x.mp4;rm -rf") == ""


def test_small_body_limit() -> None:
    assert asyncio.run(read_small_body(in_chunks(b"a" * 300, 7), 300)) == b"a" * 300
    with pytest.raises(UploadTooLarge):
        asyncio.run(read_small_body(in_chunks(b"a" * 301, 7), 300))


def test_a_slow_disk_does_not_block_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 0.5 s fsync (a slow volume) runs in a worker thread: other requests keep being served."""
    import time

    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        time.sleep(0.5)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    body, ctype = multipart_body({}, "talk.mp4", os.urandom(3_000_000))

    async def both() -> float:
        longest_gap = 0.0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal longest_gap
            last = time.monotonic()
            while not done.is_set():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                longest_gap = max(longest_gap, now - last)
                last = now

        async def network() -> AsyncIterator[bytes]:  # a client sending, the loop free between
            async for chunk in in_chunks(body, 64 * 1024):
                await asyncio.sleep(0)
                yield chunk

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)  # the ticker is running
        await receive_multipart(network(), ctype, tmp_path, 10_000_000)
        done.set()
        await tick
        return longest_gap

    assert asyncio.run(both()) < 0.25
