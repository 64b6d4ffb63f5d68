"""Clip job: wall time per stage, analysis throughput, and render_clip vs hand-written ffmpeg.

The job runs in-process (Ray and the cache off, tiktok, 5 clips). Its own transcript, visual
analysis and selection are kept (a recording backend), so the render comparison uses the
exact EditPlan the job rendered: ``render_clip`` (A) and one literal ffmpeg command doing the
same seek, crop, scale, captions, loudness and encode (B), alternated A/B.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ai_video.config import RenderConfig, Settings
from ai_video.errors import InputError
from ai_video.media.ffmpeg import run_ffmpeg
from ai_video.pipeline.backend import JobScope, LocalBackend
from ai_video.pipeline.requests import ClipJobResult
from ai_video.pipeline.source import SourceRef
from ai_video.pipeline.stage import Stage
from ai_video.pipeline.stage_metrics import read_rows
from ai_video.pipeline.stages import RENDER, TRANSCRIBE, VISUALS, SceneFacts
from ai_video.types import EditPlan, EncoderProfile, Transcript
from benchmarking.clip_e2e import e2e_arguments, end_to_end
from benchmarking.clip_quality import QUALITY_NOTE, clip_quality, headline
from benchmarking.common import (
    bar_chart,
    bench_settings,
    child_cpu_s,
    machine_busy_s,
    machine_info,
    markdown_table,
    open_suite,
    stopwatch,
    suite_parser,
    write_report,
)

ANALYSIS_STAGES = ("audio", "transcribe", "speech", "visuals", "curate")
"""Stages whose summed wall time defines analysis throughput."""
AB_REPEATS = 3
RATIO_TARGET = 1.1
RAW_SCHEMA = {
    "section": pl.Utf8,
    "name": pl.Utf8,
    "repeat": pl.Int64,
    "wall_s": pl.Float64,
    "cpu_s": pl.Float64,
}
_FILTER_UNSAFE = "\\':,;[]"


class RecordingBackend(LocalBackend):
    """The in-process backend that also keeps each stage's handles and arguments."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.handles: dict[str, list[Any]] = {}
        self.inputs: dict[str, list[tuple[Any, ...]]] = {}
        self.job: JobScope | None = None

    def submit(self, stage: Stage[Any], job: JobScope, *inputs: Any) -> Any:
        """Schedule like :class:`LocalBackend` and remember the handle under the stage name."""
        handle = super().submit(stage, job, *inputs)
        self.handles.setdefault(stage.name, []).append(handle)
        self.inputs.setdefault(stage.name, []).append(inputs)
        self.job = job
        return handle

    def value(self, stage: Stage[Any]) -> Any:
        """The result of the first submission of ``stage``."""
        return self.get(self.handles[stage.name][0])

    def source(self) -> SourceRef:
        """The probed source the job passed to its stages."""
        if self.job is None:
            raise InputError("the clip job submitted no stage")
        return self.job.src


@dataclass(frozen=True)
class JobRun:
    """One clip job's result plus the intermediate values it decided from."""

    result: ClipJobResult
    src: SourceRef
    transcript: Transcript
    plans: list[EditPlan]
    """The EditPlans the job rendered, in rank order."""
    wall_s: float
    scene: SceneFacts | None = None
    """The visual analysis the job decided from (faces for the reframing figure)."""


def run_job(source: Path, settings: Settings, out_dir: Path) -> JobRun:
    """Run the clip job in-process into a fresh ``out_dir`` and keep its intermediate values."""
    from ai_video.pipeline.clip_job import run_clip_job
    from ai_video.pipeline.requests import ClipRequest

    shutil.rmtree(out_dir, ignore_errors=True)
    backend = RecordingBackend(settings)
    try:
        with stopwatch() as wall:
            result = run_clip_job(ClipRequest(str(source), out_dir), settings, backend=backend)
        return JobRun(
            result=result,
            src=backend.source(),
            transcript=backend.value(TRANSCRIBE),
            plans=[inputs[0] for inputs in backend.inputs.get(RENDER.name, [])],
            wall_s=wall[0],
            scene=backend.value(VISUALS),
        )
    finally:
        backend.close()


