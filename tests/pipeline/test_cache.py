"""The stage cache: content keys, atomic entries, LRU eviction, counters."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_video.config import CurateConfig
from ai_video.pipeline.cache import StageCache, canonical_key, source_fingerprint


def test_key_is_canonical_and_sensitive() -> None:
    a = canonical_key(stage="curate", config={"b": 1, "a": CurateConfig()})
    b = canonical_key(config={"a": CurateConfig(), "b": 1}, stage="curate")
    c = canonical_key(stage="curate", config={"b": 1, "a": CurateConfig(max_clips=3)})
    assert a == b
    assert a != c
    assert len(a) == 32


def test_fingerprint_follows_content(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 40_000)
    first = source_fingerprint(big)
    data = bytearray(big.read_bytes())
    data[0] ^= 0xFF
    big.write_bytes(bytes(data))
    assert source_fingerprint(big) != first


def test_entries_are_reused_and_counted(tmp_path: Path) -> None:
    cache = StageCache(tmp_path / "c", max_bytes=10**9)
    calls: list[int] = []

    def produce(d: Path) -> None:
        calls.append(1)
        (d / "out.txt").write_text("hello")

    first = cache.get_or_create("stage", "k" * 32, produce)
    second = cache.get_or_create("stage", "k" * 32, produce)
    assert first == second and (first / "out.txt").read_text() == "hello"
    assert calls == [1]
    assert cache.stats.hits["stage"] == 1 and cache.stats.misses["stage"] == 1


def test_failed_production_leaves_nothing(tmp_path: Path) -> None:
    cache = StageCache(tmp_path / "c", max_bytes=10**9)

    def explode(d: Path) -> None:
        (d / "half.bin").write_bytes(b"x" * 100)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.get_or_create("stage", "a" * 32, explode)
    assert cache.lookup("stage", "a" * 32) is None
    assert not any(p.is_file() for p in (tmp_path / "c").rglob("*"))


def test_lru_eviction_keeps_recent_entries(tmp_path: Path) -> None:
    import os
    import time

    cache = StageCache(tmp_path / "c", max_bytes=10**9)
    for i in range(3):
        cache.get_or_create("s", f"{i:032d}", lambda d: (d / "f").write_bytes(b"x" * 1000))
        entry = cache.entry_dir(f"{i:032d}") / ".entry.json"
        os.utime(entry, (time.time() - 100 + i, time.time() - 100 + i))
    cache.max_bytes = 2500
    cache.lookup("s", f"{0:032d}")  # touch the oldest: it becomes the most recent
    cache.get_or_create("s", f"{3:032d}", lambda d: (d / "f").write_bytes(b"x" * 1000))
    present = [i for i in range(4) if cache.lookup("s", f"{i:032d}") is not None]
    assert 0 in present and 3 in present and 1 not in present
    assert cache.size_bytes() <= 2500
