"""Where a run's time went: per-stage latency percentiles, throughput, and a worker timeline PNG.

Reads the metrics rows a run wrote (:func:`ai_video.pipeline.stage_metrics.read_rows`) and, when
present, the batch's ``results.parquet`` (one row per video with ``status`` and ``duration_s``).
Nothing here prints; ``ai-video report`` prints :func:`format_report` and the PNG path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import polars as pl
from rich.table import Table

from ai_video.errors import InputError
from ai_video.media.files import replace_atomic
from ai_video.pipeline.stage_metrics import ROWS_DIR, TABLE, read_rows

if TYPE_CHECKING:
    from matplotlib.axes import Axes

RESULTS = Path("results.parquet")
"""The batch's per-video results table, relative to the run directory."""

TIMELINE = Path("metrics") / "timeline.png"
"""Where :func:`report_command` draws the timeline, relative to the run directory."""

OK_STATUS = "succeeded"
"""The ``status`` of a successfully clipped video in ``results.parquet`` (pipeline/batch.py)."""

_PERCENTILES = (0.50, 0.95, 0.99)
_FIG_WIDTH_IN = 11.0
_LANE_HEIGHT_IN = 0.32
_FIG_BASE_HEIGHT_IN = 1.9
_FIG_MAX_HEIGHT_IN = 60.0
_DPI = 100


@dataclass(frozen=True)
class StageSummary:
    """Latency of one stage over all its executions in a run (wall seconds)."""

    stage: str
    count: int
    failed: int
    p50_s: float
    p95_s: float
    p99_s: float
    total_s: float
    cache_hit_rate: float


@dataclass(frozen=True)
class Throughput:
    """Videos and source seconds processed per wall-clock hour (from ``results.parquet``)."""

    videos_ok: int
    videos_failed: int
    source_s: float
    videos_per_hour: float
    source_s_per_hour: float


@dataclass(frozen=True)
class RunReport:
    """Summary of one run directory's metrics."""

    run_dir: Path
    run_ids: tuple[str, ...]
    videos: int
    nodes: int
    workers: int
    wall_s: float
    busy_s: float
    stages: tuple[StageSummary, ...]
    throughput: Throughput | None


@dataclass(frozen=True)
class TimelineBar:
    """One stage execution drawn on a lane, in seconds since the run started."""

    stage: str
    start_s: float
    end_s: float
    ok: bool


@dataclass(frozen=True)
class TimelineLane:
    """Everything one worker process ran, in start order."""

    node: str
    worker: str
    bars: tuple[TimelineBar, ...]


@dataclass(frozen=True)
class Timeline:
    """Lanes per (node, worker) and the colour of every stage (hex ``#rrggbb``)."""

    lanes: tuple[TimelineLane, ...]
    stage_colors: dict[str, str]
    wall_s: float


def load_metrics(run_dir: Path) -> pl.DataFrame:
    """The run's metrics rows with a ``wall_s`` column; InputError when there are none."""
    if not run_dir.is_dir():
        raise InputError(f"run directory {run_dir} does not exist")
    try:
        rows = read_rows(run_dir)
    except (pl.exceptions.PolarsError, OSError, orjson.JSONDecodeError) as exc:
        raise InputError(f"unreadable metrics in {run_dir / 'metrics'}: {exc}") from exc
    if rows.is_empty():
        raise InputError(
            f"no metrics rows in {run_dir}: expected {TABLE} or {ROWS_DIR}/*.json "
            "written by an ai-video run"
        )
    return rows.with_columns(wall_s=pl.col("end") - pl.col("start"))


def summarize_run(run_dir: Path) -> RunReport:
    """Per-stage count, P50/P95/P99 and total wall seconds, cache hit rate, and throughput."""
    rows = load_metrics(run_dir)
    _, wall_s = _span(rows)
    return RunReport(
        run_dir=run_dir,
        run_ids=tuple(rows["run_id"].unique(maintain_order=True).to_list()),
        videos=rows["video_id"].n_unique(),
        nodes=rows["node"].n_unique(),
        workers=rows.select("node", "worker").n_unique(),
        wall_s=wall_s,
        busy_s=float(rows["wall_s"].sum()),
        stages=_stage_summaries(rows),
        throughput=_throughput(run_dir / RESULTS, wall_s),
    )


def _span(rows: pl.DataFrame) -> tuple[float, float]:
    """First start (epoch seconds) and wall seconds from it to the last end."""
    first, last = rows.select(pl.col("start").min(), pl.col("end").max()).row(0)
    return float(first), float(last) - float(first)


def _stage_summaries(rows: pl.DataFrame) -> tuple[StageSummary, ...]:
    quantiles = [
        pl.col("wall_s").quantile(q, interpolation="linear").alias(f"p{round(q * 100)}")
        for q in _PERCENTILES
    ]
    table = (
        rows.group_by("stage")
        .agg(
            pl.len().alias("count"),
            (~pl.col("ok")).sum().alias("failed"),
            *quantiles,
            pl.col("wall_s").sum().alias("total"),
            pl.col("cache_hit").mean().alias("hit_rate"),
            pl.col("start").min().alias("first_start"),
        )
        .sort("first_start")
    )
    return tuple(
        StageSummary(
            stage=r["stage"],
            count=int(r["count"]),
            failed=int(r["failed"]),
            p50_s=float(r["p50"]),
            p95_s=float(r["p95"]),
            p99_s=float(r["p99"]),
            total_s=float(r["total"]),
            cache_hit_rate=float(r["hit_rate"]),
        )
        for r in table.iter_rows(named=True)
    )


