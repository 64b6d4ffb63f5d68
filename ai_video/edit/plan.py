"""The EditPlan of one clip: everything the renderer needs, decided here and nowhere else."""

from __future__ import annotations

import dataclasses
from itertools import pairwise
from pathlib import Path
from typing import Protocol

import polars as pl

from ai_video.config import (
    LanguageConfig,
    PlatformPreset,
    RenderConfig,
    Settings,
    caption_style,
)
from ai_video.edit.caption_lines import language_caption_track
from ai_video.edit.layout import plan_layout
from ai_video.edit.reframe import plan_crop
from ai_video.errors import PlanError
from ai_video.types import (
    AudioPlan,
    Candidate,
    ClipLayout,
    CropKeyframe,
    CropPath,
    EditPlan,
    MediaInfo,
    OutputPreset,
    ScoredCandidate,
    Transcript,
    VisualAnalysis,
)


def plan_clip(
    src: SourceLike,
    chosen: ScoredCandidate,
    transcript: Transcript,
    scene: tuple[VisualAnalysis, pl.DataFrame, pl.DataFrame],
    settings: Settings,
) -> EditPlan:
    """The EditPlan of one selected clip: span, layout per speaker turn, captions, audio.

    ``scene`` is the visual analysis, the face tracks and the speaker turns.
    """
    visual, tracks, turns = scene
    info = src.info
    if info.video is None:
        raise PlanError(f"{src.path.name}: no video stream to reframe")
    preset = settings.preset().model_copy(update={"caption": caption_style(settings)})
    span = chosen.candidate.span
    output_size = (preset.width_px, preset.height_px)
    layout = plan_layout(
        span, turns, tracks, visual.shots, info.video.display_size, output_size,
        settings.layout, settings.reframe, detector=visual.faces.detector,
    )  # fmt: skip
    crop = layout.single_crop()
    layout_used: ClipLayout | None = layout
    if crop is None and tracks.is_empty() and bool(visual.faces.counts.any()):
        # faces were seen but not tracked (a detector without landmarks): follow the main face
        crop = plan_crop(span, visual.faces, visual.shots, info.video.display_size,
                         output_size, settings.reframe)  # fmt: skip
        layout_used = None
    elif crop is None:
        crop = _whole_frame(info.video.display_size)
    plan = build_edit_plan(
        src.path,
        chosen.candidate,
        transcript,
        crop,
        preset,
        settings.platform,
        (settings.render, settings.language),
        has_audio=info.audio is not None,
    )
    return dataclasses.replace(plan, layout=layout_used)


class SourceLike(Protocol):
    """A probed source: its path and media info."""

    @property
    def path(self) -> Path: ...

    @property
    def info(self) -> MediaInfo: ...


def _whole_frame(size: tuple[int, int]) -> CropPath:
    """A crop path that keeps the whole (even-sized) frame; layouts draw the picture."""
    width, height = size[0] - size[0] % 2, size[1] - size[1] % 2
    return CropPath((CropKeyframe(0.0, 0, 0, width, height),))


def build_edit_plan(
    source: Path,
    candidate: Candidate,
    transcript: Transcript,
    crop: CropPath,
    preset: PlatformPreset,
    preset_name: str,
    configs: tuple[RenderConfig, LanguageConfig],
    has_audio: bool,
) -> EditPlan:
    """Combine a chosen span, its crop path and its captions into one renderable plan."""
    span = candidate.span
    if span.duration_s <= 0:
        raise PlanError(f"clip {span.start_s:.3f}-{span.end_s:.3f} s is empty")
    _check_crop(crop, span.duration_s)
    render, language = configs
    captions = language_caption_track(
        transcript.words_in(span), span, preset_name, preset.caption, transcript.language, language
    )
    return EditPlan(
        source=Path(source),
        span=span,
        preset=OutputPreset(
            name=preset_name, width_px=preset.width_px, height_px=preset.height_px, fps=preset.fps
        ),
        crop=crop,
        captions=captions,
        audio=AudioPlan(
            loudness_target_lufs=render.loudness_target_lufs,
            true_peak_db=render.true_peak_db,
            bitrate_kbps=render.audio_bitrate_kbps,
            sample_rate_hz=render.audio_sample_rate_hz,
        ),
        has_audio=has_audio,
    )


def _check_crop(crop: CropPath, duration_s: float) -> None:
    """Raise unless the crop path starts at 0, runs forward, and keeps one rectangle size."""
    if not crop.keyframes:
        raise PlanError("crop path has no keyframes")
    first = crop.keyframes[0]
    if abs(first.t_s) > 1e-6:
        raise PlanError(f"crop path must start at t=0, starts at {first.t_s:.3f} s")
    times = [k.t_s for k in crop.keyframes]
    if any(b < a for a, b in pairwise(times)):
        raise PlanError("crop keyframes are not in time order")
    if times[-1] > duration_s + 1e-6:
        raise PlanError(
            f"crop keyframe at {times[-1]:.3f} s lies past the clip ({duration_s:.3f} s)"
        )
    sizes = {(k.w, k.h) for k in crop.keyframes}
    if len(sizes) != 1 or first.w <= 0 or first.h <= 0:
        raise PlanError(f"crop rectangles must share one positive size, got {sorted(sizes)}")
