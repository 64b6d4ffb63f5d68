"""The page's fix-and-re-render editor in headless Chromium, on the app without Ray."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ai_video.config import Settings
from ai_video.pipeline.runtime import run_clip_request
from ai_video.serve.app import create_app
from ai_video.serve.auth import create_api_key
from ai_video.serve.execution import ThreadJobRunner
from ai_video.serve.sql_store import open_store
from tests.serve.conftest import SAMPLE_VIDEO, free_port
from tests.serve.test_web import page  # noqa: F401  (the Chromium page fixture)

pytestmark = [pytest.mark.slow, pytest.mark.media]


@pytest.fixture
def local_app(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """The real app (jobs on threads, no Ray) served by uvicorn on loopback; url, key, data."""
    import uvicorn

    settings = Settings().with_overrides({
        "serve.data_dir": str(tmp_path / "data"), "media.allow_urls": False,
        "ray.enabled": False, "cache.enabled": False, "curate.max_clips": 1,
        "curate.min_s": 2.0, "curate.max_s": 4.0, "platforms.tiktok.width_px": 360,
        "platforms.tiktok.height_px": 640, "render.x264_preset": "ultrafast",
    })  # fmt: skip
    store = open_store(settings.serve)
    runner = ThreadJobRunner(settings, store, run_clip_request)
    _, key = create_api_key(store, "browser")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, store, runner), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", key, tmp_path / "data"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        runner.close()
        store.close()


def test_trim_and_restyle_a_clip_in_the_page(
    local_app: tuple[str, str, Path],
    media: Path,
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    url, key, data = local_app
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "/")
    page.fill("#api-key", key)
    page.click("#key-form button[type=submit]")
    page.set_input_files("#file-input", str(media / SAMPLE_VIDEO))
    page.fill("#opt-max-clips", "1")
    page.click("#submit-button")
    expect(page.locator("#job-state")).to_have_text("succeeded", timeout=240_000)
    card = page.locator("#clips article").first
    before = card.locator(".span").inner_text()

    card.locator("details.edit summary").click()
    end = float(card.locator("input[name=end_s]").input_value())
    card.locator("input[name=end_s]").fill(f"{end - 0.8:.2f}")
    card.locator("select[name=captions]").select_option("boxed")
    card.locator("input[name=word]").fill("0=FIXED")
    card.locator(".edit-apply").click()
    status = page.locator("#clips .edit-status").first
    expect(status).not_to_have_text("re-rendering…", timeout=120_000)
    expect(page.locator("#clips .span").first).not_to_have_text(before, timeout=120_000)
    video = page.locator("#clips video").first
    expect(video).to_have_attribute("src", re.compile(r"^blob:"), timeout=30_000)
    assert list(data.rglob("clip_01_v2.mp4")) and list(data.rglob("clip_01.mp4"))
    assert "FIXED" in next(data.rglob("clip_01_v2.srt")).read_text()
    assert errors == []
