"""The render argv: option order, filter text, escaping (no process is run here)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from ai_video.config import Settings
from ai_video.errors import PlanError
from ai_video.render.graph import build_render_args, crop_filter, subtitles_filter
from ai_video.types import (
    AudioPlan,
    CaptionTrack,
    CropKeyframe,
    CropPath,
    EditPlan,
    EncoderProfile,
    OutputPreset,
    TimeSpan,
)

X264 = EncoderProfile("libx264", ("-preset", "veryfast", "-crf", "21"), reason="test")


def _plan(has_audio: bool = True) -> EditPlan:
    crop = CropPath((CropKeyframe(0.0, 10, 0, 288, 512), CropKeyframe(2.0, 60, 4, 288, 512)))
    return EditPlan(
        source=Path("/media/talk.mp4"),
        span=TimeSpan(20.0, 30.5),
        preset=OutputPreset("tiktok", 1080, 1920, 30.0),
        crop=crop,
        captions=CaptionTrack((), "tiktok"),
        audio=AudioPlan(-14.0, -1.5, 128, 48000),
        has_audio=has_audio,
    )


def _value(args: list[str], option: str) -> str:
    return args[args.index(option) + 1]


def test_argv_seeks_the_input_and_maps_every_output(settings: Settings) -> None:
    args = build_render_args(
        _plan(), X264, Path("/w/c.ass"), Path("/w/o.mp4"), settings.render, None
    )
    first_input = args.index("-i")
    assert args.index("-ss") < first_input and args.index("-t") < first_input
    assert (_value(args, "-ss"), _value(args, "-t")) == ("20.000", "10.500")
    assert _value(args, "-i") == "file:/media/talk.mp4"
    assert [args[i + 1] for i, a in enumerate(args) if a == "-map"] == ["[v]", "[a]"]
    assert _value(args, "-c:v") == "libx264" and _value(args, "-crf") == "21"
    assert _value(args, "-profile:v") == "high" and _value(args, "-movflags") == "+faststart"
    assert (_value(args, "-c:a"), _value(args, "-b:a")) == ("aac", "128k")
    assert "-shortest" in args and args[-1] == "file:/w/o.mp4" and _value(args, "-f") == "mp4"
    graph = _value(args, "-filter_complex")
    video, audio = graph.split(";")
    assert video.startswith("[0:v:0]fps=30,crop=w=288:h=512:")
    assert "scale=1080:1920:flags=lanczos,setsar=1,format=yuv420p,subtitles=" in video
    assert video.endswith("[v]")
    assert audio == (
        "[0:a:0]aformat=channel_layouts=stereo|mono,loudnorm=I=-14.0:TP=-1.5:LRA=11.0,"
        "aresample=48000[a]"
    )


def test_argv_without_source_audio(settings: Settings) -> None:
    silent = build_render_args(
        _plan(False), X264, Path("/c.ass"), Path("/o.mp4"), settings.render, None
    )
    assert _value(silent, "-filter_complex").endswith(";anullsrc=r=48000:cl=stereo:d=10.500[a]")
    assert "[a]" in silent
    cfg = settings.render.model_copy(update={"silent_audio_when_missing": False})
    bare = build_render_args(_plan(False), X264, Path("/c.ass"), Path("/o.mp4"), cfg, None)
    assert "[a]" not in bare and "-c:a" not in bare and ";" not in _value(bare, "-filter_complex")


def test_crop_steps_switch_halfway_before_their_first_frame() -> None:
    crop = CropPath((CropKeyframe(0.0, 10, 20, 288, 512), CropKeyframe(1.0, 60, 20, 288, 512),
                     CropKeyframe(1.01, 80, 30, 288, 512)))  # fmt: skip
    # At 30 fps, 1.0 s is frame 30 (switch at 29.5 / 30) and 1.01 s rounds up to frame 31.
    assert crop_filter(crop, 30.0) == (
        "crop=w=288:h=512:x='10+(50)*gte(t,0.983333)+(20)*gte(t,1.016667)'"
        ":y='20+(10)*gte(t,1.016667)'"
    )
    still = CropPath((CropKeyframe(0.0, 10, 0, 288, 512),))
    assert crop_filter(still, 30.0) == "crop=w=288:h=512:x='10':y='0'"


def test_long_crop_path_stays_one_filter() -> None:
    keyframes = tuple(CropKeyframe(i / 15, 100 + (i % 7) * 2, 0, 288, 512) for i in range(900))
    text = crop_filter(CropPath(keyframes), 30.0)
    assert text.count("crop=") == 1 and "," not in text.replace("gte(t,", "")
    x_changes = sum(1 for a, b in pairwise(keyframes) if a.x != b.x)
    assert text.count("gte(") == x_changes  # y never moves: no terms for it
    assert len(text) < 40_000


def test_crop_sizes_must_agree() -> None:
    crop = CropPath((CropKeyframe(0.0, 0, 0, 288, 512), CropKeyframe(1.0, 0, 0, 200, 512)))
    with pytest.raises(PlanError):
        crop_filter(crop, 30.0)
    with pytest.raises(PlanError):
        crop_filter(CropPath(()), 30.0)


def test_subtitles_path_is_escaped_for_option_and_graph_levels() -> None:
    text = subtitles_filter(Path("/a:b/c'd,e[f];g\\h.ass"), Path("/fonts dir"))
    assert text == (
        "subtitles=filename=file\\\\:/a\\\\:b/c\\\\\\'d\\,e\\[f\\]\\;g\\\\\\\\h.ass"
        ":fontsdir=/fonts dir"
    )
