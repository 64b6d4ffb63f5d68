"""Keys that can be revoked and expire, keyed docs and metrics, CSP, race-free admission."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ai_video.cli import app as cli_app
from ai_video.config import Settings
from ai_video.serve.app import WEB_DIR, create_app
from ai_video.serve.auth import create_api_key, hash_api_key
from ai_video.serve.jobs import AdmissionLimits, JobOptions, JobRecord, JobState, new_id
from ai_video.serve.sql_store import SqlJobStore, open_store
from tests.serve.test_input_bounds import RecordingRunner

URL_JOB = {"source_url": "https://videos.example.com/talk.mp4"}


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _settings(root: Path, **extra: object) -> Settings:
    return Settings().with_overrides(
        {
            "serve.data_dir": str(root),
            "ray.enabled": False,
            "serve.submissions_per_minute": 100,
            "live_ops.key_cache_s": 0,  # revocation and expiry checked on every request
        }
        | extra
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock, store_url: str | None) -> Iterator[SqlJobStore]:
    """A SQLite or PostgreSQL store (each test runs on both) with the test's clock."""
    opened = open_store(_settings(tmp_path, **{"serve.db_url": store_url}).serve, clock=clock)
    yield opened
    opened.close()


def _client(settings: Settings, store: SqlJobStore) -> TestClient:
    return TestClient(create_app(settings, store, RecordingRunner()))


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_revoked_and_expired_keys_stop_working(
    tmp_path: Path, store: SqlJobStore, clock: Clock
) -> None:
    record, key = create_api_key(store, "alice")
    _, short = create_api_key(store, "bob", expires_at=clock.now + 60)
    with _client(_settings(tmp_path), store) as client:
        assert client.get("/v1/jobs", headers=_auth(key)).status_code == 200
        assert client.get("/v1/jobs", headers=_auth(short)).status_code == 200
        store.revoke_key(record.id)
        answer = client.get("/v1/jobs", headers=_auth(key))
        assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
        clock.now += 61
        answer = client.get("/v1/jobs", headers=_auth(short))
        assert answer.status_code == 401 and "expired" in answer.json()["detail"]


def test_keys_list_and_revoke_commands(tmp_path: Path, store_url: str | None) -> None:
    env = {"AI_VIDEO_SERVE__DATA_DIR": str(tmp_path)}
    if store_url:
        env["AI_VIDEO_SERVE__DB_URL"] = store_url
    runner = CliRunner()
    made = runner.invoke(cli_app, ["keys", "create", "carol", "--expires-days", "1"], env=env)
    assert made.exit_code == 0, made.output
    key = made.output.strip()
    listed = runner.invoke(cli_app, ["keys", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    _header, row = listed.output.strip().splitlines()
    key_id, name, _, expires, revoked, admin = row.split("\t")
    assert (name, revoked, admin) == ("carol", "-", "-") and expires != "-"
    assert key not in listed.output  # only hashes are stored
    assert runner.invoke(cli_app, ["keys", "revoke", key_id], env=env).exit_code == 0
    again = runner.invoke(cli_app, ["keys", "revoke", key_id], env=env)
    assert again.exit_code == 2 and "no live API key" in again.output
    relisted = runner.invoke(cli_app, ["keys", "list"], env=env).output.strip().splitlines()
    assert relisted[1].split("\t")[4] != "-"  # revoked


def test_docs_and_metrics_need_a_key_unless_made_public(tmp_path: Path, store: SqlJobStore) -> None:
    _, key = create_api_key(store, "ops")
    with _client(_settings(tmp_path), store) as client:
        for path in ("/metrics", "/openapi.json", "/docs"):
            assert client.get(path).status_code == 401, path
            assert client.get(path, headers=_auth(key)).status_code == 200, path
        assert client.get("/healthz").status_code == 200
    public = _settings(
        tmp_path, **{"api_options.public_docs": True, "api_options.public_metrics": True}
    )
    with _client(public, store) as client:
        for path in ("/metrics", "/openapi.json", "/docs"):
            assert client.get(path).status_code == 200, path


def test_page_has_a_strict_csp_and_no_inline_code(tmp_path: Path, store: SqlJobStore) -> None:
    with _client(_settings(tmp_path), store) as client:
        page = client.get("/")
        for asset in ("/web/app.js", "/web/style.css", "/"):
            csp = client.get(asset).headers["content-security-policy"]
            assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp
    html = page.text
    assert "<script>" not in html and " style=" not in html and "onclick=" not in html
    assert (WEB_DIR / "app.js").is_file()


def _job(owner: str, created_at: float) -> JobRecord:
    return JobRecord(
        id=new_id(),
        owner_key_id=owner,
        state=JobState.QUEUED,
        source="https://videos.example.com/a.mp4",
        source_name="a.mp4",
        options=JobOptions(),
        created_at=created_at,
    )


def test_parallel_submissions_cannot_pass_the_rate_limit(store: SqlJobStore, clock: Clock) -> None:
    """16 threads submit at once under a limit of 3 a minute: exactly 3 are admitted."""
    owner, _ = create_api_key(store, "racer")
    limits = AdmissionLimits(since=clock.now - 60, max_recent=3, max_active=100)
    start = threading.Barrier(16)
    outcomes: list[str | None] = []

    def submit() -> None:
        start.wait()
        outcomes.append(store.add_job_within_limits(_job(owner.id, clock.now), limits))

    threads = [threading.Thread(target=submit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(None) == 3 and outcomes.count("rate") == 13
    assert len(store.jobs_page(owner.id, 100, None).jobs) == 3


def test_per_key_active_jobs_are_limited(tmp_path: Path, store: SqlJobStore) -> None:
    settings = _settings(tmp_path, **{"api_options.max_active_jobs_per_key": 2})
    _, key = create_api_key(store, "busy")
    _, other = create_api_key(store, "other")
    with _client(settings, store) as client:
        codes = [
            client.post("/v1/jobs", json=URL_JOB, headers=_auth(key)).status_code for _ in range(3)
        ]
        assert codes == [202, 202, 429]
        assert client.post("/v1/jobs", json=URL_JOB, headers=_auth(other)).status_code == 202
        first = client.get("/v1/jobs", headers=_auth(key)).json()["jobs"][0]["id"]
        assert client.delete(f"/v1/jobs/{first}", headers=_auth(key)).status_code in (200, 204)
        assert client.post("/v1/jobs", json=URL_JOB, headers=_auth(key)).status_code == 202


def test_older_store_gets_the_new_key_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE api_keys (id VARCHAR(32) PRIMARY KEY, name VARCHAR(200) NOT NULL, "
            "key_hash VARCHAR(64) NOT NULL UNIQUE, created_at FLOAT NOT NULL)"))  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO api_keys VALUES ('k1', 'old', :h, 1.0)"),
            {"h": hash_api_key("aiv_old")},
        )
    engine.dispose()
    store = SqlJobStore(url)
    try:
        assert store.key_for_hash(hash_api_key("aiv_old")).name == "old"
        store.revoke_key("k1")
        assert store.keys()[0].revoked_at is not None
    finally:
        store.close()
