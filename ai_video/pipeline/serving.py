"""The HTTP API on Ray Serve, and the Ray runner that executes its jobs.

This is the only place the FastAPI app of serve/app.py meets Ray: :class:`ClipService` is
the Serve ingress deployment (one replica, no CPU of its own; HTTP on loopback unless the
operator says otherwise), and :class:`RayJobRunner` starts each accepted job as a Ray task
that runs the clip pipeline (whose stages are Ray tasks and actors in turn). At most
``serve.max_running_jobs`` jobs run at once, fewer when memory or CPU headroom is short
(pipeline/admission.py); the rest wait here, highest priority first and FIFO within a
priority, and show as ``queued``. A replica that starts re-queues every unfinished job
(see create_app).

    ai-video serve                 -> serve_forever(settings, parts): local Ray + Serve, blocks
    serve run cluster/serve-config.yaml -> ai_video.serve.deployment:app(args): on a cluster

The HTTP layer (serve/) passes its parts in (:class:`ServiceParts`), so the arrows point one
way: serve/ -> pipeline/.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import ray
from fastapi import FastAPI
from ray import serve
from ray.serve.deployment import Application, Deployment

from ai_video.config import ServeConfig, Settings
from ai_video.pipeline.admission import job_controller, psutil_cpu_busy
from ai_video.pipeline.job_queue import PriorityLine
from ai_video.pipeline.ops_metrics import ray_node_stats
from ai_video.pipeline.priority import apply_job_niceness, job_runtime_env
from ai_video.pipeline.ray_backend import ray_session
from ai_video.pipeline.requests import ClipJobFn
from ai_video.pipeline.runtime import run_clip_request
from ai_video.types import NodeStats

log = logging.getLogger(__name__)

NodeStatsFn = Callable[[float], list[NodeStats]]
"""``node_stats(timeout_s)``: load of every node (pipeline/ops_metrics.py)."""

ServeApplication = Application
"""A built (not yet running) Serve application."""

APP_NAME = "ai_video"
_WAIT_S = 0.25


class QueuedJob(Protocol):
    """What the runner needs of a stored job: its id and attempt number."""

    @property
    def id(self) -> str: ...

    @property
    def attempt(self) -> int: ...

    @property
    def priority(self) -> int: ...


@dataclass(frozen=True)
class ServiceParts:
    """What the HTTP layer (serve/) hands the Ray deployment; pipeline/ never imports serve/.

    Each part is a module-level function, so Ray ships it to workers by reference.
    """

    build_app: Callable[[Settings, Any, Any, NodeStatsFn], FastAPI]
    """``build_app(settings, store, runner, node_stats)``: the FastAPI app of one replica;
    ``node_stats(timeout_s)`` samples every Ray node for the /ops view."""
    open_store: Callable[[ServeConfig], Any]
    """Opens the job store (closed with ``.close()``)."""
    execute: Callable[[Any, Settings, Any, ClipJobFn], str]
    """``execute(job, settings, store, run_clip_request)``: one attempt; returns how it ended."""
    record_crash: Callable[[Any, Any, str], None]
    """``record_crash(store, job, reason)``: a task died before recording its outcome."""


@ray.remote(max_retries=0)
def run_job_task(parts: ServiceParts, job: QueuedJob, settings: Settings) -> str:
    """One attempt of one job, inside a Ray worker: the pipeline plus store bookkeeping."""
    apply_job_niceness()
    store = parts.open_store(settings.serve)
    try:
        return parts.execute(job, settings, store, run_clip_request)
    finally:
        store.close()


def ray_cpu_busy() -> float:
    """Share of the cluster's CPUs held by tasks and actors (psutil's view without Ray)."""
    if not ray.is_initialized():
        return psutil_cpu_busy()
    total = float(ray.cluster_resources().get("CPU", 0.0))  # type: ignore[no-untyped-call]
    free = float(ray.available_resources().get("CPU", 0.0))  # type: ignore[no-untyped-call]
    return 1.0 - free / total if total > 0 else 0.0


class RayJobRunner:
    """Starts jobs as Ray tasks, as many at a time as :func:`job_controller` allows."""

    def __init__(self, settings: Settings, parts: ServiceParts) -> None:
        self._settings = settings
        self._parts = parts
        self.admission = job_controller(settings, ray_cpu_busy)
        self._waiting: PriorityLine[QueuedJob] = PriorityLine()
        self._running: dict[str, tuple[QueuedJob, Any]] = {}
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._dispatch, name="job-dispatch", daemon=True)
        self._thread.start()

    def submit(self, job: QueuedJob) -> None:
        """Queue a recorded job; it starts when a running slot is free."""
        with self._wake:
            self._waiting.push(job, job.priority)
            self._wake.notify()

    def cancel(self, job_id: str) -> None:
        """Drop a waiting job, or cancel a running job's task (and its stage tasks)."""
        with self._wake:
            self._waiting.remove(lambda j: j.id == job_id)
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
                    self._wake.wait(timeout=self._settings.admission.interval_s)
                    continue
            done, _ = ray.wait(refs, num_returns=len(refs), timeout=_WAIT_S)
            for ref in done:
                try:
                    self._finished(ref)
                except Exception:  # a locked/full/unreachable store must not stop dispatching
                    log.warning(
                        "recording a finished job failed; dispatching goes on", exc_info=True
                    )

    def _start_waiting(self) -> None:
        cpus = 0 if self._settings.ray.enabled else 1
        while self._waiting and len(self._running) < self.admission.limit(
            len(self._waiting), len(self._running)
        ):
            job = self._waiting.pop()
            task = run_job_task.options(
                name=f"job-{job.id[:8]}",
                num_cpus=cpus,
                runtime_env=job_runtime_env(self._settings.live_ops.job_niceness),  # issue 15
            )
            ref = task.remote(self._parts, job, self._settings)
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

    def _record_crash(self, job: QueuedJob, exc: BaseException) -> None:
        """A task that died without recording an outcome (worker killed, OOM) fails its job."""
        log.warning("job %s attempt %d: task died: %s", job.id, job.attempt, exc)
        store = self._parts.open_store(self._settings.serve)
        try:
            self._parts.record_crash(store, job, f"worker died: {type(exc).__name__}")
        finally:
            store.close()


