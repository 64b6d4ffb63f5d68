"""The SQL job store on SQLite and on a real PostgreSQL server: durability, paging, attempts,
deletion, metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_video.config import ServeConfig
from ai_video.serve.jobs import (
    JobNotFound,
    JobOptions,
    JobOutcome,
    JobRecord,
    JobState,
    JobWithdrawn,
    StageProgress,
    UnknownApiKey,
    new_id,
)
from ai_video.serve.sql_store import SqlJobStore, database_url, open_store


class FakeClock:
    """A settable clock (seconds)."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def queued_job(owner: str, created_at: float, **options: object) -> JobRecord:
    """A fresh queued job of ``owner``."""
    return JobRecord(
        id=new_id(),
        owner_key_id=owner,
        state=JobState.QUEUED,
        source="/data/source.mp4",
        source_name="talk.mp4",
        options=JobOptions.model_validate(options),
        created_at=created_at,
    )


@pytest.fixture
def store(tmp_path: Path, store_url: str | None) -> SqlJobStore:
    """A store on a SQLite file in a temp folder or a fresh PostgreSQL database, with a
    settable clock."""
    return open_store(ServeConfig(data_dir=tmp_path, db_url=store_url), clock=FakeClock())


def test_default_url_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    assert database_url(ServeConfig(data_dir=tmp_path)) == f"sqlite:///{tmp_path}/jobs.sqlite3"
    assert database_url(ServeConfig(data_dir=tmp_path, db_url="postgresql://h/db")) == (
        "postgresql://h/db"
    )


def test_jobs_survive_reopening_the_store(tmp_path: Path, store_url: str | None) -> None:
    cfg = ServeConfig(data_dir=tmp_path, db_url=store_url)
    first = open_store(cfg)
    key = first.add_key("alice", "h" * 64)
    job = queued_job(key.id, 10.0, max_clips=3, prompt="rockets")
    first.add_job(job)
    first.close()

    again = open_store(cfg)
    assert again.key_for_hash("h" * 64) == key
    stored = again.job(job.id, key.id)
    assert stored == job
    assert stored.options.max_clips == 3 and stored.options.prompt == "rockets"
    with pytest.raises(UnknownApiKey):
        again.key_for_hash("x" * 64)


def test_pages_are_newest_first_and_only_the_owners(store: SqlJobStore) -> None:
    alice = store.add_key("alice", "a" * 64)
    bob = store.add_key("bob", "b" * 64)
    mine = [queued_job(alice.id, float(t)) for t in range(7)]
    for job in mine:
        store.add_job(job)
    store.add_job(queued_job(bob.id, 3.5))

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = store.jobs_page(alice.id, 3, cursor)
        seen += [j.id for j in page.jobs]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 3
    assert seen == [j.id for j in reversed(mine)]
    with pytest.raises(JobNotFound):
        store.job(mine[0].id, bob.id)


def test_attempt_tokens_let_only_the_current_executor_write(store: SqlJobStore) -> None:
    key = store.add_key("k", "c" * 64)
    job = queued_job(key.id, 1.0)
    store.add_job(job)

    running = store.claim(job.id, 1)
    assert running.state is JobState.RUNNING and running.started_at == 1_000.0
    store.record_progress(job.id, 1, [StageProgress("probe", 1.0, 1_000.0, 0.4)])
    assert store.job(job.id).stages == (StageProgress("probe", 1.0, 1_000.0, 0.4),)

    (requeued,) = store.requeue_unfinished()
    assert requeued.attempt == 2 and requeued.state is JobState.QUEUED and requeued.stages == ()
    with pytest.raises(JobWithdrawn):
        store.record_progress(job.id, 1, [])
    with pytest.raises(JobWithdrawn):
        store.complete(job.id, 1, JobOutcome(1, {}, 0, 0))

    store.claim(job.id, 2)
    store.complete(job.id, 2, JobOutcome(2, {"render": 3.0, "transcribe": 0.7}, 4, 1))
    done = store.job(job.id)
    assert (done.state, done.clip_count, done.cache_hits, done.cache_misses) == (
        JobState.SUCCEEDED,
        2,
        4,
        1,
    )
    assert store.requeue_unfinished() == []


