"""One local Ray + Serve instance for the whole test session, serving the real app on loopback.

Jobs run the real clip pipeline with settings that keep them quick on a small machine:
vertical 9:16 output at 360x640, x264 ultrafast, one clip of 2-4 s, a session-wide stage
cache (so later jobs on the same video reuse the analysis), and small limits for the
413/429 tests.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ai_video.config import Settings
from ai_video.serve.commands import create_key
from tests.conftest import RayTestCluster

SAMPLE_VIDEO = "talking/sadtalker_WDA_KatieHill_000.mp4"
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
SUBMISSIONS_PER_MINUTE = 3
TERMINAL = {"succeeded", "failed", "cancelled"}


@dataclass(frozen=True)
class Service:
    """The running app: where it listens and what it was started with."""

    url: str
    settings: Settings

    def key(self, name: str) -> dict[str, str]:
        """Authorization headers of a freshly created key."""
        return {"Authorization": f"Bearer {create_key(name, self.settings)}"}


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_settings(root: Path) -> Settings:
    """Settings for the test service: quick jobs, small limits, loopback, temp folders."""
    return Settings().with_overrides(
        {
            "serve.host": "127.0.0.1",
            "serve.port": free_port(),
            "serve.data_dir": str(root / "data"),
            "serve.max_upload_bytes": MAX_UPLOAD_BYTES,
            "serve.submissions_per_minute": SUBMISSIONS_PER_MINUTE,
            # a killed replica's running job is taken over once its lease runs out
            "serve.lease_s": 3.0,
            "serve.heartbeat_s": 0.5,
            "cache.dir": str(root / "cache"),
            "curate.max_clips": 1,
            "curate.min_s": 2.0,
            "curate.max_s": 4.0,
            "platforms.tiktok.width_px": 360,
            "platforms.tiktok.height_px": 640,
            "platforms.square.width_px": 720,
            "platforms.square.height_px": 720,
            "render.x264_preset": "ultrafast",
            "ray.num_cpus": 2,
            "api_options.public_metrics": True,  # read as a key-less scraper would
        }
    )


@pytest.fixture(scope="session")
def service(
    tmp_path_factory: pytest.TempPathFactory, ray_cluster: RayTestCluster
) -> Iterator[Service]:
    """The Serve app on 127.0.0.1 on the session's one Ray instance (two local raylets)."""
    from ray import serve

    from ai_video.serve.deployment import start_service

    settings = service_settings(tmp_path_factory.mktemp("serve"))
    try:
        url = start_service(settings)
        yield Service(url=url, settings=settings)
    finally:
        serve.shutdown()  # type: ignore[no-untyped-call]


@pytest.fixture
def client(service: Service) -> Iterator[httpx.Client]:
    """An HTTP client for the service."""
    with httpx.Client(base_url=service.url, timeout=30.0) as http:
        yield http


def upload(
    client: httpx.Client, headers: dict[str, str], path: Path, **options: Any
) -> httpx.Response:
    """POST /v1/jobs with the file and options as multipart fields."""
    with path.open("rb") as handle:
        files = {"file": (path.name, handle, "video/mp4")}
        data = {k: str(v) for k, v in options.items()}
        return client.post("/v1/jobs", files=files, data=data, headers=headers)


def wait_for(
    client: httpx.Client,
    headers: dict[str, str],
    job_id: str,
    done: Callable[[dict[str, Any]], bool] = lambda job: job["state"] in TERMINAL,
    timeout_s: float = 150.0,
) -> dict[str, Any]:
    """Poll GET /v1/jobs/{id} until ``done(job)``; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = client.get(f"/v1/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if done(job):
            return job
        if job["state"] in TERMINAL or time.monotonic() > deadline:
            pytest.fail(f"job {job_id} did not get there: {job}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 for the whole session (see postgres.py)."""
    from tests.serve.postgres import start_cluster

    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """A store URL for each backend: None (the SQLite file default) or a fresh PG database."""
    if request.param == "sqlite":
        return None
    cluster = request.getfixturevalue("postgres_cluster")
    url: str = cluster.new_database()
    return url
