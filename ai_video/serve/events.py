"""``GET /v1/jobs/{id}/events``: a job's status and progress pushed as Server-Sent Events.

The stream opens with the job's current view (event ``progress``, or ``final`` when it has
already ended), then sends a ``progress`` event whenever state, attempt or a stage's fraction
changes, and ends with one ``final`` event carrying the finished view (or ``gone`` when the job
is deleted meanwhile). Every event's data is the same JSON as ``GET /v1/jobs/{id}``. Changes
are looked for every ``live_ops.events_poll_s`` through the replica's status cache, so any
number of subscribers of one job cost one store read per cache period. FastAPI sends a keep-alive
comment while nothing changes; the stream closes after ``live_ops.events_max_s`` (a browser's
reader simply reconnects).

(No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations.)
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ai_video.config import LiveOpsConfig
from ai_video.serve.cached_reads import LiveReads
from ai_video.serve.jobs import ACTIVE_STATES, ApiKey, JobNotFound, JobRecord
from ai_video.serve.schemas import job_view

PROGRESS = "progress"
FINAL = "final"
GONE = "gone"


def _fingerprint(job: JobRecord) -> tuple[object, ...]:
    """What makes two reads of a job a different event (not the lease heartbeat)."""
    stages = tuple((s.name, round(s.fraction, 3), s.wall_s) for s in job.stages)
    return (job.state, job.attempt, job.error, job.clip_count, stages)


def _event(job: JobRecord, seq: int) -> ServerSentEvent:
    kind = PROGRESS if job.state in ACTIVE_STATES else FINAL
    return ServerSentEvent(event=kind, id=str(seq), data=job_view(job).model_dump(mode="json"))


async def job_events(
    reads: LiveReads, first: JobRecord, owner_key_id: str, cfg: LiveOpsConfig
) -> AsyncIterator[ServerSentEvent]:
    """The event stream of one job, starting from its record ``first``."""
    seq = 1
    yield _event(first, seq)
    last = _fingerprint(first)
    job = first
    deadline = time.monotonic() + cfg.events_max_s
    while job.state in ACTIVE_STATES and time.monotonic() < deadline:
        await asyncio.sleep(cfg.events_poll_s)
        try:
            job = await reads.job(first.id, owner_key_id)
        except JobNotFound:
            yield ServerSentEvent(event=GONE, id=str(seq + 1), data={"id": first.id})
            return
        now = _fingerprint(job)
        if now != last:
            seq += 1
            last = now
            yield _event(job, seq)


def job_event_routes(reads: LiveReads, cfg: LiveOpsConfig, current_key: Any) -> APIRouter:
    """``GET /jobs/{id}/events`` (mounted under the API prefix)."""
    router = APIRouter(tags=["jobs"])

    async def visible_job(
        job_id: str, key: Annotated[ApiKey, Depends(current_key)]
    ) -> tuple[JobRecord, str]:
        return await reads.job(job_id, key.id), key.id  # 404 before the stream starts

    @router.get("/jobs/{job_id}/events", response_class=EventSourceResponse)
    async def stream_job_events(
        seen: Annotated[tuple[JobRecord, str], Depends(visible_job)],
    ) -> AsyncIterator[ServerSentEvent]:
        """Status and progress as Server-Sent Events: ``progress`` ..., then ``final``."""
        async for event in job_events(reads, seen[0], seen[1], cfg):
            yield event

    return router
