"""The operations view: ``/ops`` (page), ``/v1/ops`` (one snapshot), ``/v1/ops/events`` (SSE).

The page is a static shell; its data needs an admin API key (``ai-video keys create NAME
--admin``): 401 without a key, 403 with a key that is not an admin's. Snapshots are built at
most once per ``live_ops.ops_interval_s`` per replica, however many pages watch, from the job
store (:meth:`JobStore.recent_activity`), the nodes' own figures (a ``node_stats`` function
handed in: pipeline/ops_metrics.py on Ray, this machine alone without) and the finished jobs'
manifests (their source durations, read once per job).

(No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations.)
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ai_video.config import LiveOpsConfig
from ai_video.serve.auth import NotAdmin
from ai_video.serve.cached_reads import TtlCache
from ai_video.serve.events import job_event_routes
from ai_video.serve.jobs import ApiKey, JobState, JobStore
from ai_video.serve.ops_snapshot import OpsSnapshot, build_snapshot
from ai_video.serve.schemas import API_PREFIX
from ai_video.types import NodeStats

NodeStatsFn = Callable[[float], list[NodeStats]]
_SNAPSHOT = "ops"
_MAX_DURATIONS = 100_000


class OpsBoard:
    """Builds /ops snapshots, shared by every watcher of this replica."""

    def __init__(
        self,
        store: JobStore,
        cfg: LiveOpsConfig,
        out_dir: Callable[[str], Path],
        node_stats: NodeStatsFn | None,
    ) -> None:
        self._store = store
        self._cfg = cfg
        self._out_dir = out_dir
        self._node_stats = node_stats
        self._snapshots: TtlCache[OpsSnapshot] = TtlCache(cfg.ops_interval_s / 2, 1)
        self._source_s: dict[str, float] = {}

    async def snapshot(self) -> OpsSnapshot:
        """The current snapshot (at most ``ops_interval_s / 2`` old)."""
        return await self._snapshots.get(_SNAPSHOT, self._build)

    def _build(self) -> OpsSnapshot:
        now = time.time()
        activity = self._store.recent_activity(now - self._cfg.ops_window_s)
        nodes = self._node_stats(self._cfg.node_probe_timeout_s) if self._node_stats else []
        done = [r.job_id for r in activity.finished if r.state is JobState.SUCCEEDED]
        return build_snapshot(
            activity, nodes, self._source_seconds(done), now, self._cfg.ops_window_s
        )

    def _source_seconds(self, job_ids: list[str]) -> dict[str, float]:
        """Source duration of each finished job, from its manifest (0 when it is gone)."""
        if len(self._source_s) > _MAX_DURATIONS:
            self._source_s = {k: v for k, v in self._source_s.items() if k in set(job_ids)}
        for job_id in job_ids:
            if job_id not in self._source_s:
                self._source_s[job_id] = _source_duration_s(self._out_dir(job_id))
        return {k: self._source_s[k] for k in job_ids}


def _source_duration_s(out_dir: Path) -> float:
    """``source.duration_s`` of a finished job's manifest.json (0 when it is gone or unreadable).

    Only that field is read (not the whole manifest model): manifests can be large.
    """
    try:
        return float(orjson.loads((out_dir / "manifest.json").read_bytes())["source"]["duration_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


async def _snapshot_events(board: OpsBoard, cfg: LiveOpsConfig) -> AsyncIterator[ServerSentEvent]:
    seq = 0
    deadline = time.monotonic() + cfg.events_max_s
    while time.monotonic() < deadline:
        seq += 1
        snap = await board.snapshot()
        yield ServerSentEvent(event="snapshot", id=str(seq), data=snap.model_dump(mode="json"))
        await asyncio.sleep(cfg.ops_interval_s)


def ops_routes(board: OpsBoard, cfg: LiveOpsConfig, current_key: Any, web_dir: Path) -> APIRouter:
    """The /ops page and its admin-only data routes (``/v1/ops``, ``/v1/ops/events``)."""
    router = APIRouter()

    def admin_key(key: Annotated[ApiKey, Depends(current_key)]) -> ApiKey:
        if not key.admin:
            raise NotAdmin("the operations view needs an admin key (keys create --admin)")
        return key

    admin = [Depends(admin_key)]

    @router.get("/ops", include_in_schema=False)
    def ops_page() -> FileResponse:
        return FileResponse(web_dir / "ops.html", media_type="text/html")

    @router.get("/v1/ops", tags=["operations"], dependencies=admin)
    async def ops_snapshot() -> OpsSnapshot:
        """Queue, throughput, stage latency percentiles, cache, errors and node load (admin)."""
        return await board.snapshot()

    @router.get(
        "/v1/ops/events",
        tags=["operations"],
        dependencies=admin,
        response_class=EventSourceResponse,
    )
    async def ops_events() -> AsyncIterator[ServerSentEvent]:
        """The same snapshot as Server-Sent Events (``snapshot``) every ops interval (admin)."""
        async for event in _snapshot_events(board, cfg):
            yield event

    return router


def install_live_routes(
    app: FastAPI, ctx: Any, node_stats: NodeStatsFn | None, current_key: Any, web_dir: Path
) -> None:
    """Mount the job event stream and the operations view on the app of serve/app.py."""
    cfg: LiveOpsConfig = ctx.settings.live_ops
    app.include_router(job_event_routes(ctx.reads, cfg, current_key), prefix=API_PREFIX)
    board = OpsBoard(ctx.store, cfg, ctx.paths.out_dir, node_stats)
    app.include_router(ops_routes(board, cfg, current_key, web_dir))
