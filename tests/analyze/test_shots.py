"""Shot detection: decision rules on hand-built scores, lavfi clips, and real ground truth."""

from __future__ import annotations

import csv
import dataclasses
import itertools
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ai_video.analyze.shots import (
    ShotDetector,
    detect_shots,
    detect_shots_in,
    fade_boundaries,
    hard_cuts,
    track_breaks_s,
)
from ai_video.analyze.visual import planes_of
from ai_video.config import AnalysisConfig, MediaConfig, ShotConfig
from ai_video.media.frames import stream_planes
from ai_video.media.probe import probe
from ai_video.types import FrameBatch, PlaneBatch, Shot, TimeSpan

MEDIA = MediaConfig()
CFG = ShotConfig()
TOLERANCE_FRAMES = 2


def _shots_of(path: Path, cfg: ShotConfig = CFG) -> tuple[Shot, ...]:
    return detect_shots_in(probe(path, MEDIA), cfg, AnalysisConfig(), MEDIA)


def _encode(out: Path, graph: str, x264: tuple[str, ...] = ("-preset", "ultrafast")) -> Path:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-filter_complex", graph, "-map", "[v]",
         "-c:v", "libx264", *x264, "-pix_fmt", "yuv420p", str(out)],
        check=True,
    )  # fmt: skip
    return out


def _planes(frames: np.ndarray, fps: float = 25.0) -> PlaneBatch:
    return planes_of(FrameBatch(start_index=0, fps=fps, frames=frames, scale=1.0))


# ----------------------------------------------------------------------------- decision rules


def test_isolated_spike_is_a_cut_but_a_plateau_is_not() -> None:
    scores = np.full(60, 0.02)
    scores[20] = 0.8  # a cut
    scores[40:48] = 0.5  # a fast pan or a fade: high, but not above its surroundings
    scores[55] = 0.25  # a bump below the absolute threshold
    assert hard_cuts(scores, CFG) == [20]


def test_fade_boundary_rules() -> None:
    black = np.zeros(100, dtype=bool)
    black[:5] = True  # fade in from black at the start: no boundary
    black[30:41] = True  # picture -> black -> picture: boundary at the midpoint
    black[60:70] = True  # entered by a hard cut at 60: that cut is the boundary
    black[80:81] = True  # a single dark frame is not a fade
    black[95:] = True  # fade out at the end: no boundary
    assert fade_boundaries(black, [60], CFG) == [35]


@pytest.mark.parametrize(("lamp", "expected"), [(False, [0, 25]), (True, [0])])
def test_dark_scene_with_a_lamp_is_not_a_fade(lamp: bool, expected: list[int]) -> None:
    level = np.concatenate([np.linspace(120, 0, 20), np.zeros(10), np.linspace(0, 120, 20)])
    frames = np.repeat(level.astype(np.uint8), 36 * 64 * 3).reshape(50, 36, 64, 3)
    if lamp:
        frames[:, 4:12, 4:12] = 255  # a bright lamp in every frame keeps the scene going
    detector = ShotDetector(CFG, fps=25.0)
    detector.push(_planes(frames))
    assert [s.start_frame for s in detector.finish()] == expected


def test_close_boundaries_keep_the_stronger_cut() -> None:
    detector = ShotDetector(ShotConfig(min_shot_s=0.3), fps=25.0)
    frames = np.zeros((50, 36, 64, 3), dtype=np.uint8)
    frames[:, :, :] = (30, 60, 90)
    frames[20:23] = (150, 60, 30)  # a 0.12 s flash of orange (score 0.8) ...
    frames[23:] = (250, 250, 250)  # ... right before a cut to white (score 1.0)
    detector.push(_planes(frames))
    shots = detector.finish()
    assert [s.start_frame for s in shots] == [0, 23]
    assert [s.cause for s in shots] == ["start", "cut"]


# ----------------------------------------------------------------------------- lavfi clips


def test_lavfi_hard_cuts_to_the_frame(tmp_path: Path) -> None:
    clip = _encode(
        tmp_path / "segments.mp4",
        "testsrc2=s=320x180:r=25:d=1.2[a];smptebars=s=320x180:r=25:d=1[b];"
        "mandelbrot=s=320x180:r=25,trim=duration=1[c];color=c=orange:s=320x180:r=25:d=0.8[d];"
        "[a][b][c][d]concat=n=4:v=1,format=yuv420p[v]",
    )
    shots = _shots_of(clip)
    assert [s.start_frame for s in shots] == [0, 30, 55, 80]
    assert shots[-1].end_frame == 100
    assert [s.span.start_s for s in shots] == pytest.approx([0.0, 1.2, 2.2, 3.2])
    assert all(a.end_frame == b.start_frame for a, b in itertools.pairwise(shots))


def test_lavfi_fade_through_black(tmp_path: Path) -> None:
    clip = _encode(
        tmp_path / "fade.mp4",
        "smptebars=s=320x180:r=25:d=2,fade=t=out:st=1.4:d=0.6[a];"
        "testsrc2=s=320x180:r=25:d=2,fade=t=in:st=0:d=0.6[b];[a][b]concat=n=2:v=1[v]",
    )
    starts = [s.start_frame for s in _shots_of(clip)]
    assert len(starts) == 2 and abs(starts[1] - 50) <= TOLERANCE_FRAMES


