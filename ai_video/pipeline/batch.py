"""Many videos: a source list in, clips per video and one results table out.

The driver keeps a bounded window of videos in flight; each video is the clip job's own
small DAG of Ray tasks and model-actor calls, so ASR of one video overlaps the visual pass
and renders of others while the shared model actors stay loaded once. The window is the
backpressure: its size follows measured memory/CPU headroom (pipeline/admission.py), up to
``ray.max_concurrent_videos``, and renders pass a gate sized the same way
(pipeline/render_gate.py). Videos start highest ``priority`` first, in list order within a
priority. A failing video becomes a failed row (error class and message) and never stops
the batch.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from ai_video.config import Settings
from ai_video.errors import AiVideoError, InputError
from ai_video.media.files import replace_atomic
from ai_video.pipeline.admission import AdmissionController, Bounds
from ai_video.pipeline.backend import Backend
from ai_video.pipeline.clip_job import run_clip_job
from ai_video.pipeline.job_queue import PriorityLine
from ai_video.pipeline.render_gate import GatedBackend, ResizableGate
from ai_video.pipeline.requests import ClipRequest
from ai_video.pipeline.stage_metrics import flush_metrics

log = logging.getLogger(__name__)

OPTION_COLUMNS = {
    "platform": "platform",
    "max_clips": "curate.max_clips",
    "prompt": "curate.prompt",
    "min_s": "curate.min_s",
    "max_s": "curate.max_s",
}


@dataclass(frozen=True)
class BatchItem:
    """One source-list row: a source, its id, and its per-row setting overrides."""

    video_id: str
    source: str
    overrides: dict[str, object]
    priority: int = 0
    """Higher starts first; equal priorities keep list order."""


@dataclass(frozen=True)
class BatchRow:
    """One row of results.parquet."""

    video_id: str
    source: str
    status: str
    error_class: str
    message: str
    clips: int
    duration_s: float
    wall_s: float
    out_dir: str


@dataclass(frozen=True)
class BatchProgress:
    """Counters for the live progress display."""

    total: int
    done: int
    failed: int
    clips: int
    source_s: float
    wall_s: float


def read_source_list(path: Path) -> list[BatchItem]:
    """Read a CSV or Parquet source list: a ``source`` column plus optional option columns."""
    if not path.is_file():
        raise InputError(f"{path}: source list not found")
    try:
        table = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path)
    except Exception as exc:  # polars raises several error types for unreadable input
        raise InputError(f"{path}: not a readable CSV/Parquet source list ({exc})") from None
    if "source" not in table.columns:
        raise InputError(f"{path}: source list needs a 'source' column (has {table.columns})")
    items: list[BatchItem] = []
    seen: set[str] = set()
    for row in table.iter_rows(named=True):
        source = str(row["source"] or "").strip()
        if not source:
            raise InputError(f"{path}: row {len(items) + 1} has an empty source")
        if not source.isprintable():
            raise InputError(f"{path}: row {len(items) + 1}: the source has control characters")
        if not source.startswith(("http://", "https://")) and not Path(source).is_absolute():
            source = str((path.parent / source).resolve())
        vid = str(row.get("video_id") or "") or video_id_for(source)
        if not VIDEO_ID.fullmatch(vid) or set(vid) == {"."}:
            raise InputError(
                f"{path}: row {len(items) + 1}: video_id {vid[:80]!r} is not a plain folder "
                "name (letters, digits, . _ -; no paths)"
            )
        if vid in seen:
            raise InputError(f"{path}: video_id {vid!r} appears twice")
        seen.add(vid)
        overrides = {
            key: row[col]
            for col, key in OPTION_COLUMNS.items()
            if col in row and row[col] is not None
        }
        priority = _priority(row.get("priority"), path, len(items) + 1)
        items.append(BatchItem(vid, source, overrides, priority))
    return items


def _priority(value: object, path: Path, row: int) -> int:
    """A row's ``priority`` cell as an int (empty: 0); raises InputError otherwise."""
    if value is None or value == "":
        return 0
    try:
        number = float(str(value))
    except ValueError:
        raise InputError(f"{path}: row {row}: priority {value!r} is not a number") from None
    if not number.is_integer():
        raise InputError(f"{path}: row {row}: priority {value!r} is not a whole number")
    return int(number)


VIDEO_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")
"""A video_id names the video's folder under ``--out``: one plain path segment."""


