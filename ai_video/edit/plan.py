"""The EditPlan of one clip: everything the renderer needs, decided here and nowhere else."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from ai_video.config import PlatformPreset, RenderConfig, Settings, caption_style
from ai_video.edit.captions import build_caption_track
from ai_video.edit.reframe import plan_crop
from ai_video.errors import PlanError
from ai_video.types import (
    AudioPlan,
    Candidate,
    CropPath,
    EditPlan,
    MediaInfo,
    OutputPreset,
    ScoredCandidate,
    Transcript,
    VisualAnalysis,
)


def plan_clip(
    source: Path,
    info: MediaInfo,
    chosen: ScoredCandidate,
    transcript: Transcript,
    visual: VisualAnalysis,
    settings: Settings,
) -> EditPlan:
    """The EditPlan of one selected clip: span, crop path, captions, audio."""
    if info.video is None:
        raise PlanError(f"{source.name}: no video stream to reframe")
    preset = settings.preset().model_copy(update={"caption": caption_style(settings)})
    crop = plan_crop(
        chosen.candidate.span,
        visual.faces,
        visual.shots,
        info.video.display_size,
        (preset.width_px, preset.height_px),
        settings.reframe,
    )
    return build_edit_plan(
        source,
        chosen.candidate,
        transcript,
        crop,
        preset,
        settings.platform,
        settings.render,
        has_audio=info.audio is not None,
    )


def build_edit_plan(
    source: Path,
    candidate: Candidate,
    transcript: Transcript,
    crop: CropPath,
    preset: PlatformPreset,
    preset_name: str,
    render: RenderConfig,
    has_audio: bool,
) -> EditPlan:
    """Combine a chosen span, its crop path and its captions into one renderable plan."""
    span = candidate.span
    if span.duration_s <= 0:
        raise PlanError(f"clip {span.start_s:.3f}-{span.end_s:.3f} s is empty")
    _check_crop(crop, span.duration_s)
    style = preset.caption
    captions = build_caption_track(
        transcript.words_in(span),
        span,
        style_name=preset_name,
        min_words=style.min_words_per_line,
        max_words=style.max_words_per_line,
        break_pause_s=style.line_break_pause_s,
        max_chars=style.max_chars_per_line,
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
