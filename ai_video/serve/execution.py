"""Running one accepted job: claim it, run the clip pipeline, record the outcome.

This is the part of job execution that does not care where it runs: the Ray runner
(pipeline/serving.py, given serve/deployment.py's parts) calls :func:`execute_job` inside a
Ray task, and :class:`ThreadJobRunner` calls it on a thread when Ray is off. Progress reports become
throttled store writes; a write that finds the job deleted or re-queued stops the run.
"""

from __future__ import annotations

import functools
import logging
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from ai_video.config import Settings
from ai_video.errors import AiVideoError
from ai_video.pipeline.admission import job_controller
from ai_video.pipeline.job_queue import PriorityLine
from ai_video.pipeline.requests import ClipJobFn, ClipJobResult, ClipRequest
from ai_video.serve.jobs import (
    ERROR_INTERNAL,
    Clock,
    JobNotFound,
    JobOutcome,
    JobRecord,
    JobStore,
    JobWithdrawn,
    StageProgress,
)

log = logging.getLogger(__name__)

TOTAL_STAGE = "total"
"""The pipeline's whole-job entry in ``stage_wall_s``; not a stage of its own."""


class JobRunner(Protocol):
    """Starts and stops job execution; the HTTP app only ever talks to this."""

    def submit(self, job: JobRecord) -> None:
        """Queue a recorded job for execution."""
        ...

    def cancel(self, job_id: str) -> None:
        """Stop a job if it is queued or running here (its store row is already withdrawn)."""
        ...


class ExecutionResult(StrEnum):
    """How one execution attempt ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class JobPaths:
    """Where a job's files live inside the data directory."""

    data_dir: Path

    def job_dir(self, job_id: str) -> Path:
        """Everything of one job; DELETE removes this folder."""
        return Path(self.data_dir) / "jobs" / job_id

    def upload_dir(self, job_id: str) -> Path:
        """Where the uploaded video is stored."""
        return self.job_dir(job_id) / "upload"

    def out_dir(self, job_id: str) -> Path:
        """Where the pipeline writes clips and the manifest."""
        return self.job_dir(job_id) / "out"

    def remove(self, job_id: str) -> None:
        """Delete the job's files (a missing folder is fine)."""
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)


class ProgressRecorder:
    """A ProgressFn that stores per-stage progress at most every ``interval_s`` seconds.

    Starting or finishing a stage is always written. Every write checks that this attempt
    still owns the job and raises :class:`JobWithdrawn` otherwise, which stops the pipeline.
    """

    def __init__(
        self,
        store: JobStore,
        job: JobRecord,
        interval_s: float,
        clock: Clock = time.time,
    ) -> None:
        self._store = store
        self._job = job
        self._interval_s = interval_s
        self._clock = clock
        self._stages: dict[str, StageProgress] = {}
        self._last_write = float("-inf")

    @property
    def stages(self) -> tuple[StageProgress, ...]:
        """Progress of every stage seen so far, in order of first report."""
        return tuple(self._stages.values())

    def __call__(self, stage: str, fraction: float) -> None:
        """Record that ``stage`` is ``fraction`` done."""
        now = self._clock()
        fraction = min(1.0, max(0.0, fraction))
        known = self._stages.get(stage)
        started = known is None
        if known is None:
            known = StageProgress(stage, 0.0, now)
        finished = fraction >= 1.0 and known.fraction < 1.0
        # a stage first reported as done has no measured start: its time comes from finish()
        self._stages[stage] = replace(
            known,
            fraction=max(known.fraction, fraction),
            wall_s=now - known.started_at if finished and not started else known.wall_s,
        )
        if started or finished or now - self._last_write >= self._interval_s:
            self.flush()

    def finish(self, stage_wall_s: dict[str, float]) -> None:
        """Mark every stage done with the wall times the pipeline measured, and write."""
        now = self._clock()
        for name, wall_s in stage_wall_s.items():
            if name == TOTAL_STAGE:
                continue
            known = self._stages.get(name, StageProgress(name, 1.0, now - wall_s))
            self._stages[name] = replace(known, fraction=1.0, wall_s=wall_s)
        self.flush()

    def flush(self) -> None:
        """Write the current progress now."""
        self._store.record_progress(self._job.id, self._job.attempt, self.stages)
        self._last_write = self._clock()


def execute_job(
    job: JobRecord,
    settings: Settings,
    store: JobStore,
    run_clip_request: ClipJobFn,
    clock: Clock = time.time,
) -> ExecutionResult:
    """Run one attempt of ``job`` with ``run_clip_request`` and record how it ended in ``store``."""
    paths = JobPaths(settings.serve.data_dir)
    try:
        store.claim(job.id, job.attempt)
        with _lease(store, job, settings.serve.heartbeat_s):
            return _run_claimed(job, settings, store, run_clip_request, clock)
    except JobWithdrawn:
        _remove_if_deleted(store, paths, job.id)
        return ExecutionResult.WITHDRAWN
    except KeyboardInterrupt:  # how Ray delivers a cancellation (DELETE, shutdown)
        _remove_if_deleted(store, paths, job.id)
        raise


