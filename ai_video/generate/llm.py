"""Topic to script with an OpenAI-compatible chat API (OpenRouter, vLLM, Ollama, OpenAI).

Two requests run concurrently: one for the title and theme, one for the scenes (narration
and a visual query each). Every answer is validated with pydantic before use and cached on
disk under the request's hash (xxh3-128 of the orjson request), so a rerun with the same
topic and settings makes no request at all. Connection errors, 429 and 5xx answers are
retried with exponential backoff (``Retry-After`` is honoured). Anything unusable raises
:class:`LlmError`, an :class:`InputError` (exit 2) that says what the endpoint did.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import orjson
import xxhash
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ai_video.config import LlmConfig
from ai_video.errors import InputError
from ai_video.generate.script import Script, build_script
from ai_video.media.files import read_json, write_atomic
from ai_video.media.http import HttpClient, HttpRefused, HttpUnavailable, RetryPolicy, snippet

log = logging.getLogger(__name__)

_FENCE = re.compile(r"^\s*```(?:json)?\s*(?P<body>.*?)\s*```\s*$", re.DOTALL)
_SYSTEM = (
    "You write narration for short vertical videos. Answer with one JSON object and nothing "
    "else: no prose, no code fences."
)
AnswerT = TypeVar("AnswerT", bound=BaseModel)


class LlmError(InputError):
    """The LLM endpoint was unreachable or answered something that cannot be used."""


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ThemeAnswer(_Answer):
    """The LLM's title and theme for a topic."""

    title: str = Field(min_length=1, max_length=200)
    theme: str = Field(min_length=1, max_length=1000)


class SceneAnswer(_Answer):
    """One scene as the LLM writes it."""

    text: str = Field(min_length=1, max_length=2000)
    visual: str | None = Field(None, max_length=200)


class ScriptAnswer(_Answer):
    """The LLM's scenes for a topic."""

    scenes: list[SceneAnswer] = Field(min_length=1, max_length=40)


@dataclass(frozen=True)
class LlmReport:
    """What the LLM did for a job, for the manifest."""

    url: str
    model: str
    title: str
    theme: str
    requests: int
    """HTTP requests sent (retries included); 0 when every answer came from the cache."""
    cache_hits: int
    wall_s: float