def test_delete_withdraws_hides_and_still_counts_for_the_rate_limit(store: SqlJobStore) -> None:
    key = store.add_key("k", "d" * 64)
    job = queued_job(key.id, 1_000.0)
    store.add_job(job)
    store.claim(job.id, 1)

    cancelled = store.delete(job.id, key.id)
    assert cancelled.state is JobState.CANCELLED
    with pytest.raises(JobNotFound):
        store.job(job.id)
    with pytest.raises(JobWithdrawn):
        store.fail(job.id, 1, "late")
    with pytest.raises(JobNotFound):
        store.delete(job.id, key.id)
    assert store.submission_times(key.id, since=999.0) == [1_000.0]
    assert store.submission_times(key.id, since=1_000.5) == []
    assert store.state_counts()[JobState.CANCELLED] == 1  # metrics still count it


def test_state_counts_and_stage_histograms(store: SqlJobStore) -> None:
    key = store.add_key("k", "e" * 64)
    walls = [0.4, 2.0, 7.0]
    for i, wall in enumerate(walls):
        job = queued_job(key.id, float(i))
        store.add_job(job)
        store.claim(job.id, 1)
        store.complete(job.id, 1, JobOutcome(1, {"render": wall}, 0, 1))
    failed = queued_job(key.id, 9.0)
    store.add_job(failed)
    store.claim(failed.id, 1)
    store.fail(failed.id, 1, "bad input")
    store.add_job(queued_job(key.id, 10.0))

    counts = store.state_counts()
    assert counts[JobState.SUCCEEDED] == 3
    assert counts[JobState.FAILED] == 1
    assert counts[JobState.QUEUED] == 1
    assert store.job(failed.id).error == "bad input"
    (render,) = store.stage_histograms([1.0, 5.0, 10.0])
    assert render.stage == "render"
    assert render.buckets == ((1.0, 1), (5.0, 2), (10.0, 3))
    assert render.count == 3 and render.sum_s == pytest.approx(sum(walls))


def test_requeue_gives_up_after_the_attempt_limit(store: SqlJobStore) -> None:
    """A job that keeps ending with its server fails for good instead of crash-looping."""
    key = store.add_key("alice", "h" * 64)
    job = queued_job(key.id, 10.0)
    store.add_job(job)
    for attempt in (1, 2):
        store.claim(job.id, attempt)
        (requeued,) = store.requeue_unfinished(max_attempts=3)
        assert requeued.attempt == attempt + 1
    store.claim(job.id, 3)
    assert store.requeue_unfinished(max_attempts=3) == []
    failed = store.job(job.id)
    assert failed.state is JobState.FAILED and "gave up after 3 attempts" in (failed.error or "")
    assert store.requeue_unfinished(max_attempts=3) == []  # and it stays failed


def test_a_live_lease_keeps_a_running_job_with_its_replica(
    tmp_path: Path, store_url: str | None
) -> None:
    """Two replicas on one store: a starting or sweeping replica takes only jobs whose
    runner stopped renewing its lease."""
    clock = FakeClock()
    first = open_store(ServeConfig(data_dir=tmp_path, db_url=store_url), clock=clock)
    second = open_store(ServeConfig(data_dir=tmp_path, db_url=store_url), clock=clock)
    key = first.add_key("alice", "l" * 64)
    running, waiting = queued_job(key.id, 10.0), queued_job(key.id, 11.0)
    first.add_job(running)
    first.add_job(waiting)
    first.claim(running.id, 1)  # replica one runs it (lease renewed now)
    clock.now += 30.0
    first.heartbeat(running.id, 1)
    clock.now += 50.0  # 80 s after the claim, 50 s after the last renewal
    # replica two sweeps running jobs only: the live lease keeps the job where it is
    assert second.requeue_unfinished(3, lease_s=60.0, include_queued=False) == []
    assert second.job(running.id).attempt == 1
    clock.now += 11.0  # replica one stopped renewing 61 s ago: it is gone
    (taken,) = second.requeue_unfinished(3, lease_s=60.0, include_queued=False)
    assert taken.id == running.id and taken.attempt == 2 and taken.state is JobState.QUEUED
    with pytest.raises(JobWithdrawn):
        first.heartbeat(running.id, 1)  # the old attempt learns it lost the job
    assert second.job(waiting.id).attempt == 1  # queued jobs are left to their replica
