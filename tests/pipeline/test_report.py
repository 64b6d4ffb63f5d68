"""Run reports: stage percentiles against numpy, throughput, and the worker timeline PNG."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from PIL import Image
from rich.console import Console

from ai_video.errors import InputError
from ai_video.pipeline.report import (
    build_timeline,
    format_report,
    report_command,
    summarize_run,
    timeline_size_px,
)
from ai_video.pipeline.stage_metrics import StageContext, flush_metrics, read_rows, record_stage

SLEEP_S = {"audio": 0.004, "transcribe": 0.012, "render": 0.02}


def _context(run_dir: Path, video_id: str) -> StageContext:
    return StageContext(
        run_id="run-1",
        video_id=video_id,
        run_dir=run_dir,
        cache_root=run_dir / "cache",
        cache_enabled=True,
        cache_max_bytes=10**9,
    )


def _process_video(run_dir: Path, index: int) -> None:
    ctx = _context(run_dir, f"v{index}")
    for stage, sleep_s in SLEEP_S.items():
        with record_stage(ctx, stage) as rec:
            rec.cache_hit = stage == "audio" and index % 2 == 0
            time.sleep(sleep_s * (1 + index % 3))
    if index == 4:
        with pytest.raises(RuntimeError), record_stage(ctx, "render"):
            time.sleep(SLEEP_S["render"])
            raise RuntimeError("encoder died")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run with 6 videos on 3 worker threads; half flushed to Parquet, half still row files."""
    root = tmp_path_factory.mktemp("run")
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda i: _process_video(root, i), range(3)))
        flush_metrics(root)
        list(pool.map(lambda i: _process_video(root, i), range(3, 6)))
    return root


def test_stage_percentiles_equal_numpy(run_dir: Path) -> None:
    rows = read_rows(run_dir).with_columns(wall_s=pl.col("end") - pl.col("start"))
    report = summarize_run(run_dir)
    assert [s.stage for s in report.stages] == ["audio", "transcribe", "render"]
    assert report.videos == 6
    assert report.run_ids == ("run-1",)
    for summary in report.stages:
        durations = rows.filter(pl.col("stage") == summary.stage)["wall_s"].to_numpy()
        p50, p95, p99 = np.percentile(durations, [50, 95, 99])
        assert (summary.p50_s, summary.p95_s, summary.p99_s) == pytest.approx((p50, p95, p99))
        assert summary.total_s == pytest.approx(durations.sum())
        assert summary.p50_s >= SLEEP_S[summary.stage]
    by_stage = {s.stage: s for s in report.stages}
    assert by_stage["render"].count == 7
    assert by_stage["render"].failed == 1
    assert by_stage["audio"].cache_hit_rate == pytest.approx(3 / 6)
    assert by_stage["transcribe"].cache_hit_rate == 0.0
    assert report.busy_s == pytest.approx(float(rows["wall_s"].sum()))
    span_s = rows.select(pl.col("end").max() - pl.col("start").min()).item()
    assert report.wall_s == pytest.approx(span_s)
    assert report.workers == rows.select("node", "worker").n_unique()
    assert report.throughput is None


def test_throughput_from_results_table(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    (copy / "metrics").mkdir(parents=True)
    read_rows(run_dir).write_parquet(copy / "metrics" / "stages.parquet")
    pl.DataFrame(
        {
            "video_id": ["a", "b", "c", "d"],
            "status": ["succeeded", "succeeded", "failed", "succeeded"],
            "duration_s": [60.0, 120.0, 45.0, 30.0],
        }
    ).write_parquet(copy / "results.parquet")
    report = summarize_run(copy)
    assert report.throughput is not None
    hours = report.wall_s / 3600.0
    assert report.throughput.videos_ok == 3
    assert report.throughput.videos_failed == 1
    assert report.throughput.source_s == pytest.approx(210.0)
    assert report.throughput.videos_per_hour == pytest.approx(3 / hours)
    assert report.throughput.source_s_per_hour == pytest.approx(210.0 / hours)


def test_results_table_without_status_is_rejected(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    (copy / "metrics").mkdir(parents=True)
    read_rows(run_dir).write_parquet(copy / "metrics" / "stages.parquet")
    pl.DataFrame({"duration_s": [1.0]}).write_parquet(copy / "results.parquet")
    with pytest.raises(InputError, match=r"lacks column.*status"):
        summarize_run(copy)


def test_missing_or_empty_metrics_name_the_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        summarize_run(tmp_path / "nowhere")
    (tmp_path / "empty" / "metrics").mkdir(parents=True)
    with pytest.raises(InputError, match=re.escape(f"no metrics rows in {tmp_path / 'empty'}")):
        report_command(tmp_path / "empty")


def test_timeline_png_has_one_lane_per_worker(run_dir: Path) -> None:
    rows = read_rows(run_dir)
    workers = rows.select("node", "worker").n_unique()
    assert workers >= 2
    timeline = build_timeline(rows)
    assert len(timeline.lanes) == workers
    assert sum(len(lane.bars) for lane in timeline.lanes) == rows.height
    assert all(bar.start_s >= 0 and bar.end_s >= bar.start_s for bar in timeline.lanes[0].bars)

    report, png = report_command(run_dir)
    assert report.workers == workers
    assert png == run_dir / "metrics" / "timeline.png"
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size == timeline_size_px(workers)
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    present = {tuple(p) for p in np.unique(pixels, axis=0)}
    for stage, color in timeline.stage_colors.items():
        rgb = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in present, f"no bar of stage {stage} drawn"


def test_format_report_lists_every_stage(run_dir: Path) -> None:
    report = summarize_run(run_dir)
    console = Console(record=True, width=140)
    console.print(format_report(report))
    text = console.export_text()
    for summary in report.stages:
        assert summary.stage in text
        assert f"{summary.p95_s:.3f}" in text
    assert "6 videos" in text
    assert "throughput: unknown" in text


def test_a_row_for_a_removed_run_does_not_bring_its_folder_back(tmp_path: Path) -> None:
    from ai_video.pipeline.stage_metrics import StageRecord, write_row

    gone = tmp_path / "deleted-job" / "out"
    write_row(gone, StageRecord(run_id="r", video_id="v", stage="transcribe"))
    assert not gone.exists() and not (tmp_path / "deleted-job").exists()
    gone.mkdir(parents=True)
    write_row(gone, StageRecord(run_id="r", video_id="v", stage="transcribe"))
    assert len(list((gone / "metrics" / "rows").glob("*.json"))) == 1
