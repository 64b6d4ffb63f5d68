"""Job work's CPU niceness: raised from the job's runtime_env variable, never lowered."""

from __future__ import annotations

import os
import subprocess
import sys

from ai_video.pipeline.priority import JOB_NICENESS_ENV, job_runtime_env

PROBE = (
    "import os; from ai_video.pipeline.priority import apply_job_niceness as a; "
    "print(os.nice(0), a(), os.nice(0))"
)


def _niceness_in_child(env_value: str | None) -> list[int]:
    env = {k: v for k, v in os.environ.items() if k != JOB_NICENESS_ENV}
    if env_value is not None:
        env[JOB_NICENESS_ENV] = env_value
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return [int(x) for x in out.stdout.split()]


def test_a_job_process_is_niced_and_others_are_left_alone() -> None:
    start = os.nice(0)
    assert _niceness_in_child(None) == [start, start, start]
    assert _niceness_in_child("19") == [start, 19, 19]
    assert _niceness_in_child("0") == [start, start, start]  # never lowered


def test_runtime_env_carries_the_niceness() -> None:
    assert job_runtime_env(0) is None
    assert job_runtime_env(12) == {"env_vars": {JOB_NICENESS_ENV: "12"}}
    assert job_runtime_env(40) == {"env_vars": {JOB_NICENESS_ENV: "19"}}
