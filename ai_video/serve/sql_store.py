"""The job store on SQLAlchemy Core: a SQLite file in the data directory by default.

Set ``serve.db_url`` to a PostgreSQL URL to share one store between several nodes. Every
write is one short transaction, so a job is acknowledged only after its row is committed;
executor writes are conditional on the job's current ``attempt`` (see serve/jobs.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ai_video.config import ServeConfig
from ai_video.serve.jobs import (
    ACTIVE_STATES,
    ERROR_GAVE_UP,
    ERROR_OTHER,
    AdmissionLimits,
    ApiKey,
    Clock,
    JobNotFound,
    JobOutcome,
    JobPage,
    JobRecord,
    JobState,
    JobWithdrawn,
    RecentActivity,
    StageHistogram,
    StageProgress,
    UnknownApiKey,
    new_id,
)
from ai_video.serve.sql_activity import read_recent_activity
from ai_video.serve.sql_admission import admit_job
from ai_video.serve.sql_rows import (
    api_key_from_row,
    decode_cursor,
    encode_cursor,
    job_from_row,
    job_to_row,
    stage_json,
)
from ai_video.serve.sql_schema import create_schema
from ai_video.serve.sql_schema import jobs_table as _jobs
from ai_video.serve.sql_schema import keys_table as _keys
from ai_video.serve.sql_schema import stage_runs_table as _stage_runs


def database_url(cfg: ServeConfig) -> str:
    """The configured store URL, or the SQLite file in the data directory."""
    if cfg.db_url:
        return cfg.db_url
    return f"sqlite:///{(Path(cfg.data_dir) / 'jobs.sqlite3').absolute()}"


def open_store(cfg: ServeConfig, clock: Clock = time.time) -> SqlJobStore:
    """The job store described by ``cfg`` (creating the data directory and tables)."""
    Path(cfg.data_dir).mkdir(parents=True, exist_ok=True)
    return SqlJobStore(database_url(cfg), clock=clock)


class SqlJobStore:
    """:class:`JobStore` on any SQLAlchemy database (SQLite file by default)."""

    def __init__(self, url: str, clock: Clock = time.time) -> None:
        self._clock = clock
        self._engine = sa.create_engine(url, future=True)
        if self._engine.dialect.name == "sqlite":
            sa.event.listen(self._engine, "connect", _sqlite_pragmas)
        create_schema(self._engine)

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def add_key(
        self, name: str, key_hash: str, expires_at: float | None = None, admin: bool = False
    ) -> ApiKey:
        """Record a new API key by its hash (valid until ``expires_at``; admin keys read /ops)."""
        key = ApiKey(
            id=new_id(), name=name, created_at=self._clock(), expires_at=expires_at, admin=admin
        )
        with self._engine.begin() as conn:
            conn.execute(
                _keys.insert().values(
                    id=key.id,
                    name=name,
                    key_hash=key_hash,
                    created_at=key.created_at,
                    expires_at=expires_at,
                    admin=admin,
                )
            )
        return key

    def key_for_hash(self, key_hash: str) -> ApiKey:
        """The live key with this hash; raises UnknownApiKey (also when revoked or expired)."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(_keys).where(_keys.c.key_hash == key_hash)).first()
        if row is None:
            raise UnknownApiKey("unknown API key")
        key = api_key_from_row(row)
        if key.revoked_at is not None:
            raise UnknownApiKey("API key revoked")
        if key.expires_at is not None and key.expires_at <= self._clock():
            raise UnknownApiKey("API key expired")
        return key

    def keys(self) -> list[ApiKey]:
        """Every key (revoked and expired ones too), oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(_keys).order_by(_keys.c.created_at)).all()
        return [api_key_from_row(r) for r in rows]

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key by id (its jobs stay); raises UnknownApiKey."""
        with self._engine.begin() as conn:
            done = conn.execute(
                _keys.update()
                .where(_keys.c.id == key_id, _keys.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
            row = conn.execute(sa.select(_keys).where(_keys.c.id == key_id)).first()
        if row is None or done.rowcount != 1:
            raise UnknownApiKey(f"no live API key with id {key_id}")
        return api_key_from_row(row)

    def add_job(self, job: JobRecord) -> None:
        """Record a new job; returns only once it is committed."""
        with self._engine.begin() as conn:
            conn.execute(_jobs.insert().values(**job_to_row(job)))

    def add_job_within_limits(self, job: JobRecord, limits: AdmissionLimits) -> str | None:
        """Record ``job`` only if its owner is within ``limits``, atomically; else why not."""
        with self._engine.begin() as conn:
            return admit_job(conn, job_to_row(job), limits)

    def job(self, job_id: str, owner_key_id: str | None = None) -> JobRecord:
        """A job (of this owner, when given); raises JobNotFound."""
        query = sa.select(_jobs).where(_jobs.c.id == job_id, _jobs.c.deleted_at.is_(None))
        if owner_key_id is not None:
            query = query.where(_jobs.c.owner_key_id == owner_key_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise JobNotFound(f"job {job_id} not found")
        return job_from_row(row)

    def jobs_page(self, owner_key_id: str, limit: int, cursor: str | None) -> JobPage:
        """The owner's jobs, newest first, ``limit`` at a time."""
        query = (
            sa.select(_jobs)
            .where(_jobs.c.owner_key_id == owner_key_id, _jobs.c.deleted_at.is_(None))
            .order_by(_jobs.c.created_at.desc(), _jobs.c.id.desc())
            .limit(limit + 1)
        )
        if cursor is not None:
            created_at, last_id = decode_cursor(cursor)
            query = query.where(
                sa.or_(
                    _jobs.c.created_at < created_at,
                    sa.and_(_jobs.c.created_at == created_at, _jobs.c.id < last_id),
                )
            )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        jobs = tuple(job_from_row(r) for r in rows[:limit])
        more = len(rows) > limit
        next_cursor = encode_cursor(jobs[-1].created_at, jobs[-1].id) if more and jobs else None
        return JobPage(jobs=jobs, next_cursor=next_cursor)

    def submission_times(self, owner_key_id: str, since: float) -> list[float]:
        """Creation times (oldest first) of the owner's submissions since ``since``."""
        query = (
            sa.select(_jobs.c.created_at)
            .where(_jobs.c.owner_key_id == owner_key_id, _jobs.c.created_at >= since)
            .order_by(_jobs.c.created_at)
        )
        with self._engine.connect() as conn:
            return [float(t) for t in conn.execute(query).scalars()]

    def claim(self, job_id: str, attempt: int) -> JobRecord:
        """Mark the job running for this attempt; raises JobWithdrawn."""
        now = self._clock()
        self._update_attempt(
            job_id, attempt, state=JobState.RUNNING.value, started_at=now, stages=[],
            heartbeat_at=now,
        )  # fmt: skip
        return self.job(job_id)

    def heartbeat(self, job_id: str, attempt: int) -> None:
        """Renew this attempt's lease on a running job; raises JobWithdrawn."""
        self._update_attempt(job_id, attempt, heartbeat_at=self._clock())

    def record_progress(self, job_id: str, attempt: int, stages: Sequence[StageProgress]) -> None:
        """Store per-stage progress (which renews the lease too); raises JobWithdrawn."""
        stages_json = [stage_json(s) for s in stages]
        self._update_attempt(job_id, attempt, stages=stages_json, heartbeat_at=self._clock())

    def complete(self, job_id: str, attempt: int, outcome: JobOutcome) -> None:
        """Mark the job succeeded; raises JobWithdrawn."""
        with self._engine.begin() as conn:
            self._update_attempt(
                job_id,
                attempt,
                conn=conn,
                state=JobState.SUCCEEDED.value,
                finished_at=self._clock(),
                clip_count=outcome.clip_count,
                cache_hits=outcome.cache_hits,
                cache_misses=outcome.cache_misses,
            )
            if outcome.stage_wall_s:
                conn.execute(
                    _stage_runs.insert(),
                    [
                        {"job_id": job_id, "stage": stage, "wall_s": wall_s}
                        for stage, wall_s in outcome.stage_wall_s.items()
                    ],
                )

    def fail(self, job_id: str, attempt: int, reason: str, kind: str = ERROR_OTHER) -> None:
        """Mark the job failed with a reason and its kind (for metrics); raises JobWithdrawn."""
        self._update_attempt(
            job_id, attempt, state=JobState.FAILED.value, finished_at=self._clock(), error=reason,
            error_kind=kind,
        )  # fmt: skip

    def delete(self, job_id: str, owner_key_id: str) -> JobRecord:
        """Hide the job from its owner and withdraw it from any executor; raises JobNotFound."""
        job = self.job(job_id, owner_key_id)
        now = self._clock()
        state = JobState.CANCELLED if job.state in ACTIVE_STATES else job.state
        values: dict[str, Any] = {"deleted_at": now, "state": state.value}
        if job.finished_at is None:
            values["finished_at"] = now
        with self._engine.begin() as conn:
            done = conn.execute(
                _jobs.update()
                .where(_jobs.c.id == job_id, _jobs.c.deleted_at.is_(None))
                .values(**values)
            )
        if done.rowcount != 1:
            raise JobNotFound(f"job {job_id} not found")
        return replace(job, state=state)

    def requeue_unfinished(
        self,
        max_attempts: int | None = None,
        lease_s: float | None = None,
        include_queued: bool = True,
    ) -> list[JobRecord]:
        """Re-queue queued and running jobs under a new attempt (after a restart).

        A job that already had ``max_attempts`` attempts fails for good instead, so a job
        that crashes its server cannot crash it again and again. With ``lease_s``, a running
        job whose runner renewed its lease within that time belongs to a live replica and
        is left alone (replicas sharing one store do not take each other's jobs); without
        ``include_queued`` only running jobs are looked at (the periodic lease sweep).
        """
        states = ACTIVE_STATES if include_queued else (JobState.RUNNING,)
        active: sa.ColumnElement[bool] = _jobs.c.state.in_([s.value for s in states])
        if lease_s is not None:
            renewed = sa.func.coalesce(_jobs.c.heartbeat_at, 0.0)
            live = (_jobs.c.state == JobState.RUNNING.value) & (renewed >= self._clock() - lease_s)
            active = active & ~live
        query = (
            sa.select(_jobs.c.id, _jobs.c.attempt)
            .where(active, _jobs.c.deleted_at.is_(None))
            .order_by(_jobs.c.priority.desc(), _jobs.c.created_at, _jobs.c.id)
        )
        with self._engine.connect() as conn:
            unfinished = conn.execute(query).all()
        requeued = []
        for job_id, attempt in unfinished:
            given_up = max_attempts is not None and attempt >= max_attempts
            values: dict[str, Any] = (
                {"state": JobState.FAILED.value, "finished_at": self._clock(),
                 "error": f"gave up after {attempt} attempts (each ended with the server)",
                 "error_kind": ERROR_GAVE_UP}
                if given_up
                else {"attempt": attempt + 1, "state": JobState.QUEUED.value,
                      "started_at": None, "stages": []}
            )  # fmt: skip
            try:
                self._update_attempt(job_id, attempt, **values)
            except JobWithdrawn:
                continue  # deleted or requeued by someone else in the meantime
            if not given_up:
                requeued.append(self.job(job_id))
        return requeued

    def state_counts(self) -> dict[JobState, int]:
        """Number of accepted jobs in each state, deleted ones included."""
        query = sa.select(_jobs.c.state, sa.func.count()).group_by(_jobs.c.state)
        counts = dict.fromkeys(JobState, 0)
        with self._engine.connect() as conn:
            for state, count in conn.execute(query):
                counts[JobState(state)] = int(count)
        return counts

    def stage_histograms(self, bounds_s: Sequence[float]) -> list[StageHistogram]:
        """Per-stage wall-time histograms over finished runs."""
        wall = _stage_runs.c.wall_s
        columns = [
            sa.func.sum(sa.case((wall <= bound, 1), else_=0)).label(f"le_{i}")
            for i, bound in enumerate(bounds_s)
        ]
        query = (
            sa.select(_stage_runs.c.stage, sa.func.count(), sa.func.sum(wall), *columns)
            .group_by(_stage_runs.c.stage)
            .order_by(_stage_runs.c.stage)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            StageHistogram(
                stage=row[0],
                buckets=tuple((b, int(row[3 + i] or 0)) for i, b in enumerate(bounds_s)),
                count=int(row[1]),
                sum_s=float(row[2] or 0.0),
            )
            for row in rows
        ]

    def error_counts(self) -> dict[str, int]:
        """Failed jobs by error kind, deleted ones included."""
        kind = sa.func.coalesce(_jobs.c.error_kind, ERROR_OTHER)
        query = (
            sa.select(kind, sa.func.count())
            .where(_jobs.c.state == JobState.FAILED.value)
            .group_by(kind)
        )
        with self._engine.connect() as conn:
            return {str(k): int(n) for k, n in conn.execute(query)}

    def cache_totals(self) -> tuple[int, int]:
        """Stage-cache hits and misses summed over finished jobs."""
        query = sa.select(
            sa.func.coalesce(sa.func.sum(_jobs.c.cache_hits), 0),
            sa.func.coalesce(sa.func.sum(_jobs.c.cache_misses), 0),
        )
        with self._engine.connect() as conn:
            hits, misses = conn.execute(query).one()
        return int(hits), int(misses)

    def recent_activity(self, since: float) -> RecentActivity:
        """Jobs by state now, running jobs, and runs finished since ``since`` (issues 15/16)."""
        counts = self.state_counts()
        with self._engine.connect() as conn:
            return read_recent_activity(conn, counts, since)

    def _update_attempt(
        self, job_id: str, held_attempt: int, conn: sa.Connection | None = None, **values: Any
    ) -> None:
        statement = (
            _jobs.update()
            .where(
                _jobs.c.id == job_id,
                _jobs.c.attempt == held_attempt,
                _jobs.c.deleted_at.is_(None),
            )
            .values(**values)
        )
        if conn is None:
            with self._engine.begin() as own:
                rowcount = own.execute(statement).rowcount
        else:
            rowcount = conn.execute(statement).rowcount
        if rowcount != 1:
            raise JobWithdrawn(f"job {job_id} attempt {held_attempt} was withdrawn")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
