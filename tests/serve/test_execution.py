"""Job execution bookkeeping: throttled progress writes, withdrawal, file layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_video.config import ServeConfig, Settings
from ai_video.pipeline.runtime import run_clip_request
from ai_video.serve.execution import ExecutionResult, JobPaths, ProgressRecorder, execute_job
from ai_video.serve.jobs import JobOptions, JobRecord, JobState, JobWithdrawn, new_id
from ai_video.serve.sql_store import SqlJobStore, open_store


class FakeClock:
    """A settable clock (seconds)."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> SqlJobStore:
    """A SQLite store in a temp folder."""
    return open_store(ServeConfig(data_dir=tmp_path))


def add_job(store: SqlJobStore) -> JobRecord:
    """A queued job of a fresh key."""
    key = store.add_key("k", new_id() + new_id())
    job = JobRecord(new_id(), key.id, JobState.QUEUED, "/nope.mp4", "nope.mp4", JobOptions(), 1.0)
    store.add_job(job)
    return job


def test_progress_is_written_on_stage_edges_and_throttled_between(store: SqlJobStore) -> None:
    job = add_job(store)
    store.claim(job.id, 1)
    clock = FakeClock()
    progress = ProgressRecorder(store, job, interval_s=0.5, clock=clock)

    progress("render", 0.0)  # new stage: written
    assert store.job(job.id).stages[0].fraction == 0.0
    clock.now += 0.1
    progress("render", 0.3)  # within the interval: kept in memory only
    assert store.job(job.id).stages[0].fraction == 0.0
    clock.now += 0.5
    progress("render", 0.6)  # interval passed: written
    assert store.job(job.id).stages[0].fraction == 0.6
    clock.now += 0.1
    progress("render", 1.0)  # finished: written with its wall time
    (render,) = store.job(job.id).stages
    assert render.fraction == 1.0 and render.wall_s == pytest.approx(0.7)

    progress("curate", 1.0)  # first reported as done: its time is not known yet
    assert store.job(job.id).stages[1].wall_s is None
    progress.finish({"curate": 0.25, "audio": 1.5, "total": 9.0})
    stages = {s.name: s for s in store.job(job.id).stages}
    assert list(stages) == ["render", "curate", "audio"]
    assert stages["curate"].wall_s == 0.25 and stages["render"].wall_s == pytest.approx(0.7)
    assert stages["audio"].fraction == 1.0 and stages["audio"].wall_s == 1.5

    store.requeue_unfinished()  # a restart hands the job to attempt 2
    with pytest.raises(JobWithdrawn):
        progress("plan", 0.0)


def test_a_deleted_job_is_not_run_and_its_files_are_removed(
    store: SqlJobStore, tmp_path: Path
) -> None:
    job = add_job(store)
    settings = Settings().with_overrides({"serve.data_dir": str(tmp_path)})
    paths = JobPaths(tmp_path)
    paths.out_dir(job.id).mkdir(parents=True)
    (paths.out_dir(job.id) / "clip_01.mp4").write_bytes(b"partial")
    store.delete(job.id, job.owner_key_id)

    assert execute_job(job, settings, store, run_clip_request) is ExecutionResult.WITHDRAWN
    assert not paths.job_dir(job.id).exists()


def test_a_failing_source_fails_the_job_with_the_reason(store: SqlJobStore, tmp_path: Path) -> None:
    job = add_job(store)
    settings = Settings().with_overrides({"serve.data_dir": str(tmp_path), "ray.enabled": False})

    assert execute_job(job, settings, store, run_clip_request) is ExecutionResult.FAILED
    failed = store.job(job.id)
    assert failed.state is JobState.FAILED
    assert failed.error and "nope.mp4" in failed.error
    assert failed.finished_at is not None
