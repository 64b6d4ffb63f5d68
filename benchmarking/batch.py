"""Batch: 8 short real videos in-process one at a time vs on a local 2-CPU Ray, same run.

Each round runs the batch without Ray (``run_batch_list``, one video at a time) and one
video without Ray (``run_clip_request``, the CLI's path); then a fresh local Ray holding the
batch and then the same one video (Ray already up), and the one video on a Ray started just for it.
Odd rounds start without Ray, even rounds with Ray, so a drift in the machine's load hits
both sides. Peak memory
is the summed RSS of the whole process tree (Ray's processes and workers included), sampled
every 0.5 s; CPU seconds of our tree and of the whole machine show how busy it was.
"""

from __future__ import annotations

import os
import shutil
import statistics
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from ai_video.config import Settings
from ai_video.errors import InputError
from benchmarking.common import (
    RssSampler,
    bench_settings,
    machine_info,
    markdown_table,
    mib,
    open_suite,
    stopwatch,
    suite_parser,
    write_report,
)

BATCH_SIZE = 8
"""Videos in the batch: the shortest registry talking heads (``--quick``: 2, one round)."""
QUICK_SIZE = 2
BATCH_OVERRIDES: dict[str, Any] = {
    "cache.enabled": False,
    "platform": "tiktok",
    "curate.max_clips": 1,
    "curate.min_s": 1.0,
    "curate.max_s": 10.0,
    "render.prefer_hardware": False,
    "ray.address": None,
    "ray.num_cpus": 2,
}
SEQUENTIAL, ON_RAY = "batch, no Ray", "batch, Ray"
SINGLE, SINGLE_WARM, SINGLE_COLD = (
    "1 video, no Ray",
    "1 video, Ray already up",
    "1 video, Ray started for it",
)
ON_TWO_RAYLETS = "batch, Ray on 2 raylets"
SPEEDUP_TARGET = 1.25
OVERHEAD_TARGET = 0.10


@dataclass(frozen=True)
class PhaseResult:
    """One timed phase of one round: a batch or a single video, with or without Ray."""

    phase: str
    round: int
    videos: int
    succeeded: int
    clips: int
    source_s: float
    wall_s: float
    ray_start_stop_s: float
    peak_rss_mib: float
    tree_cpu_s: float
    machine_cpu_s: float

    @property
    def key(self) -> str:
        """The phase name with its round, as the sampler knows it."""
        return f"{self.phase} #{self.round}"


