"""Content-addressed stage cache: atomic entries, size-capped LRU eviction, hit/miss counters.

An entry's key is the xxh3-128 of the orjson-canonical tuple (source fingerprint: a hash of
the whole file, per tenant for API jobs; stage name, stage version, the config fields the
stage reads, upstream keys). An entry is a directory of files written into a temporary
sibling and renamed into place, so a crash never leaves a half-written entry; a rerun finds
every completed stage and skips it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import xxhash

from ai_video.config import CACHE_IN_USE_S
from ai_video.pipeline.serialize import to_jsonable

log = logging.getLogger(__name__)

_READ_BYTES = 4 * 1024 * 1024
_META = ".entry.json"


def canonical_key(**parts: Any) -> str:
    """xxh3-128 hex digest of the parts serialised canonically (sorted keys, orjson)."""
    blob = orjson.dumps(
        parts, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY, default=to_jsonable
    )
    return xxhash.xxh3_128_hexdigest(blob)


def source_fingerprint(path: Path, namespace: str = "") -> str:
    """xxh3-128 of a file's whole content (streamed), scoped to ``namespace`` when given.

    Every byte counts, so two different files never share cache entries by accident or by
    construction (a file built to match another at sampled offsets). A non-empty
    ``namespace`` (the API key of an API job) gives the same file a different fingerprint
    per tenant, so no tenant reuses, or learns of, another tenant's cached results.
    """
    h = xxhash.xxh3_128()
    with path.open("rb") as fh:
        while chunk := fh.read(_READ_BYTES):
            h.update(chunk)
    content = h.hexdigest()
    if not namespace:
        return content
    return xxhash.xxh3_128_hexdigest(f"{namespace}\0{content}".encode())


@dataclass
class CacheStats:
    """Hit and miss counts per stage."""

    hits: Counter[str] = field(default_factory=Counter)
    misses: Counter[str] = field(default_factory=Counter)

    @property
    def total_hits(self) -> int:
        """Hits over all stages."""
        return sum(self.hits.values())

    @property
    def total_misses(self) -> int:
        """Misses over all stages."""
        return sum(self.misses.values())


class StageCache:
    """A directory of content-addressed stage outputs."""

    def __init__(self, root: Path, max_bytes: int, enabled: bool = True) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.enabled = enabled
        self.stats = CacheStats()
        self._lock = threading.Lock()

    def entry_dir(self, key: str) -> Path:
        """Where the entry for ``key`` lives (it may not exist)."""
        return self.root / key[:2] / key

    def lookup(self, stage: str, key: str) -> Path | None:
        """The entry directory if complete (counted as a hit), else None (counted as a miss)."""
        if self.enabled:
            entry = self.entry_dir(key)
            if (entry / _META).is_file():
                now = time.time()
                os.utime(entry / _META, (now, now))
                with self._lock:
                    self.stats.hits[stage] += 1
                return entry
        with self._lock:
            self.stats.misses[stage] += 1
        return None

    def get_or_create(self, stage: str, key: str, produce: Callable[[Path], None]) -> Path:
        """The entry for ``key``; on a miss ``produce(tmp_dir)`` writes its files first.

        With the cache disabled, entries are still produced (in a scratch area under the root)
        so callers have one code path; they are simply never looked up.
        """
        found = self.lookup(stage, key)
        if found is not None:
            return found
        return self.store(stage, key, produce)

    def store(self, stage: str, key: str, produce: Callable[[Path], None]) -> Path:
        """Run ``produce(tmp_dir)`` and move its files into place as the entry for ``key``."""
        final = self.entry_dir(key) if self.enabled else self.root / "scratch" / key
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:8]}-", dir=final.parent))
        try:
            produce(tmp)
            meta = {"stage": stage, "key": key, "created": time.time()}
            (tmp / _META).write_bytes(orjson.dumps(meta))
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if self.enabled:
            self.evict()
        return final

    def size_bytes(self) -> int:
        """Total bytes held by complete entries."""
        return sum(size for _, size, _ in self._entries())

    def evict(self, in_use_s: float = CACHE_IN_USE_S) -> int:
        """Remove least-recently-used entries until the cache fits ``max_bytes``; return count.

        Entries used in the last ``in_use_s`` seconds may be read by a running job and are
        never removed: the cache can stay over its cap until they age.
        """
        entries = sorted(self._entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        removed = 0
        recent = time.time() - in_use_s
        for path, size, used_at in entries:
            if total <= self.max_bytes:
                break
            if used_at >= recent:
                log.info("cache: %d bytes over its cap, all in recent use", total - self.max_bytes)
                break
            shutil.rmtree(path, ignore_errors=True)
            total -= size
            removed += 1
            log.info("cache: evicted %s (%d bytes)", path.name, size)
        return removed

    def _entries(self) -> list[tuple[Path, int, float]]:
        out: list[tuple[Path, int, float]] = []
        if not self.root.is_dir():
            return out
        for shard in self.root.iterdir():
            if not shard.is_dir() or len(shard.name) != 2:
                continue
            for entry in shard.iterdir():
                meta = entry / _META
                if not meta.is_file():
                    continue
                size = sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
                out.append((entry, size, meta.stat().st_mtime))
        return out
