"""Encoder choice by real test encodes, and the capability report for ``ai-video doctor``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ai_video.config import MediaConfig, RenderConfig
from ai_video.media.encoders import _useful_line, check_capabilities, detect_encoder, physical_cores
from ai_video.media.probe import probe

MEDIA = MediaConfig()


def test_default_choice_explains_itself() -> None:
    profile = detect_encoder(RenderConfig(), MEDIA)
    if profile.hardware:  # a machine with a working NVENC
        assert profile.name == "h264_nvenc"
        assert profile.reason == "h264_nvenc test encode succeeded"
        return
    cores = physical_cores()
    assert profile.name == "libx264"
    assert profile.args == (
        "-preset", "veryfast", "-crf", "21", "-threads", str(cores),
        "-profile:v", "high", "-pix_fmt", "yuv420p",
    )  # fmt: skip
    assert profile.reason.startswith("h264_nvenc test encode failed: ")
    assert profile.reason.endswith(
        f"using libx264 veryfast crf 21, {cores} thread" + "s" * (cores != 1)
    )
    assert "Conversion failed" not in profile.reason  # the specific cause, not the wrap-up


def test_choice_is_cached_per_config() -> None:
    render = RenderConfig(prefer_hardware=False, x264_crf=23)
    assert detect_encoder(render, MEDIA) is detect_encoder(
        RenderConfig(prefer_hardware=False, x264_crf=23), MEDIA
    )


def test_software_only_with_explicit_threads() -> None:
    profile = detect_encoder(
        RenderConfig(prefer_hardware=False, x264_preset="medium", x264_crf=19, x264_threads=3),
        MEDIA,
    )
    assert profile.name == "libx264" and not profile.hardware
    assert profile.args[:6] == ("-preset", "medium", "-crf", "19", "-threads", "3")
    assert profile.reason.startswith("hardware encoding not requested")


def test_profile_arguments_encode_a_playable_file(tmp_path: Path) -> None:
    profile = detect_encoder(RenderConfig(prefer_hardware=False), MEDIA)
    out = tmp_path / "encoded.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=0.4",
         "-c:v", profile.name, *profile.args, str(out)],
        check=True,
    )  # fmt: skip
    info = probe(out, MEDIA)
    assert info.video is not None
    assert (info.video.codec, info.video.pix_fmt) == ("h264", "yuv420p")
    profile_name = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=profile",
         "-of", "csv=p=0", str(out)],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert profile_name == "High"


def test_physical_cores_is_plausible() -> None:
    cores = physical_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)


def test_capabilities_run_real_tests() -> None:
    report = {c.name: c for c in check_capabilities(MEDIA)}
    assert list(report) == [
        "ffmpeg", "libx264", "h264_nvenc", "aac", "libass", "loudnorm", "zoompan", "scdet", "nvdec",
    ]  # fmt: skip
    assert report["ffmpeg"].ok and report["ffmpeg"].detail.startswith("ffmpeg version ")
    for name in ("libx264", "aac", "libass", "loudnorm", "zoompan", "scdet"):
        assert report[name].ok, f"{name}: {report[name].detail}"
    nvenc = report["h264_nvenc"]
    assert nvenc.ok == detect_encoder(RenderConfig(), MEDIA).hardware
    if not nvenc.ok:
        assert nvenc.detail and "Conversion failed" not in nvenc.detail
    if not report["nvdec"].ok:
        assert report["nvdec"].detail


def test_capabilities_without_ffmpeg() -> None:
    report = check_capabilities(MediaConfig(ffmpeg_bin="/nonexistent/ffmpeg"))
    assert not any(c.ok for c in report)
    assert "not found" in report[0].detail


@pytest.mark.parametrize(
    ("stderr", "line"),
    [
        (
            "[h264_nvenc @ 0x55670c76c540] Cannot load libcuda.so.1\n"
            "Error initializing output stream 0:0 -- Error while opening encoder\n"
            "Conversion failed!",
            "Cannot load libcuda.so.1",
        ),
        ("Conversion failed!", "Conversion failed!"),
        ("", "no error output"),
    ],
)
def test_most_specific_stderr_line(stderr: str, line: str) -> None:
    assert _useful_line(stderr) == line
