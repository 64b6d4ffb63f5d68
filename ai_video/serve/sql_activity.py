"""The store's queries behind the /ops view: running jobs and the runs of the last window."""

from __future__ import annotations

import sqlalchemy as sa

from ai_video.serve.jobs import FinishedRun, JobState, RecentActivity
from ai_video.serve.sql_schema import jobs_table as _jobs
from ai_video.serve.sql_schema import stage_runs_table as _stage_runs

_ENDED = (JobState.SUCCEEDED.value, JobState.FAILED.value)


def read_recent_activity(
    conn: sa.Connection, counts: dict[JobState, int], since: float
) -> RecentActivity:
    """Running jobs now, runs that ended since ``since`` and their stage wall times."""
    running = conn.execute(
        sa.select(_jobs.c.id).where(
            _jobs.c.state == JobState.RUNNING.value, _jobs.c.deleted_at.is_(None)
        )
    ).scalars()
    ended = (_jobs.c.finished_at >= since) & _jobs.c.state.in_(_ENDED)
    finished_rows = conn.execute(
        sa.select(
            _jobs.c.id,
            _jobs.c.state,
            _jobs.c.finished_at,
            _jobs.c.error,
            _jobs.c.cache_hits,
            _jobs.c.cache_misses,
        ).where(ended)
    ).all()
    walls = conn.execute(
        sa.select(_stage_runs.c.stage, _stage_runs.c.wall_s)
        .join(_jobs, _jobs.c.id == _stage_runs.c.job_id)
        .where(ended)
    ).all()
    return RecentActivity(
        counts=counts,
        running_ids=tuple(str(i) for i in running),
        finished=tuple(
            FinishedRun(
                job_id=r.id,
                state=JobState(r.state),
                finished_at=float(r.finished_at),
                error=r.error,
                cache_hits=int(r.cache_hits),
                cache_misses=int(r.cache_misses),
            )
            for r in finished_rows
        ),
        stage_walls=tuple((str(stage), float(wall)) for stage, wall in walls),
    )
