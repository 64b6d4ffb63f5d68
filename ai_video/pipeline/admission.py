"""Adaptive concurrency: how many videos (or renders) may run now, from measured headroom.

:func:`decide_limit` is the whole policy, a pure function (numbers in, limit and reason out).
:class:`AdmissionController` feeds it samples read with psutil (this process tree's RSS
against a configured budget, or the machine's memory; CPU use, or Ray's free CPUs when the
caller passes that probe) plus the caller's queue depth, logs every change, and keeps the
counters that serve/prometheus.py exports. The batch runner and both serve job runners ask
it before starting work: when memory runs short, work waits in the queue instead of
over-subscribing the machine and dying of OOM.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from ai_video.config import AdmissionConfig, Settings

log = logging.getLogger(__name__)

MB = 1024.0 * 1024.0

# reasons of a decision (the label values of ai_video_admission_decisions_total)
MEMORY_OVER = "memory_over"
"""Usage is past the budget minus its reserve: shrink below what runs."""
MEMORY_FULL = "memory_full"
"""Not enough room for one more unit: hold at what runs."""
CPU_BUSY = "cpu_busy"
"""CPU use is above ``cpu_busy_frac``: hold at what runs."""
IDLE = "idle"
"""Nothing waits: keep the limit."""
HEADROOM = "headroom"
"""Room for more: grow by at most ``max_step``."""
AT_MAX = "at_max"
"""Room for more, but the ceiling is reached."""
DISABLED = "disabled"
"""Admission control is off: the ceiling."""
REASONS = (MEMORY_OVER, MEMORY_FULL, CPU_BUSY, IDLE, HEADROOM, AT_MAX, DISABLED)


@dataclass(frozen=True, slots=True)
class LoadSample:
    """One reading of the signals a decision uses (memory in MiB, CPU as 0..1)."""

    memory_used_mb: float
    """What counts against the limit: the process tree's PSS, or the machine's used memory."""
    memory_limit_mb: float
    """The budget, or the machine's total memory."""
    cpu_busy_frac: float
    queued: int
    running: int


@dataclass(frozen=True, slots=True)
class Bounds:
    """Floor and ceiling of a limit (the floor keeps work moving: at least 1)."""

    low: int
    high: int


@dataclass(frozen=True, slots=True)
class Decision:
    """A limit and why."""

    limit: int
    reason: str


def decide_limit(
    sample: LoadSample,
    current: int,
    bounds: Bounds,
    unit_mb: float,
    reserve_frac: float,
    cpu_busy_frac: float,
    max_step: int = 1,
) -> Decision:
    """The concurrency limit for ``sample``: grow into headroom, hold or shrink when short.

    ``unit_mb`` is the footprint of one more unit of work (a video, a render). The limit is
    always within ``bounds``; it grows by at most ``max_step`` per decision so the effect of
    an increase is measured before the next one.
    """
    low, high = bounds.low, max(bounds.low, bounds.high)

    def clamp(n: int) -> int:
        return min(high, max(low, n))

    room_mb = sample.memory_limit_mb * (1.0 - reserve_frac) - sample.memory_used_mb
    if room_mb < 0:
        return Decision(clamp(sample.running - 1), MEMORY_OVER)
    if sample.queued <= 0:
        return Decision(clamp(current), IDLE)
    if sample.running > 0 and sample.cpu_busy_frac > cpu_busy_frac:
        return Decision(clamp(sample.running), CPU_BUSY)
    fits = math.floor(room_mb / unit_mb) if unit_mb > 0 else sample.queued
    if fits <= 0:
        return Decision(clamp(sample.running), MEMORY_FULL)
    wanted = sample.running + min(fits, max_step, sample.queued)
    if wanted > high:
        return Decision(high, AT_MAX)
    return Decision(clamp(wanted), HEADROOM)


def process_tree_memory_mb(pid: int | None = None) -> float:
    """Memory of a process and all its descendants, in MiB: the sum of their proportional
    set sizes (a page shared by k processes counts 1/k in each, so shared pages count once,
    as a memory cgroup charges them; summed RSS counts a forked child's pages twice). RSS
    where PSS is not readable."""
    root = psutil.Process(pid)
    total = 0
    for proc in (root, *root.children(recursive=True)):
        try:
            total += _pss_or_rss(proc)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue  # ended between listing and reading
    return total / MB


def _pss_or_rss(proc: psutil.Process) -> int:
    try:
        return int(proc.memory_full_info().pss)
    except (psutil.AccessDenied, AttributeError):
        return int(proc.memory_info().rss)


@dataclass(frozen=True, slots=True)
class MemoryReading:
    """Memory in use and its limit, in MiB."""

    used_mb: float
    limit_mb: float


def read_memory(budget_mb: float | None) -> MemoryReading:
    """With a budget: this process tree's memory (PSS) against it; without: the machine's
    memory (the container's, when a cgroup v2 memory limit is set: psutil sees the host's)."""
    if budget_mb is not None:
        return MemoryReading(process_tree_memory_mb(), budget_mb)
    vm = psutil.virtual_memory()
    machine = MemoryReading((vm.total - vm.available) / MB, vm.total / MB)
    container = cgroup_memory(CGROUP_DIR)
    if container is not None and container.limit_mb < machine.limit_mb:
        return container
    return machine


