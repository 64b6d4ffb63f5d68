"""In-process, a stage runs at most one copy per core at once (the clip renders: each copy
is an encoder holding its own memory, and more copies than cores only share the cores)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from ai_video.config import Settings
from ai_video.pipeline.backend import JobScope, LocalBackend
from ai_video.pipeline.source import open_source
from ai_video.pipeline.stage import Stage
from ai_video.pipeline.stage_metrics import new_stage_context


def test_copies_of_one_stage_never_outnumber_the_cores(lavfi_clip: Path, tmp_path: Path) -> None:
    running, most = [0], [0]
    lock = threading.Lock()

    def produce(out: Path, src: object, settings: Settings, model: None, n: int) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        (out / "n.txt").write_text(str(n))

    stage = Stage[int](
        name="slot_probe",
        version=1,
        produce=produce,
        load=lambda entry: int((entry / "n.txt").read_text()),
        keyed_inputs=True,
    )
    settings = Settings().with_overrides(
        {"cache.enabled": False, "ray.enabled": False, "ray.local_stage_threads": 8}
    )
    src = open_source(str(lavfi_clip), tmp_path, settings)
    job = JobScope(new_stage_context(settings.cache, "v", tmp_path, tmp_path), src, settings)
    backend = LocalBackend(settings)
    try:
        values = backend.get([backend.submit(stage, job, n) for n in range(8)])
    finally:
        backend.close()
    assert values == list(range(8))
    assert most[0] == min(len(os.sched_getaffinity(0)), 8), most[0]
