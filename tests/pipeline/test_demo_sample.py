"""The demo's fallback sample: narration spoken offline over a generated picture."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_video.config import Settings
from ai_video.media.probe import probe
from ai_video.pipeline.demo_sample import SHARED_SAMPLE, demo_source, generate_sample

pytestmark = pytest.mark.slow


def test_generated_sample_is_a_narrated_video(tmp_path: Path) -> None:
    settings = Settings()
    sample = generate_sample(tmp_path, settings)
    info = probe(sample, settings.media)
    assert info.video is not None and (info.video.width, info.video.height) == (1280, 720)
    assert info.audio is not None
    assert 20.0 < info.duration_s < 90.0
    assert generate_sample(tmp_path, settings) == sample  # made once, then reused


def test_demo_prefers_the_shared_talking_head(
    media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AI_VIDEO_TEST_MEDIA", str(media))
    assert demo_source(tmp_path, Settings()) == (media / SHARED_SAMPLE).resolve()
