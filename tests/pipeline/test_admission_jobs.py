"""Adaptive concurrency on real jobs: with a memory budget, every submitted job finishes, the
process tree's peak RSS (sampled with psutil) stays under the budget, and the limit moves.

Jobs run the real clip pipeline on threads (the API's runner without Ray), each building its
own models: the controller has to charge a job that just started for what it will grow to.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ai_video.config import Settings
from ai_video.pipeline.admission import process_tree_memory_mb
from ai_video.pipeline.runtime import run_clip_request
from ai_video.serve.execution import ThreadJobRunner
from ai_video.serve.jobs import JobOptions, JobRecord, JobState, new_id
from ai_video.serve.prometheus import metrics_text
from ai_video.serve.sql_store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.media]

SOURCE = "talking/sadtalker_WDA_KatieHill_000.mp4"
JOBS = 3


class PeakSampler:
    """Samples this process tree's RSS every 50 ms in a thread; keeps the peak (MiB)."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, process_tree_memory_mb())
            time.sleep(0.05)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


JOB_MB = 1500.0
"""One cold job's footprint (its models, frames, ffmpeg) as the controller is told: measured
here as about 1.4 GiB of PSS for a first job (a second in the same process adds less: the
model files' pages are shared)."""
RESERVE = 0.1


@pytest.fixture
def budget_mb() -> float:
    """Room for two jobs, not three, on top of what this process holds now (and a reserve)."""
    return (process_tree_memory_mb() + 2 * JOB_MB) / (1 - RESERVE) + 100


def test_jobs_queue_under_a_memory_budget_and_all_finish(
    media: Path, tmp_path: Path, budget_mb: float
) -> None:
    settings = Settings().with_overrides(
        {
            "ray.enabled": False,
            "serve.data_dir": str(tmp_path / "data"),
            "serve.max_running_jobs": JOBS,
            "cache.dir": str(tmp_path / "cache"),
            "curate.max_clips": 1,
            "curate.min_s": 2.0,
            "curate.max_s": 4.0,
            "platforms.tiktok.width_px": 360,
            "platforms.tiktok.height_px": 640,
            "render.x264_preset": "ultrafast",
            "admission.memory_budget_mb": budget_mb,
            "admission.video_memory_mb": JOB_MB,
            "admission.memory_reserve_frac": RESERVE,
            "admission.cpu_busy_frac": 1.0,  # a shared test machine is always busy: memory only
            "admission.interval_s": 0.5,
        }
    )
    store = open_store(settings.serve)
    # one key (so one cache namespace) per job: every job does the full, cold work
    keys = [store.add_key(f"k{i}", f"{i}" * 64) for i in range(JOBS)]
    jobs = [
        JobRecord(new_id(), key.id, JobState.QUEUED, str(media / SOURCE), "talk.mp4",
                  JobOptions(), time.time())
        for key in keys
    ]  # fmt: skip
    runner = ThreadJobRunner(settings, store, run_clip_request)
    try:
        with PeakSampler() as sampler:
            for job in jobs:
                store.add_job(job)
                runner.submit(job)
            deadline = time.monotonic() + 300
            while (
                store.state_counts()[JobState.SUCCEEDED] + store.state_counts()[JobState.FAILED]
                < JOBS
            ):
                assert time.monotonic() < deadline, store.state_counts()
                time.sleep(0.5)
        history = runner.admission.history
        done = [store.job(j.id) for j in jobs]
        assert [j.state for j in done] == [JobState.SUCCEEDED] * JOBS
        assert sampler.peak_mb < budget_mb, (sampler.peak_mb, budget_mb)
        # the limit grew from 1 to 2 as the measured headroom allowed, and stopped there
        assert [limit for _, limit, _ in history] == [1, 2]
        assert runner.admission.decisions["memory_full"] > 0
        assert _most_at_once(done) == 2  # the third job waited although 3 slots exist
        text = metrics_text(store, settings.serve.stage_duration_buckets_s, runner).decode()
        assert 'ai_video_admission_limit{scope="jobs"}' in text
    finally:
        runner.close()
        store.close()


def _most_at_once(jobs: list[JobRecord]) -> int:
    """Largest number of jobs whose [started_at, finished_at] intervals overlap."""
    edges = sorted(
        [(j.started_at or 0.0, 1) for j in jobs] + [(j.finished_at or 0.0, -1) for j in jobs]
    )
    running = most = 0
    for _, change in edges:
        running += change
        most = max(most, running)
    return most
