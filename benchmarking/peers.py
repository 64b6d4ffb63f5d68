"""Peers side by side in one run: shot detection vs PySceneDetect, render vs MoviePy, auto-editor.

1. Shot detection on every registry file with known cuts: our detector (its public
   ``detect_shots`` over the analysis decode) vs PySceneDetect's ContentDetector and
   AdaptiveDetector (defaults, their own OpenCV decode); wall time including decode, and
   precision/recall/F1 of cut times against the truth with a 2-frame tolerance.
2. Render of the same captioned 9:16 clip (a word-timed registry talk, captions from its
   reference word times): ``render_clip`` vs MoviePy (crop, resize, TextClip captions,
   same libx264 preset/CRF and AAC), alternated.
3. Silence removal vs auto-editor, only when a runnable auto-editor is present; else
   skipped with the reason in the report.
Ratios are peer / ours (above 1: we are faster). ``--quick``: the two shortest scene files,
one render each at 360x640.
"""

from __future__ import annotations

import importlib.util
import shutil
import statistics
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from ai_video.config import Settings
from benchmarking.common import (
    bar_chart,
    bench_settings,
    machine_info,
    markdown_table,
    open_suite,
    stopwatch,
    suite_parser,
    write_report,
)
from benchmarking.datasets import MediaItem, Registry
from benchmarking.evaluate.shots import CutScore, cut_score

TOLERANCE_FRAMES = 2
SCENEDETECT = "PySceneDetect 0.7.2"


def ours_cuts(path: Path, settings: Settings) -> list[float]:
    """Cut times (s) found by ai_video's shot detector, decode included."""
    from ai_video.analyze.shots import detect_shots_in
    from ai_video.media.probe import probe

    info = probe(path, settings.media)
    shots = detect_shots_in(info, settings.shots, settings.analysis, settings.media)
    return [s.span.start_s for s in shots[1:]]


def scenedetect_cuts(path: Path, detector: str) -> list[float]:
    """Cut times (s) found by PySceneDetect's ``detector`` (defaults), decode included."""
    import scenedetect

    made = getattr(scenedetect, detector)()
    scenes = scenedetect.detect(str(path), made)
    return [start.get_seconds() for start, _ in scenes[1:]]


def shot_rows(registry: Registry, items: Sequence[MediaItem], settings: Settings) -> pl.DataFrame:
    """One row per (file, detector): wall seconds and cut counts matched to the truth."""
    detectors: dict[str, Callable[[Path], list[float]]] = {
        "ai_video": lambda p: ours_cuts(p, settings),
        "ContentDetector": lambda p: scenedetect_cuts(p, "ContentDetector"),
        "AdaptiveDetector": lambda p: scenedetect_cuts(p, "AdaptiveDetector"),
    }
    for detect in detectors.values():  # imports and first-call set-up stay out of the timing
        detect(items[0].path)
    rows = []
    for item in items:
        fps = item.fps or 25.0
        truth = [f / fps for f in registry.cut_frames(item)]
        for name, detect in detectors.items():
            with stopwatch() as wall:
                found = detect(item.path)
            score = cut_score(truth, found, TOLERANCE_FRAMES / fps + 1e-6)
            rows.append({"file": item.name, "detector": name, "wall_s": wall[0],
                         "tp": score.true_positives, "detected": score.detected,
                         "truth": score.truth})  # fmt: skip
    return pl.DataFrame(rows)


def shot_summary(rows: pl.DataFrame) -> pl.DataFrame:
    """Per detector: total wall, pooled P/R/F1, and its wall time over ours."""
    out = []
    ours_s = float(rows.filter(pl.col("detector") == "ai_video")["wall_s"].sum())
    for name in rows["detector"].unique(maintain_order=True):
        mine = rows.filter(pl.col("detector") == name)
        score = CutScore(
            int(mine["tp"].sum()), int(mine["detected"].sum()), int(mine["truth"].sum())
        )
        wall = float(mine["wall_s"].sum())
        out.append({"detector": name, "files": mine.height, "wall_s": wall,
                    "precision": score.precision, "recall": score.recall, "f1": score.f1,
                    "wall_vs_ai_video": wall / ours_s})  # fmt: skip
    return pl.DataFrame(out)


