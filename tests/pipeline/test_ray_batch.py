"""The batch on real Ray: two raylets on 127.0.0.1, a killed worker, a killed driver, bad rows."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
import pytest
import yaml

from ai_video.config import Settings
from ai_video.pipeline.runtime import run_batch_list
from ai_video.pipeline.stage_metrics import read_rows
from tests.conftest import RayTestCluster

pytestmark = [pytest.mark.ray, pytest.mark.media, pytest.mark.slow]

SHORT_VIDEOS = [
    "talking/real3dportrait_May_5s.mp4",
    "talking/sadtalker_WDA_KatieHill_000.mp4",
    "talking/grid/brbk7n.mpg",
    "talking/grid/lbax4n.mpg",
]
OPTIONS = {"curate": {"max_clips": 1, "min_s": 1.0, "max_s": 6.0}}


def _manifest(tmp: Path, media: Path, extra: list[str] | None = None) -> Path:
    sources = [str(media / v) for v in SHORT_VIDEOS] + (extra or [])
    path = tmp / "videos.csv"
    pl.DataFrame({"source": sources}).write_csv(path)
    return path


def _settings(cache_dir: Path, **ray_opts: object) -> Settings:
    return Settings().with_overrides(
        {
            "curate.max_clips": 1,
            "curate.min_s": 1.0,
            "curate.max_s": 6.0,
            "cache.dir": str(cache_dir),
            "ray.max_concurrent_videos": 2,
            **{f"ray.{k}": v for k, v in ray_opts.items()},
        }
    )


def test_two_node_batch_places_renders_and_records_bad_rows(
    ray_cluster: RayTestCluster, media: Path, tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_text("not a video at all")
    manifest = _manifest(tmp_path, media, [str(corrupt)])
    out = tmp_path / "run"
    settings = _settings(tmp_path / "cache", render_resources={"render_node": 1})
    results = pl.read_parquet(run_batch_list(manifest, out, settings))

    assert results.height == 5
    failed = results.filter(pl.col("status") == "failed")
    assert failed["source"].to_list() == [str(corrupt)]
    assert failed["error_class"][0] == "InputError"
    assert "not a readable media file" in failed["message"][0]
    ok = results.filter(pl.col("status") == "succeeded")
    assert ok.height == 4 and ok["clips"].sum() >= 3
    for row in ok.iter_rows(named=True):
        assert (Path(row["out_dir"]) / "manifest.json").is_file()

    rows = read_rows(out)
    assert rows["node"].n_unique() == 2, "work ran on both raylets"
    render_nodes = set(rows.filter(pl.col("stage") == "render")["node"].to_list())
    assert render_nodes == {ray_cluster.worker_node_id[:16]}
    assert set(rows["stage"].unique()) >= {"audio", "transcribe", "visuals", "curate", "render"}


def _running_task_pid(names: set[str]) -> int | None:
    """PID of a Ray worker busy with one of the named tasks (its title is ``ray::NAME``)."""
    import psutil

    for proc in psutil.process_iter(["pid", "cmdline"]):
        title = " ".join(proc.info["cmdline"] or [])
        if any(title.startswith(f"ray::{name}") for name in names):
            return int(proc.info["pid"])
    return None


def test_batch_survives_a_killed_worker(
    ray_cluster: RayTestCluster, media: Path, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path, media)
    out = tmp_path / "run"
    settings = _settings(tmp_path / "cache")
    killed: list[int] = []

    def killer() -> None:
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            pid = _running_task_pid({"visuals", "render", "audio", "speech"})
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.2)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    results = pl.read_parquet(run_batch_list(manifest, out, settings))
    thread.join(timeout=5)
    assert killed, "a running stage worker was killed"
    assert results.height == 4
    assert results["status"].to_list() == ["succeeded"] * 4


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_resume_after_driver_sigkill(
    ray_cluster: RayTestCluster, media: Path, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path, media)
    out = tmp_path / "run"
    config = tmp_path / "settings.yaml"
    config.write_text(yaml.safe_dump({**OPTIONS, "ray": {"max_concurrent_videos": 1}}))
    env = {**os.environ, "AI_VIDEO_CACHE__DIR": str(tmp_path / "cache")}
    cmd = [
        sys.executable,
        "-m",
        "ai_video.cli",
        "batch",
        str(manifest),
        "--out",
        str(out),
        "--address",
        ray_cluster.address,
        "--config",
        str(config),
    ]

    driver = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and not list(out.glob("*/manifest.json")):
        assert driver.poll() is None, driver.stderr.read() if driver.stderr else ""
        time.sleep(0.2)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    killed_at = time.time()
    finished = {
        p.parent.name: _sha(p.parent / "clip_01.mp4")
        for p in out.glob("*/manifest.json")
        if (p.parent / "clip_01.mp4").exists()
    }
    assert finished, "at least one video finished before the kill"
    first = read_rows(out)
    completed = {
        (r["video_id"], r["stage"]) for r in first.filter(pl.col("ok")).iter_rows(named=True)
    }

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=400)
    assert rerun.returncode == 0, rerun.stderr
    second = read_rows(out).filter(pl.col("start") > killed_at)
    recomputed = [
        (r["video_id"], r["stage"])
        for r in second.iter_rows(named=True)
        if (r["video_id"], r["stage"]) in completed and not r["cache_hit"]
    ]
    assert recomputed == [], f"completed stages ran again: {recomputed}"
    assert second["cache_hit"].sum() >= len(completed)
    for video_id, digest in finished.items():
        assert _sha(out / video_id / "clip_01.mp4") == digest
    results = pl.read_parquet(out / "results.parquet")
    assert results.height == 4 and results["status"].to_list() == ["succeeded"] * 4


def test_a_render_worker_killed_mid_render_is_retried_and_the_clip_is_whole(
    ray_cluster: RayTestCluster, media: Path, tmp_path: Path
) -> None:
    from ai_video.media.verify import verify_clip
    from ai_video.pipeline.clip_job import run_clip_job
    from ai_video.pipeline.ray_backend import RayBackend
    from ai_video.pipeline.requests import ClipRequest

    settings = _settings(tmp_path / "cache")
    killed: list[int] = []

    def killer() -> None:
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            pid = _running_task_pid({"render"})
            if pid is not None:
                time.sleep(0.5)  # mid-render, not at its start
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.1)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    backend = RayBackend(settings)
    try:
        source = str(media / "talking" / "sadtalker_WDA_KatieHill_000.mp4")
        result = run_clip_job(ClipRequest(source, tmp_path / "out"), settings, backend=backend)
    finally:
        backend.close()
    thread.join(timeout=5)
    assert killed, "a render worker was killed mid-render"
    (clip,) = result.clips
    verify_clip(result.out_dir / clip.file, clip.duration_s, settings.media, 0.5)
