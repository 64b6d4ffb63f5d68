"""API jobs run with the caller's cache namespace, so tenants never share stage-cache entries."""

from __future__ import annotations

from pathlib import Path

from ai_video.config import ServeConfig, Settings
from ai_video.pipeline.requests import ClipJobResult, ClipRequest, ProgressFn
from ai_video.pipeline.source import open_source
from ai_video.serve.execution import ExecutionResult, execute_job
from ai_video.serve.jobs import JobOptions, JobRecord, JobState, new_id
from ai_video.serve.sql_store import open_store
from tests.conftest import make_lavfi_clip


def test_each_job_runs_in_its_owners_namespace_and_fingerprints_differ(tmp_path: Path) -> None:
    store = open_store(ServeConfig(data_dir=tmp_path))
    settings = Settings().with_overrides({"serve.data_dir": str(tmp_path), "ray.enabled": False})
    clip = make_lavfi_clip(tmp_path / "talk.mp4", duration_s=1.0, size="160x120")
    fingerprints: dict[str, str] = {}

    def open_only(request: ClipRequest, job_settings: Settings, _p: ProgressFn) -> ClipJobResult:
        """Stops after the source step: its fingerprint is what every cache key starts from."""
        src = open_source(request.source, tmp_path / "work", job_settings)
        fingerprints[job_settings.tenant.cache_namespace] = src.fingerprint
        raise_stop()
        raise AssertionError("unreachable")

    try:
        for name in ("alice", "bob"):
            key = store.add_key(name, new_id() + new_id())
            job = JobRecord(
                new_id(), key.id, JobState.QUEUED, str(clip), "t.mp4", JobOptions(), 1.0
            )
            store.add_job(job)
            assert execute_job(job, settings, store, open_only) is ExecutionResult.FAILED
    finally:
        store.close()
    assert len(fingerprints) == 2 and "" not in fingerprints
    assert len(set(fingerprints.values())) == 2  # same file, separate cache identities
    local = open_source(str(clip), tmp_path / "work", settings).fingerprint
    assert local not in fingerprints.values()


def raise_stop() -> None:
    from ai_video.errors import InputError

    raise InputError("stopped after the source step (test)")
