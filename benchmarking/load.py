"""API load on loopback: 200 watchers polling job status, 20 uploads a minute; p50/p95/p99.

By default it starts its own local Ray + Serve app on 127.0.0.1 (temporary data and cache
folders, a fresh API key) and shuts it down afterwards; ``--url`` and ``--key`` aim it at a
running server instead (loopback addresses only). Watchers fire together once per
``--poll-interval-s`` (so each tick is a burst of ``--watchers`` concurrent
GET /v1/jobs/{id}); the submitter uploads the sample video at ``--submissions-per-min``.
Every request is recorded (kind, start, latency, status, error) to ``requests.parquet``;
``report.md`` gives latency percentiles and error counts per kind and checks the target:
no 5xx, p99 status latency < 200 ms. All submitted jobs are deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
import polars as pl

from benchmarking.common import (
    bar_chart,
    bench_settings,
    machine_info,
    markdown_table,
    open_suite,
    suite_parser,
    write_report,
)

P99_TARGET_MS = 200.0
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class LoadPlan:
    """How hard and how long to push."""

    watchers: int
    poll_interval_s: float
    submissions_per_min: float
    duration_s: float
    max_requests: int


@dataclass(frozen=True)
class RequestSample:
    """One request as the client saw it."""

    kind: str
    started_s: float
    latency_ms: float
    status: int
    error: str
    job_id: str
    """The new job's id for an accepted submission, else empty."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load, write requests.parquet and report.md; 1 if the target is missed."""
    args = _parser().parse_args(argv)
    suite = open_suite("load", args)
    if suite.quick:  # 20 watchers for 10 s: the harness path, not the figure
        args.watchers, args.duration_s, args.submissions_per_min = 20, 10.0, 6.0
    plan = LoadPlan(
        watchers=args.watchers,
        poll_interval_s=args.poll_interval_s,
        submissions_per_min=args.submissions_per_min,
        duration_s=args.duration_s,
        max_requests=args.max_requests,
    )
    video = args.video or suite.registry.one("talking", ("speech", "face"), min_s=8.0).path
    machine = machine_info()
    if args.url:
        if urlparse(args.url).hostname not in LOOPBACK_HOSTS:
            raise SystemExit("--url must be a loopback address (this benchmark stays local)")
        headers = {"Authorization": f"Bearer {args.key}"}
        samples = asyncio.run(run_load(args.url, headers, plan, video))
    else:
        with local_service(plan) as (url, headers):
            samples = asyncio.run(run_load(url, headers, plan, video))
    raw = pl.DataFrame([asdict(s) for s in samples])
    summary = summarize(raw)
    passed = target_met(summary)
    out_dir = suite.out
    headline = {f"{r['kind']} p99_ms": r["p99_ms"] for r in summary.iter_rows(named=True)}
    headline |= {"watchers": plan.watchers, "target_met": passed}
    markdown = _markdown(summary, plan, machine.line(), passed)
    _, report = write_report(out_dir, raw, markdown, headline)
    os.replace(out_dir / "runs.parquet", out_dir / "requests.parquet")
    p99 = {f"{r['kind']} p{q}": float(r[f"p{q}_ms"]) for r in summary.iter_rows(named=True)
           for q in (50, 95, 99)}  # fmt: skip
    bar_chart(p99, "API latency under load", "ms", out_dir / "latency.png")
    print(report.read_text(encoding="utf-8"))
    return 0 if passed else 1


def _parser() -> argparse.ArgumentParser:
    parser = suite_parser("load", __doc__)
    parser.add_argument("--url", help="a running server (loopback only); default: start one")
    parser.add_argument("--key", default="", help="API key for --url")
    parser.add_argument("--watchers", type=int, default=200)
    parser.add_argument("--poll-interval-s", type=float, default=1.0)
    parser.add_argument("--submissions-per-min", type=float, default=20.0)
    parser.add_argument("--duration-s", type=float, default=120.0)
    parser.add_argument("--max-requests", type=int, default=40_000, help="hard cap on requests")
    parser.add_argument("--video", type=Path, help="upload this (default: a registry talk)")
    return parser


@contextlib.contextmanager
def local_service(plan: LoadPlan) -> Iterator[tuple[str, dict[str, str]]]:
    """Local Ray + the Serve app on a free loopback port, in temporary folders."""
    from ai_video.pipeline.local_ray import LOCAL_RAY_ENV

    os.environ.update(LOCAL_RAY_ENV)
    import ray
    from ray import serve

    from ai_video.serve.commands import create_key
    from ai_video.serve.deployment import start_service

    root = Path(tempfile.mkdtemp(prefix="ai-video-load-"))
    settings = bench_settings(
        {
            "serve.host": "127.0.0.1",
            "serve.port": _free_port(),
            "serve.data_dir": str(root / "data"),
            "serve.submissions_per_minute": int(plan.submissions_per_min * 2) + 1,
            "cache.dir": str(root / "cache"),
            "curate.max_clips": 1,
        }
    )
    ray.init(address="local", include_dashboard=False, log_to_driver=False)
    try:
        url = start_service(settings)
        yield url, {"Authorization": f"Bearer {create_key('load', settings)}"}
    finally:
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()
        shutil.rmtree(root, ignore_errors=True)


