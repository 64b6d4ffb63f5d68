"""A user's fix applied to an EditPlan: trims snap to word gaps, crop shifts, words change."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_video.config import CaptionStyle
from ai_video.edit.captions import build_caption_track
from ai_video.edit.revise import ClipEdit, revise_plan, snap_to_gap
from ai_video.errors import PlanError
from ai_video.types import (
    AudioPlan,
    CropKeyframe,
    CropPath,
    EditPlan,
    OutputPreset,
    Segment,
    TimeSpan,
    Transcript,
    Word,
)

WORDS = tuple(Word(f"w{i}", 10.0 + i * 0.5, 10.0 + i * 0.5 + 0.4, 1.0) for i in range(20))
TRANSCRIPT = Transcript("en", (Segment("", 10.0, 20.0, WORDS),), "test")
STYLE = CaptionStyle()


def _plan() -> EditPlan:
    span = TimeSpan(10.0, 19.95)
    crop = CropPath((CropKeyframe(0.0, 0, 0, 90, 160), CropKeyframe(3.0, 40, 0, 90, 160)))
    track = build_caption_track(TRANSCRIPT.words_in(span), span, "t")
    audio = AudioPlan(-14.0, -1.5, 128, 48_000)
    preset = OutputPreset("t", 180, 320, 25.0)
    return EditPlan(
        Path("/x.mp4"), span, preset, crop, track, audio, removed=(TimeSpan(15.0, 15.2),)
    )


def test_bounds_snap_to_the_nearest_gap() -> None:
    assert snap_to_gap(12.3, WORDS) == pytest.approx(12.45)  # inside w4 (12.0-12.4)
    assert snap_to_gap(12.42, WORDS) == pytest.approx(12.42)  # already in a gap
    assert snap_to_gap(12.05, WORDS) == pytest.approx(11.95)


def test_trim_shifts_crop_and_keeps_cuts_inside() -> None:
    plan = revise_plan(_plan(), ClipEdit(start_s=13.1, end_s=16.0), TRANSCRIPT, STYLE)
    assert (plan.span.start_s, plan.span.end_s) == pytest.approx((12.95, 16.0))
    assert [(round(k.t_s, 2), k.x) for k in plan.crop.keyframes] == [(0.0, 0), (0.05, 40)]
    assert plan.removed == (TimeSpan(15.0, 15.2),)
    first = plan.captions.lines[0].words[0]
    assert first.text == "w6" and first.start_s == pytest.approx(0.05)
    earlier = revise_plan(_plan(), ClipEdit(start_s=11.0), TRANSCRIPT, STYLE)
    assert [(round(k.t_s, 2), k.x) for k in earlier.crop.keyframes] == [(0.0, 0), (2.0, 40)]


def test_caption_words_are_corrected_and_bad_edits_refused() -> None:
    plan = revise_plan(_plan(), ClipEdit(words={0: "Hello", 3: "world"}), TRANSCRIPT, STYLE)
    texts = [w.text for line in plan.captions.lines for w in line.words]
    assert texts[0] == "Hello" and texts[3] == "world" and texts[1] == "w1"
    with pytest.raises(PlanError):
        revise_plan(_plan(), ClipEdit(words={99: "x"}), TRANSCRIPT, STYLE)
    with pytest.raises(PlanError):
        revise_plan(_plan(), ClipEdit(start_s=18.0, end_s=12.0), TRANSCRIPT, STYLE)
