"""What ``ai-video serve`` and ``ai-video keys create`` do; cli.py mounts these functions."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ai_video.config import Settings, load_settings
from ai_video.errors import InputError
from ai_video.serve.auth import create_api_key
from ai_video.serve.jobs import UnknownApiKey
from ai_video.serve.sql_store import open_store
from ai_video.types import NodeStats

log = logging.getLogger(__name__)


def serve_main(host: str | None, port: int | None, config_file: Path | None) -> None:
    """Serve the API and web page until interrupted (on Ray Serve, or in-process without Ray)."""
    settings = load_settings(config_file).with_overrides({"serve.host": host, "serve.port": port})
    if settings.ray.enabled:
        from ai_video.serve.deployment import serve_forever

        serve_forever(settings)
        return
    _serve_without_ray(settings)


def create_key(
    name: str, settings: Settings, expires_days: float | None = None, admin: bool = False
) -> str:
    """Create an API key named ``name`` (``admin``: may read /ops); returns it (shown once)."""
    expires_at = None if expires_days is None else time.time() + expires_days * 86400.0
    store = open_store(settings.serve)
    try:
        _, key = create_api_key(store, name, expires_at, admin=admin)
    finally:
        store.close()
    return key


def key_table(settings: Settings) -> list[str]:
    """One tab-separated line per key: id, name, created, expires, revoked (UTC, or -), admin."""
    store = open_store(settings.serve)
    try:
        keys = store.keys()
    finally:
        store.close()
    lines = ["id\tname\tcreated\texpires\trevoked\tadmin"]
    for key in keys:
        when = [_utc(t) for t in (key.created_at, key.expires_at, key.revoked_at)]
        lines.append("\t".join([key.id, key.name, *when, "yes" if key.admin else "-"]))
    return lines


def revoke_key(key_id: str, settings: Settings) -> None:
    """Revoke the key with this id; InputError when there is no such live key."""
    store = open_store(settings.serve)
    try:
        store.revoke_key(key_id)
    except UnknownApiKey as exc:
        raise InputError(str(exc)) from None
    finally:
        store.close()


def _utc(t: float | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _serve_without_ray(settings: Settings) -> None:
    """The same app on uvicorn with jobs on local threads (``ray.enabled: false``)."""
    import uvicorn

    from ai_video.pipeline.runtime import run_clip_request
    from ai_video.serve.app import create_app
    from ai_video.serve.execution import ThreadJobRunner

    store = open_store(settings.serve)
    runner = ThreadJobRunner(settings, store, run_clip_request)
    try:
        app = create_app(settings, store, runner, _local_node_stats)
        log.warning(
            "ai_video API and web page at http://%s:%d/", settings.serve.host, settings.serve.port
        )
        uvicorn.run(app, host=settings.serve.host, port=settings.serve.port, log_level="warning")
    finally:
        runner.close()
        store.close()


def _local_node_stats(_timeout_s: float) -> list[NodeStats]:
    """The /ops node view without Ray: this machine alone."""
    from ai_video.pipeline.ops_metrics import sample_local_node

    return [sample_local_node()]
