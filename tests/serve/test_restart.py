"""Restarting the Serve app mid-job: the job is re-queued and finishes, reusing cached stages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serve.conftest import SAMPLE_VIDEO, Service, upload, wait_for

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.media]


def analysis_done(job: dict[str, Any]) -> bool:
    """Curation finished: every cached analysis stage is done, rendering is under way."""
    return any(s["name"] == "curate" and s["fraction"] == 1.0 for s in job["stages"])


def kill_replica() -> None:
    """Kill the app's replica process at once (a crash); Serve starts a fresh replica."""
    import ray

    from ai_video.pipeline.serving import APP_NAME

    prefix = f"SERVE_REPLICA::{APP_NAME}#ClipService#"
    (name,) = [
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["name"].startswith(prefix)
    ]
    ray.kill(ray.get_actor(name, namespace="serve"), no_restart=True)


def wait_until_healthy(client: httpx.Client, timeout_s: float = 60.0) -> None:
    """Poll /healthz until the new replica answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz", timeout=5.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("the app did not come back after its replica was killed")


def test_restart_mid_job_requeues_and_finishes_from_the_stage_cache(
    service: Service, client: httpx.Client, media: Path
) -> None:
    headers = service.key("restarter")
    # Two 1920x1080 renders take seconds, so the restart lands while clips are rendering.
    accepted = upload(client, headers, media / SAMPLE_VIDEO, platform="youtube", max_clips=2)
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["id"]
    before = wait_for(client, headers, job_id, done=analysis_done)
    assert before["state"] == "running" and before["attempt"] == 1

    kill_replica()
    wait_until_healthy(client)
    # the new replica takes the job over once the dead one's lease (3 s here) has run out
    deadline = time.monotonic() + 60
    resumed = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
    while resumed["attempt"] == 1 and time.monotonic() < deadline:
        time.sleep(0.5)
        resumed = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
    assert resumed["attempt"] == 2 and resumed["state"] in {"queued", "running", "succeeded"}
    assert job_id in [j["id"] for j in client.get("/v1/jobs", headers=headers).json()["jobs"]]

    done = wait_for(client, headers, job_id)
    assert done["state"] == "succeeded", done
    # The 8 s sample holds one whole sentence that may open a clip (it starts mid-sentence),
    # so the moments step makes one clip although two were allowed.
    clips = client.get(f"/v1/jobs/{job_id}/clips", headers=headers).json()["clips"]
    assert done["attempt"] == 2 and done["clip_count"] == len(clips) >= 1
    # The nine analysis stages (audio, speech, language, transcribe, word timing, visuals,
    # diarize, speakers, curate) come from the cache. Renders already submitted before the
    # kill may finish on the cluster and be found in the cache too, so the split of the
    # render stages between hits and misses depends on timing.
    assert done["cache_hits"] >= 9
    assert done["cache_hits"] + done["cache_misses"] >= 9 + len(clips)
    video = client.get(clips[0]["video_url"], headers=headers)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