def test_static_clip_is_one_shot(tmp_path: Path) -> None:
    clip = _encode(tmp_path / "still.mp4", "smptebars=s=320x180:r=25:d=2[v]")
    info = probe(clip, MEDIA)
    detector = ShotDetector(CFG, fps=25.0, frame_count_hint=10)  # hint smaller than needed
    for batch in stream_planes(info, AnalysisConfig(batch_frames=7), MEDIA, 64, False):
        detector.push(batch)
    shots = detector.finish()
    assert len(shots) == 1
    assert (shots[0].start_frame, shots[0].end_frame) == (0, 50)
    assert shots[0].span.end_s == pytest.approx(2.0)
    assert detector.motion.shape == (50,) and float(detector.motion.max()) < 1.0


def test_batches_must_be_contiguous() -> None:
    detector = ShotDetector(CFG, fps=25.0)
    batch = PlaneBatch(5, 25.0, np.zeros((2, 8 * 8 * 3 // 2), np.uint8), 8, 8, 1.0)
    with pytest.raises(ValueError, match="expected 0"):
        detector.push(batch)
    detector.push(dataclasses.replace(batch, start_index=0))
    with pytest.raises(ValueError, match="frame size changed"):
        detector.push(PlaneBatch(2, 25.0, np.zeros((2, 8 * 10 * 3 // 2), np.uint8), 10, 8, 1.0))
    assert detect_shots([], CFG) == ()


@pytest.mark.parametrize(("pyramid", "late"), [("normal", 1), ("none", 3)])
def test_skipped_nonreference_frames_move_a_cut_late_by_the_b_frame_run_at_most(
    tmp_path: Path, pyramid: str, late: int
) -> None:
    """Three B-frames in a row and no keyframe at the cuts (x264 scenecut off): the full
    decode finds every cut to the frame; the skipping decode places a cut on the next frame
    it decoded: 1 frame late at most with x264's default B-pyramid (the middle B-frame is a
    reference), 3 without one."""
    clip = _encode(
        tmp_path / "bframes.mp4",
        "testsrc2=s=320x180:r=25:d=1.24[a];smptebars=s=320x180:r=25:d=1.16[b];"
        "mandelbrot=s=320x180:r=25,trim=duration=1.08[c];[a][b][c]concat=n=3:v=1,format=yuv420p[v]",
        ("-preset", "veryfast", "-bf", "3", "-x264-params", f"scenecut=0:b-pyramid={pyramid}"),
    )
    full = [s.start_frame for s in _shots_of(clip, ShotConfig(skip_nonref_frames=False))]
    skipped = [s.start_frame for s in _shots_of(clip)]
    assert full == [0, 31, 60]
    assert len(skipped) == 3
    assert all(0 <= b - a <= late for a, b in zip(full, skipped, strict=True)), skipped


# ----------------------------------------------------------------------------- accuracy


def _match(found: list[int], truth: list[int]) -> int:
    unmatched = list(truth)
    hits = 0
    for frame in found:
        near = [t for t in unmatched if abs(t - frame) <= TOLERANCE_FRAMES]
        if near:
            unmatched.remove(min(near, key=lambda t: abs(t - frame)))
            hits += 1
    return hits


def _content_golden(cell: str) -> list[int]:
    """PySceneDetect ContentDetector's golden cuts from the cuts.tsv column."""
    for part in cell.split(";"):
        names, _, frames = part.strip().rpartition(" ")
        if any(n.startswith("Content") for n in names.split("/")):
            return [] if frames == "none" else [int(f) for f in frames.split(",")]
    return []


def _f1(hits: int, found: int, truth: int) -> float:
    precision = hits / found if found else 1.0
    recall = hits / truth if truth else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@pytest.mark.media
@pytest.mark.slow
def test_accuracy_against_ground_truth(media: Path) -> None:
    """Cuts of the four scene files within +-2 frames of truth: F1 at least 0.85 and above
    PySceneDetect ContentDetector's (its golden outputs, listed in cuts.tsv)."""
    with (media / "scenes/cuts.tsv").open(encoding="utf-8") as table:
        rows = list(csv.DictReader(table, delimiter="\t"))
    totals = np.zeros(3, dtype=int)  # hits, found, truth
    golden = np.zeros(3, dtype=int)
    report = []
    for row in rows:
        nominal_fps = float(Fraction(row["fps"].split()[0]))
        truth = [int(f) for f in row["cut_frames"].split(",")]
        shots = _shots_of(media / "scenes" / row["file"])
        found = [round(s.span.start_s * nominal_fps) for s in shots[1:]]
        content = _content_golden(row["pyscenedetect_goldens"])
        totals += (_match(found, truth), len(found), len(truth))
        golden += (_match(content, truth), len(content), len(truth))
        report.append(f"{row['file']}: found {found} truth {truth} content {content}")
    f1, content_f1 = _f1(*totals), _f1(*golden)
    report.append(f"F1 {f1:.3f} (ContentDetector golden {content_f1:.3f})")
    print("\n".join(report))
    assert f1 >= 0.85 and f1 > content_f1, "\n".join(report)


def test_face_tracks_break_at_cuts_and_fades_but_run_through_jump_cuts() -> None:
    edges = [(0, "start"), (50, "cut"), (120, "jump"), (200, "fade"), (260, "jump"), (300, "")]
    shots = [
        Shot(i, TimeSpan(a / 25, b / 25), a, b, cause)
        for i, ((a, cause), (b, _)) in enumerate(itertools.pairwise(edges))
    ]
    assert track_breaks_s(shots) == [2.0, 8.0]
    assert track_breaks_s(shots[:1]) == []
