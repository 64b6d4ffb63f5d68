"""Shot detection vs PySceneDetect (Content, Adaptive): wall/CPU time and P/R/F1, jump cuts.

Inputs with known cuts:
- ``scenes``: every file listed in a ``cuts.tsv`` ground truth of the media manifest (the
  PySceneDetect test resources; cut frames on the file's nominal timeline);
- ``hard``: pieces of different cut-free shared clips concatenated at known frames
  (``benchmarking.shot_media``; the ``tune`` set chose the thresholds, ``report`` did not);
- ``jump``: talking-head clips with a piece removed from the middle (same speaker, same
  framing); ``none``: continuous talking-head stretches (any boundary is a false one).

Detectors, each timed from the file path to the cut list, its own decode (and, for ours,
the ffprobe call) included: ``ours`` (the standalone detector on the cheap stream),
``ours_visual`` (the clip job's visual pass: one 320 px YUV decode, faces, shots, jump
cuts), ``content`` and ``adaptive`` (PySceneDetect 0.7.2 defaults, OpenCV decode).
A found cut matches a true one within ``--tolerance`` frames (each true cut once).
"""

from __future__ import annotations

import argparse
import csv
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl

from ai_video.config import Settings
from benchmarking import shot_media
from benchmarking.common import bar_chart, machine_info, markdown_table, media_root, write_report
from benchmarking.common import results_dir as default_results_dir

Detector = Callable[[Path, float], list[tuple[float, str]]]
"""``(path, truth fps) -> [(cut time in seconds, cause)]`` for every boundary after 0."""


@dataclass(frozen=True)
class Case:
    """One input: where it is, which set, its true cut frames and their frame rate."""

    path: Path
    dataset: str
    kind: str
    truth: tuple[int, ...]
    fps: float


def match(found: Sequence[int], truth: Sequence[int], tolerance: int) -> int:
    """True cuts matched by a found cut within ``tolerance`` frames (each one at most once)."""
    unmatched = sorted(truth)
    hits = 0
    for frame in sorted(found):
        near = [t for t in unmatched if abs(t - frame) <= tolerance]
        if near:
            unmatched.remove(min(near, key=lambda t: abs(t - frame)))
            hits += 1
    return hits


def prf(hits: int, found: int, truth: int) -> tuple[float, float, float]:
    """Precision, recall and F1 (an empty side counts as perfect, as in the usual convention)."""
    precision = hits / found if found else 1.0
    recall = hits / truth if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# ----------------------------------------------------------------------------- inputs


