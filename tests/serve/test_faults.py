"""Faults during a job end in a clear failed state, never in a damaged clip marked done.

The disk filling up mid-render: the job's output folder is a small tmpfs (mounted by the
test; needs root, skipped otherwise). The same job on a roomy tmpfs is the control: it
succeeds and fills the stage cache, so the small-disk run reuses the analysis and runs out
of space while rendering.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ai_video.config import Settings
from ai_video.pipeline.runtime import run_clip_request
from ai_video.serve.execution import ExecutionResult, JobPaths, execute_job
from ai_video.serve.jobs import JobOptions, JobRecord, JobState, new_id
from ai_video.serve.sql_store import SqlJobStore, open_store
from tests.serve.conftest import SAMPLE_VIDEO, service_settings

pytestmark = [pytest.mark.slow, pytest.mark.media]


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    """Folders to unmount at the end of the test."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted: list[Path] = []
    yield mounted
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


def _job_on_tmpfs(
    store: SqlJobStore, settings: Settings, source: Path, size: str, mounted: list[Path]
) -> JobRecord:
    key = store.add_key("k", new_id() + new_id())
    job = JobRecord(new_id(), key.id, JobState.QUEUED, str(source), source.name, JobOptions(), 1.0)
    store.add_job(job)
    out = JobPaths(settings.serve.data_dir).out_dir(job.id)
    out.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(out)], check=True)
    mounted.append(out)
    return job


def test_disk_full_mid_render_fails_the_job_cleanly(
    media: Path, tmp_path: Path, mounts: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    settings = service_settings(tmp_path).with_overrides(
        {"ray.enabled": False, "cache.enabled": True}
    )
    store = open_store(settings.serve)
    source = media / SAMPLE_VIDEO
    try:
        roomy = _job_on_tmpfs(store, settings, source, "200m", mounts)
        assert execute_job(roomy, settings, store, run_clip_request) is ExecutionResult.SUCCEEDED
        assert store.job(roomy.id).clip_count == 1

        full = _job_on_tmpfs(store, settings, source, "64k", mounts)
        assert execute_job(full, settings, store, run_clip_request) is ExecutionResult.FAILED
        failed = store.job(full.id)
    finally:
        store.close()
    for record in caplog.records:  # the server logs the full-disk failure, as it should
        if record.exc_info and "No space left" in str(record.exc_info[1]):
            record.expected = True
    assert failed.state is JobState.FAILED and failed.clip_count == 0
    assert failed.error == "internal error: OSError: No space left on device", failed.error
    out = JobPaths(settings.serve.data_dir).out_dir(full.id)
    assert not list(out.glob("*.mp4")), "no clip file is left looking finished"
