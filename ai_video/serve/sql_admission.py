"""Admission of a new job in one statement: the rate and concurrency limits cannot race.

The check and the insert are one ``INSERT ... SELECT ... WHERE <counts below limits>``
inside a transaction that first locks the owner's key row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite takes its database write lock when the INSERT starts, before it counts).
So N parallel submissions of one key admit at most the limit, on one server or several.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ai_video.serve.jobs import ACTIVE_STATES, RATE_LIMITED, TOO_MANY_ACTIVE, AdmissionLimits
from ai_video.serve.sql_schema import jobs_table as _jobs
from ai_video.serve.sql_schema import keys_table as _keys


def admit_job(conn: sa.Connection, row: dict[str, Any], limits: AdmissionLimits) -> str | None:
    """Insert the job ``row`` if its owner is within ``limits``; None, or which limit hit."""
    owner = row["owner_key_id"]
    conn.execute(sa.select(_keys.c.id).where(_keys.c.id == owner).with_for_update())
    recent = (
        sa.select(sa.func.count())
        .select_from(_jobs)
        .where(_jobs.c.owner_key_id == owner, _jobs.c.created_at >= limits.since)
        .scalar_subquery()
    )
    active = (
        sa.select(sa.func.count())
        .select_from(_jobs)
        .where(
            _jobs.c.owner_key_id == owner,
            _jobs.c.state.in_([s.value for s in ACTIVE_STATES]),
            _jobs.c.deleted_at.is_(None),
        )
        .scalar_subquery()
    )
    values = sa.select(
        *(sa.literal(value, type_=_jobs.c[name].type).label(name) for name, value in row.items())
    ).where(recent < limits.max_recent, active < limits.max_active)
    insert = _jobs.insert().from_select(list(row), values).returning(_jobs.c.id)
    if conn.execute(insert).first() is not None:  # (rowcount is unreliable for INSERT..SELECT)
        return None
    counts = conn.execute(sa.select(recent.label("recent"), active.label("active"))).one()
    return RATE_LIMITED if counts.recent >= limits.max_recent else TOO_MANY_ACTIVE
