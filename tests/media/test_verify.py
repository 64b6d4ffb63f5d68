"""A finished clip is checked before it counts as done: streams, planned length, its end."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ai_video.config import MediaConfig, Settings
from ai_video.media.verify import ClipDamaged, verify_clip
from ai_video.serve.execution import public_error
from tests.conftest import make_lavfi_clip

MEDIA = MediaConfig()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clips")
    good = make_lavfi_clip(root / "good.mp4", duration_s=3.0, size="160x284")
    silent = make_lavfi_clip(root / "silent.mp4", duration_s=3.0, size="160x284", audio=False)
    ts = root / "good.ts"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(good), "-c", "copy",
                    "-f", "mpegts", str(ts)], check=True)  # fmt: skip
    cut = root / "cut.mp4"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # moov at the end: the header is gone
    return {"good": good, "silent": silent, "cut": cut}


def test_a_complete_clip_of_the_planned_length_passes(clips: dict[str, Path]) -> None:
    verify_clip(clips["good"], 3.0, MEDIA, tolerance_s=0.5)


@pytest.mark.parametrize(
    ("name", "planned_s", "problem"),
    [
        ("good", 6.0, "planned 6.00 s"),
        ("silent", 3.0, "no audio stream"),
        ("cut", 3.0, "cut.mp4"),
    ],
)
def test_damaged_or_short_clips_are_refused(
    clips: dict[str, Path], name: str, planned_s: float, problem: str
) -> None:
    with pytest.raises(ClipDamaged, match=problem) as exc:
        verify_clip(clips[name], planned_s, MEDIA, tolerance_s=0.5)
    assert str(clips[name].parent) not in str(exc.value)


def test_job_errors_do_not_show_server_folders(tmp_path: Path) -> None:
    settings = Settings().with_overrides({"serve.data_dir": str(tmp_path / "data")})
    reason = f"{tmp_path}/data/jobs/abc/upload/talk.mp4: file is truncated"
    assert public_error(reason, settings) == "jobs/abc/upload/talk.mp4: file is truncated"
