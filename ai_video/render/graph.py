"""The ffmpeg arguments of the one process that renders a clip from its original source.

One input seek (``-ss`` before ``-i``, so frames are cut exactly), one filter graph (crop
path, scale, rate, b-roll overlays, burned captions; loudness and resampling), one encode.
The crop path becomes a single ``crop`` filter whose x/y are step functions of ``t``: a
flat sum of ``gte(t, T)`` terms, so a path of hundreds of keyframes is still one filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from ai_video.config import RenderConfig
from ai_video.errors import PlanError
from ai_video.media.ffmpeg import file_url, local_input
from ai_video.render.brand import brand_chains, brand_inputs
from ai_video.render.cuts import cut_audio, cut_video
from ai_video.render.overlays import overlay_chains, overlay_inputs
from ai_video.types import (
    ClipLayout,
    CropPath,
    EditPlan,
    EncoderProfile,
    LayoutSegment,
    OutputPreset,
    s_to_frame_ceil,
)

GRAPH_SPECIAL = "\\'[],;"
OPTION_SPECIAL = "\\':"


def build_render_args(
    plan: EditPlan,
    encoder: EncoderProfile,
    ass_path: Path,
    out_path: Path,
    render: RenderConfig,
    fonts_dir: Path | None,
) -> list[str]:
    """The ffmpeg argv (binary excluded) that turns ``plan`` into an MP4 at ``out_path``."""
    span = plan.span
    if span.duration_s <= 0:
        raise PlanError(f"clip {span.start_s:.3f}-{span.end_s:.3f} s is empty")
    args = ["-y", "-ss", _seconds(span.start_s), "-t", _seconds(span.duration_s)]
    args += local_input(plan.source)
    args += overlay_inputs(plan)  # b-roll cutaways (render/overlays.py)
    args += brand_inputs(plan)
    chains = _video_chains(plan, ass_path, fonts_dir, render)
    audio_chain = _audio_chain(plan, render)
    if audio_chain:
        chains.append(audio_chain)
    chains = brand_chains(plan, chains, 1 + len(plan.overlays), _rate(plan.preset.fps))
    args += ["-filter_complex", ";".join(chains), "-map", "[v]"]
    args += ["-c:v", encoder.name, *encoder.args]
    if "-profile:v" not in encoder.args:
        args += ["-profile:v", "high"]
    if audio_chain:
        args += ["-map", "[a]", "-c:a", "aac", "-b:a", f"{plan.audio.bitrate_kbps}k"]
    args += ["-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart"]
    args += ["-shortest", "-f", "mp4", file_url(out_path)]
    return args


def _video_chains(
    plan: EditPlan, ass_path: Path, fonts_dir: Path | None, render: RenderConfig
) -> list[str]:
    """Filter chains from the source picture to ``[v]``: crop, scale, overlays, captions."""
    preset = plan.preset
    size = f"{preset.width_px}:{preset.height_px}"
    base = (
        f"[0:v:0]fps={_rate(preset.fps)},{crop_filter(plan.crop, preset.fps)},"
        f"scale={size}:flags={render.scale_flags},setsar=1,format=yuv420p"
    )
    if plan.layout is not None and plan.layout.single_crop() is None:
        base = layout_chain(plan.layout, preset, render)
    chains, base = cut_video(base, plan)  # clean-up cuts (render.cuts), none by default
    overlaid, base = overlay_chains(plan, base, render, _rate(preset.fps))
    chains += overlaid
    chains.append(f"{base},{subtitles_filter(ass_path, fonts_dir)}[v]")
    return chains


def layout_chain(layout: ClipLayout, preset: OutputPreset, render: RenderConfig) -> str:
    """Filter chains from ``[0:v:0]`` to an unlabelled yuv420p picture, segment by segment.

    The source is split once per segment; each branch keeps its segment's frames
    (``trim``, clip time), lays them out (speaker crop, split stack or fit over blur) at
    the output size, and ``concat`` joins the branches in order: still one decode, one
    graph, one process.
    """
    segments = layout.segments
    if not segments:
        raise PlanError("layout has no segments")
    rate = _rate(preset.fps)
    outs = "".join(f"[s{i}]" for i in range(len(segments)))
    chains = [f"[0:v:0]fps={rate},split={len(segments)}{outs}"]
    for i, segment in enumerate(segments):
        head = (
            f"[s{i}]trim=start={segment.span.start_s:.6f}:end={segment.span.end_s:.6f},"
            "setpts=PTS-STARTPTS"
        )
        chains += _segment_chains(i, head, segment, preset, render, layout.blur_sigma)
    joined = "".join(f"[p{i}]" for i in range(len(segments)))
    chains.append(f"{joined}concat=n={len(segments)}:v=1:a=0,format=yuv420p")
    return ";".join(chains)


def _segment_chains(
    i: int,
    head: str,
    segment: LayoutSegment,
    preset: OutputPreset,
    render: RenderConfig,
    blur_sigma: float,
) -> list[str]:
    """Chains that turn branch ``head`` into ``[p{i}]`` at the output size."""
    w, h = preset.width_px, preset.height_px
    flags = render.scale_flags
    if segment.layout == "speaker":
        crop = crop_filter(segment.crops[0], preset.fps)
        return [f"{head},{crop},scale={w}:{h}:flags={flags},setsar=1[p{i}]"]
    if segment.layout == "split":
        half = h // 2 - (h // 2) % 2
        top, bottom = (crop_filter(c, preset.fps) for c in segment.crops)
        return [
            f"{head},split=2[ta{i}][tb{i}]",
            f"[ta{i}]{top},scale={w}:{half}:flags={flags},setsar=1[tt{i}]",
            f"[tb{i}]{bottom},scale={w}:{h - half}:flags={flags},setsar=1[tu{i}]",
            f"[tt{i}][tu{i}]vstack=inputs=2[p{i}]",
        ]
    if segment.layout == "fit":
        small_w, small_h = max(2, w // 4 // 2 * 2), max(2, h // 4 // 2 * 2)
        return [
            f"{head},split=2[fa{i}][fb{i}]",
            f"[fa{i}]scale={small_w}:{small_h}:force_original_aspect_ratio=increase:flags=fast_bilinear,"
            f"crop={small_w}:{small_h},gblur=sigma={blur_sigma / 4:.2f},"
            f"scale={w}:{h}:flags=bilinear,setsar=1[fg{i}]",
            f"[fb{i}]scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2"
            f":flags={flags},setsar=1[ff{i}]",
            f"[fg{i}][ff{i}]overlay=x=(W-w)/2:y=(H-h)/2[p{i}]",
        ]
    raise PlanError(f"unknown layout {segment.layout!r}")


def crop_filter(crop: CropPath, fps: float) -> str:
    """One ``crop`` filter following a piecewise-constant path, switching on frame boundaries."""
    if not crop.keyframes:
        raise PlanError("crop path has no keyframes")
    sizes = {(k.w, k.h) for k in crop.keyframes}
    if len(sizes) != 1:
        raise PlanError(f"crop rectangles must share one size to render, got {sorted(sizes)}")
    width, height = sizes.pop()
    by_frame: dict[int, tuple[int, int]] = {}
    for kf in crop.keyframes:
        by_frame[max(0, s_to_frame_ceil(kf.t_s, fps))] = (kf.x, kf.y)
    frames = sorted(by_frame)
    xs = _step_expression(frames, [by_frame[f][0] for f in frames], fps)
    ys = _step_expression(frames, [by_frame[f][1] for f in frames], fps)
    return f"crop=w={width}:h={height}:x='{xs}':y='{ys}'"


def _step_expression(frames: Sequence[int], values: Sequence[int], fps: float) -> str:
    """``v0+(v1-v0)*gte(t,T1)+...`` with each switch halfway before its first frame."""
    terms = [str(values[0])]
    for frame, prev, value in zip(frames[1:], values, values[1:], strict=False):
        if value != prev:
            terms.append(f"({value - prev})*gte(t,{(frame - 0.5) / fps:.6f})")
    return "+".join(terms)


def subtitles_filter(ass_path: Path, fonts_dir: Path | None) -> str:
    """The ``subtitles`` filter burning ``ass_path``, escaped for an ffmpeg filter graph."""
    option = "filename=" + escape_filter_text(file_url(ass_path), OPTION_SPECIAL)
    if fonts_dir is not None:
        option += ":fontsdir=" + escape_filter_text(str(Path(fonts_dir).absolute()), OPTION_SPECIAL)
    return "subtitles=" + escape_filter_text(option, GRAPH_SPECIAL)


def escape_filter_text(text: str, special: str) -> str:
    """Backslash-escape every character of ``special`` in ``text`` (one ffmpeg quoting level)."""
    return "".join("\\" + ch if ch in special else ch for ch in text)


def _audio_chain(plan: EditPlan, render: RenderConfig) -> str:
    """``[a]`` from the source (loudness-normalised) or silence; empty when no audio is wanted."""
    audio = plan.audio
    if plan.has_audio:
        cuts, head = cut_audio("[0:a:0]aformat=channel_layouts=stereo|mono", plan)
        return ";".join([*cuts, head + (
            f",loudnorm=I={audio.loudness_target_lufs}:TP={audio.true_peak_db}"
            f":LRA={render.loudness_range_lu},aresample={audio.sample_rate_hz}[a]"
        )])  # fmt: skip
    if render.silent_audio_when_missing:
        return (
            f"anullsrc=r={audio.sample_rate_hz}:cl=stereo:d={_seconds(plan.output_duration_s)}[a]"
        )
    return ""


def _seconds(value: float) -> str:
    """Seconds as ffmpeg reads them, to the millisecond."""
    return f"{value:.3f}"


def _rate(fps: float) -> str:
    """A frame rate as an exact ffmpeg rational (30000/1001 stays 30000/1001, not 29.97)."""
    rate = Fraction(fps).limit_denominator(1001)
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"
