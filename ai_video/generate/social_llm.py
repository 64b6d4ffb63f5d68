"""Titles, descriptions and hashtags written by an OpenAI-compatible LLM, when one is set.

The offline copy (curate/social_copy.py: YAKE keyphrases of the clip's own words) is always
made; with ``generate.llm.url`` and ``generate.llm.model`` configured, each clip's text is
also sent to the LLM (the same cached, retried client as ``generate``), and an answer that
validates replaces the offline copy. A failing or malformed answer keeps the offline copy
and says why; the manifest records which one each clip got.
"""

from __future__ import annotations

import logging
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ai_video.generate.llm import ChatClient, LlmError
from ai_video.types import SocialCopy

log = logging.getLogger(__name__)

_HASHTAG = re.compile(r"^#?[\w]{2,40}$", re.UNICODE)


class CopyAnswer(BaseModel):
    """The JSON the LLM is asked for."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=100)
    description: str = Field(min_length=3, max_length=220)
    hashtags: list[str] = Field(min_length=3, max_length=5)

    @field_validator("hashtags")
    @classmethod
    def _one_word_tags(cls, tags: list[str]) -> list[str]:
        """Each tag one word (letters, digits, underscore), written with a leading #."""
        clean = [t.strip() for t in tags]
        if not all(_HASHTAG.match(t) for t in clean):
            raise ValueError(f"hashtags must be single words, got {clean}")
        return ["#" + t.lstrip("#") for t in clean]


def copy_messages(text: str, language: str) -> list[dict[str, str]]:
    """The chat request for one clip's copy, in the clip's language."""
    return [
        {
            "role": "system",
            "content": "You write social-media copy for short vertical video clips. Answer "
            "with one JSON object only.",
        },
        {
            "role": "user",
            "content": "Write a title (at most 8 words), a one-line description (at most 25 "
            "words) and 3 to 5 single-word hashtags for this clip. Write in the language "
            f"with ISO code '{language}', use the clip's own wording, invent nothing. JSON "
            'keys: "title", "description", "hashtags".\n\nClip transcript:\n' + text,
        },
    ]


def llm_social_copy(
    client: ChatClient, text: str, language: str, offline: SocialCopy, temperature: float
) -> tuple[SocialCopy, str | None]:
    """The LLM's copy for one clip, or ``offline`` with the reason it was kept."""
    try:
        answer = client.complete_json(copy_messages(text, language), CopyAnswer, temperature)
    except LlmError as exc:
        log.warning("clip copy: keeping the offline title (%s)", exc)
        return offline, str(exc)
    made_by = f"llm:{client.model}"
    return SocialCopy(answer.title, answer.description, tuple(answer.hashtags), made_by), None
