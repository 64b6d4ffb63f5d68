"""Job-store rows to and from records, and page cursors (serve/sql_store.py uses them)."""

from __future__ import annotations

import base64
from typing import Any

import sqlalchemy as sa

from ai_video.errors import InputError
from ai_video.serve.jobs import ApiKey, JobOptions, JobRecord, JobState, StageProgress


def api_key_from_row(row: sa.Row[Any]) -> ApiKey:
    """An API key record from its row."""
    return ApiKey(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        admin=bool(row.admin),
    )


def job_to_row(job: JobRecord) -> dict[str, Any]:
    """The row of a job record."""
    return {
        "id": job.id,
        "owner_key_id": job.owner_key_id,
        "state": job.state.value,
        "source": job.source,
        "source_name": job.source_name,
        "options": job.options.model_dump(mode="json", exclude_none=True),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "error": job.error,
        "attempt": job.attempt,
        "stages": [stage_json(s) for s in job.stages],
        "clip_count": job.clip_count,
        "cache_hits": job.cache_hits,
        "cache_misses": job.cache_misses,
        "deleted_at": None,
        "priority": job.priority,
    }


def job_from_row(row: sa.Row[Any]) -> JobRecord:
    """A job record from its row."""
    return JobRecord(
        id=row.id,
        owner_key_id=row.owner_key_id,
        state=JobState(row.state),
        source=row.source,
        source_name=row.source_name,
        options=JobOptions.model_validate(row.options),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        attempt=row.attempt,
        stages=tuple(
            StageProgress(s["name"], s["fraction"], s["started_at"], s.get("wall_s"))
            for s in row.stages
        ),
        clip_count=row.clip_count,
        cache_hits=row.cache_hits,
        cache_misses=row.cache_misses,
    )


def stage_json(stage: StageProgress) -> dict[str, Any]:
    """One stage's progress as stored in a job row."""
    return {
        "name": stage.name,
        "fraction": stage.fraction,
        "started_at": stage.started_at,
        "wall_s": stage.wall_s,
    }


def encode_cursor(created_at: float, job_id: str) -> str:
    """The opaque page cursor after a job."""
    return base64.urlsafe_b64encode(f"{created_at!r}/{job_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """The job a page cursor points after; raises InputError on a bad cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, job_id = raw.split("/", 1)
        return float(created_at), job_id
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"invalid page cursor {cursor!r}") from None