def stage_walls(out_dir: Path) -> pl.DataFrame:
    """Per stage of the run in ``out_dir``: executions, summed wall s, first start, last end."""
    rows = read_rows(out_dir)
    return (
        rows.group_by("stage")
        .agg(
            pl.len().alias("runs"),
            (pl.col("end") - pl.col("start")).sum().alias("wall_s"),
            pl.col("start").min().alias("first_start"),
            pl.col("end").max().alias("last_end"),
        )
        .sort("first_start")
    )


@dataclass(frozen=True)
class HandEncode:
    """The encoder and filter settings the hand-written command spells out literally."""

    preset: str
    crf: str
    threads: str
    scale_flags: str
    loudness_range_lu: float

    @classmethod
    def from_profile(cls, encoder: EncoderProfile, render: RenderConfig) -> HandEncode:
        """The libx264 preset, CRF and threads the pipeline's encoder profile uses."""
        if encoder.name != "libx264":
            raise InputError(f"hand-written comparison is libx264 only, got {encoder.name}")
        args = list(encoder.args)
        return cls(
            preset=args[args.index("-preset") + 1],
            crf=args[args.index("-crf") + 1],
            threads=args[args.index("-threads") + 1],
            scale_flags=render.scale_flags,
            loudness_range_lu=render.loudness_range_lu,
        )


def hand_written_args(plan: EditPlan, ass: Path, out: Path, enc: HandEncode) -> list[str]:
    """The single ffmpeg command a person would write for ``plan`` (fixed crop: first keyframe)."""
    if any(ch in str(ass) for ch in _FILTER_UNSAFE):
        raise InputError(f"{ass}: caption path must not hold any of {_FILTER_UNSAFE!r}")
    crop, preset, audio = plan.crop.keyframes[0], plan.preset, plan.audio
    video_filters = (
        f"fps={preset.fps:g},crop={crop.w}:{crop.h}:{crop.x}:{crop.y},"
        f"scale={preset.width_px}:{preset.height_px}:flags={enc.scale_flags},setsar=1,"
        f"subtitles='{ass}'"
    )
    audio_filters = (
        "aformat=channel_layouts=stereo|mono,"
        f"loudnorm=I={audio.loudness_target_lufs}:TP={audio.true_peak_db}"
        f":LRA={enc.loudness_range_lu},aresample={audio.sample_rate_hz}"
    )
    return [
        "-y", "-ss", f"{plan.span.start_s:.3f}", "-t", f"{plan.span.duration_s:.3f}",
        "-i", str(plan.source),
        "-vf", video_filters, "-af", audio_filters,
        "-c:v", "libx264", "-preset", enc.preset, "-crf", enc.crf, "-threads", enc.threads,
        "-profile:v", "high", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", f"{audio.bitrate_kbps}k",
        "-movflags", "+faststart", str(out),
    ]  # fmt: skip


