"""Render parallelism that follows headroom: a backend wrapper that gates render stages.

:class:`GatedBackend` passes every stage to the wrapped backend, except renders: those wait
for a slot of a :class:`ResizableGate`, whose size an
:class:`~ai_video.pipeline.admission.AdmissionController` re-decides from memory/CPU headroom
and the number of renders waiting. Works on the in-process and the Ray backend alike (the
slot is held from submission until the render's value is back).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ai_video.pipeline.admission import AdmissionController
from ai_video.pipeline.backend import Backend, JobScope
from ai_video.pipeline.stage import Stage

_RECHECK_S = 0.5


class ResizableGate:
    """A counting gate whose size comes from an admission controller at each entry."""

    def __init__(self, controller: AdmissionController) -> None:
        self.controller = controller
        self._cond = threading.Condition()
        self._inside = 0
        self._waiting = 0
        self.peak_inside = 0

    def enter(self) -> None:
        """Block until the number inside is below the current limit, then take a slot."""
        with self._cond:
            self._waiting += 1
            try:
                while self._inside >= self.controller.limit(self._waiting, self._inside):
                    self._cond.wait(timeout=_RECHECK_S)
            finally:
                self._waiting -= 1
            self._inside += 1
            self.peak_inside = max(self.peak_inside, self._inside)

    def leave(self) -> None:
        """Give a slot back."""
        with self._cond:
            self._inside -= 1
            self._cond.notify_all()


class GatedBackend:
    """A Backend whose ``gated`` stages (renders) pass a :class:`ResizableGate` first."""

    def __init__(self, inner: Backend, gate: ResizableGate, gated: frozenset[str]) -> None:
        self.name = inner.name
        self._inner = inner
        self._gate = gate
        self._gated = gated
        self._waiters = ThreadPoolExecutor(max_workers=32, thread_name_prefix="gate")

    def submit(self, stage: Stage[Any], job: JobScope, *inputs: Any) -> Any:
        """Submit ``stage``; a gated one is submitted once a slot is free (a Future)."""
        if stage.name not in self._gated:
            return self._inner.submit(stage, job, *inputs)
        return self._waiters.submit(self._run_gated, stage, job, inputs)

    def _run_gated(self, stage: Stage[Any], job: JobScope, inputs: tuple[Any, ...]) -> Any:
        self._gate.enter()
        try:
            return self._inner.get(self._inner.submit(stage, job, *inputs))
        finally:
            self._gate.leave()

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        cpus: float = 1.0,
        resources: dict[str, float] | None = None,
    ) -> Any:
        """Pass a plain call through."""
        return self._inner.call(fn, *args, cpus=cpus, resources=resources)

    def get(self, handle: Any) -> Any:
        """Value of a gated Future, or whatever the wrapped backend resolves."""
        if isinstance(handle, list):
            return [self.get(h) for h in handle]
        if isinstance(handle, Future):  # a gated render, or a local backend's own handle
            return handle.result()
        return self._inner.get(handle)

    def close(self) -> None:
        """Stop the waiter threads (the wrapped backend is its owner's to close)."""
        self._waiters.shutdown(wait=True)
