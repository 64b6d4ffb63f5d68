"""The Grafana dashboard queries only metrics that exist: every ai_video_* name a panel uses is
in a real scrape of a running API that ran a job (and had one fail), and every ray_* name
is one Ray's own generated dashboards query."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ai_video.config import Settings
from ai_video.pipeline.runtime import run_clip_request
from ai_video.serve.app import create_app
from ai_video.serve.auth import create_api_key
from ai_video.serve.execution import ThreadJobRunner
from ai_video.serve.sql_store import open_store
from tests.serve.conftest import SAMPLE_VIDEO, free_port

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "cluster" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "ai_video.json"
METRIC = re.compile(r"\b((?:ai_video|ray)_[a-z0-9_]+)\b")


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def queried_names() -> set[str]:
    """Every metric name the dashboard's panel queries mention."""
    return {
        name
        for panel in dashboard()["panels"]
        for target in panel["targets"]
        for name in METRIC.findall(target["expr"])
    }


def test_dashboard_is_well_formed_and_uses_the_provisioned_data_source() -> None:
    board = dashboard()
    panels = board["panels"]
    assert board["uid"] and board["title"] and len(panels) >= 10
    assert len({p["id"] for p in panels}) == len(panels)
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yaml").read_text())
    (source,) = provisioned["datasources"]
    for panel in panels:
        assert panel["datasource"]["uid"] == source["uid"], panel["title"]
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"])
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24
    titles = " ".join(p["title"].lower() for p in panels)
    for topic in ("per hour", "queue", "p50", "p95", "p99", "cache", "errors", "concurrency"):
        assert topic in titles, topic


def test_ray_metric_names_are_ones_rays_own_dashboards_query() -> None:
    from ray.dashboard.modules.metrics.dashboards import default_dashboard_panels

    rays = set(METRIC.findall(Path(default_dashboard_panels.__file__).read_text()))
    ours = {n for n in queried_names() if n.startswith("ray_")}
    assert ours, "the dashboard shows no Ray node metrics"
    assert ours <= rays, ours - rays


@pytest.fixture
def running_api(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``ai-video serve`` without Ray (uvicorn + jobs on threads) on 127.0.0.1."""
    import uvicorn

    settings = Settings().with_overrides(
        {
            "ray.enabled": False,
            "serve.data_dir": str(tmp_path / "data"),
            "cache.dir": str(tmp_path / "cache"),
            "curate.max_clips": 1,
            "curate.min_s": 2.0,
            "curate.max_s": 4.0,
            "platforms.tiktok.width_px": 360,
            "platforms.tiktok.height_px": 640,
            "render.x264_preset": "ultrafast",
            "api_options.public_metrics": True,
        }
    )
    store = open_store(settings.serve)
    runner = ThreadJobRunner(settings, store, run_clip_request)
    _, key = create_api_key(store, "grafana-test")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, store, runner), host="127.0.0.1", port=port,
                       log_level="warning")
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runner.close()
        store.close()


def _finish(client: httpx.Client, auth: dict[str, str], job_id: str) -> str:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        state: str = client.get(f"/v1/jobs/{job_id}", headers=auth).json()["state"]
        if state in {"succeeded", "failed", "cancelled"}:
            return state
        time.sleep(0.5)
    pytest.fail(f"job {job_id} did not finish")


@pytest.mark.slow
@pytest.mark.media
def test_every_metric_a_panel_queries_is_in_a_scrape_of_a_running_api(
    media: Path, running_api: tuple[str, dict[str, str]]
) -> None:
    url, auth = running_api
    with httpx.Client(base_url=url, timeout=30) as client:
        with (media / SAMPLE_VIDEO).open("rb") as video:
            good = client.post("/v1/jobs", files={"file": ("talk.mp4", video)}, headers=auth)
        bad = client.post("/v1/jobs", files={"file": ("junk.mp4", b"not a video")}, headers=auth)
        assert good.status_code == bad.status_code == 202
        assert _finish(client, auth, good.json()["id"]) == "succeeded"
        assert _finish(client, auth, bad.json()["id"]) == "failed"
        scrape = client.get("/metrics")  # key-less, as Prometheus scrapes it
    assert scrape.status_code == 200
    samples = [
        sample
        for family in text_string_to_metric_families(scrape.text)
        for sample in family.samples
    ]
    ours = {n for n in queried_names() if n.startswith("ai_video_")}
    assert ours - {s.name for s in samples} == set()

    def values(name: str) -> dict[str, float]:
        return {",".join(s.labels.values()): s.value for s in samples if s.name == name}

    assert values("ai_video_jobs_finished_total")["succeeded"] == 1
    assert values("ai_video_jobs_finished_total")["failed"] == 1
    assert sum(values("ai_video_job_errors_total").values()) == 1  # under its error kind
    assert sum(values("ai_video_stage_duration_seconds_count").values()) > 0
    assert list(values("ai_video_admission_limit")) == ["jobs"]