@dataclass(frozen=True)
class AbResult:
    """Alternated renders, A = render_clip and B = the hand-written command: wall and CPU s."""

    library_s: tuple[float, ...]
    hand_s: tuple[float, ...]
    library_cpu_s: tuple[float, ...]
    hand_cpu_s: tuple[float, ...]
    library_out: Path
    hand_out: Path
    others_cores_busy: float
    """Cores the rest of the machine kept busy during the A/B renders (the load caveat)."""

    @property
    def ratio(self) -> float:
        """Median wall of A over median wall of B."""
        return statistics.median(self.library_s) / statistics.median(self.hand_s)

    @property
    def cpu_ratio(self) -> float:
        """Median CPU time of A's ffmpeg over B's (insensitive to other load on the machine)."""
        return statistics.median(self.library_cpu_s) / statistics.median(self.hand_cpu_s)


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds of ``action`` and CPU seconds of the child processes it waited for."""
    cpu_before = child_cpu_s()
    with stopwatch() as wall:
        action()
    return wall[0], child_cpu_s() - cpu_before


def compare_renders(
    plan: EditPlan, settings: Settings, work_dir: Path, repeats: int = AB_REPEATS
) -> AbResult:
    """Render ``plan`` with render_clip and with the hand-written command, alternating A/B."""
    from ai_video.media.encoders import detect_encoder
    from ai_video.render.export import write_ass
    from ai_video.render.render import render_clip

    work_dir.mkdir(parents=True, exist_ok=True)
    size = (plan.preset.width_px, plan.preset.height_px)
    ass = write_ass(plan.captions, settings.preset().caption, size, work_dir / "clip.ass")
    encoder = detect_encoder(settings.render, settings.media)
    hand = HandEncode.from_profile(encoder, settings.render)
    library_out, hand_out = work_dir / "render_clip.mp4", work_dir / "hand_written.mp4"
    hand_args = hand_written_args(plan, ass, hand_out, hand)
    media = settings.media
    library: list[tuple[float, float]] = []
    hand_written: list[tuple[float, float]] = []
    machine_before, ab_started = machine_busy_s(), time.perf_counter()
    for _ in range(repeats):
        library.append(
            _timed(lambda: render_clip(plan, library_out, ass, encoder, settings.render, media))
        )
        hand_written.append(
            _timed(lambda: run_ffmpeg(media.ffmpeg_bin, hand_args, media.ffmpeg_timeout_s))
        )
    ours = sum(c for _, c in library + hand_written)
    others = machine_busy_s() - machine_before - ours
    return AbResult(
        library_s=tuple(w for w, _ in library),
        hand_s=tuple(w for w, _ in hand_written),
        library_cpu_s=tuple(c for _, c in library),
        hand_cpu_s=tuple(c for _, c in hand_written),
        library_out=library_out,
        hand_out=hand_out,
        others_cores_busy=max(0.0, others) / (time.perf_counter() - ab_started),
    )


def _output_row(name: str, path: Path, settings: Settings) -> dict[str, Any]:
    from ai_video.media.probe import probe

    info = probe(path, settings.media)
    assert info.video is not None
    width, height = info.video.display_size
    return {
        "output": name,
        "size": f"{width}x{height}",
        "fps": round(info.video.fps, 3),
        "duration_s": round(info.duration_s, 3),
        "MiB": round(info.size_bytes / 1024**2, 2),
    }


def report(
    job: JobRun, stages: pl.DataFrame, ab: AbResult, plan: EditPlan, settings: Settings
) -> str:
    """The Markdown report: stage table, throughput, render A/B table and outputs."""
    duration = job.src.info.duration_s
    walls = dict(zip(stages["stage"], stages["wall_s"], strict=True))
    analysis_sum = sum(walls.get(s, 0.0) for s in ANALYSIS_STAGES)
    analysed = stages.filter(pl.col("stage").is_in(ANALYSIS_STAGES))
    analysis_span = float(
        analysed.select(pl.col("last_end").max() - pl.col("first_start").min()).item()
    )
    stage_md = markdown_table(
        stages.select(
            "stage",
            "runs",
            pl.col("wall_s").alias("summed wall s"),
            (pl.col("last_end") - pl.col("first_start")).alias("first start to last end s"),
        )
    )
    ab_frame = pl.DataFrame(
        {
            "side": ["A: render_clip (pipeline)", "B: hand-written ffmpeg"],
            **{f"run {i + 1} s": [ab.library_s[i], ab.hand_s[i]] for i in range(len(ab.hand_s))},
            "median s": [statistics.median(ab.library_s), statistics.median(ab.hand_s)],
            "median CPU s": [
                statistics.median(ab.library_cpu_s),
                statistics.median(ab.hand_cpu_s),
            ],
        }
    )
    outputs = pl.DataFrame(
        [_output_row("A", ab.library_out, settings), _output_row("B", ab.hand_out, settings)]
    )
    verdict = "meets" if ab.ratio <= RATIO_TARGET else "misses"
    return "\n".join(
        [
            f"### clip: `{job.src.path.name}` ({duration:.1f} s), {settings.platform}, "
            f"{len(job.result.clips)} clips, in-process, cache off",
            "",
            stage_md,
            "",
            f"- Job wall: **{job.wall_s:.1f} s** ({duration / job.wall_s:.2f} source-s per wall-s "
            "end to end).",
            f"- Analysis throughput: **{duration / analysis_sum:.2f} source-s per wall-s** "
            f"(source {duration:.1f} s / summed audio+transcribe+speech+visuals+curate wall "
            f"{analysis_sum:.1f} s); these stages overlap, so their first-start-to-last-end "
            f"span is {analysis_span:.1f} s ({duration / analysis_span:.2f} source-s per wall-s).",
            "",
            f"#### Render ratio: clip 1 ({plan.span.duration_s:.1f} s, "
            f"{len(plan.crop.keyframes)} crop keyframe(s)), A/B alternated {len(ab.hand_s)}x",
            "",
            markdown_table(ab_frame),
            "",
            f"**Wall ratio A/B = {ab.ratio:.3f}** (target <= {RATIO_TARGET}: {verdict}); "
            f"CPU-time ratio A/B = {ab.cpu_ratio:.3f} (ffmpeg user+sys, insensitive to other "
            f"load; other processes kept {ab.others_cores_busy:.1f} cores busy meanwhile).",
            "",
            markdown_table(outputs),
        ]
    )


def raw_runs(job: JobRun, stages: pl.DataFrame, ab: AbResult) -> pl.DataFrame:
    """Long table of every measurement: stage walls, job wall, and each A/B render."""
    rows: list[dict[str, Any]] = [
        {"section": "stage", "name": s, "repeat": 0, "wall_s": w, "cpu_s": None}
        for s, w in zip(stages["stage"], stages["wall_s"], strict=True)
    ]
    rows.append(
        {"section": "job", "name": "total", "repeat": 0, "wall_s": job.wall_s, "cpu_s": None}
    )
    sides = {
        "render_clip": zip(ab.library_s, ab.library_cpu_s, strict=True),
        "hand_written": zip(ab.hand_s, ab.hand_cpu_s, strict=True),
    }
    for name, runs in sides.items():
        for i, (wall, cpu) in enumerate(runs, start=1):
            rows.append(
                {"section": "render", "name": name, "repeat": i, "wall_s": wall, "cpu_s": cpu}
            )
    frame = pl.DataFrame(rows, schema=RAW_SCHEMA)
    return frame.with_columns(
        pl.lit(str(job.src.path)).alias("source"),
        pl.lit(job.src.info.duration_s).alias("source_s"),
    )


def main(argv: Sequence[str]) -> int:
    """Run the clip benchmark and write runs.parquet, report.md and stages.png."""
    parser = suite_parser("clip", __doc__)
    parser.add_argument("--source", type=Path, default=None, help="default: longest talk")
    parser.add_argument("--repeats", type=int, default=None, help="A/B renders per side")
    e2e_arguments(parser)
    args = parser.parse_args(list(argv))
    suite = open_suite("clip", args)
    machine = machine_info()
    overrides: dict[str, Any] = {"ray.enabled": False, "cache.enabled": False, "platform": "tiktok",
                                 "curate.max_clips": 1 if suite.quick else 5,
                                 "render.prefer_hardware": False}  # fmt: skip
    if suite.quick:  # the shortest talk, a short clip at 360x640: checks the path, not cost
        overrides |= {"platforms.tiktok.width_px": 360, "platforms.tiktok.height_px": 640,
                      "curate.min_s": 1.0, "curate.max_s": 10.0}  # fmt: skip
    settings = bench_settings(overrides)
    talk = suite.registry.one("talking", ("speech", "face"), ("vertical",), not suite.quick)
    source: Path = args.source or talk.path
    repeats, out = args.repeats or (1 if suite.quick else AB_REPEATS), suite.out
    job = run_job(source.resolve(), settings, out / "job")
    if not job.plans:
        raise InputError(f"{source}: the job selected no clip, nothing to render")
    stages = stage_walls(out / "job")
    plan = job_plan(job, settings)
    ab = compare_renders(plan, settings, out / "ab", repeats)
    quality = clip_quality(job)
    raw, e2e_md = raw_runs(job, stages, ab), ""
    if args.e2e_minutes > 0 and not suite.quick:  # quick checks the path, not the cost
        raw, e2e_md = end_to_end(args, source, out, raw)
    markdown = (
        f"{report(job, stages, ab, plan, settings)}\n\n## Clip quality\n\n"
        f"{markdown_table(quality, 3)}\n\n{QUALITY_NOTE}\n\n{e2e_md}"
        f"_Machine: {machine.line()}._\n"
    )
    write_report(out, raw, markdown, headline(job, stages, ab, quality))
    walls = dict(zip(stages["stage"], stages["wall_s"], strict=True))
    bar_chart(walls, f"clip job stages: {job.src.path.name}", "wall seconds", out / "stages.png")
    print(markdown)
    return 0


def job_plan(job: JobRun, settings: Settings) -> EditPlan:
    """The EditPlan of the job's first clip, exactly as the job rendered it."""
    return job.plans[0]
