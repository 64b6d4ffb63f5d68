"""On the real Ray Serve app (loopback): a job's SSE stream and the admin /ops view while it runs,
then the /ops page in headless Chromium showing the finished job's throughput."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ai_video.serve.commands import create_key
from tests.conftest import RayTestCluster
from tests.serve.conftest import SAMPLE_VIDEO, Service, upload
from tests.serve.test_web import page  # noqa: F401  (the Chromium page fixture)

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.media]


def _events(response: httpx.Response) -> Any:
    """(event, data) pairs as they arrive on an SSE response."""
    kind, data = "message", ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif not line and data:
            yield kind, json.loads(data)
            kind, data = "message", ""


def test_job_events_then_ops_view(
    service: Service,
    media: Path,
    ray_cluster: RayTestCluster,
    page: object,  # noqa: F811
) -> None:
    headers = service.key("watcher")
    admin = {"Authorization": f"Bearer {create_key('ops', service.settings, admin=True)}"}
    with httpx.Client(base_url=service.url, timeout=60.0) as client:
        assert client.get("/v1/ops", headers=headers).status_code == 403
        submitted = upload(client, headers, media / SAMPLE_VIDEO, max_clips=1)
        assert submitted.status_code == 202, submitted.text
        job_id = submitted.json()["id"]
        seen: list[tuple[str, dict[str, Any]]] = []
        placements: list[dict[str, int]] = []
        url = f"/v1/jobs/{job_id}/events"
        with client.stream("GET", url, headers=headers, timeout=200.0) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            for kind, data in _events(stream):
                seen.append((kind, data))
                if data["state"] == "running" and not any(p != {} for p in placements):
                    # node probes start with the first snapshot: ask until the job is placed
                    placed = client.get("/v1/ops", headers=admin).json()["running_by_node"]
                    placements.append({n: c for n, c in placed.items() if c and n != "unplaced"})
    kinds = [k for k, _ in seen]
    assert kinds[-1] == "final" and seen[-1][1]["state"] == "succeeded", kinds
    progress = [d for k, d in seen if k == "progress"]
    assert len(progress) >= 3 and {d["state"] for d in progress} >= {"running"}
    stages_seen = {s["name"] for d in progress for s in d["stages"]}
    assert len(stages_seen) >= 3, stages_seen
    # the job task was found on one of the two raylets, by its process title
    nodes = {ray_cluster.head_node_id, ray_cluster.worker_node_id}
    placed = [p for p in placements if p]
    assert placed and sum(placed[0].values()) == 1 and set(placed[0]) <= nodes, placements
    _ops_page_shows_throughput(service, admin["Authorization"].removeprefix("Bearer "), page)


def _ops_page_shows_throughput(service: Service, key: str, browser: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(browser, Page)
    errors: list[str] = []
    browser.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser.goto(service.url + "/ops")
    browser.fill("#ops-key", key)
    browser.click("#ops-key-form button[type=submit]")
    expect(browser.locator("#ops-status")).to_have_text("live", timeout=20_000)
    expect(browser.locator("#videos-per-hour")).not_to_have_text("–")
    videos_per_hour = float(browser.locator("#videos-per-hour").inner_text())
    source_hours = float(browser.locator("#source-hours-per-hour").inner_text())
    assert videos_per_hour > 0 and source_hours > 0
    stages = browser.locator("#stage-latency tbody tr td:first-child").all_inner_texts()
    assert "total" in stages and len(stages) >= 3
    assert browser.locator("#nodes tbody tr").count() == 2  # the session's two raylets
    cpu = [float(t) for t in browser.locator("#nodes tbody td:nth-child(4)").all_inner_texts()]
    assert all(0.0 <= c <= 100.0 for c in cpu)
    time.sleep(4.5)  # two more snapshots: the charts have points to draw
    assert browser.locator("#chart-queue canvas").count() == 1
    assert browser.locator("#chart-cpu .u-legend .u-series").count() == 3  # time + two nodes
    api = httpx.get(
        f"{service.url}/v1/ops", headers={"Authorization": f"Bearer {key}"}, timeout=30
    ).json()
    assert api["succeeded"] >= 1
    assert re.fullmatch(r"\d+ / \d+", browser.locator("#outcomes").inner_text())
    shot = Path(service.settings.serve.data_dir).parent / "ops_page.png"
    browser.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    print(f"/ops screenshot: {shot}; videos/h {videos_per_hour}, source h/h {source_hours}")
    assert errors == []
