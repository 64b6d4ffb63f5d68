"""API load on loopback: job status at fixed request rates while jobs render, plus SSE watchers.

By default it starts its own local Ray + Serve app on 127.0.0.1 (temporary data and cache
folders, a fresh API key) and shuts it down afterwards; ``--url`` and ``--key`` aim it at a
running server instead (loopback addresses only). A keeper keeps one clip job running the whole
time (it follows the job's event stream and uploads the next when one ends; later jobs reuse the
cached analysis, so mostly their renders run). Meanwhile ``--subscribers`` clients follow the
same job's ``GET /v1/jobs/{id}/events``, and GET /v1/jobs/{id} is sent open-loop at each rate of
``--rates`` (one request every 1/rate s, each on its own, whatever the answers do) for
``--phase-s`` seconds or ``rate x phase-s`` requests. Every request is recorded to
``requests.parquet``, every SSE arrival to ``events.parquet``; ``report.md`` gives p50/p95/p99
per rate and the highest rate that holds the target (no error, p99 < 200 ms); ``latency.png``
plots them. All submitted jobs are deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import polars as pl

from benchmarking.common import (
    bench_settings,
    machine_info,
    markdown_table,
    open_suite,
    suite_parser,
    write_report,
)

P99_TARGET_MS = 200.0
TARGET_RATE = 100.0
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAX_IN_FLIGHT = 2000


@dataclass(frozen=True)
class LoadPlan:
    """How hard and how long to push."""

    rates: tuple[float, ...]
    phase_s: float
    subscribers: int
    idle: bool = False
    """Run the rates after the first job ended (a baseline with no job running)."""


@dataclass(frozen=True)
class RequestSample:
    """One status request as the client saw it."""

    rate: float
    started_s: float
    latency_ms: float
    status: int
    error: str
    job_running: bool
    """Whether the keeper's job was running (analysis or render) when the request was sent."""


@dataclass
class LoadState:
    """What the keeper and the subscribers share."""

    job_id: str = ""
    running: bool = False
    jobs: list[str] = field(default_factory=list)
    stop: bool = False
    arrivals: list[dict[str, object]] = field(default_factory=list)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load, write requests.parquet, events.parquet, report.md and latency.png."""
    args = _parser().parse_args(argv)
    suite = open_suite("load", args)
    quick = suite.quick
    plan = LoadPlan(
        rates=tuple(args.rates or ((25.0, 50.0, 100.0) if quick else (25.0, 50.0, 100.0, 200.0))),
        phase_s=args.phase_s or (10.0 if quick else 30.0),
        subscribers=args.subscribers if args.subscribers is not None else (20 if quick else 100),
        idle=args.idle,
    )
    video = args.video or suite.registry.one("talking", ("speech", "face"), min_s=8.0).path
    machine = machine_info()
    if args.url:
        if urlparse(args.url).hostname not in LOOPBACK_HOSTS:
            raise SystemExit("--url must be a loopback address (this benchmark stays local)")
        state, samples = asyncio.run(run_load(args.url, args.key, plan, video))
    else:
        with local_service(quick) as (url, key):
            state, samples = asyncio.run(run_load(url, key, plan, video))
    raw = pl.DataFrame([asdict(s) for s in samples])
    summary = summarize(raw)
    held = highest_rate_held(summary)
    out_dir = suite.out
    events = pl.DataFrame(state.arrivals) if state.arrivals else pl.DataFrame()
    fanout = fanout_summary(events)
    text = _markdown(summary, fanout, plan, machine.line(), held, len(state.jobs))
    headline = {"highest_rate_held": held, "target_rate": TARGET_RATE,
                "target_met": held is not None and held >= TARGET_RATE}  # fmt: skip
    _, report = write_report(out_dir, raw, text, headline)
    os.replace(out_dir / "runs.parquet", out_dir / "requests.parquet")
    events.write_parquet(out_dir / "events.parquet")
    plot_latency(summary, out_dir / "latency.png")
    print(report.read_text(encoding="utf-8"))
    return 0 if held is not None and held >= TARGET_RATE else 1


def _parser() -> argparse.ArgumentParser:
    parser = suite_parser("load", __doc__)
    parser.add_argument("--url", help="a running server (loopback only); default: start one")
    parser.add_argument("--key", default="", help="API key for --url")
    parser.add_argument("--rates", type=float, nargs="+", help="status requests per second")
    parser.add_argument("--phase-s", type=float, help="seconds per rate (default 30; quick 10)")
    parser.add_argument("--subscribers", type=int, help="SSE watchers (default 100; quick 20)")
    parser.add_argument(
        "--idle", action="store_true", help="baseline: measure after the one job has ended"
    )
    parser.add_argument("--video", type=Path, help="upload this (default: a registry talk)")
    return parser


@contextlib.contextmanager
def local_service(quick: bool) -> Iterator[tuple[str, str]]:
    """Local Ray + the Serve app on a free loopback port, in temporary folders."""
    from ai_video.pipeline.local_ray import LOCAL_RAY_ENV

    os.environ.update(LOCAL_RAY_ENV)
    import ray
    from ray import serve

    from ai_video.serve.commands import create_key
    from ai_video.serve.deployment import start_service

    root = Path(tempfile.mkdtemp(prefix="ai-video-load-"))
    overrides: dict[str, object] = {
        "serve.host": "127.0.0.1",
        "serve.port": _free_port(),
        "serve.data_dir": str(root / "data"),
        "serve.submissions_per_minute": 1000,
        "cache.dir": str(root / "cache"),
        "curate.max_clips": 1,
    }
    if quick:  # a smaller render, so a quick run sees several jobs end
        overrides |= {"platforms.tiktok.width_px": 540, "platforms.tiktok.height_px": 960}
    settings = bench_settings(overrides)
    ray.init(address="local", include_dashboard=False, log_to_driver=False)
    try:
        url = start_service(settings)
        yield url, create_key("load", settings)
    finally:
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()
        shutil.rmtree(root, ignore_errors=True)


async def run_load(
    url: str, key: str, plan: LoadPlan, video: Path
) -> tuple[LoadState, list[RequestSample]]:
    """Keep a job running, start the subscribers, then run each rate's phase in turn."""
    state = LoadState()
    content = video.read_bytes()
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=400)
    timeout = httpx.Timeout(30.0, read=None)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=timeout
    ) as http:
        keeper = asyncio.create_task(
            _keep_a_job_running(http, video.name, content, state, plan.idle)
        )
        while not (keeper.done() if plan.idle else state.running or keeper.done()):
            await asyncio.sleep(0.2)
        if keeper.done():
            keeper.result()  # raises why a job failed
        state.running = state.running and not plan.idle
        watchers = [
            asyncio.create_task(_subscribe(http, i, state)) for i in range(plan.subscribers)
        ]
        samples: list[RequestSample] = []
        for rate in plan.rates:
            samples += await _phase(http, rate, plan.phase_s, state)
        state.stop = True
        for task in (keeper, *watchers):
            task.cancel()
        await asyncio.gather(keeper, *watchers, return_exceptions=True)
        for job_id in state.jobs:
            await http.delete(f"/v1/jobs/{job_id}")
    return state, samples


