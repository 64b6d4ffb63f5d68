"""The render gate: renders wait for a slot of the adaptive limit; other stages pass straight."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ai_video.config import AdmissionConfig
from ai_video.pipeline.admission import AdmissionController, Bounds, MemoryReading
from ai_video.pipeline.render_gate import GatedBackend, ResizableGate


@dataclass(frozen=True)
class Named:
    """Just what the gate reads of a stage: its name."""

    name: str


class CountingBackend:
    """Runs every submission on threads for 0.2 s, counting how many run at once per name."""

    name = "counting"

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=8)
        self._lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}

    def _work(self, name: str, value: Any) -> Any:
        with self._lock:
            self.now[name] = self.now.get(name, 0) + 1
            self.most[name] = max(self.most.get(name, 0), self.now[name])
        time.sleep(0.2)
        with self._lock:
            self.now[name] -= 1
        return value

    def submit(self, stage: Any, job: Any, *inputs: Any) -> Future[Any]:
        return self._pool.submit(self._work, stage.name, inputs[0])

    def call(self, fn: Callable[..., Any], *args: Any, cpus: float = 1.0,
             resources: dict[str, float] | None = None) -> Any:  # fmt: skip
        return self._pool.submit(fn, *args)

    def get(self, handle: Any) -> Any:
        return handle.result() if isinstance(handle, Future) else handle

    def close(self) -> None:
        self._pool.shutdown()


def test_renders_run_at_most_the_gates_limit_and_other_stages_are_not_gated() -> None:
    # each running render is charged 300 MiB over the idle 3000: 3600 usable leaves room for 2
    cfg = AdmissionConfig(memory_budget_mb=4_000, interval_s=0.01, max_step=4)
    renders = AdmissionController(
        cfg, "renders", Bounds(1, 4), 300, cpu_busy=lambda: 0.0,
        memory=lambda budget: MemoryReading(3_000, budget or 0.0),
    )  # fmt: skip
    inner = CountingBackend()
    gated = GatedBackend(inner, ResizableGate(renders), frozenset({"render"}))
    render_handles = [gated.submit(Named("render"), None, i) for i in range(6)]
    other_handles = [gated.submit(Named("visuals"), None, i) for i in range(4)]
    assert gated.get(render_handles) == list(range(6))
    assert gated.get(other_handles) == list(range(4))
    gated.close()
    inner.close()
    assert inner.most["render"] == 2
    assert inner.most["visuals"] == 4
    assert renders.current == 2
