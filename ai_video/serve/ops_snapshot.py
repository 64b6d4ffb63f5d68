"""One snapshot of the /ops view: queue, throughput, stage latency, cache, errors, nodes.

Pure computation over what the store reports (:class:`RecentActivity`), the nodes' own
figures (:class:`NodeStats`, sampled in pipeline/ops_metrics.py) and the source durations of
the finished jobs (read from their manifests by the caller).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
from pydantic import BaseModel, Field

from ai_video.serve.jobs import JobState, RecentActivity
from ai_video.types import NodeStats

UNPLACED = "unplaced"
"""Running jobs no node reported (jobs on local threads when the API runs without Ray)."""


class StageLatency(BaseModel):
    """Wall-time percentiles of one stage over the window's succeeded runs."""

    stage: str
    count: int
    p50_s: float
    p95_s: float
    p99_s: float


class ErrorCount(BaseModel):
    """Failed runs in the window with one kind of error."""

    kind: str
    count: int


class NodeView(BaseModel):
    """One node's load and the jobs running on it."""

    node_id: str
    address: str
    cpu_count: int
    cpu_percent: float | None
    memory_used_bytes: int | None
    memory_total_bytes: int | None
    gpu_count: int
    gpu_percent: float | None
    gpu_memory_used_bytes: int | None
    gpu_memory_total_bytes: int | None
    running_jobs: int


class OpsSnapshot(BaseModel):
    """Everything the /ops page shows, at one time."""

    at: float = Field(description="When this snapshot was taken (seconds since the epoch).")
    window_s: float = Field(description="Throughput, latency and errors cover this long.")
    jobs_by_state: dict[str, int]
    queue_depth: int
    running: int
    running_by_node: dict[str, int] = Field(description="Node id (or 'unplaced') -> jobs.")
    succeeded: int = Field(description="Jobs that succeeded in the window.")
    failed: int = Field(description="Jobs that failed in the window.")
    videos_per_hour: float
    source_hours_per_hour: float = Field(description="Hours of source video finished per hour.")
    cache_hits: int
    cache_misses: int
    cache_hit_rate: float | None = Field(description="hits / (hits + misses); None without any.")
    stage_latency: list[StageLatency]
    errors: list[ErrorCount]
    nodes: list[NodeView]


def error_kind(reason: str | None) -> str:
    """A short, stable label for a failure reason (what the error counts group by)."""
    text = (reason or "unknown").strip()
    internal = re.match(r"internal error: (\w+)", text)
    if internal:
        return internal.group(1)
    for prefix in ("worker died", "gave up after", "timed out"):
        if text.startswith(prefix):
            return prefix
    head = text.split(":", 1)[0].strip()
    return head[:60] or "unknown"


def stage_latencies(walls: tuple[tuple[str, float], ...]) -> list[StageLatency]:
    """p50/p95/p99 of each stage's wall seconds (the pipeline's ``total`` entry included)."""
    by_stage: dict[str, list[float]] = defaultdict(list)
    for stage, wall in walls:
        by_stage[stage].append(wall)
    out = []
    for stage in sorted(by_stage):
        values = np.asarray(by_stage[stage], dtype=np.float64)
        p50, p95, p99 = np.percentile(values, [50, 95, 99])
        out.append(StageLatency(stage=stage, count=values.size, p50_s=p50, p95_s=p95, p99_s=p99))
    return out


def build_snapshot(
    activity: RecentActivity,
    nodes: list[NodeStats],
    source_s: dict[str, float],
    now: float,
    window_s: float,
) -> OpsSnapshot:
    """The /ops snapshot; ``source_s`` holds the source seconds of succeeded jobs by id."""
    done = [r for r in activity.finished if r.state is JobState.SUCCEEDED]
    failed = [r for r in activity.finished if r.state is JobState.FAILED]
    per_hour = 3600.0 / window_s
    hits = sum(r.cache_hits for r in activity.finished)
    misses = sum(r.cache_misses for r in activity.finished)
    by_node, node_views = _placement(activity.running_ids, nodes)
    errors = Counter(error_kind(r.error) for r in failed)
    return OpsSnapshot(
        at=now,
        window_s=window_s,
        jobs_by_state={s.value: activity.counts.get(s, 0) for s in JobState},
        queue_depth=activity.counts.get(JobState.QUEUED, 0),
        running=len(activity.running_ids),
        running_by_node=by_node,
        succeeded=len(done),
        failed=len(failed),
        videos_per_hour=len(done) * per_hour,
        source_hours_per_hour=sum(source_s.get(r.job_id, 0.0) for r in done) / 3600.0 * per_hour,
        cache_hits=hits,
        cache_misses=misses,
        cache_hit_rate=hits / (hits + misses) if hits + misses else None,
        stage_latency=stage_latencies(activity.stage_walls),
        errors=[ErrorCount(kind=k, count=n) for k, n in errors.most_common()],
        nodes=node_views,
    )


def _placement(
    running_ids: tuple[str, ...], nodes: list[NodeStats]
) -> tuple[dict[str, int], list[NodeView]]:
    """Running jobs per node (matched by short id), and each node's view."""
    running = {job_id[:8] for job_id in running_ids}
    by_node: dict[str, int] = {}
    placed: set[str] = set()
    views = []
    for node in nodes:
        here = running & set(node.running_jobs)
        placed |= here
        by_node[node.node_id] = len(here)
        views.append(
            NodeView(
                node_id=node.node_id,
                address=node.address,
                cpu_count=node.cpu_count,
                cpu_percent=node.cpu_percent,
                memory_used_bytes=node.memory_used_bytes,
                memory_total_bytes=node.memory_total_bytes,
                gpu_count=node.gpu_count,
                gpu_percent=node.gpu_percent,
                gpu_memory_used_bytes=node.gpu_memory_used_bytes,
                gpu_memory_total_bytes=node.gpu_memory_total_bytes,
                running_jobs=len(here),
            )
        )
    if running - placed:
        by_node[UNPLACED] = len(running - placed)
    return by_node, views
