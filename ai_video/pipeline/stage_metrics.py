"""Per-stage metrics: one row per stage execution (gathered into Parquet per run), and the
same counts exported to Ray's metrics when running inside Ray.

Each execution writes one small JSON row file (atomically) under ``RUN_DIR/metrics/rows``,
so stages running in any process or on any node of a shared filesystem can record without
coordination; :func:`flush_metrics` gathers them into ``RUN_DIR/metrics/stages.parquet``.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from ai_video.config import CacheConfig
from ai_video.media.files import replace_atomic, write_atomic

ROWS_DIR = Path("metrics") / "rows"
TABLE = Path("metrics") / "stages.parquet"

SCHEMA = {
    "run_id": pl.Utf8,
    "video_id": pl.Utf8,
    "stage": pl.Utf8,
    "node": pl.Utf8,
    "worker": pl.Utf8,
    "start": pl.Float64,
    "end": pl.Float64,
    "input_bytes": pl.Int64,
    "output_bytes": pl.Int64,
    "cache_hit": pl.Boolean,
    "ok": pl.Boolean,
}


@dataclass(frozen=True)
class StageContext:
    """What every stage execution needs to know besides its inputs (picklable)."""

    run_id: str
    video_id: str
    run_dir: Path
    cache_root: Path
    cache_enabled: bool
    cache_max_bytes: int
    deadline_at: float | None = None
    """Wall-clock time (epoch seconds) by which the job's media processes must be done; it
    travels with every stage, so it holds in thread pools and on other Ray workers too."""


def new_stage_context(
    cache: CacheConfig,
    video_id: str,
    run_dir: Path,
    scratch_dir: Path,
    deadline_s: float | None = None,
) -> StageContext:
    """A fresh run's context; with the cache off, stage outputs go to ``scratch_dir``."""
    return StageContext(
        run_id=uuid.uuid4().hex[:12],
        video_id=video_id,
        run_dir=run_dir,
        cache_root=cache.dir if cache.enabled else scratch_dir,
        cache_enabled=cache.enabled,
        cache_max_bytes=cache.max_bytes,
        deadline_at=None if deadline_s is None else time.time() + deadline_s,
    )


@dataclass
class StageRecord:
    """One stage execution; fields are filled in while the stage runs."""

    run_id: str
    video_id: str
    stage: str
    node: str = field(default_factory=socket.gethostname)
    worker: str = field(default_factory=lambda: f"{os.getpid()}:{threading.get_ident() % 10000}")
    start: float = 0.0
    end: float = 0.0
    input_bytes: int = 0
    output_bytes: int = 0
    cache_hit: bool = False
    ok: bool = False


def _ray_connected() -> bool:
    if "ray" not in sys.modules:
        return False
    import ray

    return bool(ray.is_initialized())


def node_name() -> str:
    """This process's node: the Ray node id inside a Ray worker, else the host name."""
    if _ray_connected():
        import ray

        return str(ray.get_runtime_context().get_node_id())[:16]
    return socket.gethostname()


@contextmanager
def record_stage(ctx: StageContext, stage: str) -> Iterator[StageRecord]:
    """Time a stage execution and write its metrics row when it ends (also on failure)."""
    rec = StageRecord(run_id=ctx.run_id, video_id=ctx.video_id, stage=stage, start=time.time())
    rec.node = node_name()
    try:
        yield rec
        rec.ok = True
    finally:
        rec.end = time.time()
        write_row(ctx.run_dir, rec)
        if _ray_connected():
            _export_to_ray(rec)


_BOUNDARIES_S = [0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0]


