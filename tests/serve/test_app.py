"""The FastAPI app without Ray: schema, web page, errors before any job runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ai_video.config import Settings
from ai_video.pipeline.runtime import run_clip_request
from ai_video.serve.app import create_app
from ai_video.serve.auth import create_api_key
from ai_video.serve.execution import ThreadJobRunner
from ai_video.serve.sql_store import SqlJobStore, open_store

Served = tuple[TestClient, SqlJobStore, dict[str, str]]


@pytest.fixture
def served(tmp_path: Path, store_url: str | None) -> Iterator[Served]:
    """The app on a temp data dir (SQLite or PostgreSQL store) with jobs on threads, and the
    headers of a valid key."""
    settings = Settings().with_overrides(
        {
            "serve.data_dir": str(tmp_path),
            "serve.db_url": store_url,
            "media.allow_urls": False,
            "ray.enabled": False,
        }
    )
    store = open_store(settings.serve)
    runner = ThreadJobRunner(settings, store, run_clip_request)
    _, key = create_api_key(store, "tester")
    with TestClient(create_app(settings, store, runner)) as client:
        yield client, store, {"Authorization": f"Bearer {key}"}
    runner.close()
    store.close()


def test_openapi_describes_both_submission_kinds_and_bearer_auth(served: Served) -> None:
    client, _, headers = served
    assert client.get("/openapi.json").status_code == 401  # behind a key by default
    schema = client.get("/openapi.json", headers=headers).json()
    post = schema["paths"]["/v1/jobs"]["post"]
    content = post["requestBody"]["content"]
    assert "file" in content["multipart/form-data"]["schema"]["required"]
    assert "source_url" in content["application/json"]["schema"]["properties"]
    assert "202" in post["responses"]
    assert set(schema["paths"]) >= {
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/clips",
        "/v1/jobs/{job_id}/clips/{n}",
        "/v1/jobs/{job_id}/clips/{n}/captions.{fmt}",
        "/v1/jobs/{job_id}/clips/{n}/thumbnail.jpg",
        "/healthz",
        "/metrics",
    }
    assert "delete" in schema["paths"]["/v1/jobs/{job_id}"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_web_page_and_its_assets_are_served_without_a_key(served: Served) -> None:
    client, _, _ = served
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/web/app.js"' in page.text and 'id="drop-zone"' in page.text
    script = client.get("/web/app.js")
    assert script.status_code == 200 and "Authorization" in script.text
    assert client.get("/web/style.css").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}


def test_bad_submissions_are_refused_before_a_job_exists(served: Served, tmp_path: Path) -> None:
    client, store, auth = served
    unauthenticated = client.post("/v1/jobs", json={"source_url": "https://example.com/v.mp4"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"] == "Bearer"

    urls_off = client.post(
        "/v1/jobs", json={"source_url": "https://example.com/v.mp4"}, headers=auth
    )
    assert urls_off.status_code == 400 and "allow_urls" in urls_off.json()["detail"]
    bad_option = client.post(
        "/v1/jobs", files={"file": ("a.mp4", b"x")}, data={"platform": "vhs"}, headers=auth
    )
    assert bad_option.status_code == 422 and "platform" in bad_option.json()["detail"]
    bad_range = client.post(
        "/v1/jobs", files={"file": ("a.mp4", b"x")}, data={"min_s": "9", "max_s": "3"}, headers=auth
    )
    assert bad_range.status_code == 422 and "clip length" in bad_range.json()["detail"]
    wrong_type = client.post(
        "/v1/jobs", content=b"x", headers={**auth, "content-type": "text/plain"}
    )
    assert wrong_type.status_code == 400

    assert client.get("/v1/jobs", headers=auth).json() == {"jobs": [], "next_cursor": None}
    assert store.state_counts() == dict.fromkeys(store.state_counts(), 0)
    jobs_dir = tmp_path / "jobs"
    assert not jobs_dir.exists() or list(jobs_dir.iterdir()) == []  # refused uploads removed


def test_unknown_job_and_bad_cursor(served: Served) -> None:
    client, _, auth = served
    assert client.get("/v1/jobs/nope", headers=auth).status_code == 404
    assert client.get("/v1/jobs/nope/clips", headers=auth).status_code == 404
    assert client.delete("/v1/jobs/nope", headers=auth).status_code == 404
    assert client.get("/v1/jobs?cursor=%%%", headers=auth).status_code == 400
