"""Atomic writes: the file appears whole or not at all, and no temporary file is left."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ai_video.media.files import partial_path, read_json, replace_atomic, write_atomic


def test_write_atomic_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    write_atomic(target, b'{"a": 1}')
    assert target.read_bytes() == b'{"a": 1}'
    write_atomic(target, b'{"a": 2}', fsync=True)
    assert read_json(target) == {"a": 2}
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_failed_writer_leaves_the_old_file_and_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replace_atomic(target) as partial:
        assert partial.name == ".clip.partial.mp4"  # keeps the extension for ffmpeg's muxer
        partial.write_bytes(b"half")
        raise RuntimeError("encoder died")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_unique_partial_names_differ_between_live_threads(tmp_path: Path) -> None:
    target = tmp_path / "a.jpg"
    names: list[str] = []
    both_alive = threading.Barrier(2)

    def name_one() -> None:
        names.append(partial_path(target, unique=True).name)
        both_alive.wait()  # a finished thread's id may be reused; concurrent writers are alive

    threads = [threading.Thread(target=name_one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(names)) == 2 and all(n.endswith(".partial.jpg") for n in names)
    assert partial_path(target) == tmp_path / ".a.partial.jpg"


def test_read_json_is_none_for_missing_or_broken_files(tmp_path: Path) -> None:
    assert read_json(tmp_path / "missing.json") is None
    (tmp_path / "broken.json").write_bytes(b"{not json")
    assert read_json(tmp_path / "broken.json") is None