@functools.lru_cache(maxsize=1)
def _ray_instruments() -> tuple[Any, Any, Any]:
    """Created once per worker process (Ray metrics must not be redefined)."""
    from ray.util.metrics import Counter, Histogram

    runs = Counter(
        "ai_video_stage_runs",
        description="Stage executions.",
        tag_keys=("stage", "cache_hit", "ok"),
    )
    seconds = Histogram(
        "ai_video_stage_seconds",
        description="Stage wall time in seconds.",
        boundaries=_BOUNDARIES_S,
        tag_keys=("stage",),
    )
    out_bytes = Counter(
        "ai_video_stage_output_bytes", description="Bytes written by stages.", tag_keys=("stage",)
    )
    return runs, seconds, out_bytes


def _export_to_ray(rec: StageRecord) -> None:
    """Count one stage execution in Ray's metrics (dashboard / Prometheus endpoint)."""
    runs, seconds, out_bytes = _ray_instruments()
    ok, hit = str(rec.ok).lower(), str(rec.cache_hit).lower()
    runs.inc(1.0, tags={"stage": rec.stage, "cache_hit": hit, "ok": ok})
    seconds.observe(rec.end - rec.start, tags={"stage": rec.stage})
    if rec.output_bytes:
        out_bytes.inc(float(rec.output_bytes), tags={"stage": rec.stage})


def write_row(run_dir: Path, rec: StageRecord) -> None:
    """Write one metrics row atomically; nothing when the run's folder is gone (a deleted
    job whose actor-held stage finished after the delete must not bring its files back)."""
    if not run_dir.is_dir():
        return
    rows = run_dir / ROWS_DIR
    rows.mkdir(parents=True, exist_ok=True)
    name = f"{rec.start:.6f}-{uuid.uuid4().hex[:8]}.json"
    write_atomic(rows / name, orjson.dumps(asdict(rec)))


def read_rows(run_dir: Path) -> pl.DataFrame:
    """All metrics rows of a run (row files plus an already flushed table)."""
    return _gather(run_dir)[0]


def _gather(run_dir: Path) -> tuple[pl.DataFrame, list[Path]]:
    frames: list[pl.DataFrame] = []
    table = run_dir / TABLE
    if table.is_file():
        frames.append(pl.read_parquet(table))
    rows_dir = run_dir / ROWS_DIR
    # Hidden names are rows still being written (media.files' temporary siblings).
    files = (
        sorted(p for p in rows_dir.glob("*.json") if not p.name.startswith("."))
        if rows_dir.is_dir()
        else []
    )
    rows = [orjson.loads(p.read_bytes()) for p in files]
    if rows:
        frames.append(pl.DataFrame(rows, schema=SCHEMA))
    if not frames:
        return pl.DataFrame(schema=SCHEMA), files
    return pl.concat(frames, how="vertical").unique(maintain_order=True), files


def flush_metrics(run_dir: Path) -> Path:
    """Gather row files into ``metrics/stages.parquet`` (atomically) and remove them."""
    table, files = _gather(run_dir)
    out = run_dir / TABLE
    out.parent.mkdir(parents=True, exist_ok=True)
    with replace_atomic(out) as partial:
        table.write_parquet(partial)
    for p in files:
        p.unlink(missing_ok=True)
    return out


@dataclass(frozen=True)
class StageSummary:
    """One job's stage walls and cache counts, from its metrics rows."""

    wall_s: dict[str, float]
    cache_hits: int
    cache_misses: int


def stage_summary(ctx: StageContext, started: float) -> StageSummary:
    """Flush the run's rows and sum this job's wall seconds per stage (plus ``total``)."""
    flush_metrics(ctx.run_dir)
    rows = read_rows(ctx.run_dir).filter(video_id=ctx.video_id, run_id=ctx.run_id)
    wall: dict[str, float] = {}
    if not rows.is_empty():
        per_stage = rows.group_by("stage").agg((pl.col("end") - pl.col("start")).sum().alias("w"))
        wall = {str(r["stage"]): float(r["w"]) for r in per_stage.iter_rows(named=True)}
    wall["total"] = time.time() - started
    hits = int(rows["cache_hit"].sum()) if len(rows) else 0
    return StageSummary(wall_s=wall, cache_hits=hits, cache_misses=len(rows) - hits)
