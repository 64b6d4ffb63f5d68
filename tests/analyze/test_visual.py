"""The shared visual pass: sampling mechanics on generated clips, faces on a real one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from ai_video.analyze.faces import HaarFaceDetector
from ai_video.analyze.visual import MainFacePicker, analyze_visuals
from ai_video.config import Settings
from ai_video.media.frames import analysis_fps, stream_frames
from ai_video.media.probe import probe
from ai_video.types import Box, VisualAnalysis


def run_pass(path: Path, settings: Settings) -> VisualAnalysis:
    """The visual pass over ``path`` with ``settings``."""
    info = probe(path, settings.media)
    fps = analysis_fps(info, settings.analysis)
    batches = stream_frames(info, settings.analysis, settings.media)
    detector = HaarFaceDetector(settings.faces)
    return analyze_visuals(batches, settings.shots, settings.faces, detector, fps)


def centres(boxes: np.ndarray) -> np.ndarray:
    """``(cx, cy)`` rows of ``(x, y, w, h)`` rows."""
    return boxes[:, :2] + boxes[:, 2:] / 2


def test_picker_prefers_a_big_confident_face_then_keeps_to_it() -> None:
    picker = MainFacePicker(continuity_bonus=1.5)
    anchor = Box(100, 100, 60, 60)
    false_hit = Box(10, 400, 70, 70)
    assert picker.choose([(false_hit, 0.45), (anchor, 0.8)]) == (anchor, 0.8)
    # A slightly stronger candidate elsewhere does not steal the main face...
    moved = Box(104, 98, 60, 60)
    assert picker.choose([(Box(300, 100, 60, 60), 0.9), (moved, 0.75)]) == (moved, 0.75)
    # ...but a clearly better one does.
    big = Box(300, 100, 150, 150)
    assert picker.choose([(big, 0.9), (moved, 0.75)]) == (big, 0.9)
    assert picker.choose([]) is None


def test_pass_over_a_faceless_clip_with_one_cut(tmp_path: Path, settings: Settings) -> None:
    clip = tmp_path / "cut.mp4"
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=2",
            "-f", "lavfi", "-i", "mandelbrot=size=640x360:rate=25,trim=duration=1",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip),
        ],
        check=True,
    )  # fmt: skip
    result = run_pass(clip, settings)
    assert result.fps == 25.0 and result.frame_count == 75
    assert len(result.motion) == 75
    assert [s.start_frame for s in result.shots] == [0, 50]
    np.testing.assert_allclose(result.faces.times_s, np.arange(15) * 0.2)
    assert np.isnan(result.faces.boxes).all()
    assert (result.faces.counts == 0).all()
    assert result.faces.detector == "opencv-haar"


@pytest.mark.media
def test_tracked_search_matches_full_scans_on_a_real_face(media: Path, settings: Settings) -> None:
    path = media / "talking" / "real3dportrait_May_5s.mp4"
    tracked = run_pass(path, settings).faces
    full = run_pass(path, settings.with_overrides({"faces.full_scan_every_s": 0.0})).faces
    found = ~np.isnan(tracked.boxes[:, 0])
    print(f"real3dportrait: {len(tracked.times_s)} samples, face rate {found.mean():.2f}")
    assert len(tracked.times_s) == 25 and found.mean() >= 0.95
    # Source pixels (512x512 source, 320x320 analysis): a head-and-shoulders face.
    cx = centres(tracked.boxes[found])[:, 0]
    assert (tracked.boxes[found, 2] > 120).all() and (tracked.boxes[found, 2] < 400).all()
    assert (cx > 128).all() and (cx < 384).all()
    both = found & ~np.isnan(full.boxes[:, 0])
    side = full.boxes[both, 2]
    centre_gap = np.hypot(*(centres(tracked.boxes[both]) - centres(full.boxes[both])).T) / side
    side_ratio = tracked.boxes[both, 2] / side
    print(
        f"tracked vs full scan: centre gap median {np.median(centre_gap):.3f}, "
        f"max {centre_gap.max():.3f} face sides; side ratio {side_ratio.min():.2f}-"
        f"{side_ratio.max():.2f}"
    )
    assert both.mean() >= 0.95
    assert np.median(centre_gap) <= 0.03 and centre_gap.max() <= 0.15
    assert side_ratio.min() >= 0.85 and side_ratio.max() <= 1.2
    np.testing.assert_array_equal(tracked.counts, full.counts)
