"""Finishing cost: render time with --clean and with each caption template vs the plain render.

One 1080x1920 clip of the longest registry talk (default 20-32 s) is rendered with the
platform's caption style (plain), with each named caption template, and cleaned (fillers and
silences cut); every variant once per repeat, in rotating order, all in the same run. The
words come from the bundled whisper model on the span; clean-up reads the span's 10 ms
loudness. Reported: median wall and child CPU seconds per variant and the ratio to plain
(target <= 1.1x); the cleaned clip is also shown per output second (it is shorter).
``--quick``: 3 s of the shortest talk of at least 5 s at 360x640; plain, one template, clean.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import polars as pl

from ai_video.analyze.speech import rms_dbfs
from ai_video.analyze.transcribe import Transcriber
from ai_video.config import CaptionStyle, Settings, caption_style
from ai_video.edit.captions import build_caption_track
from ai_video.edit.cleanup import Loudness, clean_plan
from ai_video.media.audio import decode_audio
from ai_video.media.encoders import detect_encoder
from ai_video.media.probe import probe
from ai_video.render.caption_templates import write_caption_ass
from ai_video.render.render import render_clip
from ai_video.types import (
    AudioPlan,
    CropKeyframe,
    CropPath,
    EditPlan,
    OutputPreset,
    Segment,
    TimeSpan,
    Transcript,
    Word,
)
from benchmarking.common import (
    bar_chart,
    bench_settings,
    child_cpu_s,
    machine_info,
    markdown_table,
    open_suite,
    stopwatch,
    suite_parser,
    write_report,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; write ``benchmarking/results/finishing/{runs.parquet,report.md}``."""
    parser = suite_parser("finishing", __doc__)
    parser.add_argument("--source", type=Path, default=None)
    parser.add_argument("--start", type=float, default=None, help="default 20 (quick: 0)")
    parser.add_argument("--seconds", type=float, default=None, help="default 12 (quick: 3)")
    parser.add_argument("--repeats", type=int, default=None, help="default 2 (quick: 1)")
    args = parser.parse_args(argv)
    suite = open_suite("finishing", args)
    quick = suite.quick
    overrides: dict[str, object] = {"cache.enabled": False}
    if quick:  # a 360x640 output: the ratios, not the 1080p cost, are what CI checks
        overrides |= {"platforms.tiktok.width_px": 360, "platforms.tiktok.height_px": 640}
    settings = bench_settings(overrides)
    talk = suite.registry.one("talking", ("speech", "face"), longest=not quick, min_s=5.0)
    source = args.source or talk.path
    start = args.start if args.start is not None else (0.0 if quick else 20.0)
    seconds = args.seconds if args.seconds is not None else (3.0 if quick else 12.0)
    span = TimeSpan(start, start + seconds)
    repeats = args.repeats or (1 if quick else 2)
    plain, transcript, loudness = _plain_plan(source, span, settings)
    variants = _variants(plain, transcript, loudness, settings)
    if quick:  # plain, the first template and clean-up
        variants = {k: v for i, (k, v) in enumerate(variants.items()) if i < 2 or k == "clean"}
    encoder = detect_encoder(settings.render, settings.media)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-finishing-") as tmp:
        for repeat in range(repeats):
            names = list(variants)
            shift = repeat % len(names)
            for name in names[shift:] + names[:shift]:
                plan, style = variants[name]
                size = (plan.preset.width_px, plan.preset.height_px)
                ass = write_caption_ass(plan.captions, style, size, Path(tmp) / f"{name}.ass")
                cpu0 = child_cpu_s()
                with stopwatch() as wall:
                    render_clip(plan, Path(tmp) / f"{name}.mp4", ass, encoder,
                                settings.render, settings.media)  # fmt: skip
                rows.append({"variant": name, "repeat": repeat, "wall_s": wall[0],
                             "cpu_s": child_cpu_s() - cpu0,
                             "output_s": plan.output_duration_s})  # fmt: skip
    raw = pl.DataFrame(rows)
    out = suite.out
    markdown, table = _report(raw, source, span, encoder.name)
    ratios = dict(zip(table["variant"], table["wall_vs_plain"], strict=True))
    write_report(out, raw, markdown, {f"{k} wall vs plain": v for k, v in ratios.items()})
    bar_chart(ratios, "finishing render cost", "wall time / plain render", out / "ratios.png")
    print(markdown)
    return 0


