"""The benchmark entry point lists its benchmarks; the hand-written render equals render_clip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ai_video.config import CaptionStyle, Settings
from ai_video.edit.captions import build_caption_track
from ai_video.errors import InputError
from ai_video.media.ffmpeg import local_input, run_ffmpeg
from ai_video.media.probe import probe
from ai_video.render.export import write_ass
from ai_video.render.render import render_clip
from ai_video.types import (
    AudioPlan,
    CropKeyframe,
    CropPath,
    EditPlan,
    EncoderProfile,
    OutputPreset,
    TimeSpan,
    Word,
)
from benchmarking import clip as clip_module
from benchmarking.clip import HandEncode, hand_written_args
from tests.conftest import ROOT, make_lavfi_clip

SIZE = (180, 320)
ENCODER = EncoderProfile(
    "libx264",
    ("-preset", "ultrafast", "-crf", "23", "-threads", "1", "-profile:v", "high"),
    reason="test",
)
STYLE = CaptionStyle(font_size_px=28, outline_px=1.0, shadow_px=0.0)


def run_entry_point(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m benchmarking ARGS`` from the repository root."""
    cmd = [sys.executable, "-m", "benchmarking", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_help_lists_every_benchmark_module_and_unknown_names_fail() -> None:
    shown = run_entry_point("--help")
    assert shown.returncode == 0, shown.stderr
    rows = [line.split(maxsplit=1) for line in shown.stdout.splitlines() if line.startswith("  ")]
    listed = {name: doc for name, doc in rows}
    modules = {p.stem for p in (ROOT / "benchmarking").glob("*.py")}
    assert {"clip", "batch"} <= listed.keys() <= modules - {"__init__", "__main__", "common"}
    assert listed["clip"] == (clip_module.__doc__ or "").splitlines()[0]
    unknown = run_entry_point("no-such-benchmark")
    assert unknown.returncode == 2 and "unknown benchmark" in unknown.stderr


def gray_frames(path: Path, settings: Settings) -> np.ndarray:
    """Every frame of ``path`` as 8-bit gray, shape (n, 320, 180)."""
    args = ["-v", "error", *local_input(path), "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]
    raw = run_ffmpeg(settings.media.ffmpeg_bin, args, timeout_s=60).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, SIZE[1], SIZE[0]).astype(np.int16)


def test_hand_written_command_renders_what_render_clip_renders(
    tmp_path: Path, settings: Settings
) -> None:
    source = make_lavfi_clip(tmp_path / "src.mp4", duration_s=2.0, size="320x240", fps=25)
    span = TimeSpan(0.4, 1.6)
    words = [Word(f"word{i}", 0.5 + 0.3 * i, 0.75 + 0.3 * i, 1.0) for i in range(4)]
    captions = build_caption_track(words, span, "small")
    plan = EditPlan(
        source=source,
        span=span,
        preset=OutputPreset("small", *SIZE, 30.0),
        crop=CropPath((CropKeyframe(0.0, 60, 0, 135, 240),)),
        captions=captions,
        audio=AudioPlan(-14.0, -1.5, 128, 48000),
    )
    ass = write_ass(captions, STYLE, SIZE, tmp_path / "caps.ass")
    library = render_clip(plan, tmp_path / "a.mp4", ass, ENCODER, settings.render, settings.media)
    hand_out = tmp_path / "b.mp4"
    hand = HandEncode.from_profile(ENCODER, settings.render)
    run_ffmpeg(settings.media.ffmpeg_bin, hand_written_args(plan, ass, hand_out, hand), 60)

    a, b = probe(library.path, settings.media), probe(hand_out, settings.media)
    assert a.video is not None and b.video is not None
    assert a.audio is not None and b.audio is not None
    assert a.video.display_size == b.video.display_size == SIZE
    assert a.video.fps == b.video.fps == pytest.approx(30.0)
    assert a.duration_s == pytest.approx(1.2, abs=0.05)
    assert b.duration_s == pytest.approx(a.duration_s, abs=0.04)
    assert a.audio.sample_rate_hz == b.audio.sample_rate_hz == 48000
    frames_a, frames_b = gray_frames(library.path, settings), gray_frames(hand_out, settings)
    assert len(frames_a) == len(frames_b) == 36
    caption_rows = frames_a[:, SIZE[1] // 2 :, :]
    assert (caption_rows > 235).mean() > 0.002  # white caption letters are burned in
    assert np.abs(frames_a - frames_b).mean() < 0.5


def test_hand_written_command_refuses_paths_it_cannot_quote(tmp_path: Path) -> None:
    plan = EditPlan(
        source=tmp_path / "src.mp4",
        span=TimeSpan(0.0, 1.0),
        preset=OutputPreset("small", *SIZE, 30.0),
        crop=CropPath((CropKeyframe(0.0, 0, 0, 135, 240),)),
        captions=build_caption_track([], TimeSpan(0.0, 1.0), "small"),
        audio=AudioPlan(-14.0, -1.5, 128, 48000),
    )
    hand = HandEncode("ultrafast", "23", "1", "lanczos", 11.0)
    with pytest.raises(InputError, match="caption path"):
        hand_written_args(plan, tmp_path / "it's.ass", tmp_path / "out.mp4", hand)
