"""Scene renders: exact frame counts, identical encode parameters, Ken Burns, looping, cards."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from ai_video.config import Settings
from ai_video.media.encoders import detect_encoder
from ai_video.pipeline.generate_steps import render_scenes
from ai_video.render.scene import wrap_title
from ai_video.types import (
    CaptionLine,
    CaptionTrack,
    CaptionWord,
    OutputPreset,
    ScenePlan,
    TimeSpan,
)

PRESET = OutputPreset("tiktok", 360, 640, 30.0)
CAPTIONS = CaptionTrack(
    (CaptionLine((CaptionWord("Hello", 0.1, 0.5), CaptionWord("there.", 0.5, 1.0))),), "tiktok"
)


def _plan(index: int, start_s: float, end_s: float, kind: str, visual: Path | None) -> ScenePlan:
    return ScenePlan(
        index, TimeSpan(start_s, end_s), kind, visual, "Interest rates rose again", PRESET, CAPTIONS
    )


def _stream_facts(path: Path) -> tuple[str, ...]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=codec_type,codec_name,profile,width,height,pix_fmt,r_frame_rate,time_base,nb_frames",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()  # fmt: skip
    return tuple(out)


def _frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame.astype(np.float64))
    capture.release()
    return frames


@pytest.mark.media
def test_each_kind_renders_exact_frames_with_identical_parameters(
    media: Path, small_settings: Settings, tmp_path: Path
) -> None:
    broll = media / "broll"
    plans = [
        _plan(0, 0.0, 1.5, "image", broll / "images/opencv_starry_night.jpg"),
        _plan(1, 1.5, 4.0, "video", broll / "video/moviepy_example2.mp4"),
        _plan(2, 4.0, 4.5, "card", None),
        _plan(3, 4.5, 5.0, "video", broll / "video/opencv_vtest.avi"),
    ]
    encoder = detect_encoder(small_settings.render, small_settings.media)
    renders = render_scenes(plans, encoder, small_settings, tmp_path)
    facts = [_stream_facts(r.path) for r in renders]
    assert all(len(f) == 1 for f in facts), "scene files carry exactly one (video) stream"
    assert [int(f[0].rsplit(",", 1)[1]) for f in facts] == [45, 75, 15, 15]
    assert len({f[0].rsplit(",", 1)[0] for f in facts}) == 1, facts
    assert facts[0][0].startswith("h264,High,video,360,640,yuv420p,30/1,1/90000")

    still = _frames(renders[0].path)
    assert np.abs(still[0] - still[-1]).mean() > 3.0, "the Ken Burns move changes the picture"
    steps = [np.abs(a - b).mean() for a, b in itertools.pairwise(still)]
    assert float(np.mean(steps)) < np.abs(still[0] - still[-1]).mean() / 2, "a glide, not cuts"
    looped = _frames(renders[1].path)
    assert len(looped) == 75 and looped[70].mean() > 20, "a 2 s clip fills a 2.5 s scene"
    card = _frames(renders[2].path)
    assert card[10].mean() > 40, "the fallback card is never black"


def test_card_titles_are_wrapped_to_the_frame() -> None:
    lines = wrap_title(
        "The central bank raised interest rates again this quarter", PRESET
    ).splitlines()
    assert 2 <= len(lines) <= 5
    assert max(len(line) for line in lines) <= 20