def auto_editor_reason() -> str | None:
    """Why auto-editor cannot run here (None when a runnable one is present)."""
    spec = importlib.util.find_spec("auto_editor")
    if spec is None or spec.origin is None:
        return (
            "auto-editor is not installed: the only release on PyPI (29.3.1) is a 6 kB launcher "
            "that downloads a prebuilt binary from GitHub at first run, and this machine reaches "
            "no network but the package registries"
        )
    binary = Path(spec.origin).parent / "bin" / "auto-editor"
    if not binary.is_file():
        return f"auto-editor is installed but its binary {binary} was never downloaded (offline)"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the peer comparisons and write runs.parquet, report.md and the PNGs."""
    parser = suite_parser("peers", __doc__)
    parser.add_argument("--repeats", type=int, default=3, help="render repeats per side")
    args = parser.parse_args(argv)
    suite = open_suite("peers", args)
    settings = bench_settings({"cache.enabled": False, "render.prefer_hardware": False})
    scenes = suite.registry.query("scenes", ("cuts", "video"), limit=2 if suite.quick else None)
    rows = shot_rows(suite.registry, scenes, settings)
    shots = shot_summary(rows)
    from benchmarking.peers_render import render_rows

    talk = suite.registry.one("talking", ("word-times",))
    renders = render_rows(suite.registry, talk, settings, suite.quick, args.repeats, suite.out)
    skipped = auto_editor_reason()
    raw = pl.concat(
        [rows.with_columns(pl.lit("shots").alias("section")),
         renders.with_columns(pl.lit("render").alias("section"))],
        how="diagonal_relaxed",
    )  # fmt: skip
    content = shots.filter(pl.col("detector") == "ContentDetector").row(0, named=True)
    ours = shots.filter(pl.col("detector") == "ai_video").row(0, named=True)
    render_ratio = _render_ratio(renders)
    headline = {
        "ContentDetector_wall_vs_ours": content["wall_vs_ai_video"],
        "ours_f1": ours["f1"],
        "ContentDetector_f1": content["f1"],
        "moviepy_render_vs_ours": render_ratio,
        "auto_editor": "skipped" if skipped else "ran",
    }
    markdown = "\n\n".join(
        [
            "# Peers",
            f"{machine_info().line()}.",
            f"## Shot detection vs {SCENEDETECT} ({len(scenes)} files, ±{TOLERANCE_FRAMES} frames)",
            markdown_table(shots, 3),
            "<details><summary>per file</summary>\n\n" + markdown_table(rows, 3) + "\n\n</details>",
            f"## Render of the same captioned 9:16 clip ({talk.name}): MoviePy / ai_video "
            f"wall = **{render_ratio:.2f}x**",
            markdown_table(renders, 3),
            "## Silence removal vs auto-editor",
            f"Skipped: {skipped}." if skipped else "Ran (see runs.parquet).",
        ]
    )
    write_report(suite.out, raw, markdown + "\n", headline)
    walls = dict(zip(shots["detector"], shots["wall_s"], strict=True))
    bar_chart(walls, "shot detection, same files", "wall seconds", suite.out / "shots.png")
    print(markdown)
    return 0


def _render_ratio(renders: pl.DataFrame) -> float:
    medians: dict[str, Any] = {
        side: statistics.median(renders.filter(pl.col("side") == side)["wall_s"].to_list())
        for side in ("ai_video", "moviepy")
    }
    return float(medians["moviepy"] / medians["ai_video"])


def work_dir(out: Path) -> Path:
    """A scratch folder under the suite's results (rendered media stays out of reports)."""
    path = Path(tempfile.mkdtemp(prefix="peers-", dir=out))
    return path


def drop(path: Path) -> None:
    """Remove a scratch folder."""
    shutil.rmtree(path, ignore_errors=True)
