"""The render peer: one captioned 9:16 clip rendered by ``render_clip`` and by MoviePy.

Both get the same source span, the same centre 9:16 crop, the same caption lines (built
from the registry's reference word times) and the same libx264 preset/CRF with AAC audio.
MoviePy draws the lines as outlined TextClips (no per-word highlight, no loudness pass), so
the comparison flatters MoviePy slightly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ai_video.config import Settings
from ai_video.edit.captions import build_caption_track
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
from benchmarking.common import stopwatch
from benchmarking.datasets import MediaItem, Registry
from benchmarking.generate_moviepy import FONT_FILE

QUICK_SIZE = (360, 640)


def captioned_plan(registry: Registry, talk: MediaItem, settings: Settings) -> EditPlan:
    """The whole of ``talk``, centre-cropped to 9:16, captioned from its reference words."""
    info = probe(talk.path, settings.media)
    span = TimeSpan(0.0, round(info.duration_s - 0.1, 2))  # both decoders reach this end
    words = tuple(Word(w, s, e, 1.0) for w, s, e in registry.word_times(talk))
    transcript = Transcript("en", (Segment("", 0.0, span.end_s, words),), "reference")
    assert info.video is not None
    width, height = info.video.display_size
    crop_w = min(width, round(height * 9 / 16) // 2 * 2)
    preset = settings.preset()
    style = preset.caption
    render = settings.render
    track = build_caption_track(transcript.words_in(span), span, settings.platform,
                                style.min_words_per_line, style.max_words_per_line)  # fmt: skip
    return EditPlan(
        source=talk.path, span=span,
        preset=OutputPreset(settings.platform, preset.width_px, preset.height_px, preset.fps),
        crop=CropPath((CropKeyframe(0.0, (width - crop_w) // 2, 0, crop_w, height),)),
        captions=track,
        audio=AudioPlan(render.loudness_target_lufs, render.true_peak_db,
                        render.audio_bitrate_kbps, render.audio_sample_rate_hz),
    )  # fmt: skip


def render_with_moviepy(plan: EditPlan, out: Path, settings: Settings) -> Path:
    """The same plan the MoviePy way: subclip, crop, resize, caption TextClips, encode."""
    from moviepy import CompositeVideoClip, TextClip, VideoFileClip

    size = (plan.preset.width_px, plan.preset.height_px)
    crop = plan.crop.keyframes[0]
    source = VideoFileClip(str(plan.source)).subclipped(plan.span.start_s, plan.span.end_s)
    video = source.cropped(x1=crop.x, y1=crop.y, width=crop.w, height=crop.h).resized(size)
    style = settings.preset().caption
    layers: list[Any] = [video]
    for line in plan.captions.lines:
        text = TextClip(
            font=str(FONT_FILE), text=" ".join(w.text for w in line.words),
            font_size=style.font_size_px, color="white", stroke_color="black",
            stroke_width=round(style.outline_px), method="caption", text_align="center",
            size=(round(size[0] * (1 - 2 * style.margin_h_frac)), None),
        )  # fmt: skip
        top = round(size[1] * (1 - style.margin_v_frac)) - text.h
        end = min(line.end_s + style.hold_s, plan.span.duration_s)
        layers.append(text.with_start(line.start_s).with_end(end).with_position(("center", top)))
    clip = CompositeVideoClip(layers, size=size).with_duration(plan.span.duration_s)
    clip.write_videofile(
        str(out), fps=plan.preset.fps, codec="libx264", preset=settings.render.x264_preset,
        ffmpeg_params=["-crf", str(settings.render.x264_crf), "-pix_fmt", "yuv420p"],
        audio_codec="aac", audio_bitrate=f"{settings.render.audio_bitrate_kbps}k",
        threads=2, logger=None,
    )  # fmt: skip
    clip.close()
    source.close()
    return out


def render_rows(
    registry: Registry, talk: MediaItem, settings: Settings, quick: bool, repeats: int, out: Path
) -> pl.DataFrame:
    """Wall seconds of each side, alternated, ``repeats`` times (once with ``quick``)."""
    from benchmarking.peers import drop, work_dir

    if quick:
        width, height = QUICK_SIZE
        settings = settings.with_overrides(
            {f"platforms.{settings.platform}.width_px": width,
             f"platforms.{settings.platform}.height_px": height}
        )  # fmt: skip
    plan = captioned_plan(registry, talk, settings)
    encoder = detect_encoder(settings.render, settings.media)
    scratch = work_dir(out)
    size = (plan.preset.width_px, plan.preset.height_px)
    ass = write_caption_ass(plan.captions, settings.preset().caption, size, scratch / "c.ass")
    rows = []
    try:
        for repeat in range(1 if quick else repeats):
            with stopwatch() as ours:
                render_clip(plan, scratch / f"ours{repeat}.mp4", ass, encoder,
                            settings.render, settings.media)  # fmt: skip
            with stopwatch() as theirs:
                render_with_moviepy(plan, scratch / f"moviepy{repeat}.mp4", settings)
            made = probe(scratch / f"moviepy{repeat}.mp4", settings.media)
            rows += [
                {"side": "ai_video", "repeat": repeat, "wall_s": ours[0],
                 "output_s": plan.output_duration_s},
                {"side": "moviepy", "repeat": repeat, "wall_s": theirs[0],
                 "output_s": made.duration_s},
            ]  # fmt: skip
    finally:
        drop(scratch)
    return pl.DataFrame(rows)
