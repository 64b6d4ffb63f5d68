"""``ai-video doctor``: what a user needs to know before a long run, with a fix for each gap."""

from __future__ import annotations

import os
import platform
import shutil
from dataclasses import dataclass

from ai_video.config import Settings

_FIXES = {
    "ffmpeg": "install ffmpeg 5+ (Debian/Ubuntu: apt-get install ffmpeg; `make install` does it)",
    "libx264": "install an ffmpeg build with libx264 (Debian's ffmpeg package has it)",
    "aac": "install an ffmpeg build with the native aac encoder",
    "libass": "install an ffmpeg build with libass (needed to burn captions)",
    "loudnorm": "install an ffmpeg build with the loudnorm filter",
    "zoompan": "install an ffmpeg build with the zoompan filter (used by generate)",
    "scdet": "optional: ffmpeg's scdet filter (ai_video has its own shot detector)",
    "h264_nvenc": "optional: an NVIDIA GPU with NVENC (not on H100/H200/A100) and driver",
    "nvdec": "optional: an NVIDIA GPU with NVDEC and a CUDA-enabled ffmpeg",
}
_REQUIRED = {"ffmpeg", "libx264", "aac", "libass", "loudnorm"}


@dataclass(frozen=True)
class Check:
    """One doctor finding."""

    name: str
    ok: bool
    detail: str
    fix: str
    required: bool


def run_checks(settings: Settings) -> list[Check]:
    """Run every check: ffmpeg capabilities, models, CPU/GPU, Ray."""
    return [
        *_media_checks(settings),
        *_model_checks(),
        *_speaker_checks(settings),
        *_compute_checks(),
        _ray_check(),
    ]


def _media_checks(settings: Settings) -> list[Check]:
    from ai_video.media.encoders import check_capabilities, detect_encoder

    checks = [
        Check(
            c.name,
            c.ok,
            c.detail,
            _FIXES.get(c.name, "see docs/operations.md"),
            c.name in _REQUIRED,
        )
        for c in check_capabilities(settings.media)
    ]
    enc = detect_encoder(settings.render, settings.media)
    checks.append(Check("encoder choice", True, f"{enc.name}: {enc.reason}", "", False))
    return checks


def _model_checks() -> list[Check]:
    from ai_video.analyze.models import check_models

    out = []
    for ref, detail, ok in check_models():
        name = f"model {ref.kind}:{ref.name}" if ref is not None else "model"
        fix = detail if not ok else ""
        shown = f"{ref.path} sha256 {ref.sha256[:12] if ref.sha256 else '-'}" if ref else detail
        out.append(Check(name, ok, shown, fix, True))
    return out


def _speaker_checks(settings: Settings) -> list[Check]:
    """The face detector and the voice encoder the speaker analysis loads."""
    from ai_video.analyze.diarize import VoiceEncoder
    from ai_video.analyze.faces import load_face_detector
    from ai_video.errors import AiVideoError

    checks = []
    try:
        detector = load_face_detector(settings.faces)
        tracks = hasattr(detector, "detect_landmarks")
        detail = f"{detector.name}" + ("" if tracks else " (no landmarks: main face only)")
        checks.append(Check("faces", True, detail, "", True))
    except (AiVideoError, ImportError, OSError) as exc:
        checks.append(Check("faces", False, str(exc), "pip install 'yuface==2023.5.1'", True))
    try:
        VoiceEncoder()
        checks.append(
            Check("voice encoder", True, "resemblyzer weights, sha256 verified", "", True)
        )
    except (AiVideoError, ImportError, OSError, RuntimeError) as exc:
        fix = "pip install --force-reinstall 'resemblyzer==0.1.4'"
        checks.append(Check("voice encoder", False, str(exc), fix, True))
    return checks


def _compute_checks() -> list[Check]:
    cores = os.cpu_count() or 1
    cpu = Check("cpu", True, f"{platform.machine()}, {cores} logical cores", "", True)
    smi = shutil.which("nvidia-smi")
    gpu = Check(
        "gpu",
        smi is not None,
        "nvidia-smi found" if smi else "no NVIDIA GPU visible (everything runs on CPU)",
        "optional: a CUDA GPU speeds up ASR and CLIP",
        False,
    )
    return [cpu, gpu]


def _ray_check() -> Check:
    try:
        import ray
    except ImportError as exc:
        return Check("ray", False, str(exc), "pip install 'ray[default,serve,data]==2.60.0'", True)
    address = os.environ.get("RAY_ADDRESS", "")
    where = f"will connect to {address}" if address else "will start a local Ray on 127.0.0.1"
    return Check("ray", True, f"ray {ray.__version__}; {where}", "", True)
