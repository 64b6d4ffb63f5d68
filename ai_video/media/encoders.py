"""Choose the H.264 encoder this machine can really use, and report what ffmpeg can do.

Listings such as ``ffmpeg -encoders`` say what was compiled in, not what works (NVENC is
listed on machines without an NVIDIA driver, and H100/H200 GPUs have no NVENC at all), so
every check here is a tiny real run.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ai_video.config import MediaConfig, RenderConfig
from ai_video.errors import FFmpegError
from ai_video.media.ffmpeg import local_input, run_ffmpeg
from ai_video.types import EncoderProfile

log = logging.getLogger(__name__)

_TEST_PICTURE = ["-f", "lavfi", "-i", "color=c=gray:s=256x256:r=25:d=0.2"]
_TEST_SOUND = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=0.5"]
_NULL_OUTPUT = ("-f", "null", "-")
_GENERIC_ERRORS = (
    "Conversion failed",
    "Error initializing output stream",
    "Error while opening encoder",
    "Error while filtering",
    "Stream mapping",
    "Stream #",
)
_LOG_PREFIX = re.compile(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*")
_TINY_ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 256
PlayResY: 256

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, Outline, Alignment
Style: Default,DejaVu Sans,24,&H00FFFFFF,2,2

[Events]
Format: Layer, Start, End, Style, Text
Dialogue: 0,0:00:00.00,0:00:01.00,Default,ok
"""


@dataclass(frozen=True, slots=True)
class Capability:
    """One thing ffmpeg on this machine can or cannot do, with what the test run said."""

    name: str
    ok: bool
    detail: str


@lru_cache(maxsize=8)
def detect_encoder(render: RenderConfig, media: MediaConfig) -> EncoderProfile:
    """NVENC when preferred and a test encode works, else libx264 with the configured quality."""
    nvenc_note = "hardware encoding not requested (render.prefer_hardware is false)"
    if render.prefer_hardware:
        nvenc = _check_nvenc(media)
        if nvenc.ok:
            profile = EncoderProfile(
                name="h264_nvenc",
                args=(*render.nvenc_args, "-profile:v", "high", "-pix_fmt", "yuv420p"),
                reason="h264_nvenc test encode succeeded",
                hardware=True,
            )
            log.info("video encoder: %s (%s)", profile.name, profile.reason)
            return profile
        nvenc_note = f"h264_nvenc test encode failed: {nvenc.detail}"
    threads = render.x264_threads if render.x264_threads > 0 else physical_cores()
    profile = EncoderProfile(
        name="libx264",
        args=_x264_args(render, threads),
        reason=f"{nvenc_note}; using libx264 {render.x264_preset} crf {render.x264_crf}, "
        f"{threads} thread{'s' if threads != 1 else ''}",
        hardware=False,
    )
    log.info("video encoder: %s (%s)", profile.name, profile.reason)
    return profile


def _x264_args(render: RenderConfig, threads: int) -> tuple[str, ...]:
    quality = ("-preset", render.x264_preset, "-crf", str(render.x264_crf))
    return (*quality, "-threads", str(threads), "-profile:v", "high", "-pix_fmt", "yuv420p")


