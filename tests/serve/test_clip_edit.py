"""Fix and re-render: PATCH a finished clip (trim, caption word, template) on the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ai_video.config import Settings
from ai_video.media.probe import probe
from ai_video.pipeline.runtime import run_clip_request
from ai_video.serve.app import create_app
from ai_video.serve.auth import create_api_key
from ai_video.serve.execution import ThreadJobRunner
from ai_video.serve.sql_store import open_store
from tests.serve.conftest import SAMPLE_VIDEO, upload, wait_for

pytestmark = [pytest.mark.media, pytest.mark.slow]


@pytest.fixture(scope="module")
def finished_job(
    media: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str], str, Settings]]:
    """The app without Ray, one finished job of one 2-4 s clip at 360x640."""
    root = tmp_path_factory.mktemp("edit")
    settings = Settings().with_overrides({
        "serve.data_dir": str(root), "media.allow_urls": False, "ray.enabled": False,
        "cache.enabled": False, "curate.max_clips": 1, "curate.min_s": 2.0, "curate.max_s": 4.0,
        "platforms.tiktok.width_px": 360, "platforms.tiktok.height_px": 640,
        "render.x264_preset": "ultrafast",
    })  # fmt: skip
    store = open_store(settings.serve)
    runner = ThreadJobRunner(settings, store, run_clip_request)
    _, key = create_api_key(store, "editor")
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(settings, store, runner)) as client:
        accepted = upload(client, headers, media / SAMPLE_VIDEO, max_clips=1, prompt="")
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["id"]
        assert wait_for(client, headers, job_id, timeout_s=300)["state"] == "succeeded"
        yield client, headers, job_id, settings
    runner.close()
    store.close()


def test_patch_trims_fixes_a_word_and_switches_template(
    finished_job: tuple[TestClient, dict[str, str], str, Settings],
) -> None:
    client, headers, job_id, settings = finished_job
    (before,) = client.get(f"/v1/jobs/{job_id}/clips", headers=headers).json()["clips"]
    new_end = before["end_s"] - 0.8
    response = client.patch(
        f"/v1/jobs/{job_id}/clips/1",
        json={"end_s": new_end, "words": {"0": "FIXED"}, "captions": "boxed"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["start_s"] == before["start_s"]
    assert abs(after["end_s"] - new_end) < 0.5  # snapped to a gap between words
    assert after["duration_s"] == pytest.approx(after["end_s"] - after["start_s"], abs=0.01)
    out_dir = Path(settings.serve.data_dir)
    new_files = list(out_dir.rglob("clip_01_v2.mp4"))
    assert len(new_files) == 1 and list(out_dir.rglob("clip_01.mp4"))  # old version kept
    info = probe(new_files[0], settings.media)
    assert info.duration_s == pytest.approx(after["duration_s"], abs=0.08)
    srt = client.get(f"/v1/jobs/{job_id}/clips/1/captions.srt", headers=headers).text
    assert "FIXED" in srt.split("\n\n")[0]
    ass = next(out_dir.rglob("clip_01_v2.ass")).read_text()
    assert "FIXED" in ass and ",3," in next(
        ln for ln in ass.splitlines() if ln.startswith("Style:")
    )
    served = client.get(f"/v1/jobs/{job_id}/clips/1", headers=headers)
    assert served.status_code == 200 and len(served.content) == new_files[0].stat().st_size


def test_bad_edits_are_refused(
    finished_job: tuple[TestClient, dict[str, str], str, Settings],
) -> None:
    client, headers, job_id, _ = finished_job
    url = f"/v1/jobs/{job_id}/clips/1"
    assert (
        client.patch(url, json={"start_s": 50.0, "end_s": 1.0}, headers=headers).status_code == 400
    )
    assert client.patch(url, json={"words": {"999": "x"}}, headers=headers).status_code == 400
    assert client.patch(url, json={"captions": "nope"}, headers=headers).status_code == 422
    assert client.patch(url, json={"colour": "red"}, headers=headers).status_code == 422
    assert client.patch(url, json={}, headers={}).status_code == 401
