"""Fixtures of the generate tests: models loaded once, small output settings, a script."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ai_video.analyze.embed import TextEmbedder
from ai_video.analyze.transcribe import Transcriber
from ai_video.config import Settings
from ai_video.generate.tts import Synthesizer
from ai_video.pipeline.generate_steps import GenerateModels

FOUR_SCENES = """# Morning in the city

## Dawn
visual: city street with cars and bicycles
The city wakes before the sun.

## Market
Fresh oranges, kiwis and limes arrive.

## Park
A red squirrel hides nuts for winter.

## Night
Then the sky swirls with painted stars.
"""


@pytest.fixture(scope="session")
def small_settings() -> Settings:
    """Defaults at 360x640 (fast renders), cache off, software encoder, quick LLM retries."""
    return Settings().with_overrides(
        {
            "cache.enabled": False,
            "render.prefer_hardware": False,
            "platforms.tiktok.width_px": 360,
            "platforms.tiktok.height_px": 640,
            "generate.llm.backoff_s": 0.01,
            "generate.llm.max_attempts": 3,
        }
    )


@pytest.fixture(scope="session")
def synthesizer(small_settings: Settings) -> Synthesizer:
    """The bundled piper voice (checksum-verified), loaded once."""
    return Synthesizer(small_settings.generate)


@pytest.fixture(scope="session")
def transcriber(small_settings: Settings) -> Transcriber:
    """The bundled whisper tiny.en, loaded once."""
    return Transcriber(small_settings.asr)


@pytest.fixture(scope="session")
def embedder(small_settings: Settings) -> TextEmbedder:
    """The bundled MiniLM sentence embedder, loaded once."""
    return TextEmbedder(small_settings.curate.text_model)


@pytest.fixture(scope="session")
def generate_models(
    synthesizer: Synthesizer, transcriber: Transcriber, embedder: TextEmbedder
) -> GenerateModels:
    """Every model the generate job uses, loaded once for the session."""
    return GenerateModels(synthesizer, transcriber, embedder)


@pytest.fixture()
def four_scene_script(tmp_path: Path) -> Path:
    """A four-scene Markdown script on disk."""
    path = tmp_path / "script.md"
    path.write_text(FOUR_SCENES, encoding="utf-8")
    return path


THEME = {"title": "Rivers at Work", "theme": "calm, blue, slow aerial shots"}
SCENES = {
    "scenes": [
        {"text": "Rivers carve valleys over thousands of years.", "visual": "aerial river"},
        {"text": "Water is patient, and stone is not.", "visual": "stone close-up"},
    ]
}


@dataclass
class FakeLlm:
    """Scripted behaviour of the test endpoint, and what it saw."""

    delay_s: float = 0.0
    failures_per_kind: int = 0
    content_override: str | None = None
    requests: list[dict[str, object]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    failures_left: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, body: dict[str, object]) -> tuple[int, str]:
        messages = body["messages"]
        assert isinstance(messages, list)
        kind = "theme" if '"title"' in messages[-1]["content"] else "script"
        with self.lock:
            self.requests.append(body)
            left = self.failures_left.setdefault(kind, self.failures_per_kind)
            if left > 0:
                self.failures_left[kind] = left - 1
                return 500, '{"error": "temporarily overloaded"}'
        content = self.content_override or json.dumps(THEME if kind == "theme" else SCENES)
        return 200, json.dumps(
            {"choices": [{"message": {"role": "assistant", "content": content}}]}
        )


def _handler(fake: FakeLlm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with fake.lock:
                fake.in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            time.sleep(fake.delay_s)
            status, text = fake.answer(body) if self.path == "/v1/chat/completions" else (404, "{}")
            with fake.lock:
                fake.in_flight -= 1
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@pytest.fixture()
def fake_llm() -> Iterator[tuple[FakeLlm, str]]:
    """A local chat-completions server on 127.0.0.1 and its base URL."""
    fake = FakeLlm()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