@serve.deployment(name="ClipService", num_replicas=1, ray_actor_options={"num_cpus": 0})
@serve.ingress()
class ClipService:
    """Serve ingress: the FastAPI app of serve/app.py with a job store and a Ray runner."""

    def __init__(self, settings: Settings, parts: ServiceParts) -> None:
        self._store = parts.open_store(settings.serve)
        self._runner = RayJobRunner(settings, parts)
        self._app = parts.build_app(settings, self._store, self._runner, ray_node_stats)

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


def clip_service(settings: Settings, parts: ServiceParts) -> Application:
    """The Serve application for ``settings`` (not yet running)."""
    settings = resolved_settings(settings)
    parts.open_store(settings.serve).close()  # fail here, not in the replica, on a bad URL
    service = cast(Deployment, ClipService)
    deployment = service.options(max_ongoing_requests=settings.serve.max_ongoing_requests)
    return deployment.bind(settings, parts)


def start_service(settings: Settings, parts: ServiceParts) -> str:
    """Start Serve's HTTP proxy and the app on the connected Ray; returns the base URL."""
    serve.start(http_options={"host": settings.serve.host, "port": settings.serve.port})
    serve.run(clip_service(settings, parts), name=APP_NAME, route_prefix="/")
    return f"http://{settings.serve.host}:{settings.serve.port}"


def serve_forever(settings: Settings, parts: ServiceParts) -> None:
    """Run the API on a local (loopback) or configured Ray until interrupted."""
    with ray_session(settings):
        url = start_service(settings, parts)
        log.warning("ai_video API and web page at %s/ (Ctrl-C stops)", url)
        try:
            while True:  # short sleeps: Ctrl-C may land on one of Ray's threads, not ours
                time.sleep(_WAIT_S * 4)
        except KeyboardInterrupt:
            pass
        finally:
            serve.shutdown()  # type: ignore[no-untyped-call]
