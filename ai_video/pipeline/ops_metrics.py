"""Per-node load for the /ops view: CPU, memory, GPU and the job tasks running on each node.

Ray's state API needs the dashboard, which a local Ray here runs without, so the numbers are
measured on each node by a zero-CPU probe actor pinned to it (``NodeAffinitySchedulingStrategy``):
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
import threading
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
    node_id: str = "",
    address: str = "",
    raylet_pid: int | None = None,
    cpu_window_s: float | None = _CPU_WINDOW_S,
) -> NodeStats:
    """This machine's CPU (over ``cpu_window_s``, or since the last call when None), memory,
    GPUs and running job tasks (of the raylet ``raylet_pid`` only, when given)."""
    cpu = psutil.cpu_percent(interval=cpu_window_s)
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


@ray.remote(num_cpus=0, max_restarts=0)
class NodeProbe:
    """Lives on one node (a zero-CPU actor) and samples it; CPU use is measured since the last
    sample, so a probe costs no sampling wait and no worker start per snapshot."""

    def __init__(self, node_id: str, address: str) -> None:
        self._node_id = node_id
        self._address = address
        self._raylet_pid = _raylet_pid()
        psutil.cpu_percent(interval=None)  # starts the CPU window

    def sample(self) -> NodeStats:
        """This node's figures now."""
        return sample_local_node(self._node_id, self._address, self._raylet_pid, None)


def _raylet_pid() -> int | None:
    """The pid of the raylet this worker belongs to (its nearest ``raylet`` ancestor)."""
    for parent in psutil.Process().parents():
        with contextlib.suppress(psutil.Error):
            if parent.name() == "raylet":
                return int(parent.pid)
    return None


_probes: dict[str, Any] = {}
"""Node id -> its NodeProbe handle, owned by the process that asks (the Serve replica)."""
_probes_lock = threading.Lock()


def ray_node_stats(timeout_s: float) -> list[NodeStats]:
    """Every alive node of the connected Ray, sampled on the node (no figures if it is late)."""
    known: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
    nodes = [n for n in known if n.get("Alive")]
    with _probes_lock:
        for gone in set(_probes) - {n["NodeID"] for n in nodes}:
            del _probes[gone]  # the actor ends with its last handle
        for node in nodes:
            if node["NodeID"] not in _probes:
                where = NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
                probe = NodeProbe.options(scheduling_strategy=where)  # type: ignore[attr-defined]
                _probes[node["NodeID"]] = probe.remote(
                    node["NodeID"], node.get("NodeManagerAddress", "")
                )
        refs = {n["NodeID"]: _probes[n["NodeID"]].sample.remote() for n in nodes}
    ready, _late = ray.wait(list(refs.values()), num_returns=len(refs), timeout=timeout_s)
    answers: dict[str, NodeStats] = {}
    for node_id, ref in refs.items():
        if ref in ready:
            try:
                answers[node_id] = ray.get(ref)
            except ray.exceptions.RayActorError:  # the probe died (its node, OOM): a new one next
                with _probes_lock:
                    _probes.pop(node_id, None)
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
