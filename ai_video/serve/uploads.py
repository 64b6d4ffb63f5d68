"""Streaming multipart uploads: the video goes straight to disk, never whole into memory.

The request body is fed chunk by chunk to python-multipart's push parser; the file part is
written to the job's upload folder as it arrives and the upload is refused (413) the moment
it passes the size limit. Text fields are small and kept in memory (bounded). Parsing,
writing and the fsync run in worker threads, off the event loop.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import anyio.to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ai_video.errors import InputError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "file"
"""Name of the multipart field that carries the video."""
MAX_JSON_BODY_BYTES = 1024 * 1024
"""Largest JSON submission body (a URL and a few options)."""
_MAX_FIELD_BYTES = 64 * 1024
_WRITE_BATCH_BYTES = 1024 * 1024
"""Body bytes parsed (and the file part written) per hop to a worker thread: disk writes and
the final fsync never block the event loop."""
_MAX_FIELDS = 32
_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


class UploadTooLarge(InputError):
    """The upload is larger than ``serve.max_upload_bytes``."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        super().__init__(f"upload exceeds the limit of {limit_bytes} bytes")


@dataclass(frozen=True)
class ReceivedForm:
    """A parsed multipart form: its text fields and the stored video file."""

    fields: dict[str, str]
    file_path: Path
    file_name: str
    size_bytes: int


async def receive_multipart(
    chunks: AsyncIterator[bytes], content_type: str, dest_dir: Path, max_bytes: int
) -> ReceivedForm:
    """Parse a multipart body from ``chunks``, storing the ``file`` part under ``dest_dir``."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise InputError("multipart body without a boundary")
    sink = _FormSink(dest_dir, max_bytes)
    parser = MultipartParser(boundary, sink.callbacks())
    try:
        pending = bytearray()
        async for chunk in chunks:  # parse and write in a worker thread, ~1 MiB at a time
            pending += chunk
            if len(pending) >= _WRITE_BATCH_BYTES:
                await anyio.to_thread.run_sync(parser.write, bytes(pending))
                pending.clear()
        if pending:
            await anyio.to_thread.run_sync(parser.write, bytes(pending))
        await anyio.to_thread.run_sync(parser.finalize)  # flushes and fsyncs the file
    except MultipartParseError as exc:
        sink.discard()
        raise InputError(f"malformed multipart body: {exc}") from None
    except BaseException:
        sink.discard()
        raise
    return sink.result()


async def read_small_body(chunks: AsyncIterator[bytes], max_bytes: int) -> bytes:
    """The whole body of a small request; raises UploadTooLarge past ``max_bytes``."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise UploadTooLarge(max_bytes)
    return bytes(body)


def stored_suffix(file_name: str) -> str:
    """The extension kept for a stored upload (lower-case, alphanumeric) or ''."""
    suffix = Path(file_name).suffix.lower()
    return suffix if _SAFE_SUFFIX.match(suffix) else ""


class _FormSink:
    """Receives python-multipart's callbacks and turns them into fields and one file."""

    def __init__(self, dest_dir: Path, max_bytes: int) -> None:
        self._dest_dir = dest_dir
        self._max_bytes = max_bytes
        self._fields: dict[str, str] = {}
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._field_name = ""
        self._field_data = bytearray()
        self._file: IO[bytes] | None = None
        self._file_path: Path | None = None
        self._file_name = ""
        self._file_bytes = 0
        self._finished_file = False

    def callbacks(self) -> MultipartCallbacks:
        """The callback table for :class:`MultipartParser`."""
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def result(self) -> ReceivedForm:
        """The parsed form; raises InputError when no video file was sent."""
        if self._file_path is None or not self._finished_file:
            raise InputError(f"multipart body has no '{FILE_FIELD}' file part")
        if self._file_bytes == 0:
            self.discard()
            raise InputError("the uploaded file is empty")
        return ReceivedForm(dict(self._fields), self._file_path, self._file_name, self._file_bytes)

    def discard(self) -> None:
        """Close and remove a partly written file."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._file_path is not None:
            self._file_path.unlink(missing_ok=True)

    def _part_begin(self) -> None:
        self._headers = {}
        self._field_name = ""
        self._field_data = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        disposition, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in params:
            raise InputError("multipart part without a form-data name")
        self._field_name = params[b"name"].decode("utf-8", "replace")
        if b"filename" not in params:
            if len(self._fields) >= _MAX_FIELDS:
                raise InputError("too many form fields")
            return
        if self._field_name != FILE_FIELD or self._file_path is not None:
            raise InputError(f"send exactly one file, in the '{FILE_FIELD}' field")
        self._file_name = params[b"filename"].decode("utf-8", "replace")[-200:] or "upload"
        self._dest_dir.mkdir(parents=True, exist_ok=True)
        self._file_path = self._dest_dir / ("source" + stored_suffix(self._file_name))
        self._file = self._file_path.open("wb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file_bytes += end - start
            if self._file_bytes > self._max_bytes:
                raise UploadTooLarge(self._max_bytes)
            self._file.write(data[start:end])
            return
        if len(self._field_data) + end - start > _MAX_FIELD_BYTES:
            raise InputError(f"form field {self._field_name!r} is too long")
        self._field_data += data[start:end]

    def _part_end(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            self._finished_file = True
            return
        self._fields[self._field_name] = self._field_data.decode("utf-8", "replace")
