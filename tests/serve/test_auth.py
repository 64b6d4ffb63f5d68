"""API keys (only hashes stored) and the per-key submission rate limit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ai_video.config import ServeConfig
from ai_video.errors import InputError
from ai_video.serve.auth import (
    KEY_PREFIX,
    NotAuthenticated,
    RateLimited,
    SubmissionRateLimit,
    authenticate,
    bearer_token,
    create_api_key,
    hash_api_key,
)
from ai_video.serve.jobs import JobOptions, JobRecord, JobState, new_id
from ai_video.serve.sql_store import SqlJobStore, open_store


class FakeClock:
    """A settable clock (seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """Shared by the store (job creation times) and the limiter."""
    return FakeClock(5_000.0)


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> SqlJobStore:
    """A SQLite store in a temp folder."""
    return open_store(ServeConfig(data_dir=tmp_path), clock=clock)


def test_only_the_hash_is_stored_and_the_key_authenticates(
    tmp_path: Path, store: SqlJobStore
) -> None:
    record, key = create_api_key(store, " ci bot ")
    assert key.startswith(KEY_PREFIX) and len(key) > 40
    assert record.name == "ci bot"
    assert authenticate(store, f"Bearer {key}") == record
    assert authenticate(store, f"bearer   {key}") == record

    rows = sqlite3.connect(tmp_path / "jobs.sqlite3").execute("SELECT * FROM api_keys").fetchall()
    flat = " ".join(str(v) for row in rows for v in row)
    assert key not in flat and hash_api_key(key) in flat

    with pytest.raises(InputError):
        create_api_key(store, "  ")


@pytest.mark.parametrize(
    "header", [None, "", "Basic abc", "Bearer", "Bearer  ", "Bearer aiv_wrong"]
)
def test_missing_malformed_or_unknown_keys_are_refused(
    store: SqlJobStore, header: str | None
) -> None:
    create_api_key(store, "someone")
    with pytest.raises(NotAuthenticated):
        authenticate(store, header)


def test_bearer_token_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    with pytest.raises(NotAuthenticated, match="missing"):
        bearer_token(None)


def test_rate_limit_counts_the_last_minute_and_says_when_to_retry(
    store: SqlJobStore, clock: FakeClock
) -> None:
    alice, _ = create_api_key(store, "alice")
    bob, _ = create_api_key(store, "bob")
    limiter = SubmissionRateLimit(store, per_minute=3, clock=clock)

    for offset in (0.0, 10.0, 20.0):
        clock.now = 5_000.0 + offset
        limiter.check(alice)
        store.add_job(
            JobRecord(new_id(), alice.id, JobState.QUEUED, "s", "s", JobOptions(), clock.now)
        )
    clock.now = 5_030.0
    with pytest.raises(RateLimited) as err:
        limiter.check(alice)
    assert err.value.retry_after_s == 30  # the first submission leaves the window at 5060
    limiter.check(bob)  # other keys are unaffected

    clock.now = 5_060.5
    limiter.check(alice)
