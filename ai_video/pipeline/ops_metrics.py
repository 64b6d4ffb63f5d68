"""Per-node load for the /ops view: CPU, memory, GPU and the job tasks running on each node.

Ray's state API needs the dashboard, which a local Ray here runs without, so the numbers are
measured on each node by a zero-CPU probe task pinned to it (``NodeAffinitySchedulingStrategy``):
psutil for CPU and memory, NVML (the copy Ray itself uses) for GPUs, and the process table for
job tasks (Ray titles a worker process ``ray::<task name>``; serving.py names job tasks
``job-<first 8 id digits>``; only worker processes of the probed node's raylet count, since
several raylets can share a machine). The node list comes from the GCS (``ray.nodes()``), so
a node that does not answer in time still shows, without figures. serve/ gets
:func:`ray_node_stats` through :class:`~ai_video.pipeline.serving.ServiceParts` and never
imports ray; :func:`sample_local_node` serves the same view of this machine without Ray.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import socket
from typing import Any

import psutil
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from ai_video.types import NodeStats

JOB_TASK_PREFIX = "job-"
"""Job tasks are named ``job-<first 8 hex digits of the job id>`` (see serving.py)."""
_JOB_TITLE = re.compile(r"^ray::" + JOB_TASK_PREFIX + r"([0-9a-f]{8})\b")
_CPU_WINDOW_S = 0.25


def running_job_ids(raylet_pid: int | None = None) -> tuple[str, ...]:
    """Short ids of the job tasks running here: on this machine, or (``raylet_pid``) in worker
    processes of that raylet only (several raylets may share one machine)."""
    found: set[str] = set()
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        match = _JOB_TITLE.match(" ".join(cmdline)) if cmdline else None
        if match and (raylet_pid is None or _descends_from(proc, raylet_pid)):
            found.add(match.group(1))
    return tuple(sorted(found))


def _descends_from(proc: psutil.Process, ancestor_pid: int) -> bool:
    """Whether ``ancestor_pid`` is a parent of ``proc`` (at any depth)."""
    try:
        return any(parent.pid == ancestor_pid for parent in proc.parents())
    except psutil.Error:  # the process ended meanwhile
        return False


def _gpu_figures() -> tuple[int, float | None, int | None, int | None]:
    """GPU count, mean utilization %, memory used and total (bytes), via NVML when present."""
    try:
        nvml: Any = importlib.import_module("ray._private.thirdparty.pynvml")
        nvml.nvmlInit()
    except Exception:  # no NVML library or no driver: no GPU figures
        return 0, None, None, None
    try:
        handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
        if not handles:
            return 0, None, None, None
        util = [float(nvml.nvmlDeviceGetUtilizationRates(h).gpu) for h in handles]
        memory = [nvml.nvmlDeviceGetMemoryInfo(h) for h in handles]
        used = sum(int(m.used) for m in memory)
        total = sum(int(m.total) for m in memory)
        return len(handles), sum(util) / len(util), used, total
    finally:
        nvml.nvmlShutdown()


def sample_local_node(
    node_id: str = "", address: str = "", raylet_pid: int | None = None
) -> NodeStats:
    """This machine's CPU (over a short window), memory, GPUs and running job tasks (of the
    raylet ``raylet_pid`` only, when given)."""
    cpu = psutil.cpu_percent(interval=_CPU_WINDOW_S)
    memory = psutil.virtual_memory()
    gpus, gpu_pct, gpu_used, gpu_total = _gpu_figures()
    return NodeStats(
        node_id=node_id or socket.gethostname(),
        address=address or "127.0.0.1",
        cpu_count=psutil.cpu_count() or 0,
        cpu_percent=cpu,
        memory_used_bytes=int(memory.total - memory.available),
        memory_total_bytes=int(memory.total),
        gpu_count=gpus,
        gpu_percent=gpu_pct,
        gpu_memory_used_bytes=gpu_used,
        gpu_memory_total_bytes=gpu_total,
        running_jobs=running_job_ids(raylet_pid),
    )


@ray.remote(num_cpus=0, max_retries=0)
def _probe(node_id: str, address: str) -> NodeStats:
    """Runs in a worker process, started (directly or not) by its node's raylet."""
    return sample_local_node(node_id, address, raylet_pid=_raylet_pid())


def _raylet_pid() -> int | None:
    """The pid of the raylet this worker belongs to (its nearest ``raylet`` ancestor)."""
    for parent in psutil.Process().parents():
        with contextlib.suppress(psutil.Error):
            if parent.name() == "raylet":
                return int(parent.pid)
    return None


def ray_node_stats(timeout_s: float) -> list[NodeStats]:
    """Every alive node of the connected Ray, sampled on the node (no figures if it is late)."""
    known: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
    nodes = [n for n in known if n.get("Alive")]
    refs = [
        _probe.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False),
            name="ops-probe",
        ).remote(n["NodeID"], n.get("NodeManagerAddress", ""))
        for n in nodes
    ]
    ready, late = ray.wait(refs, num_returns=len(refs), timeout=timeout_s)
    for ref in late:
        ray.cancel(ref, force=True)
    answers: dict[str, NodeStats] = {}
    for stats in ray.get(ready):
        answers[stats.node_id] = stats
    return [answers.get(n["NodeID"]) or _silent(n) for n in nodes]


def _silent(node: dict[str, Any]) -> NodeStats:
    """A node that did not answer in time: what the GCS knows of it, no figures."""
    resources = node.get("Resources", {})
    return NodeStats(
        node_id=str(node["NodeID"]),
        address=str(node.get("NodeManagerAddress", "")),
        cpu_count=int(resources.get("CPU", 0)),
        cpu_percent=None,
        memory_used_bytes=None,
        memory_total_bytes=None,
        gpu_count=int(resources.get("GPU", 0)),
    )