def _plain_plan(
    source: Path, span: TimeSpan, settings: Settings
) -> tuple[EditPlan, Transcript, Loudness]:
    """The span's plain plan (centre crop, platform captions), its words and its loudness."""
    info = probe(source, settings.media)
    samples = decode_audio(info, settings.media)
    rate = 16_000
    piece = samples[round(span.start_s * rate) : round(span.end_s * rate)]
    heard = Transcriber(settings.asr)(piece)
    words = tuple(Word(w.text, w.start_s + span.start_s, w.end_s + span.start_s, w.probability)
                  for w in heard.words)  # fmt: skip
    transcript = Transcript("en", (Segment("", span.start_s, span.end_s, words),), heard.model)
    assert info.video is not None
    width, height = info.video.display_size
    crop_w = min(width, round(height * 9 / 16) // 2 * 2)
    crop = CropPath((CropKeyframe(0.0, (width - crop_w) // 2, 0, crop_w, height),))
    preset = settings.preset()
    style = settings.preset().caption
    track = build_caption_track(transcript.words_in(span), span, settings.platform,
                                style.min_words_per_line, style.max_words_per_line)  # fmt: skip
    plan = EditPlan(
        source=source, span=span,
        preset=OutputPreset(settings.platform, preset.width_px, preset.height_px, preset.fps),
        crop=crop, captions=track,
        audio=AudioPlan(settings.render.loudness_target_lufs, settings.render.true_peak_db,
                        settings.render.audio_bitrate_kbps, settings.render.audio_sample_rate_hz),
    )  # fmt: skip
    loudness = Loudness(0.01, rms_dbfs(samples, 160))
    return plan, transcript, loudness


def _variants(
    plain: EditPlan, transcript: Transcript, loudness: Loudness, settings: Settings
) -> dict[str, tuple[EditPlan, CaptionStyle]]:
    """Plain, each caption template (re-lined for its words per line), and cleaned."""
    out: dict[str, tuple[EditPlan, CaptionStyle]] = {"plain": (plain, settings.preset().caption)}
    for name in settings.finishing.caption_templates:
        style = caption_style(settings.with_overrides({"finishing.captions": name}))
        track = build_caption_track(transcript.words_in(plain.span), plain.span, name,
                                    style.min_words_per_line, style.max_words_per_line)  # fmt: skip
        out[f"template {name}"] = (replace(plain, captions=track), style)
    cleaning = settings.with_overrides({"finishing.clean": ["fillers", "silences"]})
    out["clean"] = (clean_plan(plain, transcript, loudness, cleaning), settings.preset().caption)
    return out


def _report(
    raw: pl.DataFrame, source: Path, span: TimeSpan, encoder: str
) -> tuple[str, pl.DataFrame]:
    """Median wall and CPU per variant, the ratio to plain, and the machine."""
    medians = raw.group_by("variant", maintain_order=True).agg(
        pl.col("wall_s").median(), pl.col("cpu_s").median(), pl.col("output_s").first()
    )
    plain = medians.filter(pl.col("variant") == "plain").row(0, named=True)
    table = medians.with_columns(
        (pl.col("wall_s") / plain["wall_s"]).alias("wall_vs_plain"),
        (pl.col("cpu_s") / plain["cpu_s"]).alias("cpu_vs_plain"),
        ((pl.col("cpu_s") / pl.col("output_s")) / (plain["cpu_s"] / plain["output_s"])).alias(
            "cpu_per_output_s_vs_plain"
        ),
    )
    repeats = statistics.mode(raw.group_by("variant").len()["len"].to_list())
    return (
        "# Finishing render cost\n\n"
        f"Source {source.name} {span.start_s:.0f}-{span.end_s:.0f} s, rendered 1080x1920 with "
        f"{encoder}; {repeats} repeats, rotating order. {machine_info().line()}.\n\n"
        + markdown_table(table, 3)
        + "\n"
    ), table
