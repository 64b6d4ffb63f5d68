"""Chooses where a job runs: a local or remote Ray (default) or in-process (``--no-ray``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ai_video.config import Settings
from ai_video.pipeline.batch import BatchProgress
from ai_video.pipeline.clip_job import run_clip_job
from ai_video.pipeline.local_ray import prepare_local_ray_env
from ai_video.pipeline.requests import ClipJobResult, ClipRequest, ProgressFn, no_progress


def run_clip(
    request: ClipRequest, settings: Settings, progress: ProgressFn = no_progress
) -> ClipJobResult:
    """Run one clip job on Ray when enabled (starting a loopback-only local Ray), else here."""
    validate_local_source(request.source, settings)
    if not settings.ray.enabled:
        return run_clip_job(request, settings, progress)
    prepare_local_ray_env(settings.ray)
    from ai_video.pipeline.ray_backend import RayBackend, ray_session

    with ray_session(settings.ray):
        backend = RayBackend(settings)
        try:
            return run_clip_job(request, settings, progress, backend=backend)
        finally:
            backend.close()


def validate_local_source(source: str, settings: Settings) -> None:
    """Fail fast on an unusable local file before any worker or model starts."""
    from ai_video.media.probe import probe, require_audio, require_complete, require_video

    settings.clip_length_range()
    if source.startswith(("http://", "https://")):
        return
    info = probe(Path(source), settings.media)
    require_video(info)
    require_audio(info)
    require_complete(info, settings.media)


def run_batch_manifest(
    manifest: Path,
    out_dir: Path,
    settings: Settings,
    on_progress: Callable[[BatchProgress], None] = lambda p: None,
) -> Path:
    """Run a batch manifest on Ray (or in-process, one video at a time, without Ray)."""
    from ai_video.pipeline.backend import LocalBackend
    from ai_video.pipeline.batch import read_manifest, run_batch

    items = read_manifest(manifest)
    settings.clip_length_range()
    if not settings.ray.enabled:
        backend = LocalBackend(settings)
        try:
            sequential = settings.with_overrides({"ray.max_concurrent_videos": 1})
            return run_batch(items, out_dir, sequential, backend, on_progress)
        finally:
            backend.close()
    prepare_local_ray_env(settings.ray)
    from ai_video.pipeline.ray_backend import RayBackend, ray_session

    with ray_session(settings.ray):
        ray_backend = RayBackend(settings)
        try:
            return run_batch(items, out_dir, settings, ray_backend, on_progress)
        finally:
            ray_backend.close()
