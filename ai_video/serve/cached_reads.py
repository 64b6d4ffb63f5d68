"""Cheap status reads: job records and API keys cached per replica for a short time.

Under load most requests ask for the same few rows (many watchers of one job, one key per
client). :class:`TtlCache` answers them from memory for ``ttl_s`` and lets only one store read
per row be in flight at a time (the others wait for it), so a burst of N requests costs one
database round trip instead of N threads queueing for the connection pool. Reads run on a
worker thread; the event loop never blocks on the store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi.concurrency import run_in_threadpool

from ai_video.config import LiveOpsConfig
from ai_video.serve.auth import NotAuthenticated, bearer_token, hash_api_key
from ai_video.serve.jobs import ApiKey, JobNotFound, JobRecord, JobStore, UnknownApiKey
from ai_video.serve.schemas import job_view

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    read_at: float


class TtlCache(Generic[T]):
    """Values by key, re-read at most every ``ttl_s``; one read per key in flight at a time."""

    def __init__(
        self, ttl_s: float, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, _Entry[T]] = {}
        self._inflight: dict[str, asyncio.Future[T]] = {}

    async def get(self, key: str, read: Callable[[], T]) -> T:
        """The cached value of ``key``, or ``read()`` on a worker thread when it is stale."""
        entry = self._entries.get(key)
        if entry is not None and self._clock() - entry.read_at < self._ttl_s:
            return entry.value
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await run_in_threadpool(read)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no warning when nobody else waited
            raise
        finally:
            del self._inflight[key]
        self._store(key, value)
        future.set_result(value)
        return value

    def forget(self, key: str) -> None:
        """Drop ``key`` so the next read goes to the store (after a change made here)."""
        self._entries.pop(key, None)

    def _store(self, key: str, value: T) -> None:
        now = self._clock()
        if len(self._entries) >= self._max_entries:
            fresh = {k: e for k, e in self._entries.items() if now - e.read_at < self._ttl_s}
            self._entries = fresh if len(fresh) < self._max_entries else {}
        self._entries[key] = _Entry(value, now)


class LiveReads:
    """The status reads of the API (job records, keys) through short-lived caches."""

    def __init__(self, store: JobStore, cfg: LiveOpsConfig) -> None:
        self._store = store
        self._jobs: TtlCache[JobRecord] = TtlCache(cfg.status_cache_s, cfg.cache_max_entries)
        self._keys: TtlCache[ApiKey] = TtlCache(cfg.key_cache_s, cfg.cache_max_entries)
        self._views: dict[str, tuple[JobRecord, bytes]] = {}
        self._max_views = cfg.cache_max_entries

    async def authenticate(self, authorization: str | None) -> ApiKey:
        """The caller's live key from its Authorization header; raises NotAuthenticated.

        A key is re-read from the store at most every ``key_cache_s`` (1 s by default), so a
        revoked or expired key stops within that time (0: at once); concurrent requests with
        one key share one read either way.
        """
        key_hash = hash_api_key(bearer_token(authorization))
        try:
            return await self._keys.get(key_hash, lambda: self._store.key_for_hash(key_hash))
        except UnknownApiKey as exc:
            raise NotAuthenticated(str(exc)) from None

    async def job(self, job_id: str, owner_key_id: str) -> JobRecord:
        """The job of this owner, at most ``status_cache_s`` old; raises JobNotFound."""
        job = await self._jobs.get(job_id, lambda: self._store.job(job_id))
        if job.owner_key_id != owner_key_id:
            raise JobNotFound(f"job {job_id} not found")
        return job

    async def job_json(self, job_id: str, owner_key_id: str) -> bytes:
        """The job's API view as JSON bytes, serialized once per cached record."""
        job = await self.job(job_id, owner_key_id)
        known = self._views.get(job_id)
        if known is not None and known[0] is job:
            return known[1]
        body = job_view(job).model_dump_json().encode()
        if len(self._views) >= self._max_views:
            self._views.clear()
        self._views[job_id] = (job, body)
        return body

    def forget_job(self, job_id: str) -> None:
        """Drop a job's cached record (it was deleted or changed by this replica)."""
        self._jobs.forget(job_id)
        self._views.pop(job_id, None)
