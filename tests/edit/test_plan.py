"""EditPlan assembly: span, preset, captions in clip time, audio targets, crop checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_video.config import Settings
from ai_video.edit.plan import build_edit_plan
from ai_video.errors import PlanError
from ai_video.types import Candidate, CropKeyframe, CropPath, Segment, TimeSpan, Transcript, Word

SPOKEN = "Before the clip. This is the part we keep, all of it. After"


def _transcript() -> Transcript:
    tokens = SPOKEN.split()
    words = tuple(
        Word(" " + t, 1.0 + i * 0.5, 1.0 + i * 0.5 + 0.4, 0.9) for i, t in enumerate(tokens)
    )
    return Transcript(language="en", segments=(Segment("", 1.0, 8.0, words),), model="test")


def _candidate() -> Candidate:
    return Candidate(TimeSpan(2.45, 6.95), 1, 1, "This is the part we keep, all of it.", "This")


def _crop(*keyframes: tuple[float, int]) -> CropPath:
    return CropPath(tuple(CropKeyframe(t, x, 0, 288, 512) for t, x in keyframes))


def test_plan_carries_preset_audio_and_clip_time_captions(settings: Settings) -> None:
    plan = build_edit_plan(
        Path("src.mp4"), _candidate(), _transcript(), _crop((0.0, 10), (2.0, 40)),
        settings.preset("tiktok"), "tiktok", (settings.render, settings.language), has_audio=True,
    )  # fmt: skip
    assert (plan.preset.width_px, plan.preset.height_px, plan.preset.fps) == (1080, 1920, 30.0)
    assert plan.preset.name == "tiktok" and plan.captions.style_name == "tiktok"
    assert plan.audio.loudness_target_lufs == -14.0 and plan.audio.bitrate_kbps == 128
    assert plan.audio.sample_rate_hz == 48000 and plan.has_audio
    texts = [line.text for line in plan.captions.lines]
    assert " ".join(texts) == "This is the part we keep, all of it."
    assert all(2 <= len(line.words) <= 4 for line in plan.captions.lines)
    first = plan.captions.lines[0].words[0]
    assert first.start_s == pytest.approx(2.5 - 2.45)
    assert plan.captions.lines[-1].end_s <= plan.span.duration_s


def test_plan_rejects_unusable_crop_paths(settings: Settings) -> None:
    args = (Path("s.mp4"), _candidate(), _transcript())
    preset = settings.preset("tiktok")
    late_start = _crop((0.5, 10))
    backwards = _crop((0.0, 10), (2.0, 20), (1.0, 30))
    two_sizes = CropPath((CropKeyframe(0.0, 0, 0, 288, 512), CropKeyframe(1.0, 0, 0, 300, 512)))
    past_end = _crop((0.0, 10), (9.0, 20))
    for crop in (CropPath(()), late_start, backwards, two_sizes, past_end):
        with pytest.raises(PlanError):
            configs = (settings.render, settings.language)
            build_edit_plan(*args, crop, preset, "tiktok", configs, has_audio=True)
