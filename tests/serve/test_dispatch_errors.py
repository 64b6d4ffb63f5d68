"""The Ray job runner keeps dispatching when recording an outcome in the store fails."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ai_video.config import ServeConfig, Settings
from tests.conftest import RayTestCluster

pytestmark = [pytest.mark.ray]


@dataclass(frozen=True)
class _Job:
    id: str
    attempt: int
    marker_dir: str
    priority: int = 0


class _Store:
    def close(self) -> None:
        pass


def _open_store(cfg: ServeConfig) -> _Store:
    return _Store()


def _execute(job: _Job, settings: Settings, store: Any, run_clip: Any) -> str:
    if job.id == "dies":
        os._exit(1)  # the worker dies: the runner must record a crash
    Path(job.marker_dir, job.id).write_text("ran")
    return "succeeded"


def _record_crash(store: Any, job: Any, reason: str) -> None:
    raise RuntimeError("database is locked")  # the store is unusable right now


def _build_app(settings: Settings, store: Any, runner: Any, node_stats: Any) -> Any:
    raise AssertionError("not used by the runner")


def test_a_store_error_while_recording_a_crash_does_not_stop_dispatching(
    ray_cluster: RayTestCluster, tmp_path: Path
) -> None:
    from ai_video.pipeline.serving import RayJobRunner, ServiceParts

    parts = ServiceParts(_build_app, _open_store, _execute, _record_crash)
    settings = Settings().with_overrides({"serve.max_running_jobs": 1})
    runner = RayJobRunner(settings, parts)
    try:
        runner.submit(_Job("dies", 1, str(tmp_path)))
        runner.submit(_Job("after", 1, str(tmp_path)))
        deadline = time.monotonic() + 120
        while not (tmp_path / "after").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        runner.close()
    assert (tmp_path / "after").read_text() == "ran"