def _throughput(results_path: Path, wall_s: float) -> Throughput | None:
    if not results_path.is_file():
        return None
    try:
        results = pl.read_parquet(results_path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"unreadable results table {results_path}: {exc}") from exc
    missing = sorted({"status", "duration_s"} - set(results.columns))
    if missing:
        raise InputError(f"{results_path} lacks column(s) {', '.join(missing)}")
    ok = results.filter(pl.col("status") == OK_STATUS)
    source_s = float(ok["duration_s"].fill_null(0.0).sum())
    hours = wall_s / 3600.0
    return Throughput(
        videos_ok=ok.height,
        videos_failed=results.height - ok.height,
        source_s=source_s,
        videos_per_hour=ok.height / hours if hours > 0 else 0.0,
        source_s_per_hour=source_s / hours if hours > 0 else 0.0,
    )


def build_timeline(rows: pl.DataFrame) -> Timeline:
    """Lanes (one per node and worker, ordered by first activity) of stage bars."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    t0, wall_s = _span(rows)
    ordered = rows.sort("start")
    stages = ordered["stage"].unique(maintain_order=True).to_list()
    palette = colormaps["tab10" if len(stages) <= 10 else "tab20"]
    colors = {stage: to_hex(palette(i % palette.N)) for i, stage in enumerate(stages)}
    lanes = []
    for (node, worker), group in ordered.group_by(["node", "worker"], maintain_order=True):
        bars = tuple(
            TimelineBar(r["stage"], r["start"] - t0, r["end"] - t0, bool(r["ok"]))
            for r in group.iter_rows(named=True)
        )
        lanes.append(TimelineLane(str(node), str(worker), bars))
    return Timeline(lanes=tuple(lanes), stage_colors=colors, wall_s=wall_s)


def timeline_size_px(lanes: int) -> tuple[int, int]:
    """Width and height in pixels of the timeline PNG for a number of lanes."""
    height_in = min(_FIG_BASE_HEIGHT_IN + _LANE_HEIGHT_IN * lanes, _FIG_MAX_HEIGHT_IN)
    return round(_FIG_WIDTH_IN * _DPI), round(height_in * _DPI)


def render_timeline_png(run_dir: Path, out_png: Path) -> Path:
    """Draw one horizontal lane per (node, worker) with stage spans coloured by stage."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    timeline = build_timeline(load_metrics(run_dir))
    width_px, height_px = timeline_size_px(len(timeline.lanes))
    fig = Figure(figsize=(width_px / _DPI, height_px / _DPI), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)  # the Agg raster backend, without pyplot's global state
    ax = fig.add_subplot()
    _draw_lanes(ax, timeline)
    ax.set_yticks(range(len(timeline.lanes)))
    label_size = 8 if len(timeline.lanes) <= 40 else 4
    ax.set_yticklabels(
        [f"{lane.node}/{lane.worker}" for lane in timeline.lanes], fontsize=label_size
    )
    ax.set_ylim(len(timeline.lanes) - 0.5, -0.5)
    ax.set_xlim(0.0, max(timeline.wall_s, 1e-3) * 1.01)
    ax.set_xlabel("seconds since run start")
    ax.set_title(f"{run_dir.name}: {len(timeline.lanes)} workers, {timeline.wall_s:.1f} s")
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(facecolor=c, label=s) for s, c in timeline.stage_colors.items()]
    handles.append(Patch(facecolor="white", edgecolor="black", hatch="//", label="failed"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    with replace_atomic(out_png) as partial:
        fig.savefig(partial, format="png", dpi=_DPI)
    return out_png


def _draw_lanes(ax: Axes, timeline: Timeline) -> None:
    """One ``broken_barh`` per lane, stage and outcome keeps huge runs quick to draw."""
    for y, lane in enumerate(timeline.lanes):
        spans: dict[tuple[str, bool], list[tuple[float, float]]] = {}
        for bar in lane.bars:
            spans.setdefault((bar.stage, bar.ok), []).append(
                (bar.start_s, max(bar.end_s - bar.start_s, 0.0))
            )
        for (stage, ok), xranges in spans.items():
            ax.broken_barh(
                xranges,
                (y - 0.4, 0.8),
                facecolors=timeline.stage_colors[stage],
                edgecolor="none" if ok else "black",
                hatch=None if ok else "//",
                linewidth=0.6,
            )


def format_report(report: RunReport) -> Table:
    """The report as a rich table: one row per stage, run totals in the title and caption."""
    title = (
        f"run {', '.join(report.run_ids)}: {report.videos} videos, "
        f"{report.workers} workers on {report.nodes} nodes, wall {report.wall_s:.1f} s"
    )
    table = Table(title=title, caption=_throughput_line(report.throughput))
    for column in ("stage", "runs", "failed", "p50 s", "p95 s", "p99 s", "total s", "cache hit"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for s in report.stages:
        table.add_row(
            s.stage,
            str(s.count),
            str(s.failed),
            f"{s.p50_s:.3f}",
            f"{s.p95_s:.3f}",
            f"{s.p99_s:.3f}",
            f"{s.total_s:.2f}",
            f"{s.cache_hit_rate:.0%}",
        )
    return table


def _throughput_line(throughput: Throughput | None) -> str:
    if throughput is None:
        return f"throughput: unknown (no {RESULTS} in the run directory)"
    return (
        f"throughput: {throughput.videos_per_hour:.1f} videos/h, "
        f"{throughput.source_s_per_hour / 3600.0:.2f} source hours per wall hour "
        f"({throughput.videos_ok} ok, {throughput.videos_failed} failed, "
        f"{throughput.source_s:.0f} source s)"
    )


def report_command(run_dir: Path) -> tuple[RunReport, Path]:
    """Summarize a run and draw its timeline to ``RUN_DIR/metrics/timeline.png``; prints nothing."""
    report = summarize_run(run_dir)
    return report, render_timeline_png(run_dir, run_dir / TIMELINE)
