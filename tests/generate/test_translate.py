"""Caption translation through an OpenAI-compatible endpoint (a local mock transport)."""

from __future__ import annotations

import json

import httpx
import pytest

from ai_video.config import LlmConfig
from ai_video.generate.llm import ChatClient, LlmError
from ai_video.generate.translate import translate_track
from ai_video.media.http import HttpClient
from ai_video.render.subtitles import track_to_srt
from ai_video.types import CaptionLine, CaptionTrack, CaptionWord

DICTIONARY = {"Bonjour à tous.": "Hello everyone.", "On parle de cuisine.": "We talk cooking."}
TRACK = CaptionTrack(
    (
        CaptionLine((CaptionWord("Bonjour", 0.0, 0.4), CaptionWord("à", 0.4, 0.5),
                     CaptionWord("tous.", 0.5, 1.0))),
        CaptionLine((CaptionWord("On", 1.2, 1.4), CaptionWord("parle", 1.4, 1.8),
                     CaptionWord("de", 1.8, 1.9), CaptionWord("cuisine.", 1.9, 2.6))),
    ),
    "Caption",
)  # fmt: skip


def _client(answer: object, seen: list[dict[str, object]]) -> ChatClient:
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        asked = json.loads(body["messages"][-1]["content"].split("\n", 1)[1])
        content = answer(asked) if callable(answer) else answer
        return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})

    cfg = LlmConfig(url="http://llm.test/v1", model="m", max_attempts=1)
    return ChatClient(cfg, None, http=HttpClient(5.0, transport=httpx.MockTransport(handle)))


def test_lines_are_translated_and_keep_their_time() -> None:
    seen: list[dict[str, object]] = []

    def translate(asked: dict[str, object]) -> str:
        assert asked["source_language"] == "fr" and asked["target_language"] == "en"
        return json.dumps({"lines": [DICTIONARY[line] for line in asked["lines"]]})

    translated = translate_track(TRACK, "fr", "en", _client(translate, seen), 0.0)
    assert len(seen) == 1  # one request for the whole track
    assert [line.text for line in translated.lines] == ["Hello everyone.", "We talk cooking."]
    for new, old in zip(translated.lines, TRACK.lines, strict=True):
        assert new.start_s == old.start_s and new.end_s == pytest.approx(old.end_s)
        starts = [w.start_s for w in new.words]
        assert starts == sorted(starts)
    srt = track_to_srt(translated)
    assert "Hello everyone." in srt and "00:00:01,200 --> 00:00:02,600" in srt


def test_japanese_target_has_no_spaces() -> None:
    answer = json.dumps({"lines": ["みなさん、こんにちは。", "料理の話をします。"]})
    translated = translate_track(TRACK, "fr", "ja", _client(answer, []), 0.0)
    assert [line.text for line in translated.lines] == [
        "みなさん、こんにちは。",
        "料理の話をします。",
    ]
    assert all(line.separator == "" for line in translated.lines)


def test_a_different_line_count_is_refused() -> None:
    answer = json.dumps({"lines": ["Hello everyone. We talk cooking."]})
    with pytest.raises(LlmError, match="2 caption lines into 1"):
        translate_track(TRACK, "fr", "en", _client(answer, []), 0.0)
