"""The web page in headless Chromium: paste a key, drop a video, watch the clips play."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.serve.conftest import SAMPLE_VIDEO, Service

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.media]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
def page(tmp_path: Path) -> Iterator[object]:
    """A page of the system Chromium in a fresh profile (skipped when it is not installed)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists() or shutil.which("ffmpeg") is None:
        pytest.skip("system Chromium (/usr/bin/chromium) is not installed")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1400},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def test_submit_a_video_and_watch_its_clips_play(
    service: Service, media: Path, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(service.url + "/")
    key = service.key("browser")["Authorization"].removeprefix("Bearer ")

    page.fill("#api-key", key)
    page.click("#key-form button[type=submit]")
    expect(page.locator("#key-status")).to_contain_text("saved")
    page.set_input_files("#file-input", str(media / SAMPLE_VIDEO))
    page.fill("#opt-max-clips", "1")
    page.click("#submit-button")

    expect(page.locator("#job-state")).to_have_text("succeeded", timeout=150_000)
    video = page.locator("#clips video").first
    expect(video).to_have_attribute("src", re.compile(r"^blob:"), timeout=30_000)
    page.wait_for_function(
        "() => { const v = document.querySelector('#clips video');"
        " return v && !v.paused && v.currentTime > 0.5; }",
        timeout=30_000,
    )
    played = video.evaluate("v => [v.currentTime, v.videoWidth, v.videoHeight]")
    assert played[0] > 0.5 and (played[1], played[2]) == (360, 640)
    expect(page.locator("#clips .score").first).to_have_text(re.compile(r"^score \d{1,3}/100$"))
    job_id = page.locator("#job-id").inner_text()
    clip = httpx.get(
        f"{service.url}/v1/jobs/{job_id}/clips", headers={"Authorization": f"Bearer {key}"}
    ).json()["clips"][0]
    expect(page.locator("#clips .title").first).to_have_text(clip["title"])
    expect(page.locator("#clips .hashtags").first).to_have_text(" ".join(clip["hashtags"]))
    title_words = {w.lower() for w in re.findall(r"\w+", clip["title"])}
    assert title_words and title_words <= {w.lower() for w in re.findall(r"\w+", clip["text"])}
    assert page.locator("#clips .groups tr").count() >= 5
    expect(page.locator("#clips-language")).to_contain_text("spoken language: en")
    assert page.locator("#clips .features tr").count() >= 3
    expect(page.locator("#jobs li").first).to_contain_text("succeeded")

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "serve_web_clips.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert console_errors == []
