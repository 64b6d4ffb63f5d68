"""``python -m benchmarking all``: every suite in its own process, then one summary.

Each suite runs as ``python -m benchmarking NAME --out OUT/NAME --media DIR [--quick]`` with
a time limit; its exit status, wall time, the files it wrote (``runs.parquet``, ``report.md``,
PNG plots) and its headline figures (``headline.json``, else the first table of its report)
go into ``OUT/summary.md`` and ``OUT/summary.parquet``. A suite that fails is reported as
failed with its error, and the others still run. Exit status 0 when every suite ran.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl

from benchmarking.common import (
    HEADLINE_FILE,
    RESULTS_ROOT,
    ROOT,
    bar_chart,
    machine_info,
    markdown_table,
)
from benchmarking.datasets import default_media_root

SUITE_TIMEOUT_S = 1800.0
QUICK_SUITE_TIMEOUT_S = 420.0
TABLE_LINES = 12
"""Lines of a report's first table shown in the summary when a suite writes no headline."""


@dataclass(frozen=True)
class SuiteOutcome:
    """What one suite process did."""

    suite: str
    status: str
    """ok, target missed (exit 1, outputs written, no traceback), failed or timeout."""
    wall_s: float
    returncode: int
    error: str
    parquet: bool
    markdown: bool
    png: int
    headline: str
    """The headline figures as JSON (empty when the suite wrote none)."""


def all_parser(names: Sequence[str]) -> argparse.ArgumentParser:
    """Flags of ``all``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarking all", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every suite's --quick (CI)")
    parser.add_argument("--media", type=Path, default=None, help="media folder with MANIFEST.tsv")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default results/)")
    parser.add_argument("--address", default=None, help="submit as a Ray job to this dashboard")
    parser.add_argument("--only", default="", help=f"comma list of suites (of {', '.join(names)})")
    parser.add_argument("--skip", default="", help="comma list of suites to leave out")
    parser.add_argument("--timeout-s", type=float, default=None, help="per-suite time limit")
    parser.add_argument("--in-ray-job", action="store_true", help=argparse.SUPPRESS)
    return parser


def chosen(names: Sequence[str], only: str, skip: str) -> list[str]:
    """The suites to run, in name order; an unknown name in ``only``/``skip`` is an error."""
    picked = [n for n in only.split(",") if n] or list(names)
    dropped = {n for n in skip.split(",") if n}
    unknown = (set(picked) | dropped) - set(names)
    if unknown:
        raise SystemExit(f"unknown suite(s): {', '.join(sorted(unknown))}")
    return [n for n in names if n in picked and n not in dropped]


def run_suite(name: str, out: Path, media: Path, quick: bool, timeout_s: float) -> SuiteOutcome:
    """Run one suite in a child process; never raises for the suite's own failure."""
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "benchmarking", name, "--out", str(folder), "--media", str(media)]
    cmd += ["--quick"] if quick else []
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    started = time.perf_counter()
    log = out / f"{name}.log"
    with log.open("w", encoding="utf-8") as sink:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code, timed_out = proc.wait(timeout=timeout_s), False
        except subprocess.TimeoutExpired:
            stop_tree(proc.pid)
            code, timed_out = proc.wait(), True
        except BaseException:  # interrupted: leave nothing of the suite running
            stop_tree(proc.pid)
            raise
    wall = time.perf_counter() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    return _outcome(name, folder, code, timed_out, wall, text, timeout_s)


def stop_tree(pid: int) -> None:
    """Kill a timed-out suite and everything it started (Ray's processes included)."""
    import signal

    from benchmarking.common import load_psutil

    psutil = load_psutil()
    try:
        family = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for proc in family:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _outcome(
    name: str, folder: Path, code: int, timed_out: bool, wall: float, log: str, limit: float
) -> SuiteOutcome:
    """Classify the run and collect what it wrote."""
    parquet = any(folder.rglob("*.parquet"))
    markdown = (folder / "report.md").is_file()
    png = len(list(folder.rglob("*.png")))
    lines = [line for line in log.strip().splitlines() if line.strip()]
    if timed_out:
        status, error = "timeout", f"killed after {limit:.0f} s"
    elif code == 0:
        status, error = "ok", ""
    elif code == 1 and parquet and markdown and "Traceback" not in log:
        status, error = "target missed", "exit 1: a target of the suite was not met"
    else:
        status, error = "failed", (lines[-1] if lines else f"exit {code}")[:300]
    headline = folder / HEADLINE_FILE
    figures = headline.read_text(encoding="utf-8").strip() if headline.is_file() else ""
    return SuiteOutcome(name, status, wall, code, error, parquet, markdown, png, figures)


def first_table(report: Path) -> str:
    """The first Markdown table of a report (at most TABLE_LINES lines), or ''."""
    if not report.is_file():
        return ""
    rows: list[str] = []
    for line in report.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    return "\n".join(rows[:TABLE_LINES])


def summary_markdown(
    outcomes: Sequence[SuiteOutcome], out: Path, quick: bool, cluster: dict[str, Any] | None
) -> str:
    """The summary: machine (and Ray cluster), one row per suite, each suite's headline."""
    table = pl.DataFrame([asdict(o) for o in outcomes]).select(
        "suite", "status", "wall_s", "parquet", "markdown", "png", "error"
    )
    parts = [
        f"# Benchmarks{' (--quick)' if quick else ''}",
        f"Machine: {machine_info().line()}.",
    ]
    if cluster is not None:
        parts.append(
            "Ray cluster (ray.nodes()):\n\n" + markdown_table(pl.DataFrame(cluster["nodes"]))
        )
    parts += ["## Suites", markdown_table(table, 1), "## Headline figures"]
    for o in outcomes:
        if o.headline:
            figures = json.loads(o.headline)
            body = "\n".join(f"- {k}: {v}" for k, v in figures.items())
        else:
            body = first_table(out / o.suite / "report.md") or f"_{o.status}: {o.error}_"
        parts.append(f"### {o.suite} ({o.status})\n\n{body}")
    return "\n\n".join(parts) + "\n"


def run_all(args: argparse.Namespace, names: Sequence[str]) -> int:
    """Run the chosen suites one after another and write the summary."""
    suites = chosen(names, args.only, args.skip)
    out: Path = (args.out or RESULTS_ROOT).resolve()
    out.mkdir(parents=True, exist_ok=True)
    media = (args.media or default_media_root()).resolve()
    limit = args.timeout_s or (QUICK_SUITE_TIMEOUT_S if args.quick else SUITE_TIMEOUT_S)
    cluster = None
    if args.in_ray_job:
        from benchmarking.ray_job import cluster_nodes

        cluster = cluster_nodes()
        (out / "cluster.json").write_text(json.dumps(cluster, indent=1), encoding="utf-8")
    outcomes = []
    for name in suites:
        print(f"== {name}", flush=True)
        outcome = run_suite(name, out, media, args.quick, limit)
        print(f"   {outcome.status} in {outcome.wall_s:.1f} s {outcome.error}", flush=True)
        outcomes.append(outcome)
    pl.DataFrame([asdict(o) for o in outcomes]).write_parquet(out / "summary.parquet")
    walls = {o.suite: o.wall_s for o in outcomes}
    bar_chart(walls, "benchmark suites", "wall seconds", out / "summary.png")
    markdown = summary_markdown(outcomes, out, args.quick, cluster)
    (out / "summary.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    return 0 if all(o.status in ("ok", "target missed") for o in outcomes) else 1
