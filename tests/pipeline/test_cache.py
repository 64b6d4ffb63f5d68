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
        used_at = time.time() - 7 * 3600 + i  # older than the in-use window
        os.utime(entry, (used_at, used_at))
    cache.max_bytes = 2500
    cache.lookup("s", f"{0:032d}")  # touch the oldest: it becomes the most recent
    cache.get_or_create("s", f"{3:032d}", lambda d: (d / "f").write_bytes(b"x" * 1000))
    present = [i for i in range(4) if cache.lookup("s", f"{i:032d}") is not None]
    assert 0 in present and 3 in present and 1 not in present
    assert cache.size_bytes() <= 2500


def test_eviction_never_removes_entries_in_recent_use(tmp_path: Path) -> None:
    """A job may still be reading an entry it looked up: over the cap, it stays anyway."""
    cache = StageCache(tmp_path / "c", max_bytes=10**9)
    for i in range(3):
        cache.get_or_create("s", f"{i:032d}", lambda d: (d / "f").write_bytes(b"x" * 1000))
    cache.max_bytes = 1500
    assert cache.evict() == 0  # all three were used just now
    assert cache.size_bytes() > cache.max_bytes
    assert cache.evict(in_use_s=0.0) == 2  # once they age, LRU eviction resumes
    assert cache.size_bytes() <= 1500


def _sampled_fingerprint(path: Path) -> str:
    """The fingerprint this cache used before: size plus 32 samples of 64 KiB."""
    import xxhash

    size, chunk = path.stat().st_size, 64 * 1024
    h = xxhash.xxh3_128()
    h.update(size.to_bytes(8, "little"))
    step = (size - chunk) // 31
    with path.open("rb") as fh:
        for i in range(32):
            fh.seek(i * step)
            h.update(fh.read(chunk))
    return h.hexdigest()


def test_files_equal_at_the_old_samples_get_different_fingerprints(tmp_path: Path) -> None:
    """A file crafted to match another where a sampling fingerprint looks gets its own key."""
    import xxhash

    original = tmp_path / "a.mp4"
    original.write_bytes(bytes(range(256)) * (8 * 4096))  # 8 MiB
    step = (original.stat().st_size - 64 * 1024) // 31
    crafted = tmp_path / "b.mp4"
    data = bytearray(original.read_bytes())
    data[step // 2 + 64 * 1024] ^= 0xFF  # between two samples
    crafted.write_bytes(bytes(data))
    assert _sampled_fingerprint(original) == _sampled_fingerprint(crafted)  # the old weakness
    assert source_fingerprint(original) != source_fingerprint(crafted)
    assert source_fingerprint(original) == xxhash.xxh3_128_hexdigest(original.read_bytes())


def test_tenants_get_separate_fingerprints_for_the_same_file(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"same bytes" * 1000)
    alice, bob = source_fingerprint(clip, "key-alice"), source_fingerprint(clip, "key-bob")
    assert alice != bob and alice == source_fingerprint(clip, "key-alice")
    assert source_fingerprint(clip) not in (alice, bob)


@pytest.mark.media
def test_the_job_deadline_holds_in_every_stage_thread(media: Path, tmp_path: Path) -> None:
    """The deadline travels with the stage context, so stages on pool threads (or Ray
    workers) stop their media processes when the job runs past it."""
    from ai_video.config import Settings
    from ai_video.errors import FFmpegTimeout
    from ai_video.pipeline.clip_job import run_clip_job
    from ai_video.pipeline.requests import ClipRequest

    settings = Settings().with_overrides(
        {"cache.enabled": False, "ray.enabled": False, "input_policy.job_deadline_s": 0.001}
    )
    source = media / "talking" / "real3dportrait_May_5s.mp4"
    with pytest.raises(FFmpegTimeout, match="deadline"):
        run_clip_job(ClipRequest(str(source), tmp_path / "out"), settings)
    assert not list((tmp_path / "out").glob("clip_*"))
