"""The HTTP API on the real Ray Serve app (127.0.0.1), running the real clip pipeline."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.serve.conftest import (
    MAX_UPLOAD_BYTES,
    SAMPLE_VIDEO,
    SUBMISSIONS_PER_MINUTE,
    Service,
    upload,
    wait_for,
)

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def metric_samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics parsed: (sample name, sorted labels) -> value."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


@pytest.mark.media
def test_upload_poll_list_and_download_with_ranges(
    service: Service, client: httpx.Client, media: Path
) -> None:
    alice = service.key("alice")
    accepted = upload(client, alice, media / SAMPLE_VIDEO, max_clips=1, prompt="")
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["id"]
    assert accepted.headers["location"] == f"/v1/jobs/{job_id}"
    assert accepted.json()["state"] == "queued"

    job = wait_for(client, alice, job_id)
    assert job["state"] == "succeeded", job
    stages = {s["name"]: s for s in job["stages"]}
    assert {"probe", "transcribe", "curate", "render"} <= set(stages)
    assert all(s["fraction"] == 1.0 and s["wall_s"] is not None for s in stages.values())
    assert job["clip_count"] == 1 and job["timings"]["run_s"] > 0

    listed = client.get("/v1/jobs", headers=alice).json()
    assert [j["id"] for j in listed["jobs"]] == [job_id]

    listing = client.get(f"/v1/jobs/{job_id}/clips", headers=alice).json()
    assert listing["language"] == "en" and listing["language_probability"] > 0.5
    (clip,) = listing["clips"]
    assert clip["index"] == 1 and 0.0 <= clip["score"] <= 1.0
    assert 0 <= clip["score_100"] <= 100 and clip["title"] and clip["hashtags"]
    assert {g["name"] for g in clip["groups"]} >= {"hook", "coherence", "value"}
    assert clip["layout"] is None or clip["layout"]["segments"]
    assert 2.0 - 0.3 <= clip["duration_s"] <= 4.0 + 0.6
    assert clip["text"].strip() and set(clip["contributions"]) <= set(clip["features"])
    assert clip["video_url"] == f"/v1/jobs/{job_id}/clips/1"

    on_disk = Path(service.settings.serve.data_dir) / "jobs" / job_id / "out" / "clip_01.mp4"
    whole = on_disk.read_bytes()
    full = client.get(clip["video_url"], headers=alice)
    assert full.status_code == 200 and full.content == whole
    assert full.headers["accept-ranges"] == "bytes"
    part = client.get(clip["video_url"], headers={**alice, "Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{len(whole)}"
    assert part.content == whole[100:1100]
    tail = client.get(clip["video_url"], headers={**alice, "Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == whole[-500:]

    size = _probe_size(full.content, on_disk.parent / "downloaded.mp4")
    assert size == "360x640"
    srt = client.get(clip["captions_srt_url"], headers=alice)
    assert srt.status_code == 200 and " --> " in srt.text
    vtt = client.get(clip["captions_vtt_url"], headers=alice)
    assert vtt.text.startswith("WEBVTT")
    thumb = client.get(clip["thumbnail_url"], headers=alice)
    assert thumb.headers["content-type"] == "image/jpeg" and thumb.content[:2] == b"\xff\xd8"

    samples = metric_samples(client)
    assert samples[("ai_video_jobs", (("state", "succeeded"),))] >= 1
    assert samples[("ai_video_stage_duration_seconds_count", (("stage", "render"),))] >= 1
    assert ("ai_video_queue_depth", ()) in samples


def _probe_size(content: bytes, path: Path) -> str:
    path.write_bytes(content)
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0:s=x",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    path.unlink()
    return out.stdout.strip()


def test_keys_are_required_and_jobs_are_private(service: Service, client: httpx.Client) -> None:
    owner, other = service.key("owner"), service.key("other")
    accepted = upload_junk(client, owner, "private.mp4")
    assert accepted.status_code == 202
    job_id = accepted.json()["id"]

    for path in ("/v1/jobs", f"/v1/jobs/{job_id}", f"/v1/jobs/{job_id}/clips"):
        missing = client.get(path)
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        assert (
            client.get(path, headers={"Authorization": "Bearer aiv_not-a-key"}).status_code == 401
        )
    assert client.post("/v1/jobs", files={"file": ("a.mp4", b"x")}).status_code == 401

    assert client.get(f"/v1/jobs/{job_id}", headers=other).status_code == 404
    assert client.get(f"/v1/jobs/{job_id}/clips/1", headers=other).status_code == 404
    assert client.delete(f"/v1/jobs/{job_id}", headers=other).status_code == 404
    assert client.get("/v1/jobs", headers=other).json()["jobs"] == []
    assert client.get(f"/v1/jobs/{job_id}", headers=owner).status_code == 200

    failed = wait_for(client, owner, job_id)
    assert failed["state"] == "failed" and failed["error"]
    assert client.get(f"/v1/jobs/{job_id}/clips", headers=owner).status_code == 409
    assert client.delete(f"/v1/jobs/{job_id}", headers=owner).status_code == 204
    assert client.get(f"/v1/jobs/{job_id}", headers=owner).status_code == 404
    assert not (Path(service.settings.serve.data_dir) / "jobs" / job_id).exists()


def upload_junk(client: httpx.Client, headers: dict[str, str], name: str) -> httpx.Response:
    """Submit a small file that is not a video (the job fails fast in probe)."""
    files = {"file": (name, b"this is not a video\n" * 50, "video/mp4")}
    return client.post("/v1/jobs", files=files, headers=headers)


def test_oversize_uploads_get_413_and_leave_nothing(service: Service, client: httpx.Client) -> None:
    headers = service.key("big")
    jobs_dir = Path(service.settings.serve.data_dir) / "jobs"
    before = set(jobs_dir.iterdir()) if jobs_dir.exists() else set()
    too_big = b"\0" * (MAX_UPLOAD_BYTES + 1)

    declared = client.post("/v1/jobs", files={"file": ("big.mp4", too_big)}, headers=headers)
    assert declared.status_code == 413, declared.text

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n'
        for _ in range(MAX_UPLOAD_BYTES // 65536 + 2):
            yield b"\0" * 65536
        yield b"\r\n--b--\r\n"

    streamed = client.post(
        "/v1/jobs",
        content=chunked(),
        headers={**headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413, streamed.text
    assert client.get("/v1/jobs", headers=headers).json()["jobs"] == []
    after = set(jobs_dir.iterdir()) if jobs_dir.exists() else set()
    assert after == before


def test_submissions_past_the_rate_limit_get_429(service: Service, client: httpx.Client) -> None:
    headers = service.key("eager")
    accepted = [upload_junk(client, headers, f"junk{i}.mp4") for i in range(SUBMISSIONS_PER_MINUTE)]
    assert [r.status_code for r in accepted] == [202] * SUBMISSIONS_PER_MINUTE

    refused = upload_junk(client, headers, "one-too-many.mp4")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert len(client.get("/v1/jobs", headers=headers).json()["jobs"]) == SUBMISSIONS_PER_MINUTE
    patient = service.key("patient")
    other = upload_junk(client, patient, "other.mp4")
    assert other.status_code == 202

    assert client.delete(f"/v1/jobs/{other.json()['id']}", headers=patient).status_code == 204
    for response in accepted:  # queued or running jobs are cancelled and removed
        assert (
            client.delete(f"/v1/jobs/{response.json()['id']}", headers=headers).status_code == 204
        )


@pytest.mark.media
def test_delete_cancels_a_running_job_and_removes_its_files(
    service: Service, client: httpx.Client, media: Path
) -> None:
    headers = service.key("canceller")
    accepted = upload(client, headers, media / SAMPLE_VIDEO, platform="youtube", max_clips=2)
    job_id = accepted.json()["id"]
    wait_for(client, headers, job_id, done=lambda job: job["state"] == "running")
    job_dir = Path(service.settings.serve.data_dir) / "jobs" / job_id
    assert job_dir.exists()

    assert client.delete(f"/v1/jobs/{job_id}", headers=headers).status_code == 204
    assert client.get(f"/v1/jobs/{job_id}", headers=headers).status_code == 404
    assert not job_dir.exists()
    # the cancelled task frees its slot: the next job runs (and fails fast: not a video)
    follower = upload_junk(client, headers, "next.mp4").json()["id"]
    assert wait_for(client, headers, follower, timeout_s=60)["state"] == "failed"
    assert not job_dir.exists()
    samples = metric_samples(client)
    assert samples[("ai_video_jobs", (("state", "cancelled"),))] >= 1
