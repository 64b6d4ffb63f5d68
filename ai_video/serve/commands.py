"""What ``ai-video serve`` and ``ai-video keys create`` do; cli.py mounts these functions."""

from __future__ import annotations

import logging
from pathlib import Path

from ai_video.config import Settings, load_settings
from ai_video.serve.auth import create_api_key
from ai_video.serve.sql_store import open_store

log = logging.getLogger(__name__)


def serve_main(host: str | None, port: int | None, config_file: Path | None) -> None:
    """Serve the API and web page until interrupted (on Ray Serve, or in-process without Ray)."""
    settings = load_settings(config_file).with_overrides({"serve.host": host, "serve.port": port})
    if settings.ray.enabled:
        from ai_video.serve.deployment import serve_forever

        serve_forever(settings)
        return
    _serve_without_ray(settings)


def create_key(name: str, settings: Settings) -> str:
    """Create an API key named ``name`` in the job store; returns the key (shown only once)."""
    store = open_store(settings.serve)
    try:
        _, key = create_api_key(store, name)
    finally:
        store.close()
    return key


def _serve_without_ray(settings: Settings) -> None:
    """The same app on uvicorn with jobs on local threads (``ray.enabled: false``)."""
    import uvicorn

    from ai_video.pipeline.runtime import run_clip_request
    from ai_video.serve.app import create_app
    from ai_video.serve.execution import ThreadJobRunner

    store = open_store(settings.serve)
    runner = ThreadJobRunner(settings, store, run_clip_request)
    try:
        app = create_app(settings, store, runner)
        log.warning(
            "ai_video API and web page at http://%s:%d/", settings.serve.host, settings.serve.port
        )
        uvicorn.run(app, host=settings.serve.host, port=settings.serve.port, log_level="warning")
    finally:
        runner.close()
        store.close()
