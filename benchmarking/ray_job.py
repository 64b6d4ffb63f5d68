"""``python -m benchmarking all --address ADDR``: the same run submitted as a Ray job.

The checkout is uploaded as the job's working directory (results, virtualenv and git data
left out) and the job runs ``python -m benchmarking all --in-ray-job ...`` on the cluster,
which records the cluster's nodes (``ray.nodes()``: counts per node type, CPUs, GPUs,
memory) in ``summary.md`` and ``cluster.json`` before running the suites. ``--out`` and
``--media`` are passed as absolute paths: on a multi-node cluster they must be on a
filesystem every node mounts (cluster/README.md). With token authentication on the cluster,
set ``RAY_AUTH_MODE=token`` as for ``ray job submit``.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

from benchmarking.common import RESULTS_ROOT, ROOT
from benchmarking.datasets import default_media_root

EXCLUDES = [".git", ".venv", "out", "runs", "benchmarking/results", ".mypy_cache", ".ruff_cache",
            ".pytest_cache", "*.mp4", "*.wav", "*.mov"]  # fmt: skip
SUBMIT_TRIES = 30
"""A fresh head answers 'No available agent' until its job agent is up: retry every POLL_S."""
POLL_S = 2.0
TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED"}


def entrypoint(args: argparse.Namespace) -> str:
    """The job's command line: ``all`` with the same choices, absolute folders."""
    out = (args.out or RESULTS_ROOT).resolve()
    media = (args.media or default_media_root()).resolve()
    cmd = ["python -m benchmarking all --in-ray-job", f"--out {out}", f"--media {media}"]
    cmd += ["--quick"] if args.quick else []
    cmd += [f"--only {args.only}"] if args.only else []
    cmd += [f"--skip {args.skip}"] if args.skip else []
    cmd += [f"--timeout-s {args.timeout_s}"] if args.timeout_s else []
    return " ".join(cmd)


def submit_and_wait(args: argparse.Namespace, timeout_s: float = 7200.0) -> int:
    """Submit the run to the Ray dashboard at ``args.address``, stream its end state; 0 on
    SUCCEEDED."""
    from ray.job_submission import JobSubmissionClient

    client = JobSubmissionClient(args.address)
    runtime_env = {
        "working_dir": str(ROOT),
        "excludes": EXCLUDES,
        "env_vars": {"RAY_USAGE_STATS_ENABLED": "0"},
    }
    for attempt in range(SUBMIT_TRIES):
        try:
            job_id = client.submit_job(entrypoint=entrypoint(args), runtime_env=runtime_env)
            break
        except RuntimeError as error:
            if "No available agent" not in str(error) or attempt == SUBMIT_TRIES - 1:
                raise
            time.sleep(POLL_S)
    print(f"submitted Ray job {job_id} to {args.address}", flush=True)
    deadline = time.monotonic() + timeout_s
    status = str(client.get_job_status(job_id))
    while status.split(".")[-1] not in TERMINAL and time.monotonic() < deadline:
        time.sleep(POLL_S)
        status = str(client.get_job_status(job_id))
    print(client.get_job_logs(job_id))
    state = status.split(".")[-1]
    print(f"Ray job {job_id}: {state}")
    if state not in TERMINAL:
        client.stop_job(job_id)
    return 0 if state == "SUCCEEDED" else 1


def cluster_nodes() -> dict[str, Any]:
    """The cluster this job runs on: one row per node type with its count and resources."""
    import ray

    ray.init(address="auto", log_to_driver=False)
    try:
        alive = [n for n in ray.nodes() if n.get("Alive")]  # type: ignore[no-untyped-call]
    finally:
        ray.shutdown()
    kinds: Counter[tuple[str, float, float, float]] = Counter()
    for node in alive:
        res = node.get("Resources", {})
        head = any(k.startswith("node:__internal_head__") for k in res)
        labels = node.get("Labels") or {}
        kind = labels.get("ray.io/node-group") or ("head" if head else "worker")
        memory_gib = round(float(res.get("memory", 0.0)) / 1024**3, 1)
        kinds[(kind, float(res.get("CPU", 0.0)), float(res.get("GPU", 0.0)), memory_gib)] += 1
    rows = [
        {"node_type": k[0], "count": n, "cpus": k[1], "gpus": k[2], "memory_gib": k[3]}
        for k, n in sorted(kinds.items())
    ]
    return {"nodes": rows, "total_nodes": len(alive)}
