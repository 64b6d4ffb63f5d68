"""Job work runs at a lower CPU priority than the API (issue 15: status reads stay fast).

Ray starts every worker at the same niceness (its ``worker_niceness``, 15 by default), the
Serve proxy and replica included, so a job's analysis and renders (ffmpeg with one thread
per core) compete on equal terms with the processes answering HTTP. A job task is started
with ``AI_VIDEO_JOB_NICENESS`` in its runtime_env; the stage tasks and model actors it
starts inherit that runtime_env, and :func:`apply_job_niceness` (called before every stage)
raises their process's niceness to it, which their ffmpeg children inherit. Outside a job
task (the CLI, tests) the variable is unset and nothing changes.
"""

from __future__ import annotations

import os
from typing import Any

JOB_NICENESS_ENV = "AI_VIDEO_JOB_NICENESS"
MAX_NICENESS = 19


def job_runtime_env(niceness: int) -> dict[str, Any] | None:
    """The runtime_env of a job task at ``niceness`` (None when 0: no change)."""
    if niceness <= 0:
        return None
    return {"env_vars": {JOB_NICENESS_ENV: str(min(niceness, MAX_NICENESS))}}


def apply_job_niceness() -> int:
    """Raise this process's niceness to the job's (never lowers it); returns the niceness."""
    current = os.nice(0)
    wanted = os.environ.get(JOB_NICENESS_ENV, "")
    if wanted.isdigit() and int(wanted) > current:
        return os.nice(min(int(wanted), MAX_NICENESS) - current)
    return current
