"""Atomic file writes: a temporary sibling in the same folder, moved into place with os.replace.

A reader never sees a half-written file: either the old content (or no file) or the new one.
The temporary name is ``.STEM.partial.EXT``: hidden, and keeping the final extension so ffmpeg
picks the right muxer when it writes to it. The name is deterministic because it appears in
the recorded render command; writers that may race on one path (shared caches, parallel
downloads) ask for ``unique=True``, which adds the process and thread ids.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson


def partial_path(path: Path, *, unique: bool = False) -> Path:
    """The temporary sibling a writer fills before it is moved onto ``path``."""
    token = f".{os.getpid()}-{threading.get_ident()}" if unique else ""
    return path.with_name(f".{path.stem}{token}.partial{path.suffix}")


@contextmanager
def replace_atomic(path: Path, *, unique: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write; move it onto ``path`` on success.

    The parent folder is created. On any exception the temporary file is deleted and the
    exception propagates; ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(path, unique=unique)
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes, *, fsync: bool = False, unique: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (``fsync`` first when it must survive a crash)."""
    with replace_atomic(path, unique=unique) as partial, partial.open("wb") as handle:
        handle.write(data)
        if fsync:
            handle.flush()
            os.fsync(handle.fileno())


def read_json(path: Path) -> Any:
    """The JSON value stored at ``path``; None when the file is missing or not valid JSON."""
    try:
        return orjson.loads(Path(path).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