def write_manifest(sources: Sequence[Path], path: Path) -> Path:
    """A CSV batch manifest with one ``source`` per row."""
    missing = [str(s) for s in sources if not s.is_file()]
    if missing:
        raise InputError(f"batch inputs not found: {', '.join(missing)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"source": [str(s) for s in sources]}).write_csv(path)
    return path


@contextmanager
def local_ray(settings: Settings) -> Iterator[list[float]]:
    """A fresh local Ray (loopback, usage stats off) for the block; yields [start_s, stop_s]."""
    from ai_video.pipeline.ray_backend import ray_session

    os.environ.pop("RAY_ADDRESS", None)
    times = [0.0, 0.0]
    with ExitStack() as session:
        with stopwatch() as started:
            session.enter_context(ray_session(settings))
        times[0] = started[0]
        try:
            yield times
        finally:
            with stopwatch() as stopped:
                session.close()
            times[1] = stopped[0]


def _measured(
    name: str, round_no: int, rss: RssSampler, wall_s: float, **counts: Any
) -> PhaseResult:
    key = f"{name} #{round_no}"
    tree_cpu, machine_cpu = rss.phase_cpu[key]
    return PhaseResult(
        phase=name,
        round=round_no,
        wall_s=wall_s,
        ray_start_stop_s=0.0,
        peak_rss_mib=mib(rss.phase_peaks.get(key, 0)),
        tree_cpu_s=tree_cpu,
        machine_cpu_s=machine_cpu,
        **counts,
    )


def batch_phase(
    name: str, round_no: int, manifest: Path, out_dir: Path, settings: Settings, rss: RssSampler
) -> tuple[PhaseResult, pl.DataFrame]:
    """Run the manifest into a fresh ``out_dir``; the phase result and its results rows."""
    from ai_video.pipeline.runtime import run_batch_list

    shutil.rmtree(out_dir, ignore_errors=True)
    with rss.phase(f"{name} #{round_no}"), stopwatch() as wall:
        results = pl.read_parquet(run_batch_list(manifest, out_dir, settings))
    ok = results.filter(pl.col("status") == "succeeded")
    counts = {
        "videos": len(results),
        "succeeded": len(ok),
        "clips": int(ok["clips"].sum()),
        "source_s": float(ok["duration_s"].sum()),
    }
    rows = results.with_columns(pl.lit(name).alias("phase"), pl.lit(round_no).alias("round"))
    return _measured(name, round_no, rss, wall[0], **counts), rows


def single_phase(
    name: str, round_no: int, source: Path, out_dir: Path, settings: Settings, rss: RssSampler
) -> PhaseResult:
    """Clip one video with ``run_clip_request`` (the CLI's path) into a fresh ``out_dir``."""
    from ai_video.pipeline.requests import ClipRequest
    from ai_video.pipeline.runtime import run_clip_request

    shutil.rmtree(out_dir, ignore_errors=True)
    with rss.phase(f"{name} #{round_no}"), stopwatch() as wall:
        result = run_clip_request(ClipRequest(str(source), out_dir), settings)
    duration = result.manifest.source.duration_s
    counts = {"videos": 1, "succeeded": 1, "clips": len(result.clips), "source_s": duration}
    return _measured(name, round_no, rss, wall[0], **counts)


def run_round(
    round_no: int,
    manifest: Path,
    single: Path,
    out: Path,
    settings: Settings,
    rss: RssSampler,
    raylets: bool = True,
) -> tuple[list[PhaseResult], list[pl.DataFrame]]:
    """One round of every phase; odd rounds start without Ray, even rounds with Ray."""
    no_ray = settings.with_overrides({"ray.enabled": False})
    on_ray = settings.with_overrides({"ray.enabled": True})
    here = out / f"round{round_no}"
    phases: list[PhaseResult] = []
    rows: list[pl.DataFrame] = []

    def without_ray() -> None:
        seq, seq_rows = batch_phase(
            SEQUENTIAL, round_no, manifest, here / "sequential", no_ray, rss
        )
        phases.append(seq)
        rows.append(seq_rows)
        phases.append(single_phase(SINGLE, round_no, single, here / "single", no_ray, rss))

    def with_ray() -> None:
        with local_ray(on_ray) as start_stop:
            par, par_rows = batch_phase(ON_RAY, round_no, manifest, here / "ray", on_ray, rss)
            warm = single_phase(SINGLE_WARM, round_no, single, here / "single_warm", on_ray, rss)
        phases.extend([replace(par, ray_start_stop_s=sum(start_stop)), warm])
        rows.append(par_rows)
        phases.append(
            single_phase(SINGLE_COLD, round_no, single, here / "single_cold", on_ray, rss)
        )
        if raylets:
            from benchmarking.raylets import two_raylets

            with two_raylets(cpus_each=1) as start_stop:
                two, two_rows = batch_phase(
                    ON_TWO_RAYLETS, round_no, manifest, here / "ray2", on_ray, rss
                )
            phases.append(replace(two, ray_start_stop_s=sum(start_stop)))
            rows.append(two_rows)

    for side in (without_ray, with_ray) if round_no % 2 else (with_ray, without_ray):
        side()
    return phases, rows


@dataclass(frozen=True)
class BatchRun:
    """Every phase of every round, the per-video rows, and whole-run totals."""

    phases: list[PhaseResult]
    videos: pl.DataFrame
    peak_rss_mib: float
    tree_cpu_s: float
    wall_s: float
    ray_window: int
    cores: int

    def median_wall(self, phase: str) -> float:
        """Median wall seconds of ``phase`` over the rounds."""
        return statistics.median(p.wall_s for p in self.phases if p.phase == phase)

    def median_start_stop(self) -> float:
        """Median seconds to start and stop the batch's local Ray."""
        return statistics.median(p.ray_start_stop_s for p in self.phases if p.phase == ON_RAY)


def phase_table(run: BatchRun) -> pl.DataFrame:
    """One row per phase and round, with throughput and how busy the cores were."""
    return pl.DataFrame(
        [
            {
                "phase": p.phase,
                "round": p.round,
                "ok/videos": f"{p.succeeded}/{p.videos}",
                "clips": p.clips,
                "source s": p.source_s,
                "wall s": p.wall_s,
                "videos/min": p.videos / p.wall_s * 60,
                "source-s per wall-s": p.source_s / p.wall_s,
                "Ray start+stop s": p.ray_start_stop_s,
                "our cores busy": p.tree_cpu_s / p.wall_s,
                "others' cores busy": max(0.0, p.machine_cpu_s - p.tree_cpu_s) / p.wall_s,
                "peak RSS MiB": p.peak_rss_mib,
            }
            for p in run.phases
        ]
    )


def summary_lines(run: BatchRun) -> list[str]:
    """The ratios the brief asks for (medians over rounds), each against its target."""
    seq, par = run.median_wall(SEQUENTIAL), run.median_wall(ON_RAY)
    start_stop = run.median_start_stop()
    speedup, speedup_cold = seq / par, seq / (par + start_stop)
    base = run.median_wall(SINGLE)
    warm, cold = run.median_wall(SINGLE_WARM) / base - 1, run.median_wall(SINGLE_COLD) / base - 1
    busy = run.tree_cpu_s / (run.wall_s * run.cores)
    two = [p.wall_s for p in run.phases if p.phase == ON_TWO_RAYLETS]
    raylets = (
        [
            f"- The Ray batch on 2 raylets of 1 CPU each (`ray.cluster_utils.Cluster`) vs 1 "
            f"raylet of 2 CPUs: **{statistics.median(two) / par:.2f}x** the wall time."
        ]
        if two
        else []
    )

    def verdict(ok: bool) -> str:
        return "meets" if ok else "misses"

    return [
        f"- Ray batch speed-up over in-process sequential (median of rounds, window "
        f"{run.ray_window}, ray.num_cpus 2): **{speedup:.2f}x** (target >= {SPEEDUP_TARGET}x: "
        f"{verdict(speedup >= SPEEDUP_TARGET)}); counting Ray's own start and stop "
        f"({start_stop:.1f} s): {speedup_cold:.2f}x.",
        f"- Ray overhead on one video vs `--no-ray` ({base:.1f} s): Ray already up "
        f"**{warm:+.0%}**, Ray started for the video {cold:+.0%} (target <= "
        f"{OVERHEAD_TARGET:.0%}: {verdict(warm <= OVERHEAD_TARGET)} / "
        f"{verdict(cold <= OVERHEAD_TARGET)}).",
        *raylets,
        f"- Peak memory of the whole run (summed RSS of the process tree incl. Ray's processes "
        f"and workers, every 0.5 s): **{run.peak_rss_mib:.0f} MiB**.",
        f"- CPU used by our process tree over the whole run ({run.wall_s:.0f} s): "
        f"{run.tree_cpu_s:.0f} s, {busy:.0%} of the {run.cores} cores on average (sampled per "
        "process, a lower bound); 'others' cores busy' is what the rest of the machine used "
        "meanwhile.",
    ]


def report(run: BatchRun, machine_line: str) -> str:
    """The Markdown report: phase table, ratios, per-video table and the machine."""
    per_video = run.videos.select(
        "phase",
        "round",
        pl.col("source").map_elements(lambda s: Path(s).name, return_dtype=pl.Utf8),
        "status",
        "clips",
        pl.col("duration_s").alias("source s"),
        pl.col("wall_s").alias("wall s"),
    )
    return "\n".join(
        [
            f"### batch: {run.videos['source'].n_unique()} short talking videos, 1 clip each, "
            "cache off",
            "",
            markdown_table(phase_table(run)),
            "",
            *summary_lines(run),
            "",
            "<details><summary>per video</summary>",
            "",
            markdown_table(per_video),
            "",
            "</details>",
            "",
            f"_Machine: {machine_line}._",
            "",
        ]
    )


def raw_runs(run: BatchRun) -> pl.DataFrame:
    """Per-video rows of every batch plus one row per phase (``status`` = ``phase``)."""
    phase_rows = pl.DataFrame(
        [
            {
                "phase": p.phase,
                "round": p.round,
                "video_id": "",
                "source": "",
                "status": "phase",
                "clips": p.clips,
                "duration_s": p.source_s,
                "wall_s": p.wall_s,
                "ray_start_stop_s": p.ray_start_stop_s,
                "peak_rss_mib": p.peak_rss_mib,
                "tree_cpu_s": p.tree_cpu_s,
                "machine_cpu_s": p.machine_cpu_s,
            }
            for p in run.phases
        ]
    )
    videos = run.videos.select(
        "phase",
        "round",
        "video_id",
        "source",
        "status",
        "clips",
        "duration_s",
        "wall_s",
        *(
            pl.lit(None, dtype=pl.Float64).alias(c)
            for c in ("ray_start_stop_s", "peak_rss_mib", "tree_cpu_s", "machine_cpu_s")
        ),
    )
    return pl.concat([phase_rows, videos], how="vertical_relaxed")


def timelines(out: Path, rounds: int) -> list[Path]:
    """Worker-timeline PNGs of every batch run, drawn by ai_video's own run report."""
    from ai_video.pipeline.report import render_timeline_png

    return [
        render_timeline_png(out / f"round{r}" / side, out / f"timeline_{side}_round{r}.png")
        for r in range(1, rounds + 1)
        for side in ("sequential", "ray")
    ]


def main(argv: Sequence[str]) -> int:
    """Run the batch benchmark and write runs.parquet, report.md and the timeline PNGs."""
    parser = suite_parser("batch", __doc__)
    parser.add_argument("--window", type=int, default=2, help="ray.max_concurrent_videos")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every phase")
    parser.add_argument("--no-raylets", action="store_true", help="skip the 2-raylet batch")
    args = parser.parse_args(list(argv))
    suite = open_suite("batch", args)
    if suite.quick:
        args.rounds = 1
    raylets = not (suite.quick or args.no_raylets)
    machine = machine_info()
    settings = bench_settings({**BATCH_OVERRIDES, "ray.max_concurrent_videos": args.window})
    out = suite.out
    videos = suite.registry.query(
        "talking", ("video", "face"), limit=QUICK_SIZE if suite.quick else BATCH_SIZE
    )
    manifest = write_manifest([v.path for v in videos], out / "manifest.csv")
    single = suite.registry.one("talking", ("speech", "face"), min_s=8.0).path
    sampler = RssSampler()
    phases: list[PhaseResult] = []
    rows: list[pl.DataFrame] = []
    with sampler.running(), stopwatch() as wall:
        for round_no in range(1, args.rounds + 1):
            round_phases, round_rows = run_round(
                round_no, manifest, single, out, settings, sampler, raylets
            )
            phases += round_phases
            rows += round_rows
    run = BatchRun(
        phases=phases,
        videos=pl.concat(rows),
        peak_rss_mib=mib(sampler.peak_bytes),
        tree_cpu_s=sampler.cpu_s(),
        wall_s=wall[0],
        ray_window=args.window,
        cores=machine.logical_cpus,
    )
    markdown = report(run, machine.line())
    write_report(out, raw_runs(run), markdown, batch_headline(run))
    timelines(out, args.rounds)
    print(markdown)
    return 0


def batch_headline(run: BatchRun) -> dict[str, Any]:
    """Wall seconds per phase (median over rounds) and the peak RSS, for the summary."""
    walls: dict[str, list[float]] = {}
    for phase in run.phases:
        walls.setdefault(phase.phase, []).append(phase.wall_s)
    return {**{f"{k} wall_s": statistics.median(v) for k, v in walls.items()},
            "peak_rss_mib": run.peak_rss_mib}  # fmt: skip
