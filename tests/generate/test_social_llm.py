"""Clip titles, descriptions and hashtags from a local OpenAI-compatible server."""

from __future__ import annotations

import json

from ai_video.config import Settings
from ai_video.generate.llm import ChatClient
from ai_video.generate.social_llm import llm_social_copy
from ai_video.pipeline.stages.clips import with_llm_copy
from ai_video.types import (
    Candidate,
    ClipScore,
    Moment,
    MomentsResult,
    ScoredCandidate,
    SocialCopy,
    TimeSpan,
)
from tests.generate.conftest import FakeLlm

TEXT = "Ask not what your country can do for you, ask what you can do for your country."
OFFLINE = SocialCopy("Ask not what your country", "Ask not what your country can do.", ("#ask",))
ANSWER = {
    "title": "What You Can Do for Your Country",
    "description": "Kennedy turns the question around.",
    "hashtags": ["#country", "service", "#inaugural"],
}


def _settings(small_settings: Settings, url: str) -> Settings:
    return small_settings.with_overrides(
        {"generate.llm.url": url, "generate.llm.model": "test-model"}
    )


def test_the_llm_writes_the_copy_in_the_clip_language(
    fake_llm: tuple[FakeLlm, str], small_settings: Settings
) -> None:
    fake, url = fake_llm
    fake.content_override = json.dumps(ANSWER)
    client = ChatClient(_settings(small_settings, url).generate.llm, None)
    try:
        copy, reason = llm_social_copy(client, TEXT, "en", OFFLINE, 0.3)
    finally:
        client.close()
    assert reason is None
    assert copy == SocialCopy(
        ANSWER["title"],
        ANSWER["description"],
        ("#country", "#service", "#inaugural"),
        "llm:test-model",
    )
    (request,) = fake.requests
    prompt = request["messages"][-1]["content"]  # type: ignore[index]
    assert TEXT in prompt and "'en'" in prompt


def test_a_malformed_or_failing_answer_keeps_the_offline_copy(
    fake_llm: tuple[FakeLlm, str], small_settings: Settings
) -> None:
    fake, url = fake_llm
    fake.content_override = json.dumps({**ANSWER, "hashtags": ["two words", "#x y", "ok"]})
    client = ChatClient(_settings(small_settings, url).generate.llm, None)
    try:
        copy, reason = llm_social_copy(client, TEXT, "en", OFFLINE, 0.3)
    finally:
        client.close()
    assert copy == OFFLINE and reason and "hashtags" in reason


def test_the_curate_stage_uses_the_llm_only_when_configured(
    fake_llm: tuple[FakeLlm, str], small_settings: Settings
) -> None:
    fake, url = fake_llm
    fake.content_override = json.dumps(ANSWER)
    candidate = Candidate(TimeSpan(0.0, 9.0), 0, 0, TEXT, TEXT)
    moment = Moment(ScoredCandidate(candidate, ClipScore(0.8, {}, {})), 80.0, (), OFFLINE, (0,))
    result = MomentsResult((moment,), ())
    assert with_llm_copy(result, "en", small_settings) == result
    assert fake.requests == []
    with_llm = with_llm_copy(result, "en", _settings(small_settings, url))
    assert with_llm.moments[0].copy.made_by == "llm:test-model"
    assert with_llm.moments[0].copy.title == ANSWER["title"]
    assert with_llm.moments[0].clip == moment.clip