async def run_load(
    url: str, headers: dict[str, str], plan: LoadPlan, video: Path
) -> list[RequestSample]:
    """Seed one job, then run the watchers and the submitter until the time or count is up."""
    samples: list[RequestSample] = []
    job_ids: list[str] = []
    content = video.read_bytes()
    limits = httpx.Limits(
        max_connections=plan.watchers + 8, max_keepalive_connections=plan.watchers
    )
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as http:
        await _submit(http, video.name, content, job_ids, samples)
        if not job_ids:
            raise SystemExit(f"could not submit the seed job: {samples[-1]}")
        start = time.monotonic()
        deadline = start + plan.duration_s
        watchers = [
            _watch(http, i, job_ids, plan, start, deadline, samples) for i in range(plan.watchers)
        ]
        await asyncio.gather(
            *watchers, _submitter(http, video.name, content, job_ids, plan, deadline, samples)
        )
        for job_id in job_ids:
            await http.delete(f"/v1/jobs/{job_id}")
    return samples


async def _watch(
    http: httpx.AsyncClient,
    index: int,
    job_ids: list[str],
    plan: LoadPlan,
    start: float,
    deadline: float,
    samples: list[RequestSample],
) -> None:
    tick = 0
    while len(samples) < plan.max_requests:
        due = start + tick * plan.poll_interval_s
        if due >= deadline:
            return
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        job_id = job_ids[(index + tick) % len(job_ids)]
        samples.append(await _timed(http, "status", "GET", f"/v1/jobs/{job_id}"))
        # a watcher whose answer came late skips the ticks it missed, like a polling page
        tick = max(tick + 1, math.ceil((time.monotonic() - start) / plan.poll_interval_s))


async def _submitter(
    http: httpx.AsyncClient,
    name: str,
    content: bytes,
    job_ids: list[str],
    plan: LoadPlan,
    deadline: float,
    samples: list[RequestSample],
) -> None:
    period_s = 60.0 / plan.submissions_per_min
    next_at = time.monotonic() + period_s
    while next_at < deadline and len(samples) < plan.max_requests:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await _submit(http, name, content, job_ids, samples)
        next_at += period_s


async def _submit(
    http: httpx.AsyncClient,
    name: str,
    content: bytes,
    job_ids: list[str],
    samples: list[RequestSample],
) -> None:
    """POST one upload; an accepted job's id is added to ``job_ids``."""
    files = {"file": (name, content, "video/mp4")}
    sample = await _timed(http, "submit", "POST", "/v1/jobs", files=files)
    samples.append(sample)
    if sample.job_id:
        job_ids.append(sample.job_id)


async def _timed(
    http: httpx.AsyncClient, kind: str, method: str, path: str, **kwargs: object
) -> RequestSample:
    started = time.monotonic()
    try:
        response = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        return RequestSample(kind, started, _ms(started), 0, type(exc).__name__, "")
    accepted = kind == "submit" and response.status_code == 202
    job_id = str(response.json()["id"]) if accepted else ""
    return RequestSample(kind, started, _ms(started), response.status_code, "", job_id)


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000.0


def summarize(raw: pl.DataFrame) -> pl.DataFrame:
    """Per request kind: counts by outcome and latency percentiles in ms."""
    latency = pl.col("latency_ms")
    return (
        raw.group_by("kind")
        .agg(
            pl.len().alias("requests"),
            (pl.col("status").is_between(200, 299)).sum().alias("ok_2xx"),
            (pl.col("status").is_between(400, 499)).sum().alias("client_4xx"),
            (pl.col("status") >= 500).sum().alias("server_5xx"),
            (pl.col("status") == 0).sum().alias("transport_errors"),
            latency.quantile(0.50).alias("p50_ms"),
            latency.quantile(0.95).alias("p95_ms"),
            latency.quantile(0.99).alias("p99_ms"),
            latency.max().alias("max_ms"),
        )
        .sort("kind", descending=True)
    )


def target_met(summary: pl.DataFrame) -> bool:
    """No 5xx or transport errors anywhere, and p99 of status requests under the target."""
    status = summary.filter(pl.col("kind") == "status")
    failures = int(summary["server_5xx"].sum()) + int(summary["transport_errors"].sum())
    return failures == 0 and not status.is_empty() and status["p99_ms"][0] < P99_TARGET_MS


def _markdown(summary: pl.DataFrame, plan: LoadPlan, machine: str, passed: bool) -> str:
    verdict = "met" if passed else "MISSED"
    return "\n".join(
        [
            "# API load (loopback)",
            "",
            f"{machine}.",
            "",
            f"{plan.watchers} watchers polling GET /v1/jobs/{{id}} together every "
            f"{plan.poll_interval_s:g} s, {plan.submissions_per_min:g} uploads/min, "
            f"{plan.duration_s:g} s (cap {plan.max_requests} requests). Jobs run meanwhile.",
            "",
            markdown_table(summary, decimals=1),
            "",
            f"Target (no 5xx, status p99 < {P99_TARGET_MS:.0f} ms): **{verdict}**.",
            "",
        ]
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