def scene_cases(media: Path) -> list[Case]:
    """Every file of every ``cuts.tsv`` ground truth named in the media manifest."""
    with (media / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        truths = {
            part.strip()
            for row in csv.DictReader(fh, delimiter="\t")
            for part in (row.get("ground_truth") or "").split(";")
            if part.strip().endswith("cuts.tsv")
        }
    cases = []
    for rel in sorted(truths):
        table = media / rel
        with table.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                fps = float(Fraction(row["fps"].split()[0]))
                cuts = tuple(int(f) for f in row["cut_frames"].split(",") if f.strip())
                cases.append(Case(table.parent / row["file"], "scenes", "hard", cuts, fps))
    return cases


def constructed_cases(media: Path, out: Path, quick: bool) -> list[Case]:
    """Hard-cut, jump-cut and no-cut videos built from the shared clips (see module doc)."""
    out.mkdir(parents=True, exist_ok=True)
    sm, talking = shot_media, shot_media.TALKING

    def jump(name: str, source: str, keep: list[float], cut: list[float]) -> Any:
        return sm.jump_cut_video(media, out / name, source, keep, cut)

    def none(name: str, source: str, seconds: float) -> Any:
        return sm.continuous_video(media, out / name, source, 0.0, seconds)

    report_pieces = [2.0, 1.4, 2.6, 1.8, 1.6, 2.2, 1.4, 2.0]
    videos = [
        (
            "report",
            sm.hard_cut_video(media, out / "report_hard.mp4", sm.REPORT_SOURCES, report_pieces),
        ),
        ("report", jump("jump_sadtalker.mp4", talking[1], [2.6, 2.4], [1.5])),
        ("report", jump("jump_liveportrait.mp4", talking[3], [2.6, 2.4], [1.5])),
        ("report", none("none_sadtalker.mp4", talking[1], 8.0)),
    ]
    if not quick:
        tune_pieces = [1.6, 2.0, 2.4, 1.2, 2.8, 1.8]
        videos += [
            ("tune", sm.hard_cut_video(media, out / "tune_hard.mp4", sm.TUNE_SOURCES, tune_pieces)),
            ("tune", jump("tune_jump_dfrf.mp4", talking[0], [4, 5, 3.6, 4], [1.0, 2.0, 3.0])),
            ("report", jump("jump_latentsync.mp4", talking[4], [2.6, 2.4], [1.5])),
            ("report", jump("jump_may.mp4", talking[2], [2.0, 1.6], [1.2])),
            ("report", none("none_may.mp4", talking[2], 5.0)),
            ("report", none("none_liveportrait.mp4", talking[3], 9.0)),
        ]
    return [Case(v.path, f"{group}_{v.kind}", v.kind, v.cut_frames, v.fps) for group, v in videos]


# ----------------------------------------------------------------------------- detectors


def detectors(settings: Settings) -> dict[str, Detector]:
    """The detectors compared, by name (PySceneDetect ones only when it is installed)."""
    from ai_video.analyze.faces import load_face_detector
    from ai_video.analyze.shots import detect_shots_in
    from ai_video.analyze.visual import analyze_visuals
    from ai_video.media.frames import analysis_fps, stream_planes
    from ai_video.media.probe import probe

    s = settings
    faces = load_face_detector(s.faces)

    def ours(path: Path, _fps: float) -> list[tuple[float, str]]:
        shots = detect_shots_in(probe(path, s.media), s.shots, s.analysis, s.media)
        return [(x.span.start_s, x.cause) for x in shots[1:]]

    def ours_visual(path: Path, _fps: float) -> list[tuple[float, str]]:
        info = probe(path, s.media)
        planes = stream_planes(info, s.analysis, s.media, s.analysis.frame_width_px, False)
        fps = analysis_fps(info, s.analysis)
        visual = analyze_visuals(planes, s.shots, s.faces, faces, fps)
        return [(x.span.start_s, x.cause) for x in visual.shots[1:]]

    found: dict[str, Detector] = {"ours": ours, "ours_visual": ours_visual}
    try:
        import scenedetect
    except ImportError:
        return found

    def peer(make: Callable[[], Any]) -> Detector:
        def run(path: Path, _fps: float) -> list[tuple[float, str]]:
            scenes = scenedetect.detect(str(path), make())
            return [(start.get_seconds(), "cut") for start, _ in scenes[1:]]

        return run

    found["content"] = peer(scenedetect.ContentDetector)
    found["adaptive"] = peer(scenedetect.AdaptiveDetector)
    return found


def _cpu_s() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(name: str, detect: Detector, case: Case, rep: int, tolerance: int) -> dict[str, Any]:
    """One timed run of ``detect`` on ``case``, scored against the truth."""
    cpu, started = _cpu_s(), time.perf_counter()
    cuts = detect(case.path, case.fps)
    wall, cpu = time.perf_counter() - started, _cpu_s() - cpu
    frames = [round(t * case.fps) for t, _ in cuts]
    jumps = [round(t * case.fps) for t, cause in cuts if cause == "jump"]
    return {
        "detector": name, "dataset": case.dataset, "file": case.path.name, "kind": case.kind,
        "rep": rep, "wall_s": wall, "cpu_s": cpu, "found": frames, "truth": list(case.truth),
        "n_found": len(frames), "n_truth": len(case.truth),
        "hits": match(frames, case.truth, tolerance), "hits_exact": match(frames, case.truth, 0),
        "jumps_found": len(jumps), "jump_hits": match(jumps, case.truth, tolerance),
    }  # fmt: skip


# ----------------------------------------------------------------------------- report


def summarise(runs: pl.DataFrame) -> pl.DataFrame:
    """Per detector and dataset: best-of-reps time totals and P/R/F1 (tolerance and exact)."""
    best = runs.group_by("detector", "dataset", "file").agg(
        pl.col("wall_s").min(), pl.col("cpu_s").min(), pl.col("hits").first(),
        pl.col("hits_exact").first(), pl.col("n_found").first(), pl.col("n_truth").first(),
        pl.col("jump_hits").first(), pl.col("jumps_found").first(),
    )  # fmt: skip
    totals = best.group_by("detector", "dataset").agg(pl.all().exclude("file").sum())
    rows = []
    for row in totals.sort("dataset", "detector").iter_rows(named=True):
        p, r, f1 = prf(row["hits"], row["n_found"], row["n_truth"])
        f1_exact = prf(row["hits_exact"], row["n_found"], row["n_truth"])[2]
        rows.append({
            "dataset": row["dataset"], "detector": row["detector"],
            "wall_s": row["wall_s"], "cpu_s": row["cpu_s"], "precision": p, "recall": r,
            "f1": f1, "f1_exact": f1_exact, "true_cuts": row["n_truth"],
            "found": row["n_found"], "jumps_found": row["jumps_found"],
            "jump_hits": row["jump_hits"],
        })  # fmt: skip
    summary = pl.DataFrame(rows)
    content = summary.filter(pl.col("detector") == "content").select(
        "dataset", pl.col("wall_s").alias("content_wall"), pl.col("cpu_s").alias("content_cpu")
    )
    if content.height:
        summary = (
            summary.join(content, on="dataset", how="left")
            .with_columns(
                (pl.col("content_wall") / pl.col("wall_s")).alias("speed_vs_content"),
                (pl.col("content_cpu") / pl.col("cpu_s")).alias("cpu_vs_content"),
            )
            .drop("content_wall", "content_cpu")
        )
    return summary


def render_markdown(summary: pl.DataFrame, args: argparse.Namespace, reps: int) -> str:
    """The report: machine, method, the summary table."""
    info = machine_info()
    return (
        "# Shot detection vs PySceneDetect\n\n"
        f"{info.line()}. Best of {reps} run(s) per file; tolerance {args.tolerance} frames "
        "(`f1_exact`: 0 frames). Times include each detector's own decode (and ffprobe for "
        "ours). `speed_vs_content` = PySceneDetect ContentDetector wall time / this wall "
        "time on the same files (> 1: faster than it); `cpu_vs_content` the same for CPU "
        "seconds (process + children). `jump_hits`: jump cuts reported as such (only "
        "`ours_visual` has the faces to tell them). Datasets: see the module docstring of "
        "`benchmarking/shots.py`; `tune_*` chose the thresholds, `report_*` and `scenes` did "
        f"not.\n\n{markdown_table(summary, decimals=3)}\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run every detector on every input and write runs.parquet, report.md and PNG plots."""
    parser = argparse.ArgumentParser(prog="python -m benchmarking shots")
    parser.add_argument("--quick", action="store_true", help="fewer inputs, one run each")
    parser.add_argument("--media", type=Path, default=None, help="media folder with a MANIFEST")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument("--tolerance", type=int, default=2, help="frames a cut may be off")
    parser.add_argument("--reps", type=int, default=3, help="runs per file (best counts)")
    args = parser.parse_args(list(argv or []))
    media = (args.media or media_root()).resolve()
    out = args.out.resolve() if args.out else default_results_dir("shots", fresh=True)
    out.mkdir(parents=True, exist_ok=True)
    reps = 1 if args.quick else max(1, args.reps)
    cases = scene_cases(media) + constructed_cases(media, out / "media", args.quick)
    found = detectors(Settings())
    for detect in found.values():  # warm-up: compiled kernels, models, imports
        detect(cases[0].path, cases[0].fps)
    rows = [
        measure(name, detect, case, rep, args.tolerance)
        for rep in range(reps)
        for case in cases
        for name, detect in found.items()
    ]
    runs = pl.DataFrame(rows)
    summary = summarise(runs)
    write_report(out, runs, render_markdown(summary, args, reps))
    scenes = summary.filter(pl.col("dataset") == "scenes")
    bar_chart(dict(zip(scenes["detector"], scenes["wall_s"], strict=True)),
              "Shot detection, scene files: wall seconds (lower is better)", "s",
              out / "scenes_wall.png")  # fmt: skip
    bar_chart(dict(zip(scenes["detector"], scenes["f1"], strict=True)),
              f"Shot detection, scene files: F1 at +-{args.tolerance} frames", "F1",
              out / "scenes_f1.png")  # fmt: skip
    print((out / "report.md").read_text(encoding="utf-8"))
    return 0
