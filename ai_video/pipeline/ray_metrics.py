"""Stage counters exported through ``ray.util.metrics`` (Ray dashboard / Prometheus)."""

from __future__ import annotations

import functools
from typing import Any

_BOUNDARIES_S = [0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0]


@functools.lru_cache(maxsize=1)
def _instruments() -> tuple[Any, Any, Any]:
    """Created once per worker process (Ray metrics must not be redefined)."""
    from ray.util.metrics import Counter, Histogram

    runs = Counter(
        "ai_video_stage_runs",
        description="Stage executions.",
        tag_keys=("stage", "cache_hit", "ok"),
    )
    seconds = Histogram(
        "ai_video_stage_seconds",
        description="Stage wall time in seconds.",
        boundaries=_BOUNDARIES_S,
        tag_keys=("stage",),
    )
    out_bytes = Counter(
        "ai_video_stage_output_bytes", description="Bytes written by stages.", tag_keys=("stage",)
    )
    return runs, seconds, out_bytes


def export_stage(stage: str, wall_s: float, cache_hit: bool, ok: bool, output_bytes: int) -> None:
    """Count one stage execution in the Ray metrics."""
    runs, seconds, out_bytes = _instruments()
    runs.inc(1.0, tags={"stage": stage, "cache_hit": str(cache_hit).lower(), "ok": str(ok).lower()})
    seconds.observe(wall_s, tags={"stage": stage})
    if output_bytes:
        out_bytes.inc(float(output_bytes), tags={"stage": stage})
