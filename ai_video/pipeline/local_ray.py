"""Environment that keeps a local Ray 2.60 on 127.0.0.1 (no ray import here).

Ray reads ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER`` when it is first imported; with ``0`` every
port of a local Ray binds to loopback. So the variables must be in place before anything
imports ray, and only when no cluster address is configured (a real cluster keeps its
interface addresses).
"""

from __future__ import annotations

import os

from ai_video.config import RayConfig

LOCAL_RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def wants_local_ray(cfg: RayConfig) -> bool:
    """Whether a job with these settings starts its own Ray (no address configured)."""
    return not (cfg.address or os.environ.get("RAY_ADDRESS"))


def prepare_local_ray_env(cfg: RayConfig) -> None:
    """Set the loopback variables for a local Ray; call before ray is imported."""
    if wants_local_ray(cfg):
        for key, value in LOCAL_RAY_ENV.items():
            os.environ.setdefault(key, value)