class ChatClient:
    """One OpenAI-compatible endpoint: cached, retried, validated JSON chat completions."""

    def __init__(
        self,
        cfg: LlmConfig,
        cache_dir: Path | None,
        http: HttpClient | None = None,
    ) -> None:
        """Check the endpoint settings; ``cache_dir`` None disables the answer cache.

        ``http`` is the client to send with (default: a new one with the endpoint's timeout
        and API key); the ChatClient closes it.
        """
        if not cfg.url or not cfg.model:
            raise LlmError(
                "an LLM needs both generate.llm.url and generate.llm.model (--llm-url, --llm-model)"
            )
        if not cfg.url.startswith(("http://", "https://")):
            raise LlmError(f"LLM URL {cfg.url!r} must start with http:// or https://")
        self._cfg = cfg
        self._endpoint = cfg.url.rstrip("/") + "/chat/completions"
        self._cache_dir = cache_dir / "llm" if cache_dir is not None else None
        self._http = http or HttpClient(cfg.timeout_s, cfg.api_key)
        self._retry = RetryPolicy(cfg.max_attempts, cfg.backoff_s, cfg.max_backoff_s)
        self.cache_hits = 0

    @property
    def model(self) -> str:
        """The model name every request names."""
        return str(self._cfg.model)

    @property
    def requests(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._http.requests

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def complete_json(
        self, messages: Sequence[dict[str, str]], answer_type: type[AnswerT], temperature: float
    ) -> AnswerT:
        """Send one chat request (or read its cached answer) and validate the JSON it holds."""
        body = {
            "model": self._cfg.model,
            "messages": list(messages),
            "temperature": temperature,
            "response_format": {"type": "json_object"},
        }
        key = xxhash.xxh3_128_hexdigest(
            orjson.dumps({"url": self._cfg.url, "body": body}, option=orjson.OPT_SORT_KEYS)
        )
        cached = self._read_cache(key)
        if cached is not None:
            try:
                answer = _validated(cached, answer_type)
            except LlmError:
                log.warning("ignoring an invalid cached LLM answer %s", key)
            else:
                self.cache_hits += 1
                return answer
        content = self._post(body)
        answer = _validated(content, answer_type)
        self._write_cache(key, content)
        return answer

    def _post(self, body: Mapping[str, object]) -> str:
        """POST the request with retries; return the assistant message's text."""
        url = self._endpoint
        try:
            return _message_text(self._http.post_json(url, body, self._retry, label="LLM"))
        except HttpRefused as exc:
            raise LlmError(f"LLM endpoint {url} refused the request ({exc})") from None
        except HttpUnavailable as exc:
            raise LlmError(
                f"LLM endpoint {url} is unreachable or failing after {self._cfg.max_attempts} "
                f"tries ({exc}); check --llm-url, or give a script file instead of --topic"
            ) from None

    def _cache_path(self, key: str) -> Path | None:
        return self._cache_dir / f"{key}.json" if self._cache_dir is not None else None

    def _read_cache(self, key: str) -> str | None:
        path = self._cache_path(key)
        entry = read_json(path) if path is not None else None
        content = entry.get("content") if isinstance(entry, dict) else None
        return content if isinstance(content, str) else None

    def _write_cache(self, key: str, content: str) -> None:
        path = self._cache_path(key)
        if path is not None:
            entry = {"model": self._cfg.model, "content": content}
            write_atomic(path, orjson.dumps(entry), unique=True)


def write_script(topic: str, cfg: LlmConfig, cache_dir: Path | None) -> tuple[Script, LlmReport]:
    """Ask the LLM for a title/theme and for the scenes, concurrently; return the script."""
    if not topic.strip():
        raise LlmError("--topic is empty; say what the video is about")
    started = time.perf_counter()
    client = ChatClient(cfg, cache_dir)
    try:
        with ThreadPoolExecutor(cfg.concurrent_requests, thread_name_prefix="llm") as pool:
            theme_future = pool.submit(
                client.complete_json, theme_messages(topic), ThemeAnswer, cfg.temperature
            )
            script_future = pool.submit(
                client.complete_json, script_messages(topic, cfg), ScriptAnswer, cfg.temperature
            )
            theme, scenes = theme_future.result(), script_future.result()
    finally:
        client.close()
    script = build_script(
        theme.title, [(s.text, s.visual) for s in scenes.scenes], source=f"LLM script for {topic!r}"
    )
    report = LlmReport(
        url=str(cfg.url),
        model=str(cfg.model),
        title=theme.title,
        theme=theme.theme,
        requests=client.requests,
        cache_hits=client.cache_hits,
        wall_s=time.perf_counter() - started,
    )
    return script, report


def theme_messages(topic: str) -> list[dict[str, str]]:
    """The chat messages asking for a title and a theme."""
    ask = (
        f'Topic: {topic}\nReturn {{"title": a catchy title of at most 8 words, '
        '"theme": one sentence on the mood and visual style of the video}.'
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": ask}]


def script_messages(topic: str, cfg: LlmConfig) -> list[dict[str, str]]:
    """The chat messages asking for the scenes."""
    ask = (
        f"Topic: {topic}\nWrite the narration of a short video in {cfg.scene_count} scenes of "
        f"about {cfg.words_per_scene} spoken words each; plain sentences, no stage directions. "
        'Return {"scenes": [{"text": the narration, "visual": a 2-6 word search query for '
        "footage or a photo that fits}]}."
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": ask}]


def _message_text(body: bytes) -> str:
    """``choices[0].message.content`` of a chat completion, or :class:`LlmError`."""
    try:
        data = orjson.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        raise LlmError(
            "LLM endpoint did not return an OpenAI-style chat completion: "
            + snippet(body.decode("utf-8", "replace"))
        ) from None
    if not isinstance(content, str):
        raise LlmError("LLM answer has no text content (choices[0].message.content)")
    return content


def _validated(content: str, answer_type: type[AnswerT]) -> AnswerT:
    """Parse the answer's JSON (code fences tolerated) and validate it against the schema."""
    fenced = _FENCE.match(content)
    text = fenced.group("body") if fenced else content
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise LlmError(f"LLM answer is not valid JSON ({exc}): {snippet(content)}") from None
    try:
        return answer_type.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        raise LlmError(
            f"LLM answer does not have the expected shape ({where}: {first['msg']}): "
            f"{snippet(content)}"
        ) from None
