"""Where stages run: the Backend interface and the in-process implementation.

A job is written once (pipeline/clip_job.py) against :class:`Backend`. ``submit`` schedules
one :class:`~ai_video.pipeline.stage.Stage` for a job's source; inputs that are handles of
earlier submissions are resolved first. A stage that declares a model kind receives the
model object explicitly: in-process it is built once per backend; on Ray
(pipeline/ray_backend.py) it lives in an actor created once, or is built in the task.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ai_video.config import Settings
from ai_video.pipeline.model_kinds import MODEL_KINDS
from ai_video.pipeline.source import SourceRef
from ai_video.pipeline.stage import Stage, execute_stage
from ai_video.pipeline.stage_metrics import StageContext

T = TypeVar("T")


@dataclass(frozen=True)
class JobScope:
    """What every stage of one job shares: its metrics context, source and settings."""

    ctx: StageContext
    src: SourceRef
    settings: Settings


class Backend(Protocol):
    """Runs stages and plain calls; returns handles that :meth:`get` turns into values."""

    name: str

    def submit(self, stage: Stage[Any], job: JobScope, *inputs: Any) -> Any:
        """Schedule one execution of ``stage`` for ``job`` and return a handle."""
        ...

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        cpus: float = 1.0,
        resources: dict[str, float] | None = None,
    ) -> Any:
        """Schedule a plain, uncached function call (handles in ``args`` resolved first)."""
        ...

    def get(self, handle: Any) -> Any:
        """Wait for a handle (or a list of handles) and return its value(s)."""
        ...

    def close(self) -> None:
        """Release models and workers."""
        ...


class LocalBackend:
    """Runs stages in this process; independent stages overlap on a small thread pool."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool = ThreadPoolExecutor(
            max_workers=settings.ray.local_stage_threads, thread_name_prefix="stage"
        )
        self._models: dict[str, Any] = {}
        self._model_locks = {name: threading.Lock() for name in MODEL_KINDS}
        self._copies: dict[str, threading.BoundedSemaphore] = {}
        self._copies_lock = threading.Lock()

    def submit(self, stage: Stage[Any], job: JobScope, *inputs: Any) -> Future[Any]:
        """Run the stage on the pool once its handle inputs are ready."""
        return self._pool.submit(self._execute, stage, job, inputs)

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        cpus: float = 1.0,
        resources: dict[str, float] | None = None,
    ) -> Future[Any]:
        """Run ``fn`` on the pool once its handle arguments are ready (resources: Ray only)."""
        return self._pool.submit(lambda: fn(*self._resolved(args)))

    def _execute(self, stage: Stage[Any], job: JobScope, inputs: tuple[Any, ...]) -> Any:
        values = self._resolved(inputs)  # before taking a slot: a slot holder never waits
        with self._slot(stage.name):
            kind = stage.wants_model(job.settings)
            if kind is None:
                return execute_stage(stage, job.ctx, job.src, job.settings, None, *values)
            with self._model_locks[kind]:
                if kind not in self._models:
                    self._models[kind] = MODEL_KINDS[kind].build(self._settings)
                model = self._models[kind]
                return execute_stage(stage, job.ctx, job.src, job.settings, model, *values)

    def _slot(self, stage_name: str) -> threading.BoundedSemaphore:
        """At most one copy of a stage per core at once (e.g. the clip renders): more copies
        only share the same cores and each holds its own encoder's memory (issue 15)."""
        with self._copies_lock:
            if stage_name not in self._copies:
                cores = (
                    len(os.sched_getaffinity(0))
                    if hasattr(os, "sched_getaffinity")
                    else (os.cpu_count() or 1)
                )
                self._copies[stage_name] = threading.BoundedSemaphore(max(1, cores))
            return self._copies[stage_name]

    def _resolved(self, args: tuple[Any, ...]) -> list[Any]:
        return [self.get(a) if isinstance(a, Future) else a for a in args]

    def get(self, handle: Any) -> Any:
        """Value of a future, or of each future in a list."""
        if isinstance(handle, list):
            return [self.get(h) for h in handle]
        if isinstance(handle, Future):
            return handle.result()
        return handle

    def close(self) -> None:
        """Stop the worker threads and drop the models."""
        self._pool.shutdown(wait=True)
        self._models.clear()
