"""The /ops view without Ray: admin keys (and their migration), the snapshot's figures against
a store filled with known runs, and the job event stream's shape (TestClient, SQLite and PG)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ai_video.cli import app as cli_app
from ai_video.config import Settings
from ai_video.pipeline.ops_metrics import sample_local_node
from ai_video.serve.app import create_app
from ai_video.serve.auth import create_api_key
from ai_video.serve.execution import JobPaths
from ai_video.serve.jobs import (
    JobOptions,
    JobOutcome,
    JobRecord,
    JobState,
    StageProgress,
    new_id,
)
from ai_video.serve.ops_snapshot import error_kind
from ai_video.serve.sql_store import SqlJobStore, open_store
from tests.serve.test_input_bounds import RecordingRunner

HOUR_S = 3600.0


def _settings(root: Path, store_url: str | None = None) -> Settings:
    return Settings().with_overrides(
        {
            "serve.data_dir": str(root),
            "serve.db_url": store_url,
            "ray.enabled": False,
            "live_ops.ops_interval_s": 0.2,
            "live_ops.events_poll_s": 0.05,
            "live_ops.status_cache_s": 0.05,
        }
    )


@pytest.fixture
def store(tmp_path: Path, store_url: str | None) -> Iterator[SqlJobStore]:
    opened = open_store(_settings(tmp_path, store_url).serve)
    yield opened
    opened.close()


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _job(owner: str, created_at: float) -> JobRecord:
    return JobRecord(
        id=new_id(),
        owner_key_id=owner,
        state=JobState.QUEUED,
        source="/x.mp4",
        source_name="x.mp4",
        options=JobOptions(),
        created_at=created_at,
    )


def _finish(store: SqlJobStore, job: JobRecord, walls: dict[str, float], hits: int) -> None:
    store.add_job(job)
    store.claim(job.id, 1)
    store.complete(job.id, 1, JobOutcome(1, walls, cache_hits=hits, cache_misses=10 - hits))


def _manifest(paths: JobPaths, job_id: str, duration_s: float) -> None:
    """The part of a job's manifest.json the view reads: the source's duration."""
    out = paths.out_dir(job_id)
    out.mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps({"source": {"duration_s": duration_s}}))


def test_ops_needs_an_admin_key(tmp_path: Path, store: SqlJobStore) -> None:
    _, plain = create_api_key(store, "user")
    record, admin = create_api_key(store, "ops", admin=True)
    assert record.admin and store.key_for_hash(record_hash(admin)).admin
    with TestClient(create_app(_settings(tmp_path), store, RecordingRunner())) as client:
        for path in ("/v1/ops", "/v1/ops/events"):
            assert client.get(path).status_code == 401
            refused = client.get(path, headers=_auth(plain))
            assert refused.status_code == 403 and "admin" in refused.json()["detail"]
        assert client.get("/v1/ops", headers=_auth(admin)).status_code == 200
        page = client.get("/ops")
        assert page.status_code == 200 and "/web/vendor/uPlot.iife.min.js" in page.text
        assert client.get("/web/vendor/uPlot.iife.min.js").status_code == 200


def record_hash(key: str) -> str:
    from ai_video.serve.auth import hash_api_key

    return hash_api_key(key)


def test_snapshot_figures_match_known_runs(tmp_path: Path, store: SqlJobStore) -> None:
    """Five runs made by hand: the rates, percentiles, hit rate and errors follow from them."""
    owner, admin = create_api_key(store, "ops", admin=True)
    settings = _settings(tmp_path)
    paths = JobPaths(settings.serve.data_dir)
    total_walls = [10.0, 20.0, 30.0, 40.0]
    durations = [60.0, 120.0, 300.0, 720.0]
    for i, (wall, duration) in enumerate(zip(total_walls, durations, strict=True)):
        job = _job(owner.id, 1000.0 + i)
        _finish(store, job, {"transcribe": wall / 2, "total": wall}, hits=i)
        _manifest(paths, job.id, duration)
    for reason in ("internal error: KeyError: 'x'", "worker died: OOM", "worker died: X"):
        job = _job(owner.id, 2000.0)
        store.add_job(job)
        store.claim(job.id, 1)
        store.fail(job.id, 1, reason)
    store.add_job(_job(owner.id, 3000.0))  # one queued
    with TestClient(create_app(settings, store, RecordingRunner(), _local)) as client:
        snap = client.get("/v1/ops", headers=_auth(admin)).json()
    assert snap["queue_depth"] == 1 and snap["running"] == 0
    assert (snap["succeeded"], snap["failed"]) == (4, 3)
    assert snap["videos_per_hour"] == pytest.approx(4 * HOUR_S / snap["window_s"])
    source_h = sum(durations) / HOUR_S
    assert snap["source_hours_per_hour"] == pytest.approx(source_h * HOUR_S / snap["window_s"])
    assert snap["cache_hits"] == 0 + 1 + 2 + 3 and snap["cache_misses"] == 40 - 6
    assert snap["cache_hit_rate"] == pytest.approx(6 / 40)
    total = next(s for s in snap["stage_latency"] if s["stage"] == "total")
    expected = np.percentile(total_walls, [50, 95, 99])
    assert [total["p50_s"], total["p95_s"], total["p99_s"]] == pytest.approx(list(expected))
    assert total["count"] == 4
    assert {e["kind"]: e["count"] for e in snap["errors"]} == {"worker died": 2, "KeyError": 1}
    (node,) = snap["nodes"]
    assert node["cpu_count"] == psutil.cpu_count()
    assert node["memory_total_bytes"] == psutil.virtual_memory().total
    assert 0.0 <= node["cpu_percent"] <= 100.0


def _local(_timeout_s: float) -> list:
    return [sample_local_node()]


def test_error_kinds() -> None:
    assert error_kind("internal error: ValueError: bad") == "ValueError"
    assert error_kind("gave up after 3 attempts (each ended with the server)") == "gave up after"
    assert error_kind("cannot decode video: moov atom not found") == "cannot decode video"
    assert error_kind(None) == "unknown"


def test_job_events_stream_progress_then_final(tmp_path: Path, store: SqlJobStore) -> None:
    """A job moved along by hand while a client reads its stream: each change arrives, in order."""
    owner, key = create_api_key(store, "alice")
    _, other = create_api_key(store, "mallory")
    job = _job(owner.id, 1000.0)
    store.add_job(job)

    def advance() -> None:
        attempt = store.job(job.id).attempt  # the app re-queued it on startup
        time.sleep(0.3)
        store.claim(job.id, attempt)
        for fraction in (0.5, 1.0):
            time.sleep(0.3)
            store.record_progress(job.id, attempt, [StageProgress("transcribe", fraction, 1.0)])
        time.sleep(0.3)
        store.complete(job.id, attempt, JobOutcome(2, {"transcribe": 0.6}, 0, 0))

    with TestClient(create_app(_settings(tmp_path), store, RecordingRunner())) as client:
        assert client.get(f"/v1/jobs/{job.id}/events").status_code == 401
        assert client.get(f"/v1/jobs/{job.id}/events", headers=_auth(other)).status_code == 404
        mover = threading.Thread(target=advance)
        mover.start()
        with client.stream("GET", f"/v1/jobs/{job.id}/events", headers=_auth(key)) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            text = "".join(stream.iter_text())
        mover.join()
    events = [_parse(block) for block in text.split("\n\n") if "data:" in block]
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "final" and set(kinds[:-1]) == {"progress"}, kinds
    states = [data["state"] for _, data in events]
    assert states[0] == "queued" and "running" in states and states[-1] == "succeeded"
    fractions = [d["stages"][0]["fraction"] for _, d in events if d["stages"]]
    assert 0.5 in fractions and fractions == sorted(fractions)
    assert events[-1][1]["clip_count"] == 2


def _parse(block: str) -> tuple[str, dict[str, Any]]:
    fields = dict(line.split(": ", 1) for line in block.strip().splitlines() if ": " in line)
    return fields["event"], json.loads(fields["data"])


def test_old_store_gets_the_admin_flag(tmp_path: Path, store_url: str | None) -> None:
    """A store made before admin keys (no ``admin`` column) is upgraded in place."""
    url = store_url or f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE api_keys (id VARCHAR(32) PRIMARY KEY, name VARCHAR(200) NOT NULL,"
                " key_hash VARCHAR(64) NOT NULL UNIQUE, created_at FLOAT NOT NULL,"
                " expires_at FLOAT, revoked_at FLOAT)"
            )
        )
        conn.execute(sa.text("INSERT INTO api_keys VALUES ('k1', 'old', 'h1', 1.0, NULL, NULL)"))
    engine.dispose()
    store = SqlJobStore(url)
    try:
        assert store.key_for_hash("h1").admin is False
        assert store.add_key("new", "h2", admin=True).admin
        listed = store.keys()
        assert [k.admin for k in listed] == [False, True]
    finally:
        store.close()


def test_keys_create_admin_command(tmp_path: Path) -> None:
    env = {"AI_VIDEO_SERVE__DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    assert runner.invoke(cli_app, ["keys", "create", "ops", "--admin"], env=env).exit_code == 0
    assert runner.invoke(cli_app, ["keys", "create", "user"], env=env).exit_code == 0
    rows = runner.invoke(cli_app, ["keys", "list"], env=env).output.strip().splitlines()[1:]
    assert sorted(r.split("\t")[-1] for r in rows) == ["-", "yes"]
