"""Topic to script against a local OpenAI-compatible server: concurrency, cache, retry, errors."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from ai_video.config import LlmConfig, Settings
from ai_video.generate.llm import LlmError, write_script
from tests.generate.conftest import THEME, FakeLlm


def _cfg(settings: Settings, url: str) -> LlmConfig:
    return settings.generate.llm.model_copy(update={"url": url, "model": "test-model"})


def test_theme_and_script_requests_run_concurrently(
    fake_llm: tuple[FakeLlm, str], small_settings: Settings
) -> None:
    fake, url = fake_llm
    fake.delay_s = 0.4
    started = time.perf_counter()
    script, report = write_script("how rivers shape land", _cfg(small_settings, url), None)
    wall_s = time.perf_counter() - started
    assert fake.max_in_flight == 2
    assert wall_s < 0.75
    assert script.title == "Rivers at Work"
    assert [s.visual for s in script.scenes] == ["aerial river", "stone close-up"]
    assert script.scenes[1].text == "Water is patient, and stone is not."
    assert (report.requests, report.cache_hits, report.theme) == (2, 0, THEME["theme"])
    assert all(body["model"] == "test-model" for body in fake.requests)


def test_answers_are_cached_by_request_hash(
    fake_llm: tuple[FakeLlm, str], small_settings: Settings, tmp_path: Path
) -> None:
    fake, url = fake_llm
    first, report1 = write_script("how rivers shape land", _cfg(small_settings, url), tmp_path)
    second, report2 = write_script("how rivers shape land", _cfg(small_settings, url), tmp_path)
    assert len(fake.requests) == 2
    assert (report1.requests, report2.requests, report2.cache_hits) == (2, 0, 2)
    assert second == first
    assert len(list((tmp_path / "llm").glob("*.json"))) == 2
    write_script("volcanoes", _cfg(small_settings, url), tmp_path)
    assert len(fake.requests) == 4


def test_a_500_is_retried_with_backoff(
    fake_llm: tuple[FakeLlm, str], small_settings: Settings
) -> None:
    fake, url = fake_llm
    fake.failures_per_kind = 1
    script, report = write_script("how rivers shape land", _cfg(small_settings, url), None)
    assert len(script.scenes) == 2
    assert report.requests == 4
    assert len(fake.requests) == 4


def test_answer_that_is_not_json_is_a_clear_error(
    fake_llm: tuple[FakeLlm, str], small_settings: Settings, tmp_path: Path
) -> None:
    fake, url = fake_llm
    fake.content_override = "Sure! Here is your script: {scenes: [oops"
    with pytest.raises(LlmError, match="LLM answer is not valid JSON") as caught:
        write_script("rivers", _cfg(small_settings, url), tmp_path)
    assert caught.value.exit_code == 2
    assert not (tmp_path / "llm").exists() or not any((tmp_path / "llm").iterdir())


def test_answer_with_the_wrong_shape_names_the_field(
    fake_llm: tuple[FakeLlm, str], small_settings: Settings
) -> None:
    fake, url = fake_llm
    fake.content_override = json.dumps({"title": "T", "theme": "x", "scenes": []})
    with pytest.raises(LlmError, match=r"expected shape.*scenes"):
        write_script("rivers", _cfg(small_settings, url), None)


def test_unreachable_endpoint_is_a_clear_error(small_settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = _cfg(small_settings, f"http://127.0.0.1:{port}/v1")
    with pytest.raises(
        LlmError, match=r"unreachable or failing after 3 tries \(ConnectError"
    ) as caught:
        write_script("rivers", cfg, None)
    assert caught.value.exit_code == 2


def test_missing_endpoint_settings_are_refused(small_settings: Settings) -> None:
    with pytest.raises(LlmError, match=r"llm\.url and generate\.llm\.model"):
        write_script("rivers", small_settings.generate.llm, None)
    bad_scheme = small_settings.generate.llm.model_copy(update={"url": "ftp://x", "model": "m"})
    with pytest.raises(LlmError, match="must start with http"):
        write_script("rivers", bad_scheme, None)
