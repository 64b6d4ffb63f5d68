"""Face detectors compared (Haar vs YuNet/yuface): recall, precision, ms per analysis frame.

Frames every 0.5 s (first 20 s) of the shared single-face talking-head videos, at the
analysis size: each frame holds exactly one face, so a frame with no detection is a miss
and every detection beyond the first is a false one. Frames of face-free videos count
false detections only. Speed is the wall time per ``detect`` call on this machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl

from ai_video.analyze.faces import FaceDetector, HaarFaceDetector, YuFaceDetector
from ai_video.config import FaceConfig, Settings
from ai_video.media.frames import analysis_fps, stream_frames
from ai_video.media.probe import probe
from ai_video.types import UInt8Array
from benchmarking.common import (
    bar_chart,
    machine_info,
    markdown_table,
    open_suite,
    suite_parser,
    write_report,
)

QUICK_FILES = 3
"""One-face and face-free files read with ``--quick`` (the shortest of each)."""


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
    """Write recall, precision, false detections on face-free frames and ms/frame."""
    parser = suite_parser("faces", __doc__)
    parser.add_argument("--every-s", type=float, default=0.5)
    parser.add_argument("--limit-s", type=float, default=20.0)
    args = parser.parse_args(list(argv))
    suite = open_suite("faces", args)
    limit = QUICK_FILES if suite.quick else None
    every_s, limit_s = (1.0, 3.0) if suite.quick else (args.every_s, args.limit_s)
    one_face = suite.registry.query("talking", ("face", "video"), limit=limit)
    no_face = suite.registry.query(None, ("no-face", "video"), limit=limit)
    settings = Settings()
    detectors: dict[str, FaceDetector] = {
        "haar": HaarFaceDetector(FaceConfig(detector="haar")),
        "yuface": YuFaceDetector(FaceConfig()),
    }
    rows: list[dict[str, object]] = []
    for item, faces_in_frame in [(i, 1) for i in one_face] + [(i, 0) for i in no_face]:
        for k, frame in enumerate(sampled_frames(item.path, settings, every_s, limit_s)):
            for key, detector in detectors.items():
                started = time.perf_counter()
                found = len(detector.detect(frame))
                rows.append({"detector": detectors[key].name, "file": item.rel, "frame": k,
                             "faces_true": faces_in_frame, "faces_found": found,
                             "ms": 1000 * (time.perf_counter() - started)})  # fmt: skip
    raw = pl.DataFrame(rows)
    table = _summary(raw)
    markdown = "\n\n".join(
        [
            "# Face detectors",
            f"{machine_info().line()}. Frames every {every_s} s (first {limit_s} s) of "
            f"{len(one_face)} one-face and {len(no_face)} face-free registry videos.",
            markdown_table(table, 3),
        ]
    )
    yu = table.filter(pl.col("detector") == detectors["yuface"].name).row(0, named=True)
    headline = {f"yuface_{c}": yu[c] for c in ("recall", "precision", "ms_per_frame")}
    write_report(suite.out, raw, markdown + "\n", headline)
    costs = dict(zip(table["detector"], table["ms_per_frame"], strict=True))
    bar_chart(costs, "face detection cost", "ms per frame", suite.out / "ms_per_frame.png")
    print(markdown)
    return 0


def _summary(raw: pl.DataFrame) -> pl.DataFrame:
    """Recall and precision on one-face frames, false detections on face-free ones, ms/frame."""
    one = pl.col("faces_true") == 1
    hit = (pl.col("faces_found") > 0) & one
    return raw.group_by("detector", maintain_order=True).agg(
        (hit.sum() / one.sum()).alias("recall"),
        (hit.sum() / (hit.sum() + ((pl.col("faces_found") - 1).clip(0) * one).sum())).alias(
            "precision"
        ),
        ((pl.col("faces_found") * ~one).sum()).alias("false_on_face_free"),
        (~one).sum().alias("face_free_frames"),
        pl.col("ms").mean().alias("ms_per_frame"),
    )
