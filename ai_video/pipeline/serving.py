"""The HTTP API on Ray Serve, and the Ray runner that executes its jobs.

This is the only place the FastAPI app of serve/app.py meets Ray: :class:`ClipService` is
the Serve ingress deployment (one replica, no CPU of its own; HTTP on loopback unless the
operator says otherwise), and :class:`RayJobRunner` starts each accepted job as a Ray task
that runs the clip pipeline (whose stages are Ray tasks and actors in turn). At most
``serve.max_running_jobs`` jobs run at once; the rest wait here in FIFO order and show as
``queued``. A replica that starts re-queues every unfinished job (see create_app).

    ai-video serve                 -> serve_forever(settings): local Ray + Serve, blocks
    serve run cluster/serve-config.yaml -> app(args): the same app on a cluster
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, cast

import ray
from fastapi import FastAPI
from ray import serve
from ray.serve.deployment import Application, Deployment

from ai_video.config import Settings, load_settings
from ai_video.pipeline.ray_backend import ray_session
from ai_video.pipeline.runtime import run_clip
from ai_video.serve.app import create_app
from ai_video.serve.execution import execute_job
from ai_video.serve.jobs import JobRecord, JobWithdrawn
from ai_video.serve.sql_store import open_store

log = logging.getLogger(__name__)

APP_NAME = "ai_video"
_WAIT_S = 0.25


@ray.remote(max_retries=0)
def run_job_task(job: JobRecord, settings: Settings) -> str:
    """One attempt of one job, inside a Ray worker: the pipeline plus store bookkeeping."""
    store = open_store(settings.serve)
    try:
        return execute_job(job, settings, store, run_clip).value
    finally:
        store.close()


class RayJobRunner:
    """Starts jobs as Ray tasks, at most ``serve.max_running_jobs`` at a time."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._waiting: deque[JobRecord] = deque()
        self._running: dict[str, tuple[JobRecord, Any]] = {}
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._dispatch, name="job-dispatch", daemon=True)
        self._thread.start()

    def submit(self, job: JobRecord) -> None:
        """Queue a recorded job; it starts when a running slot is free."""
        with self._wake:
            self._waiting.append(job)
            self._wake.notify()

    def cancel(self, job_id: str) -> None:
        """Drop a waiting job, or cancel a running job's task (and its stage tasks)."""
        with self._wake:
            self._waiting = deque(j for j in self._waiting if j.id != job_id)
            running = self._running.get(job_id)
        if running is not None:
            ray.cancel(running[1], recursive=True)

    def close(self) -> None:
        """Stop dispatching and cancel running tasks (their jobs resume on the next start)."""
        with self._wake:
            self._stopped = True
            refs = [ref for _, ref in self._running.values()]
            self._wake.notify()
        for ref in refs:
            ray.cancel(ref, recursive=True)
        self._thread.join(timeout=5)

    def _dispatch(self) -> None:
        while True:
            with self._wake:
                if self._stopped:
                    return
                self._start_waiting()
                refs = [ref for _, ref in self._running.values()]
                if not refs:
                    self._wake.wait(timeout=1.0)
                    continue
            done, _ = ray.wait(refs, num_returns=len(refs), timeout=_WAIT_S)
            for ref in done:
                self._finished(ref)

    def _start_waiting(self) -> None:
        limit = self._settings.serve.max_running_jobs
        cpus = 0 if self._settings.ray.enabled else 1
        while self._waiting and len(self._running) < limit:
            job = self._waiting.popleft()
            task = run_job_task.options(name=f"job-{job.id[:8]}", num_cpus=cpus)
            ref = task.remote(job, self._settings)
            self._running[job.id] = (job, ref)

    def _finished(self, ref: Any) -> None:
        with self._wake:
            job = next((j for j, r in self._running.values() if r == ref), None)
            if job is not None:
                del self._running[job.id]
        if job is None:
            return
        try:
            outcome = ray.get(ref)
            log.info("job %s attempt %d: %s", job.id, job.attempt, outcome)
        except ray.exceptions.TaskCancelledError:
            log.info("job %s attempt %d: cancelled", job.id, job.attempt)
        except ray.exceptions.RayError as exc:
            self._record_crash(job, exc)

    def _record_crash(self, job: JobRecord, exc: BaseException) -> None:
        """A task that died without recording an outcome (worker killed, OOM) fails its job."""
        log.warning("job %s attempt %d: task died: %s", job.id, job.attempt, exc)
        store = open_store(self._settings.serve)
        try:
            store.fail(job.id, job.attempt, f"worker died: {type(exc).__name__}")
        except JobWithdrawn:
            pass  # deleted or re-queued meanwhile: nothing to record
        finally:
            store.close()


@serve.deployment(name="ClipService", num_replicas=1, ray_actor_options={"num_cpus": 0})
@serve.ingress()
class ClipService:
    """Serve ingress: the FastAPI app of serve/app.py with a job store and a Ray runner."""

    def __init__(self, settings: Settings) -> None:
        self._store = open_store(settings.serve)
        self._runner = RayJobRunner(settings)
        self._app = create_app(settings, self._store, self._runner)

    def __serve_build_asgi_app__(self) -> FastAPI:
        """The ASGI app this replica serves."""
        return self._app

    def __del__(self) -> None:
        """Stop the runner and release the store when the replica goes away."""
        self._runner.close()
        self._store.close()


def resolved_settings(settings: Settings) -> Settings:
    """Settings with the data and cache folders made absolute (workers may run elsewhere)."""
    return settings.with_overrides(
        {
            "serve.data_dir": str(Path(settings.serve.data_dir).absolute()),
            "cache.dir": str(Path(settings.cache.dir).absolute()),
        }
    )


def clip_service(settings: Settings) -> Application:
    """The Serve application for ``settings`` (not yet running)."""
    settings = resolved_settings(settings)
    open_store(settings.serve).close()  # fail here, not in the replica, on a bad store URL
    service = cast(Deployment, ClipService)
    deployment = service.options(max_ongoing_requests=settings.serve.max_ongoing_requests)
    return deployment.bind(settings)


def app(args: dict[str, Any] | None = None) -> Application:
    """Application builder for ``serve run``/RayService (``ai_video.pipeline.serving:app``).

    ``args.config_file`` names an optional YAML settings file; ``AI_VIDEO_*`` variables in
    the application's runtime_env apply as everywhere else.
    """
    config_file = (args or {}).get("config_file")
    return clip_service(load_settings(Path(config_file) if config_file else None))


def start_service(settings: Settings) -> str:
    """Start Serve's HTTP proxy and the app on the connected Ray; returns the base URL."""
    serve.start(http_options={"host": settings.serve.host, "port": settings.serve.port})
    serve.run(clip_service(settings), name=APP_NAME, route_prefix="/")
    return f"http://{settings.serve.host}:{settings.serve.port}"


def serve_forever(settings: Settings) -> None:
    """Run the API on a local (loopback) or configured Ray until interrupted."""
    with ray_session(settings):
        url = start_service(settings)
        log.warning("ai_video API and web page at %s/ (Ctrl-C stops)", url)
        try:
            while True:  # short sleeps: Ctrl-C may land on one of Ray's threads, not ours
                time.sleep(_WAIT_S * 4)
        except KeyboardInterrupt:
            pass
        finally:
            serve.shutdown()  # type: ignore[no-untyped-call]
