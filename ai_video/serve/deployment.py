"""The HTTP service on Ray Serve: this layer's parts handed to pipeline/serving.py.

``ai_video.serve.deployment:app`` is the application builder that ``serve run`` and the
KubeRay RayService name; ``ai-video serve`` calls :func:`serve_forever`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ai_video.config import Settings, load_settings
from ai_video.pipeline import serving
from ai_video.pipeline.requests import ClipJobFn
from ai_video.serve.app import create_app
from ai_video.serve.execution import execute_job
from ai_video.serve.jobs import ERROR_WORKER_DIED, JobRecord, JobStore, JobWithdrawn
from ai_video.serve.sql_store import open_store


def _execute(
    job: JobRecord, settings: Settings, store: JobStore, run_clip_request: ClipJobFn
) -> str:
    return execute_job(job, settings, store, run_clip_request).value


def _record_crash(store: JobStore, job: JobRecord, reason: str) -> None:
    with contextlib.suppress(JobWithdrawn):  # deleted or re-queued meanwhile: nothing to record
        store.fail(job.id, job.attempt, reason, ERROR_WORKER_DIED)


PARTS = serving.ServiceParts(
    build_app=create_app,
    open_store=open_store,
    execute=_execute,
    record_crash=_record_crash,
)
"""The API app, the job store and job execution, as the Ray deployment needs them."""


def app(args: dict[str, Any] | None = None) -> serving.ServeApplication:
    """Application builder for ``serve run``/RayService (``ai_video.serve.deployment:app``).

    ``args.config_file`` names an optional YAML settings file; ``AI_VIDEO_*`` variables in
    the application's runtime_env apply as everywhere else.
    """
    config_file = (args or {}).get("config_file")
    return serving.clip_service(load_settings(Path(config_file) if config_file else None), PARTS)


def start_service(settings: Settings) -> str:
    """Start Serve's proxy and the app on the connected Ray; returns the base URL."""
    return serving.start_service(settings, PARTS)


def serve_forever(settings: Settings) -> None:
    """Run the API on a local (loopback) or configured Ray until interrupted."""
    serving.serve_forever(settings, PARTS)
