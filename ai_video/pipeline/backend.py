"""Where stages run: the Backend interface and the in-process implementation.

A clip job is written once (pipeline/clip_job.py) against :class:`Backend`. ``submit``
schedules a plain stage function; arguments that are handles of earlier submissions are
resolved first. ``model=NAME`` makes the backend pass a long-lived model object (ASR,
text embedder, face detector) as the first argument: in-process the object is created once
per backend; on Ray (pipeline/ray_backend.py) it lives in an actor created once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from ai_video.config import Settings
from ai_video.pipeline.models import MODEL_FACTORIES

T = TypeVar("T")


class Backend(Protocol):
    """Runs stage functions; returns handles that :meth:`get` turns into values."""

    name: str

    def submit(
        self,
        stage: str,
        fn: Callable[..., Any],
        *args: Any,
        model: str | None = None,
        resources: dict[str, float] | None = None,
    ) -> Any:
        """Schedule ``fn(*args)`` (or ``fn(model_obj, *args)``) and return a handle."""
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

    def __init__(self, settings: Settings, max_workers: int = 4) -> None:
        self._settings = settings
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="stage")
        self._models: dict[str, Any] = {}
        self._model_locks: dict[str, threading.Lock] = {
            name: threading.Lock() for name in MODEL_FACTORIES
        }

    def submit(
        self,
        stage: str,
        fn: Callable[..., Any],
        *args: Any,
        model: str | None = None,
        resources: dict[str, float] | None = None,
    ) -> Future[Any]:
        """Run ``fn`` on the pool once its handle arguments are ready."""
        return self._pool.submit(self._call, fn, args, model)

    def _call(self, fn: Callable[..., Any], args: tuple[Any, ...], model: str | None) -> Any:
        values = [self.get(a) if isinstance(a, Future) else a for a in args]
        if model is None:
            return fn(*values)
        with self._model_locks[model]:
            if model not in self._models:
                self._models[model] = MODEL_FACTORIES[model](self._settings)
            return fn(self._models[model], *values)

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
