"""Job priorities: higher first, FIFO within a level, on SQLite and PostgreSQL stores, through
the API, the store's restart order and the runner's queue; and the schema upgrade."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ai_video.config import ServeConfig, Settings
from ai_video.errors import InputError
from ai_video.pipeline.requests import ClipJobResult, ClipRequest, ProgressFn
from ai_video.serve.app import create_app
from ai_video.serve.auth import create_api_key
from ai_video.serve.execution import ThreadJobRunner
from ai_video.serve.jobs import JobOptions, JobRecord, JobState, new_id
from ai_video.serve.sql_store import SqlJobStore, database_url, open_store


class RecordingPipeline:
    """A clip pipeline stand-in that records which job started when, and holds the first
    one until released (so the rest queue up behind it); every job then fails fast."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release = threading.Event()
        self.all_done = threading.Event()
        self.expected = 0

    def __call__(
        self, request: ClipRequest, settings: Settings, progress: ProgressFn
    ) -> ClipJobResult:
        self.started.append(request.video_id or "")
        if len(self.started) == 1:
            assert self.release.wait(30), "the test never released the first job"
        if len(self.started) == self.expected:
            self.all_done.set()
        raise InputError("recorded, not run")


Served = tuple[TestClient, SqlJobStore, dict[str, str], "RecordingPipeline"]


@pytest.fixture
def served(tmp_path: Path, store_url: str | None) -> Iterator[Served]:
    """The app with one running slot and a recording pipeline, on SQLite or PostgreSQL."""
    settings = Settings().with_overrides(
        {
            "serve.data_dir": str(tmp_path),
            "serve.db_url": store_url,
            "serve.max_running_jobs": 1,
            "api_options.max_active_jobs_per_key": 10,
            "ray.enabled": False,
        }
    )
    store = open_store(settings.serve)
    pipeline = RecordingPipeline()
    runner = ThreadJobRunner(settings, store, pipeline)
    _, key = create_api_key(store, "tester")
    with TestClient(create_app(settings, store, runner)) as client:
        yield client, store, {"Authorization": f"Bearer {key}"}, pipeline
    pipeline.release.set()
    runner.close()
    store.close()


def test_api_jobs_start_highest_priority_first_fifo_within_a_level(served: Served) -> None:
    client, store, auth, pipeline = served
    priorities = {"first": 0, "low-a": 1, "top": 5, "low-b": 1, "below": -2, "low-c": 1}
    pipeline.expected = len(priorities)
    ids: dict[str, str] = {}
    for name, priority in priorities.items():
        response = client.post(
            "/v1/jobs",
            files={"file": (f"{name}.mp4", b"not a video")},
            data={"priority": str(priority)},
            headers=auth,
        )
        assert response.status_code == 202, response.text
        assert response.json()["options"]["priority"] == priority
        ids[response.json()["id"]] = name
        if name == "first":  # wait until it holds the one slot, so the rest queue
            while not pipeline.started:
                time.sleep(0.05)
    pipeline.release.set()
    assert pipeline.all_done.wait(30)
    order = [ids[job_id] for job_id in pipeline.started]
    assert order == ["first", "top", "low-a", "low-b", "low-c", "below"]
    deadline = time.monotonic() + 10  # the last failure is written just after it starts
    while store.error_counts() != {"InputError": len(priorities)}:
        assert time.monotonic() < deadline, store.error_counts()
        time.sleep(0.05)


def test_api_refuses_a_priority_beyond_the_servers_bound(served: Served) -> None:
    client, _, auth, _ = served
    response = client.post(
        "/v1/jobs", files={"file": ("a.mp4", b"x")}, data={"priority": "11"}, headers=auth
    )
    assert response.status_code == 422 and "priority" in response.json()["detail"]


def _job(owner: str, created_at: float, priority: int | None) -> JobRecord:
    return JobRecord(
        id=new_id(),
        owner_key_id=owner,
        state=JobState.QUEUED,
        source="/data/source.mp4",
        source_name=f"p{priority}-{created_at}",
        options=JobOptions(priority=priority),
        created_at=created_at,
    )


def test_restart_requeues_by_priority_then_arrival(tmp_path: Path, store_url: str | None) -> None:
    store = open_store(ServeConfig(data_dir=tmp_path, db_url=store_url))
    key = store.add_key("k", "h" * 64)
    jobs = [_job(key.id, t, p) for t, p in [(1, None), (2, 3), (3, 0), (4, 3), (5, -1)]]
    for job in jobs:
        store.add_job(job)
    requeued = store.requeue_unfinished()
    assert [j.source_name for j in requeued] == [
        "p3-2", "p3-4", "pNone-1", "p0-3", "p-1-5",
    ]  # fmt: skip
    assert [j.priority for j in requeued] == [3, 3, 0, 0, -1]
    store.close()


def test_an_older_store_gains_the_new_columns(tmp_path: Path, store_url: str | None) -> None:
    """A store made before issue 16 (no priority, no error_kind) is upgraded in place."""
    cfg = ServeConfig(data_dir=tmp_path, db_url=store_url)
    store = open_store(cfg)
    key = store.add_key("k", "h" * 64)
    old = _job(key.id, 1.0, None)
    store.add_job(old)
    store.close()
    engine = sa.create_engine(database_url(cfg))
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE jobs DROP COLUMN priority"))
        conn.execute(sa.text("ALTER TABLE jobs DROP COLUMN error_kind"))
    engine.dispose()

    upgraded = open_store(cfg)
    assert upgraded.job(old.id).priority == 0
    upgraded.add_job(_job(key.id, 2.0, 7))
    assert [j.priority for j in upgraded.requeue_unfinished()] == [7, 0]
    upgraded.fail(old.id, 2, "boom", "FFmpegError")
    assert upgraded.error_counts() == {"FFmpegError": 1}
    upgraded.close()
