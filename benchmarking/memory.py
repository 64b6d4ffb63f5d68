"""Peak memory of the clip job's whole process tree (Ray included) against input length.

Inputs of 1, 4, 16 and 32 minutes (``--quick``: 1 and 4) are built in the out dir by
concatenating one shared talk with ffmpeg's concat demuxer (stream copy, nothing
re-encoded, nothing committed). Each length runs ``ai-video clip`` (the user's command, cache
off, 5 clips) in a fresh process; a sampler sums the RSS of that process and all its
descendants (Ray's GCS, raylet and workers when Ray is on) every ``--every`` seconds: both
RSS and PSS are recorded; peaks are given for both, PSS first, since a sum of RSS counts
every shared page (libraries, Ray's object store, a just-forked child) once per process.
Writes runs.parquet (every sample), report.md (peak and wall per length) and memory.png.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ai_video.config import MediaConfig
from ai_video.media.ffmpeg import run_ffmpeg
from ai_video.media.probe import probe
from benchmarking.common import (
    load_psutil,
    machine_info,
    markdown_table,
    media_root,
    mib,
    results_dir,
    write_report,
)

DEFAULT_SOURCE = Path("talking") / "dfrf_cnn2_25fps.mp4"
"""The talk repeated to build each length, relative to the media folder."""
LENGTHS_MIN = (1.0, 4.0, 16.0, 32.0)
QUICK_LENGTHS_MIN = (1.0, 4.0)
PEAK_TARGET_GIB = 1.5
FLAT_TOLERANCE = 1.15
"""Flat: the longest input's peak is at most this many times the 4-minute one's."""


def build_input(source: Path, minutes: float, out: Path) -> Path:
    """``source`` repeated and cut to ``minutes`` (concat demuxer, stream copy)."""
    target = out / f"input_{minutes:g}min.mp4"
    if target.is_file():
        return target
    repeats = math.ceil(minutes * 60.0 / probe(source, MediaConfig()).duration_s)
    listing = out / f"input_{minutes:g}min.txt"
    quoted = str(source.resolve()).replace("'", "'\\''")
    listing.write_text(f"file '{quoted}'\n" * repeats, encoding="utf-8")
    part = target.with_suffix(".part.mp4")
    args = ["-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing)]
    run_ffmpeg("ffmpeg", [*args, "-t", f"{minutes * 60.0:.3f}", "-c", "copy", str(part)], 600.0)
    os.replace(part, target)
    listing.unlink()
    return target


@dataclass(frozen=True)
class LengthRun:
    """One clip job on one input length: its RSS samples and how it ended."""

    minutes: float
    wall_s: float
    returncode: int
    samples: pl.DataFrame
    """One row per process per sample: ``t_s``, ``pid``, ``name``, ``rss_bytes``, ``pss_bytes``."""

    @property
    def totals(self) -> pl.DataFrame:
        """Per sample: ``t_s``, RSS and PSS of the whole tree, ``processes``."""
        return (
            self.samples.group_by("t_s")
            .agg(pl.col("rss_bytes").sum(), pl.col("pss_bytes").sum(), pl.len().alias("processes"))
            .sort("t_s")
        )

    @property
    def peak_bytes(self) -> int:
        """Largest summed PSS seen (the tree's real footprint)."""
        return int(self.totals["pss_bytes"].max() or 0)  # type: ignore[arg-type]

    @property
    def peak_rss_bytes(self) -> int:
        """Largest summed RSS seen (shared pages counted once per process)."""
        return int(self.totals["rss_bytes"].max() or 0)  # type: ignore[arg-type]

    def at_peak(self) -> pl.DataFrame:
        """The processes of the sample with the largest PSS sum, largest first."""
        totals = self.totals
        t_peak = totals.row(int(totals["pss_bytes"].arg_max() or 0), named=True)["t_s"]
        return self.samples.filter(pl.col("t_s") == t_peak).sort("pss_bytes", descending=True)


def tree_rss(root_pid: int) -> list[tuple[int, str, int, int]]:
    """``(pid, name, rss, pss)`` of ``root_pid`` and each of its descendants now.

    RSS counts every page a process maps, so a sum over processes counts shared pages
    (libraries, Ray's object store, a just-forked child's copy-on-write pages) once per
    process; PSS splits each shared page between its sharers, so its sum is what the tree
    really holds."""
    psutil = load_psutil()
    try:
        root = psutil.Process(root_pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    found = []
    for proc in procs:
        try:
            mem = proc.memory_full_info()
            found.append((proc.pid, proc.name(), int(mem.rss), int(getattr(mem, "pss", mem.rss))))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def run_length(
    source: Path, minutes: float, out: Path, extra: Sequence[str], every_s: float
) -> LengthRun:
    """Run ``ai-video clip`` on ``source`` in a child process, sampling its tree until it ends."""
    job_dir = out / f"job_{minutes:g}min"
    cmd = [sys.executable, "-m", "ai_video.cli", "clip", str(source), "--out", str(job_dir)]
    cmd += ["--no-cache", "--max-clips", "5", *extra]
    log = (out / f"job_{minutes:g}min.log").open("wb")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    rows: list[tuple[float, int, str, int, int]] = []
    while proc.poll() is None:
        t_s = round(time.perf_counter() - started, 3)
        rows += [(t_s, *found) for found in tree_rss(proc.pid)]
        time.sleep(every_s)
    wall = time.perf_counter() - started
    log.close()
    schema = ["t_s", "pid", "name", "rss_bytes", "pss_bytes"]
    samples = pl.DataFrame(rows, schema=schema, orient="row")
    return LengthRun(minutes, wall, proc.returncode, samples)


def plot(runs: Sequence[LengthRun], out_png: Path) -> Path:
    """RSS over time per length (left) and peak against length (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_p) = plt.subplots(1, 2, figsize=(11.0, 4.0), dpi=100)
    try:
        for run in runs:
            totals = run.totals
            gib = totals["pss_bytes"] / 1024**3
            ax_t.plot(totals["t_s"], gib, label=f"{run.minutes:g} min")
        ax_t.set_xlabel("seconds since start")
        ax_t.set_ylabel("process tree PSS, GiB")
        ax_t.legend()
        ax_p.plot([r.minutes for r in runs], [r.peak_bytes / 1024**3 for r in runs], "o-")
        ax_p.axhline(PEAK_TARGET_GIB, color="red", linestyle="--", label="target")
        ax_p.set_xlabel("input minutes")
        ax_p.set_ylabel("peak PSS, GiB")
        ax_p.set_ylim(bottom=0)
        ax_p.legend()
        fig.tight_layout()
        fig.savefig(out_png)
    finally:
        plt.close(fig)
    return out_png


def report(runs: Sequence[LengthRun], mode: str, source: Path, machine_line: str) -> str:
    """Markdown: peak and wall per length, and whether the targets hold."""
    table = pl.DataFrame(
        {
            "input_min": [r.minutes for r in runs],
            "wall_s": [r.wall_s for r in runs],
            "peak_pss_mib": [mib(r.peak_bytes) for r in runs],
            "peak_rss_sum_mib": [mib(r.peak_rss_bytes) for r in runs],
            "max_processes": [int(r.totals["processes"].max() or 0) for r in runs],  # type: ignore[arg-type]
            "exit": [r.returncode for r in runs],
        }
    )
    peak = max(r.peak_bytes for r in runs) / 1024**3
    lines = [
        f"### memory: `ai-video clip` ({mode}) on `{source.name}` repeated, cache off, 5 clips",
        "",
        markdown_table(table),
        "",
        f"- Largest peak (summed PSS) **{peak:.2f} GiB** (target <= {PEAK_TARGET_GIB} GiB: "
        f"{'meets' if peak <= PEAK_TARGET_GIB else 'misses'}).",
    ]
    base = [r for r in runs if r.minutes == 4.0]
    longest = max(runs, key=lambda r: r.minutes)
    if base and longest.minutes > 4.0:
        growth = longest.peak_bytes / max(base[0].peak_bytes, 1)
        lines.append(
            f"- Peak at {longest.minutes:g} min / peak at 4 min = **{growth:.2f}** "
            f"(flat: <= {FLAT_TOLERANCE}: {'meets' if growth <= FLAT_TOLERANCE else 'misses'})."
        )
    longest_peak = longest.at_peak().with_columns(
        (pl.col("rss_bytes") / 1024**2).alias("rss_mib"),
        (pl.col("pss_bytes") / 1024**2).alias("pss_mib"),
    )
    lines += [
        "",
        f"Processes at the peak of the {longest.minutes:g}-minute run:",
        "",
        markdown_table(
            longest_peak.select("pid", "name", "pss_mib", "rss_mib").head(12), decimals=0
        ),
    ]
    return "\n".join([*lines, "", f"_Machine: {machine_line}._", ""])


def main(argv: Sequence[str]) -> int:
    """Run the memory benchmark and write runs.parquet, report.md and memory.png."""
    parser = argparse.ArgumentParser(prog="python -m benchmarking memory", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 and 4 minutes only")
    parser.add_argument("--media", type=Path, default=None, help="media folder")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="talk to repeat")
    parser.add_argument("--minutes", type=float, nargs="*", help="input lengths (minutes)")
    parser.add_argument("--no-ray", action="store_true", help="run the jobs in-process")
    parser.add_argument("--every", type=float, default=0.25, help="sampling interval (s)")
    args = parser.parse_args(list(argv))
    source = (args.media or media_root()) / args.source
    out = args.out or results_dir("memory", fresh=False)
    out.mkdir(parents=True, exist_ok=True)
    lengths = args.minutes or (QUICK_LENGTHS_MIN if args.quick else LENGTHS_MIN)
    machine = machine_info()
    extra = ["--no-ray"] if args.no_ray else []
    mode = "in-process" if args.no_ray else "Ray"
    runs: list[LengthRun] = []
    for minutes in lengths:  # the report is rewritten after each length: a cut run keeps it
        runs.append(run_length(build_input(source, minutes, out), minutes, out, extra, args.every))
        raw = pl.concat(
            [r.samples.with_columns(pl.lit(r.minutes).alias("input_min")) for r in runs]
        )
        markdown = report(runs, mode, source, machine.line())
        write_report(out, raw, markdown)
        plot(runs, out / "memory.png")
    print(markdown)
    return 0 if all(r.returncode == 0 for r in runs) else 1