def video_id_for(source: str) -> str:
    """A readable, stable id: the file stem plus a short hash of the source string."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(source.split("?")[0]).stem).strip("-")[:40]
    return f"{stem or 'video'}-{hashlib.sha1(source.encode()).hexdigest()[:8]}"


def run_batch(
    items: list[BatchItem],
    out_dir: Path,
    settings: Settings,
    backend: Backend,
    on_progress: Callable[[BatchProgress], None] = lambda p: None,
) -> Path:
    """Clip every item, highest priority first, as many at a time as headroom allows (up to
    ``ray.max_concurrent_videos``); write results.parquet and admission.parquet."""
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    rows: list[BatchRow] = []
    videos, renders = batch_controllers(settings)
    gated = GatedBackend(backend, ResizableGate(renders), frozenset({"render"}))
    ceiling = max(1, settings.ray.max_concurrent_videos)
    queue: PriorityLine[BatchItem] = PriorityLine()
    for item in items:
        queue.push(item, item.priority)
    with ThreadPoolExecutor(max_workers=ceiling, thread_name_prefix="video") as pool:
        pending: dict[Future[BatchRow], BatchItem] = {}
        while queue or pending:
            while queue and len(pending) < videos.limit(len(queue), len(pending)):
                item = queue.pop()
                pending[pool.submit(_run_one, item, out_dir, settings, gated)] = item
            done, _ = wait(
                pending, timeout=settings.admission.interval_s, return_when=FIRST_COMPLETED
            )
            for fut in done:
                pending.pop(fut)
                rows.append(fut.result())
            if done:
                write_results(out_dir, rows)
                on_progress(_progress(rows, len(items), time.time() - started))
    gated.close()
    flush_metrics(out_dir)
    write_admission(out_dir, (videos, renders))
    return write_results(out_dir, rows)


def batch_controllers(settings: Settings) -> tuple[AdmissionController, AdmissionController]:
    """The controllers of a batch: videos in flight, and renders side by side."""
    cfg = settings.admission
    ceiling = max(1, settings.ray.max_concurrent_videos)
    videos = AdmissionController(
        cfg, "videos", Bounds(min(cfg.min_videos, ceiling), ceiling), cfg.video_memory_mb
    )
    renders = AdmissionController(
        cfg, "renders", Bounds(cfg.min_renders, cfg.max_renders), cfg.render_memory_mb
    )
    return videos, renders


def write_admission(out_dir: Path, controllers: tuple[AdmissionController, ...]) -> Path:
    """Write admission.parquet: every change of each adaptive limit, with its reason."""
    table = pl.DataFrame(
        [
            {"scope": c.scope, "t_s": t, "limit": limit, "reason": reason}
            for c in controllers
            for t, limit, reason in c.history
        ],
        schema={"scope": pl.Utf8, "t_s": pl.Float64, "limit": pl.Int64, "reason": pl.Utf8},
    )
    path = out_dir / "admission.parquet"
    with replace_atomic(path) as partial:
        table.write_parquet(partial)
    return path


def _run_one(item: BatchItem, out_dir: Path, settings: Settings, backend: Backend) -> BatchRow:
    started = time.time()
    video_dir = out_dir / item.video_id
    try:
        video_settings = settings.with_overrides(item.overrides)
        request = ClipRequest(source=item.source, out_dir=video_dir, video_id=item.video_id)
        result = run_clip_job(request, video_settings, backend=backend, run_dir=out_dir)
        duration = result.manifest.source.duration_s
        return BatchRow(
            item.video_id,
            item.source,
            "succeeded",
            "",
            "",
            len(result.clips),
            duration,
            time.time() - started,
            str(video_dir),
        )
    except Exception as exc:  # one video's failure is recorded, the batch goes on
        kind = (
            type(exc).__name__
            if isinstance(exc, AiVideoError)
            else f"internal:{type(exc).__name__}"
        )
        log.warning("video %s failed: %s: %s", item.video_id, type(exc).__name__, exc)
        return BatchRow(
            item.video_id,
            item.source,
            "failed",
            kind,
            str(exc)[:500],
            0,
            0.0,
            time.time() - started,
            str(video_dir),
        )


def _progress(rows: list[BatchRow], total: int, wall_s: float) -> BatchProgress:
    ok = [r for r in rows if r.status == "succeeded"]
    return BatchProgress(
        total=total,
        done=len(ok),
        failed=len(rows) - len(ok),
        clips=sum(r.clips for r in ok),
        source_s=sum(r.duration_s for r in ok),
        wall_s=wall_s,
    )


def write_results(out_dir: Path, rows: list[BatchRow]) -> Path:
    """Write results.parquet (one row per input) atomically."""
    schema = {
        "video_id": pl.Utf8,
        "source": pl.Utf8,
        "status": pl.Utf8,
        "error_class": pl.Utf8,
        "message": pl.Utf8,
        "clips": pl.Int64,
        "duration_s": pl.Float64,
        "wall_s": pl.Float64,
        "out_dir": pl.Utf8,
    }
    table = pl.DataFrame([asdict(r) for r in rows], schema=schema)
    path = out_dir / "results.parquet"
    with replace_atomic(path) as partial:
        table.write_parquet(partial)
    return path
