"""A local Ray of two raylets (``ray.cluster_utils.Cluster``) for the batch benchmark.

The two raylets share this machine's cores (one CPU each by default), so the batch on them
against the batch on one raylet of two CPUs shows what spreading a job's stages and model
actors over nodes costs or gains: object transfers between raylets, actors on one node.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ai_video.pipeline.local_ray import LOCAL_RAY_ENV
from benchmarking.common import stopwatch


@contextmanager
def two_raylets(cpus_each: int = 1) -> Iterator[list[float]]:
    """Two raylets on 127.0.0.1 with ``cpus_each`` CPUs each, connected for the block;
    yields ``[start_s, stop_s]`` (filled as each happens)."""
    os.environ.update(LOCAL_RAY_ENV)
    os.environ.pop("RAY_ADDRESS", None)
    import ray
    from ray.cluster_utils import Cluster

    times = [0.0, 0.0]
    with stopwatch() as started:
        cluster = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": cpus_each, "include_dashboard": False},
        )
        cluster.add_node(num_cpus=cpus_each)
        ray.init(address=cluster.address, logging_level=logging.WARNING, log_to_driver=False)
    times[0] = started[0]
    try:
        yield times
    finally:
        with stopwatch() as stopped:
            ray.shutdown()  # type: ignore[no-untyped-call]
            cluster.shutdown()
        times[1] = stopped[0]
