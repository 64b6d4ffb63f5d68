"""Every API option is bounded and every bad input is a 4xx naming the field (never a 500).

The app runs on a temp SQLite store with a runner that records jobs instead of running
them: these tests are about the HTTP boundary. The property-based tests (hypothesis) throw
arbitrary JSON bodies, form fields, batch source lists and generate scripts at it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_video.config import Settings
from ai_video.errors import InputError
from ai_video.pipeline.batch import read_source_list
from ai_video.serve.app import create_app
from ai_video.serve.auth import create_api_key
from ai_video.serve.jobs import JobOptions, JobRecord
from ai_video.serve.sql_store import open_store

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
OPTION_NAMES = [*JobOptions.model_fields, "source_url", "caption_style.font_name", "x"]
STYLE_NAMES = ["font_name", "font_size_px", "max_words_per_line", "bold", "hold_s", "a.b"]


class RecordingRunner:
    """Takes jobs and keeps them (nothing runs): the API boundary is what is under test."""

    def __init__(self) -> None:
        self.jobs: list[JobRecord] = []

    def submit(self, job: JobRecord) -> None:
        self.jobs.append(job)

    def cancel(self, job_id: str) -> None:
        """Nothing runs, so nothing to stop."""

    def close(self) -> None:
        """Nothing to release."""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    root = tmp_path_factory.mktemp("api")
    conf = Settings().with_overrides(
        {
            "serve.data_dir": str(root),
            "serve.submissions_per_minute": 1_000_000,
            "api_options.max_active_jobs_per_key": 1_000_000,  # nothing runs: all stay queued
            "ray.enabled": False,
        }
    )
    store = open_store(conf.serve)
    _, key = create_api_key(store, "fuzzer")
    with TestClient(create_app(conf, store, RecordingRunner())) as client:
        yield client, {"Authorization": f"Bearer {key}"}
    store.close()


def _post_json(api: tuple[TestClient, dict[str, str]], body: Any) -> tuple[int, str]:
    client, headers = api
    answer = client.post("/v1/jobs", content=json.dumps(body), headers=headers | {
        "Content-Type": "application/json"})  # fmt: skip
    return answer.status_code, answer.text


URL = "https://videos.example.com/talk.mp4"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_clips": 10_000}, "max_clips"),
        ({"max_clips": 0}, "max_clips"),
        ({"max_s": 1e9}, "max_s"),
        ({"min_s": -1}, "min_s"),
        ({"prompt": "x" * 5000}, "prompt"),
        ({"asr_model": "openai/whisper-large-v3"}, "asr_model"),
        ({"asr_model": "/srv/models/secret"}, "asr_model"),
        ({"caption_style": {"font_name": "Arial\n[Events]\nDialogue: x"}}, "font_name"),
        ({"caption_style": {"font_name": "A{\\pos(1,1)}"}}, "font_name"),
        ({"caption_style": {"font_size_px": 100_000}}, "font_size_px"),
        ({"caption_style": {"max_words_per_line": 10_000}}, "max_words_per_line"),
        ({"caption_style": {"primary_colour": "red"}}, "primary_colour"),
        ({"caption_style": {"caption.font_name": "x"}}, "caption.font_name"),
        ({"caption_style": {"a.b.c": 1}}, "a.b.c"),
        ({"min_s": 30, "max_s": 10}, "clip length"),
        ({"platform": "myspace"}, "platform"),
        ({"source_url": "file:///etc/passwd"}, "source_url"),
    ],
)
def test_out_of_bounds_options_are_422_naming_the_field(
    api: tuple[TestClient, dict[str, str]], options: dict[str, Any], field: str
) -> None:
    status, text = _post_json(api, {"source_url": URL} | options)
    assert status == 422, text
    assert field in json.loads(text)["detail"]


def test_bounded_options_in_range_are_accepted(api: tuple[TestClient, dict[str, str]]) -> None:
    style = {"font_name": "DejaVu Sans", "font_size_px": 72, "max_words_per_line": 3}
    body = {"source_url": URL, "max_clips": 3, "max_s": 45, "asr_model": "tiny.en"}
    status, text = _post_json(api, body | {"caption_style": style})
    assert status == 202, text


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
json_values = st.recursive(
    json_scalars | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@FUZZ
@given(
    body=st.dictionaries(st.sampled_from(OPTION_NAMES) | st.text(max_size=12), json_values)
    | json_values,
    style=st.dictionaries(st.sampled_from(STYLE_NAMES) | st.text(max_size=12), json_values),
)
def test_any_json_body_is_answered_without_a_server_error(
    api: tuple[TestClient, dict[str, str]], body: Any, style: dict[str, Any]
) -> None:
    if isinstance(body, dict) and style:
        body["caption_style"] = style
    status, text = _post_json(api, body)
    assert status < 500, text
    assert 200 <= status < 300 or 400 <= status < 500


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(OPTION_NAMES) | st.text(min_size=1, max_size=12),
        st.text(max_size=60),
        max_size=6,
    ),
    payload=st.binary(max_size=256),
)
def test_any_upload_form_is_answered_without_a_server_error(
    api: tuple[TestClient, dict[str, str]], fields: dict[str, str], payload: bytes
) -> None:
    client, headers = api
    answer = client.post(
        "/v1/jobs", data=fields, files={"file": ("up.mp4", payload, "video/mp4")}, headers=headers
    )
    assert answer.status_code < 500, answer.text


@FUZZ
@given(text=st.text(max_size=300), header=st.sampled_from(["source,video_id\n", "source\n", ""]))
def test_any_source_list_is_read_or_refused(tmp_path: Path, text: str, header: str) -> None:
    path = tmp_path / "sources.csv"
    path.write_text(header + text, encoding="utf-8")
    try:
        items = read_source_list(path)
    except InputError:
        return
    for item in items:
        assert "/" not in item.video_id and item.video_id not in (".", "..")
        assert (tmp_path / "out" / item.video_id).resolve().parent == tmp_path / "out"


@pytest.mark.parametrize("video_id", ["../x", "/etc", "a/../../b", "..", ".", "x\\y", "a b"])
def test_batch_video_id_must_be_a_plain_folder_name(tmp_path: Path, video_id: str) -> None:
    path = tmp_path / "sources.csv"
    path.write_text(f'source,video_id\nhttps://example.com/a.mp4,"{video_id}"\n')
    with pytest.raises(InputError, match="video_id"):
        read_source_list(path)


script_text = st.lists(
    st.sampled_from(["# Title\n", "## Scene\n", "visual: ../../etc/passwd.png\n", "\n\n", "- x\n"])
    | st.text(max_size=80),
    max_size=12,
).map("".join)


@FUZZ
@given(text=script_text)
def test_any_generate_script_is_parsed_or_refused(text: str) -> None:
    """The generate script parser answers any text with a Script or an InputError."""
    from ai_video.generate.script import parse_script

    try:
        script = parse_script(text)
    except InputError:
        return
    assert script.scenes and all(scene.text.strip() for scene in script.scenes)


def test_deeply_nested_caption_style_is_a_422(api: tuple[TestClient, dict[str, str]]) -> None:
    """60,000 nested brackets in a form field blew Python's JSON parser stack (a 500)."""
    client, headers = api
    answer = client.post(
        "/v1/jobs",
        data={"caption_style": "[" * 60_000},
        files={"file": ("a.mp4", b"x", "video/mp4")},
        headers=headers,
    )
    assert answer.status_code == 422 and "caption_style" in answer.json()["detail"]
    status, _ = _post_json(api, {"source_url": URL})  # and the service still answers
    assert status == 202