@contextmanager
def _lease(store: JobStore, job: JobRecord, every_s: float) -> Iterator[None]:
    """Renew the job's lease every ``every_s`` while the block runs (a thread)."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(every_s):
            try:
                store.heartbeat(job.id, job.attempt)
            except JobWithdrawn:
                return  # the job was deleted or re-queued: the run notices at its next write
            except Exception:  # a store hiccup: the next beat tries again
                log.warning("job %s: lease renewal failed", job.id, exc_info=True)

    beat = threading.Thread(target=renew, name=f"lease-{job.id[:8]}", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join(timeout=every_s + 5)


def _run_claimed(
    job: JobRecord,
    settings: Settings,
    store: JobStore,
    run_clip_request: ClipJobFn,
    clock: Clock,
) -> ExecutionResult:
    """Run a claimed job and record how it ended; raises JobWithdrawn."""
    paths = JobPaths(settings.serve.data_dir)
    job_settings = job.options.apply(settings).with_overrides(
        {"tenant.cache_namespace": job.owner_key_id}
    )
    progress = ProgressRecorder(store, job, settings.serve.progress_interval_s, clock)
    request = ClipRequest(source=job.source, out_dir=paths.out_dir(job.id), video_id=job.id)
    try:
        result = run_clip_request(request, job_settings, progress)
        verify_outputs(result, job_settings)
    except AiVideoError as exc:
        store.fail(job.id, job.attempt, public_error(str(exc), settings), type(exc).__name__)
        return ExecutionResult.FAILED
    except Exception as exc:
        log.exception("job %s failed unexpectedly", job.id)
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        reason = f"internal error: {type(exc).__name__}: {detail}"  # OSError: no file names
        store.fail(job.id, job.attempt, public_error(reason, settings), ERROR_INTERNAL)
        return ExecutionResult.FAILED
    progress.finish(result.stage_wall_s)
    store.complete(job.id, job.attempt, _outcome(result, progress.stages))
    return ExecutionResult.SUCCEEDED


def verify_outputs(result: ClipJobResult, settings: Settings) -> None:
    """Raise unless every clip of ``result`` is a complete file of its planned length."""
    from ai_video.media.verify import verify_clip

    tolerance_s = settings.api_options.clip_duration_tolerance_s
    for clip in result.clips:
        path = result.out_dir / Path(clip.file).name
        verify_clip(path, clip.duration_s, settings.media, tolerance_s)


def public_error(reason: str, settings: Settings) -> str:
    """A job's error as its owner sees it: no server folder in it."""
    folders = (settings.serve.data_dir, settings.cache.dir)
    for folder in {str(p) for f in folders for p in (Path(f).absolute(), f)}:
        reason = reason.replace(folder + "/", "").replace(folder, "…")
    return reason


def _outcome(result: ClipJobResult, stages: tuple[StageProgress, ...]) -> JobOutcome:
    stage_wall_s = dict(result.stage_wall_s) or {
        s.name: s.wall_s for s in stages if s.wall_s is not None
    }
    return JobOutcome(
        clip_count=len(result.clips),
        stage_wall_s=stage_wall_s,
        cache_hits=result.cache_hits,
        cache_misses=result.cache_misses,
    )


def _remove_if_deleted(store: JobStore, paths: JobPaths, job_id: str) -> None:
    """A withdrawn job that no longer exists was deleted: remove what this run wrote."""
    try:
        store.job(job_id)
    except JobNotFound:
        paths.remove(job_id)


class ThreadJobRunner:
    """Runs jobs on threads in this process (serving without Ray): highest priority first,
    as many at once as the admission controller allows (up to ``serve.max_running_jobs``)."""

    def __init__(self, settings: Settings, store: JobStore, run_clip_request: ClipJobFn) -> None:
        self._settings = settings
        self._store = store
        self._run_clip = run_clip_request
        self.admission = job_controller(settings)
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, settings.serve.max_running_jobs), thread_name_prefix="job"
        )
        self._cond = threading.Condition()
        self._waiting: PriorityLine[JobRecord] = PriorityLine()
        self._running: set[str] = set()
        self._stopped = False
        self._dispatcher = threading.Thread(target=self._dispatch, name="job-dispatch", daemon=True)
        self._dispatcher.start()

    def submit(self, job: JobRecord) -> None:
        """Queue a recorded job for execution."""
        with self._cond:
            self._waiting.push(job, job.priority)
            self._cond.notify_all()

    def cancel(self, job_id: str) -> None:
        """Drop a queued job; a running one stops at its next progress write."""
        with self._cond:
            self._waiting.remove(lambda job: job.id == job_id)

    def close(self) -> None:
        """Stop starting jobs, wait for running ones and stop the threads."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._dispatcher.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _dispatch(self) -> None:
        with self._cond:
            while not self._stopped:
                while self._waiting and len(self._running) < self.admission.limit(
                    len(self._waiting), len(self._running)
                ):
                    job = self._waiting.pop()
                    self._running.add(job.id)
                    future = self._pool.submit(
                        execute_job, job, self._settings, self._store, self._run_clip
                    )
                    future.add_done_callback(functools.partial(self._finished, job.id))
                self._cond.wait(timeout=self._settings.admission.interval_s)

    def _finished(self, job_id: str, _future: object) -> None:
        with self._cond:
            self._running.discard(job_id)
            self._cond.notify_all()