async def _keep_a_job_running(
    http: httpx.AsyncClient, name: str, content: bytes, state: LoadState, once: bool
) -> None:
    """Upload a job, follow its events to the end, repeat until stopped (or ``once``)."""
    while not state.stop and not (once and state.jobs):
        files = {"file": (name, content, "video/mp4")}
        answer = await http.post("/v1/jobs", files=files)
        if answer.status_code != 202:
            raise SystemExit(f"could not submit a job: {answer.status_code} {answer.text}")
        state.job_id = answer.json()["id"]
        state.jobs.append(state.job_id)
        async for kind, job in _events(http, state.job_id):
            state.running = job["state"] == "running" or state.running
            if kind == "final":
                if job["state"] != "succeeded":
                    raise SystemExit(f"job {job['id']} {job['state']}: {job['error']}")
                break


async def _events(
    http: httpx.AsyncClient, job_id: str
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(event, job view) pairs of one job's SSE stream."""
    kind = "message"
    async with http.stream("GET", f"/v1/jobs/{job_id}/events") as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                yield kind, json.loads(line.removeprefix("data: "))


async def _subscribe(http: httpx.AsyncClient, index: int, state: LoadState) -> None:
    """Follow the keeper's current job's events; record when each event arrives."""
    while not state.stop:
        job_id = state.job_id
        try:
            async for kind, job in _events(http, job_id):
                stages = tuple((s["name"], s["fraction"]) for s in job["stages"])
                state.arrivals.append(
                    {
                        "subscriber": index,
                        "job_id": job_id,
                        "event": kind,
                        "version": hash((job["state"], stages)),
                        "arrived_s": time.monotonic(),
                    }
                )
        except httpx.HTTPError as exc:
            failed = {"subscriber": index, "job_id": job_id, "event": type(exc).__name__}
            state.arrivals.append(failed | {"version": 0, "arrived_s": time.monotonic()})
        while state.job_id == job_id and not state.stop:
            await asyncio.sleep(0.2)


async def _phase(
    http: httpx.AsyncClient, rate: float, duration_s: float, state: LoadState
) -> list[RequestSample]:
    """GET the current job's status every 1/rate s (open loop) for ``duration_s``."""
    count = int(rate * duration_s)
    start = time.monotonic()
    tasks: list[asyncio.Task[RequestSample]] = []
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        if len(tasks) - sum(t.done() for t in tasks) >= MAX_IN_FLIGHT:
            break
        tasks.append(asyncio.create_task(_status(http, rate, state.job_id, state.running)))
    return list(await asyncio.gather(*tasks))


async def _status(
    http: httpx.AsyncClient, rate: float, job_id: str, running: bool
) -> RequestSample:
    started = time.monotonic()
    try:
        response = await http.get(f"/v1/jobs/{job_id}")
        status, error = response.status_code, ""
    except httpx.HTTPError as exc:
        status, error = 0, type(exc).__name__
    latency = (time.monotonic() - started) * 1000.0
    return RequestSample(rate, started, latency, status, error, running)


def summarize(raw: pl.DataFrame) -> pl.DataFrame:
    """Per rate: requests, achieved rate, errors and latency percentiles in ms."""
    latency = pl.col("latency_ms")
    return (
        raw.group_by("rate")
        .agg(
            pl.len().alias("requests"),
            (pl.len() / (pl.col("started_s").max() - pl.col("started_s").min())).alias("sent_rps"),
            (pl.col("status") == 200).sum().alias("ok_200"),
            (pl.col("status") != 200).sum().alias("errors"),
            pl.col("job_running").mean().alias("running_share"),
            latency.quantile(0.50).alias("p50_ms"),
            latency.quantile(0.95).alias("p95_ms"),
            latency.quantile(0.99).alias("p99_ms"),
            latency.max().alias("max_ms"),
        )
        .sort("rate")
    )


def highest_rate_held(summary: pl.DataFrame) -> float | None:
    """The highest rate with no error and p99 under the target (None: not even the lowest)."""
    held = summary.filter((pl.col("errors") == 0) & (pl.col("p99_ms") < P99_TARGET_MS))
    return None if held.is_empty() else float(held["rate"].max())  # type: ignore[arg-type]


def fanout_summary(events: pl.DataFrame) -> pl.DataFrame:
    """How far behind the first subscriber the others got each event (ms percentiles)."""
    if events.is_empty():
        return pl.DataFrame()
    got = events.filter(pl.col("event").is_in(["progress", "final"]))
    lag = got.with_columns(
        (
            (pl.col("arrived_s") - pl.col("arrived_s").min().over("job_id", "version")) * 1000.0
        ).alias("lag_ms")
    )
    return lag.select(
        pl.len().alias("arrivals"),
        pl.col("subscriber").n_unique().alias("subscribers"),
        pl.col("lag_ms").quantile(0.50).alias("p50_ms"),
        pl.col("lag_ms").quantile(0.95).alias("p95_ms"),
        pl.col("lag_ms").quantile(0.99).alias("p99_ms"),
        pl.lit(int(events.filter(~pl.col("event").is_in(["progress", "final"])).height)).alias(
            "stream_errors"
        ),
    )


def plot_latency(summary: pl.DataFrame, out_png: Path) -> Path:
    """p50/p95/p99 status latency against the request rate, with the target line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 4.0), dpi=100)
    try:
        for column in ("p50_ms", "p95_ms", "p99_ms"):
            ax.plot(summary["rate"], summary[column], marker="o", label=column.removesuffix("_ms"))
        ax.axhline(P99_TARGET_MS, color="#b3261e", linestyle="--", label="p99 target")
        ax.set_xlabel("GET /v1/jobs/{id} requests per second (open loop)")
        ax.set_ylabel("latency (ms)")
        ax.set_yscale("log")
        ax.set_title("Job status latency while a job renders (loopback)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_png)
    finally:
        plt.close(fig)
    return out_png


def _markdown(
    summary: pl.DataFrame,
    fanout: pl.DataFrame,
    plan: LoadPlan,
    machine: str,
    held: float | None,
    jobs: int,
) -> str:
    verdict = "met" if held is not None and held >= TARGET_RATE else "MISSED"
    holds = f"{held:g} requests/s" if held is not None else "none of the rates"
    return "\n".join(
        [
            "# API load (loopback)",
            "",
            f"{machine}.",
            "",
            f"GET /v1/jobs/{{id}} open-loop at {', '.join(f'{r:g}' for r in plan.rates)} "
            f"requests/s, {plan.phase_s:g} s each, while one clip job at a time runs "
            f"({jobs} jobs in all) and {plan.subscribers} clients follow its event stream. "
            + ("**Idle baseline: the rates ran after the job had ended.** " if plan.idle else "")
            + "The load generator runs on the same machine.",
            "",
            markdown_table(summary, decimals=1),
            "",
            f"Load that holds (no error, status p99 < {P99_TARGET_MS:.0f} ms): **{holds}**. "
            f"Target ({TARGET_RATE:g} requests/s): **{verdict}**.",
            "",
            "SSE fan-out: how long after the first subscriber the others got each event.",
            "",
            markdown_table(fanout, decimals=1) if not fanout.is_empty() else "(no events)",
            "",
        ]
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