CGROUP_DIR = Path("/sys/fs/cgroup")
"""Where a cgroup v2 container sees its own memory.max and memory.current."""


def cgroup_memory(folder: Path) -> MemoryReading | None:
    """The cgroup v2 memory use and limit under ``folder``; None without a numeric limit."""
    try:
        limit = (folder / "memory.max").read_text().strip()
        current = (folder / "memory.current").read_text().strip()
    except OSError:
        return None
    if not (limit.isdigit() and current.isdigit()):
        return None  # "max": no limit set
    return MemoryReading(int(current) / MB, int(limit) / MB)


def psutil_cpu_busy() -> float:
    """Machine CPU use since the previous call, 0..1."""
    return float(psutil.cpu_percent(interval=None)) / 100.0


class AdmissionController:
    """Keeps one adaptive limit (videos in flight, or renders) for one scheduler.

    Call :meth:`limit` with the scheduler's queue depth and running count; it re-decides at
    most every ``interval_s``. Each running unit counts at the larger of the configured
    estimate and the footprint measured per running unit, so a job that has just started
    is charged for what it will grow to.
    """

    def __init__(
        self,
        cfg: AdmissionConfig,
        scope: str,
        bounds: Bounds,
        unit_mb: float,
        cpu_busy: Callable[[], float] = psutil_cpu_busy,
        memory: Callable[[float | None], MemoryReading] = read_memory,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scope = scope
        self._cfg = cfg
        self._bounds = bounds
        self._unit_mb = unit_mb
        self._configured_unit_mb = unit_mb
        self._cpu_busy = cpu_busy
        self._memory = memory
        self._clock = clock
        self._lock = threading.Lock()
        self._limit = bounds.low if cfg.enabled else bounds.high
        self._decided_at = float("-inf")
        self._idle_used_mb: float | None = None
        self.decisions: Counter[str] = Counter()
        self.history: list[tuple[float, int, str]] = []
        """(time, limit, reason) of every change of the limit."""
        self.peak_memory_mb = 0.0

    @property
    def current(self) -> int:
        """The limit last decided."""
        return self._limit

    @property
    def unit_mb(self) -> float:
        """The footprint one more unit is expected to take."""
        return self._unit_mb

    def limit(self, queued: int, running: int) -> int:
        """The limit now (re-decided when ``interval_s`` has passed since the last decision)."""
        with self._lock:
            now = self._clock()
            if now - self._decided_at < self._cfg.interval_s:
                return self._limit
            self._decided_at = now
            decision = self._decide(queued, running)
            self.decisions[decision.reason] += 1
            if decision.limit != self._limit or not self.history:
                log.info(
                    "admission %s: limit %d -> %d (%s; %d running, %d queued)",
                    self.scope, self._limit, decision.limit, decision.reason, running, queued,
                )  # fmt: skip
                self.history.append((now, decision.limit, decision.reason))
            self._limit = decision.limit
            return self._limit

    def _decide(self, queued: int, running: int) -> Decision:
        if not self._cfg.enabled:
            return Decision(self._bounds.high, DISABLED)
        memory = self._memory(self._cfg.memory_budget_mb)
        self.peak_memory_mb = max(self.peak_memory_mb, memory.used_mb)
        self._learn_unit(memory.used_mb, running)
        sample = LoadSample(
            memory_used_mb=self._committed_mb(memory.used_mb, running),
            memory_limit_mb=memory.limit_mb,
            cpu_busy_frac=self._cpu_busy(),
            queued=queued,
            running=running,
        )
        return decide_limit(
            sample,
            self._limit,
            self._bounds,
            self._unit_mb,
            self._cfg.memory_reserve_frac,
            self._cfg.cpu_busy_frac,
            self._cfg.max_step,
        )

    def _learn_unit(self, used_mb: float, running: int) -> None:
        """Idle usage is the baseline; above it, usage per running unit is the footprint
        (never taken below the configured estimate)."""
        if running == 0:
            self._idle_used_mb = used_mb
        elif self._idle_used_mb is not None:
            measured = (used_mb - self._idle_used_mb) / running
            self._unit_mb = max(self._configured_unit_mb, measured)

    def _committed_mb(self, used_mb: float, running: int) -> float:
        """Usage counting every running unit at its full footprint: a unit that just started
        has not grown yet, but will (so admission never races ahead of measurement)."""
        if self._idle_used_mb is None:
            return used_mb
        return max(used_mb, self._idle_used_mb + self._unit_mb * running)


def job_controller(
    settings: Settings, cpu_busy: Callable[[], float] = psutil_cpu_busy
) -> AdmissionController:
    """The adaptive limit of an API's running jobs: ``min_videos`` .. ``serve.max_running_jobs``."""
    cfg = settings.admission
    ceiling = max(1, settings.serve.max_running_jobs)
    bounds = Bounds(min(cfg.min_videos, ceiling), ceiling)
    return AdmissionController(cfg, "jobs", bounds, cfg.video_memory_mb, cpu_busy=cpu_busy)
