"""Job leases on the service side: after a start, and every half lease, re-queue the jobs
whose runner is gone (a running job's lease is renewed by serve/execution.py)."""

from __future__ import annotations

import asyncio
import logging

from fastapi.concurrency import run_in_threadpool

from ai_video.config import Settings
from ai_video.serve.execution import JobRunner
from ai_video.serve.jobs import JobStore

log = logging.getLogger(__name__)


async def requeue_orphans(
    store: JobStore, runner: JobRunner, settings: Settings, include_queued: bool
) -> None:
    """Re-queue jobs whose runner is gone (queued ones too at start-up) and run them here."""
    requeued = await run_in_threadpool(
        store.requeue_unfinished,
        settings.api_options.max_job_attempts,
        settings.serve.lease_s,
        include_queued,
    )
    for job in requeued:
        log.info("re-queued job %s (attempt %d): its runner is gone", job.id, job.attempt)
        runner.submit(job)


async def sweep_expired_leases(store: JobStore, runner: JobRunner, settings: Settings) -> None:
    """Every half lease, take over running jobs whose lease expired (their replica died)."""
    while True:
        await asyncio.sleep(settings.serve.lease_s / 2)
        try:
            await requeue_orphans(store, runner, settings, include_queued=False)
        except Exception:  # a store hiccup: try again at the next sweep
            log.warning("lease sweep failed", exc_info=True)