def physical_cores() -> int:
    """Physical CPU cores usable by this process (from /proc/cpuinfo, else logical CPUs)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    logical = usable or os.cpu_count() or 1
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return logical
    cores: set[tuple[str, str]] = set()
    physical_id = core_id = ""
    for line in [*text.splitlines(), ""]:
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "physical id":
            physical_id = value
        elif key == "core id":
            core_id = value
        elif not line.strip():
            if core_id:
                cores.add((physical_id, core_id))
            physical_id = core_id = ""
    return max(1, min(len(cores), logical)) if cores else logical


def check_capabilities(media: MediaConfig) -> list[Capability]:
    """Tiny real test runs of everything the renderer may use, for ``ai-video doctor``."""
    with tempfile.TemporaryDirectory(prefix="ai_video_doctor_") as scratch:
        folder = Path(scratch)
        return [
            _check_version(media),
            _check_encoder(media, "libx264", ["-preset", "ultrafast"]),
            _check_nvenc(media),
            _check_run(media, "aac", [*_TEST_SOUND, "-c:a", "aac"]),
            _check_libass(media, folder),
            _check_audio_filter(media, "loudnorm", "loudnorm=I=-14:TP=-1.5"),
            _check_video_filter(media, "zoompan", "zoompan=z=1.1:d=1:s=128x128"),
            _check_video_filter(media, "scdet", "scdet=threshold=10"),
            _check_nvdec(media, folder),
        ]


def _check_version(media: MediaConfig) -> Capability:
    try:
        result = run_ffmpeg(media.ffmpeg_bin, ["-version"], timeout_s=media.probe_timeout_s)
    except FFmpegError as exc:
        return Capability("ffmpeg", False, _useful_line(exc.stderr_tail))
    first = result.stdout.decode("utf-8", "replace").strip().splitlines()
    return Capability("ffmpeg", True, first[0] if first else "unknown version")


def _check_nvenc(media: MediaConfig) -> Capability:
    return _check_encoder(media, "h264_nvenc", [])


def _check_encoder(media: MediaConfig, encoder: str, options: Sequence[str]) -> Capability:
    args = [*_TEST_PICTURE, "-frames:v", "1", "-c:v", encoder, *options, "-pix_fmt", "yuv420p"]
    return _check_run(media, encoder, args)


def _check_video_filter(media: MediaConfig, name: str, graph: str) -> Capability:
    return _check_run(media, name, [*_TEST_PICTURE, "-vf", graph, "-frames:v", "2"])


def _check_audio_filter(media: MediaConfig, name: str, graph: str) -> Capability:
    return _check_run(media, name, [*_TEST_SOUND, "-af", graph])


def _check_libass(media: MediaConfig, folder: Path) -> Capability:
    subtitles = folder / "check.ass"
    subtitles.write_text(_TINY_ASS, encoding="utf-8")
    graph = f"subtitles=filename={_filter_path(subtitles)}"
    return _check_run(media, "libass", [*_TEST_PICTURE, "-vf", graph, "-frames:v", "1"])


def _check_nvdec(media: MediaConfig, folder: Path) -> Capability:
    sample = folder / "nvdec_check.mp4"
    made = _check_run(
        media,
        "nvdec",
        [*_TEST_PICTURE, "-frames:v", "5", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(sample)],
        output=(),
    )
    if not made.ok:
        return Capability("nvdec", False, f"could not make the H.264 test file: {made.detail}")
    # hwaccel_output_format cuda makes a silent fallback to software decoding an error
    args = ["-hwaccel", "cuda", "-hwaccel_output_format", "cuda", *local_input(sample)]
    return _check_run(media, "nvdec", args)


def _check_run(
    media: MediaConfig,
    name: str,
    args: Sequence[str],
    output: Sequence[str] = _NULL_OUTPUT,
) -> Capability:
    try:
        run_ffmpeg(media.ffmpeg_bin, ["-v", "error", "-y", *args, *output], media.probe_timeout_s)
    except FFmpegError as exc:
        return Capability(name, False, _useful_line(exc.stderr_tail))
    return Capability(name, True, "test run succeeded")


def _useful_line(stderr_tail: str) -> str:
    """The most specific line of a failed run's stderr (generic wrap-up lines skipped)."""
    lines = [_LOG_PREFIX.sub("", ln).strip() for ln in stderr_tail.splitlines() if ln.strip()]
    specific = [ln for ln in lines if not ln.startswith(_GENERIC_ERRORS)]
    if specific:
        return specific[0]
    return lines[-1] if lines else "no error output"


def _filter_path(path: Path) -> str:
    """``path`` escaped for a filter option value, then for the filtergraph around it."""
    option_level = re.sub(r"([\\':])", r"\\\1", str(path))
    return re.sub(r"([\\'\[\],;])", r"\\\1", option_level)
