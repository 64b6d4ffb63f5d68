"""Clean-up cuts in the render graph, and the EditPlan's kept pieces and durations."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_video.edit.cleanup import output_time, retime_words
from ai_video.render.cuts import cut_audio, cut_video, kept_frames
from ai_video.types import (
    AudioPlan,
    CaptionTrack,
    CropKeyframe,
    CropPath,
    EditPlan,
    OutputPreset,
    TimeSpan,
    Word,
)


def _plan(removed: tuple[TimeSpan, ...]) -> EditPlan:
    return EditPlan(
        source=Path("/x.mp4"),
        span=TimeSpan(10.0, 20.0),
        preset=OutputPreset("t", 180, 320, 25.0),
        crop=CropPath((CropKeyframe(0.0, 0, 0, 90, 160),)),
        captions=CaptionTrack((), "t"),
        audio=AudioPlan(-14.0, -1.5, 128, 48_000, cut_fade_s=0.008),
        removed=removed,
    )


def test_kept_pieces_and_durations() -> None:
    plan = _plan((TimeSpan(12.0, 12.4), TimeSpan(15.0, 16.0), TimeSpan(19.6, 20.0)))
    assert plan.kept_spans() == (TimeSpan(10.0, 12.0), TimeSpan(12.4, 15.0), TimeSpan(16.0, 19.6))
    assert plan.output_duration_s == pytest.approx(8.2)
    assert kept_frames(plan) == [(0, 50), (60, 125), (150, 240)]
    assert _plan(()).output_duration_s == pytest.approx(10.0)


def test_graph_cuts_video_by_frame_and_fades_audio_at_cuts() -> None:
    plan = _plan((TimeSpan(12.0, 12.4),))
    chains, head = cut_video("[0:v:0]fps=25", plan)
    assert chains[0] == "[0:v:0]fps=25,split=2[cv0][cv1]"
    assert "trim=start_frame=0:end_frame=50" in chains[1]
    assert "trim=start_frame=60:end_frame=250" in chains[2]
    assert head == "[kv0][kv1]concat=n=2:v=1:a=0"
    achains, ahead = cut_audio("[0:a:0]aformat=channel_layouts=stereo", plan)
    assert "afade=t=out:st=1.992000:d=0.0080" in achains[1] and "afade=t=in" not in achains[1]
    assert "afade=t=in:st=0:d=0.0080" in achains[2] and "afade=t=out" not in achains[2]
    assert ahead == "[ka0][ka1]concat=n=2:v=0:a=1"
    assert cut_video("[x]", _plan(())) == ([], "[x]")


def test_words_move_onto_the_cut_clip() -> None:
    span, removed = TimeSpan(10.0, 20.0), (TimeSpan(12.0, 12.5),)
    words = [Word("a", 11.0, 11.5, 1.0), Word("um", 12.05, 12.45, 1.0), Word("b", 13.0, 13.4, 1.0)]
    moved = retime_words(words, span, removed)
    assert [w.text for w in moved] == ["a", "b"]
    assert moved[1].start_s == pytest.approx(12.5) and moved[1].end_s == pytest.approx(12.9)
    assert output_time(12.2, span, removed) == pytest.approx(2.0)
