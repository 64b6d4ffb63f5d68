"""Memory pressure: with a budget smaller than the machine, jobs queue instead of dying of OOM.

Both arms submit the same N clip jobs (the real pipeline, the API's runner without Ray, each
job with its own models and cache namespace, i.e. cold) to a server process whose memory
budget is enforced the way a container's memory limit is: when the process tree's RSS
passes the budget, the largest process is killed (what the kernel's OOM killer does in a
memory cgroup; this machine's cgroups are not writable, so the parent enforces it, on the
tree's proportional set size, which charges a shared page once as a cgroup does). The
budget is the same in both arms and is also given to the admission controller:

    off: admission.enabled false -> every job starts at once (up to serve.max_running_jobs)
    on:  admission.enabled true, admission.memory_budget_mb = the budget

    python -m benchmarking pressure [--quick] [--media DIR] [--out DIR] [--jobs N] [--budget-mb MB]

Writes runs.parquet (one row per job and arm), samples.parquet (RSS over time),
report.md and pressure.png into --out (default benchmarking/results/pressure).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from benchmarking.common import machine_info, markdown_table, media_root, results_dir

SOURCE = "talking/sadtalker_WDA_KatieHill_000.mp4"
SAMPLE_S = 0.05
DEFAULT_BUDGET_MB = 1_800.0
"""Between one cold job (about 1.65 GiB PSS measured) and two at once (about 1.9 GiB)."""
JOB_MB = 1500.0
"""Footprint of one cold job the controller starts from (measured on this pipeline: about
1.4 GiB of PSS for a first job, its models included)."""


def main(argv: Sequence[str]) -> int:
    """Run both arms (or, with --child, one arm's server); 0 when the controller arm kept
    every job alive under the budget."""
    parser = argparse.ArgumentParser(prog="python -m benchmarking pressure")
    parser.add_argument("--quick", action="store_true", help="3 jobs instead of 4")
    parser.add_argument("--media", type=Path, default=None, help="shared test media folder")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument("--jobs", type=int, default=None, help="jobs per arm")
    parser.add_argument("--budget-mb", type=float, default=None, help="memory budget (MiB)")
    parser.add_argument("--child", choices=["off", "on"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(list(argv))
    media = (args.media or media_root()).resolve()
    jobs = args.jobs or (3 if args.quick else 4)
    if args.child:
        return run_server_arm(args.child, media / SOURCE, args.work, jobs, args.budget_mb)
    out = args.out.resolve() if args.out else results_dir("pressure", fresh=True)
    out.mkdir(parents=True, exist_ok=True)
    budget_mb = args.budget_mb or DEFAULT_BUDGET_MB
    arms = [run_arm(arm, media, out / f"work-{arm}", jobs, budget_mb) for arm in ("off", "on")]
    runs = pl.DataFrame([row for arm in arms for row in arm["jobs"]])
    samples = pl.DataFrame([row for arm in arms for row in arm["samples"]])
    runs.write_parquet(out / "runs.parquet")
    samples.write_parquet(out / "samples.parquet")
    plot(samples, budget_mb, out / "pressure.png")
    (out / "report.md").write_text(report(arms, runs, budget_mb, jobs), encoding="utf-8")
    print((out / "report.md").read_text(encoding="utf-8"))
    on = next(a for a in arms if a["arm"] == "on")
    return 0 if on["succeeded"] == jobs and not on["oom_killed"] and on["exit_code"] == 0 else 1


def run_server_arm(arm: str, source: Path, work: Path, jobs: int, budget_mb: float) -> int:
    """Child process: submit ``jobs`` clip jobs to the thread runner and wait for them all."""
    from ai_video.config import Settings
    from ai_video.pipeline.runtime import run_clip_request
    from ai_video.serve.execution import ThreadJobRunner
    from ai_video.serve.jobs import JobOptions, JobRecord, JobState, new_id
    from ai_video.serve.sql_store import open_store

    settings = Settings().with_overrides(
        {
            "ray.enabled": False,
            "serve.data_dir": str(work / "data"),
            "serve.max_running_jobs": jobs,
            "cache.dir": str(work / "cache"),
            "curate.max_clips": 1,
            "curate.min_s": 2.0,
            "curate.max_s": 4.0,
            "platforms.tiktok.width_px": 360,
            "platforms.tiktok.height_px": 640,
            "render.x264_preset": "ultrafast",
            "admission.enabled": arm == "on",
            "admission.memory_budget_mb": budget_mb,
            "admission.video_memory_mb": JOB_MB,
            "admission.cpu_busy_frac": 1.0,  # this measures memory, not a busy shared CPU
            "admission.interval_s": 0.5,
        }
    )
    store = open_store(settings.serve)
    runner = ThreadJobRunner(settings, store, run_clip_request)
    for i in range(jobs):  # a key (cache namespace) per job: every job is cold
        key = store.add_key(f"k{i}", f"{i:064d}")
        job = JobRecord(new_id(), key.id, JobState.QUEUED, str(source), source.name,
                        JobOptions(), time.time())  # fmt: skip
        store.add_job(job)
        runner.submit(job)
    ended = (JobState.SUCCEEDED, JobState.FAILED)
    while sum(store.state_counts()[s] for s in ended) < jobs:
        time.sleep(0.25)
    history = [{"t": t, "limit": limit, "reason": r} for t, limit, r in runner.admission.history]
    (work / "admission.json").write_text(json.dumps(history), encoding="utf-8")
    runner.close()
    store.close()
    return 0


def run_arm(arm: str, media: Path, work: Path, jobs: int, budget_mb: float) -> dict[str, Any]:
    """Run one arm's server as a child process under the budget; collect what happened."""
    import psutil

    shutil.rmtree(work, ignore_errors=True)  # a fresh store and cache: every job cold
    work.mkdir(parents=True)
    cmd = [sys.executable, "-m", "benchmarking.pressure", "--child", arm, "--media", str(media),
           "--work", str(work), "--jobs", str(jobs), "--budget-mb", str(budget_mb)]  # fmt: skip
    started = time.monotonic()
    child = subprocess.Popen(cmd, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    samples: list[dict[str, Any]] = []
    oom_killed = False
    while child.poll() is None:
        tree = _tree(psutil, child.pid)
        pss = {p.pid: _pss(p) for p in tree}
        total_mb = sum(pss.values()) / 2**20
        samples.append({"arm": arm, "t_s": time.monotonic() - started, "pss_mb": total_mb})
        if total_mb > budget_mb and not oom_killed:
            victim = max(tree, key=lambda p: pss[p.pid])
            print(f"[{arm}] {total_mb:.0f} MiB > budget {budget_mb:.0f}: OOM-killing {victim.pid}")
            for proc in tree:  # the server dies; its ffmpeg children go with it
                proc.kill()
            oom_killed = True
        time.sleep(SAMPLE_S)
    wall_s = time.monotonic() - started
    rows = _job_rows(arm, work)
    return {
        "arm": arm,
        "jobs": rows,
        "samples": samples,
        "oom_killed": oom_killed,
        "exit_code": child.returncode,
        "wall_s": wall_s,
        "peak_mb": max((float(s["pss_mb"]) for s in samples), default=0.0),
        "succeeded": sum(r["state"] == "succeeded" for r in rows),
        "history": _history(work),
    }


def _tree(psutil: Any, pid: int) -> list[Any]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _pss(proc: Any) -> int:
    """Proportional set size: shared pages split, so the tree's sum charges each page once
    (as a memory cgroup does; summed RSS would count a forked child's pages twice)."""
    try:
        return int(proc.memory_full_info().pss)
    except Exception:  # ended between listing and reading
        return 0


def _job_rows(arm: str, work: Path) -> list[dict[str, Any]]:
    """Every job of the arm's store; a job still queued/running when the server died is lost."""
    import sqlite3

    db = work / "data" / "jobs.sqlite3"
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT id, state, created_at, started_at, finished_at, error_kind FROM jobs"
        ).fetchall()
    return [
        {
            "arm": arm,
            "job": job_id,
            "state": state if state in ("succeeded", "failed") else f"lost ({state})",
            "queued_s": (started - created) if started else None,
            "run_s": (finished - started) if started and finished else None,
            "error_kind": kind or "",
        }
        for job_id, state, created, started, finished, kind in rows
    ]


def _history(work: Path) -> list[dict[str, Any]]:
    path = work / "admission.json"
    loaded: list[dict[str, Any]] = json.loads(path.read_text()) if path.is_file() else []
    return loaded


def report(arms: list[dict[str, Any]], runs: pl.DataFrame, budget_mb: float, jobs: int) -> str:
    """The Markdown report: one line per arm, then every job."""
    summary = pl.DataFrame(
        [
            {
                "arm": a["arm"],
                "jobs": jobs,
                "succeeded": a["succeeded"],
                "OOM-killed": a["oom_killed"],
                "server exit": a["exit_code"],
                "peak MiB (PSS)": a["peak_mb"],
                "budget MiB": budget_mb,
                "wall s": a["wall_s"],
                "limit changes": " ".join(f"{h['limit']}({h['reason']})" for h in a["history"]),
            }
            for a in arms
        ]
    )
    return (
        "# Memory pressure: admission control off vs on\n\n"
        f"{machine_info().line()}.\n\n"
        f"{jobs} cold clip jobs ({SOURCE}, 1 clip, 360x640) submitted at once to the API's "
        f"runner without Ray; budget {budget_mb:.0f} MiB on the server's process tree (PSS), "
        "enforced like a container memory limit (past it, the server is OOM-killed).\n\n"
        f"{markdown_table(summary, 1)}\n\n## Jobs\n\n{markdown_table(runs, 1)}\n\n"
        "![memory over time](pressure.png)\n"
    )


def plot(samples: pl.DataFrame, budget_mb: float, out_png: Path) -> Path:
    """Memory (PSS) of the server's process tree over time, per arm, against the budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.0, 4.0), dpi=100)
    try:
        for arm in ("off", "on"):
            part = samples.filter(pl.col("arm") == arm)
            ax.plot(part["t_s"], part["pss_mb"], label=f"admission {arm}")
        ax.axhline(budget_mb, color="red", linestyle="--", label="budget")
        ax.set_xlabel("seconds since the jobs were submitted")
        ax.set_ylabel("process-tree memory, PSS (MiB)")
        ax.set_title("Memory under a budget: admission control off vs on")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_png)
    finally:
        plt.close(fig)
    return out_png


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
