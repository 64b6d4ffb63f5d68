"""Chooses where a job runs: a local or remote Ray (default) or in-process (``--no-ray``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ai_video.config import Settings
from ai_video.pipeline.batch import BatchProgress
from ai_video.pipeline.clip_job import run_clip_job
from ai_video.pipeline.local_ray import prepare_local_ray_env
from ai_video.pipeline.requests import ClipJobResult, ClipRequest, ProgressFn, no_progress

if TYPE_CHECKING:
    from ai_video.pipeline.generate_job import GenerateResult
    from ai_video.pipeline.generate_steps import GenerateOptions


def run_clip_request(
    request: ClipRequest, settings: Settings, progress: ProgressFn = no_progress
) -> ClipJobResult:
    """Run one clip job on Ray when enabled (starting a loopback-only local Ray), else here."""
    from ai_video.media.ffmpeg import job_deadline

    validate_local_source(request.source, settings)
    if not settings.ray.enabled:
        with job_deadline(settings.input_policy.job_deadline_s):
            return run_clip_job(request, settings, progress)
    prepare_local_ray_env(settings.ray)
    from ai_video.pipeline.ray_backend import RayBackend, ray_session

    with ray_session(settings):
        backend = RayBackend(settings)
        try:
            return run_clip_job(request, settings, progress, backend=backend)
        finally:
            backend.close()


def validate_local_source(source: str, settings: Settings) -> None:
    """Fail fast on an unusable local file before any worker or model starts."""
    from ai_video.media.input_policy import probe_untrusted
    from ai_video.media.probe import require_audio, require_complete, require_video

    settings.clip_length_range()
    if source.startswith(("http://", "https://")):
        return
    info = probe_untrusted(Path(source), settings.media, settings.input_policy)
    require_video(info)
    require_audio(info)
    require_complete(info, settings.media)


def run_batch_list(
    sources: Path,
    out_dir: Path,
    settings: Settings,
    on_progress: Callable[[BatchProgress], None] = lambda p: None,
) -> Path:
    """Run a batch source list on Ray (or in-process, one video at a time, without Ray)."""
    from ai_video.pipeline.backend import LocalBackend
    from ai_video.pipeline.batch import read_source_list, run_batch

    items = read_source_list(sources)
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

    with ray_session(settings):
        ray_backend = RayBackend(settings)
        try:
            return run_batch(items, out_dir, settings, ray_backend, on_progress)
        finally:
            ray_backend.close()


def run_generate(
    script: Path | None,
    out_dir: Path,
    settings: Settings,
    options: GenerateOptions,
    progress: ProgressFn = no_progress,
) -> GenerateResult:
    """Make a narrated short; on Ray the voice is the cluster's one TTS actor."""
    from ai_video.pipeline.generate_job import run_generate_job
    from ai_video.pipeline.generate_steps import apply_options, load_models

    if not settings.ray.enabled:
        return run_generate_job(script, out_dir, settings, options, progress)
    prepare_local_ray_env(settings.ray)
    from ai_video.pipeline.local_ray import wants_local_ray
    from ai_video.pipeline.ray_backend import RayBackend, ray_session
    from ai_video.pipeline.tts_actor import ActorSynthesizer, tts_actor

    job_settings = apply_options(settings, options)
    with ray_session(settings):
        actor = tts_actor(job_settings.generate, detached=not wants_local_ray(settings.ray))
        models = load_models(
            job_settings,
            with_visual_ranking=options.visuals_dir is not None
            or job_settings.generate.provider_url is not None,
            synthesizer=ActorSynthesizer(actor),  # type: ignore[arg-type]
        )
        backend = RayBackend(settings)
        try:
            return run_generate_job(
                script, out_dir, settings, options, progress, models=models, backend=backend
            )
        finally:
            backend.close()


def stop_ray_after_interrupt() -> None:
    """Shut down the Ray this process started, and every process it left (after a signal).

    ``ray_session`` shuts Ray down when its block ends, but a signal that lands while
    ``ray.init`` is still starting the local node unwinds before Ray knows its node, and
    the raylet's agents outlive it. So the process tree is taken first, Ray is shut down,
    and whatever of the tree still runs is stopped, with every process that carries this
    command's owner mark (agents re-parented away from the tree, or started meanwhile).
    """
    import sys

    from ai_video.media.processes import child_processes, marked_processes, stop_processes

    started = child_processes()
    if "ray" in sys.modules:
        import ray

        ray.shutdown()
    stop_processes(started + child_processes() + marked_processes())
