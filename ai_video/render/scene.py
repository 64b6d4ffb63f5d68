"""One ffmpeg process per generated scene: picture, Ken Burns move or clip, burned captions.

Every scene is encoded with identical parameters (size, rate, pixel format, encoder and its
arguments, time base) and without audio, so the scene files can be joined by the concat
demuxer with ``-c copy``; the narration and music are added in the final pass. The frame
count is exact (``-frames:v``): scene spans are frame-aligned, so scene boundaries on the
short fall exactly on narration boundaries.

- ``image``: scaled to cover ``ken_burns_oversample`` x the output size, then ``zoompan``
  produces every frame from that one picture (zooming in on even scenes, out on odd ones,
  drifting sideways on every third), so the still is decoded once;
- ``video``: looped when shorter than the scene (``-stream_loop``), cut when longer,
  resampled to the output rate and cropped to fill the frame;
- ``card``: a slowly turning two-colour gradient with the scene's title (``drawtext``).
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

from ai_video.config import GenerateConfig, Settings
from ai_video.errors import InputError, MediaError
from ai_video.media.ffmpeg import file_url, local_input, run_ffmpeg
from ai_video.media.files import replace_atomic
from ai_video.render.export import write_ass
from ai_video.render.graph import (
    GRAPH_SPECIAL,
    OPTION_SPECIAL,
    escape_filter_text,
    subtitles_filter,
)
from ai_video.types import EncoderProfile, OutputPreset, RenderResult, ScenePlan

VIDEO_TIMESCALE = 90000
"""MP4 time base shared by every scene file (concat with -c copy needs one)."""
_CARD_FONT_FRAC = 0.09
"""Title font size as a fraction of the card's width."""
_CARD_CHARS_PER_EM = 1.9


def render_scene(
    plan: ScenePlan, encoder: EncoderProfile, settings: Settings, work_dir: Path
) -> RenderResult:
    """Render one scene to ``work_dir/scene_NN.mp4`` (video only) and return what it cost."""
    started = time.perf_counter()
    work_dir.mkdir(parents=True, exist_ok=True)
    out_path = work_dir / f"scene_{plan.index:02d}.mp4"
    ass_path = write_ass(
        plan.captions,
        settings.preset(plan.preset.name).caption,
        (plan.preset.width_px, plan.preset.height_px),
        work_dir / f"scene_{plan.index:02d}.ass",
    )
    title_file = None
    if plan.visual_kind == "card":
        title_file = work_dir / f"scene_{plan.index:02d}_title.txt"
        title_file.write_text(wrap_title(plan.title, plan.preset), encoding="utf-8")
    args = scene_render_args(
        plan, encoder, ass_path, out_path, settings.generate, settings.render.fonts_dir, title_file
    )
    with replace_atomic(out_path) as partial:
        args[-1] = file_url(partial)
        run_ffmpeg(settings.media.ffmpeg_bin, args, timeout_s=settings.media.ffmpeg_timeout_s)
        if not partial.is_file() or partial.stat().st_size == 0:
            raise MediaError(f"scene {plan.index + 1}: ffmpeg wrote no video")
    return RenderResult(
        path=out_path,
        wall_s=time.perf_counter() - started,
        command=(settings.media.ffmpeg_bin, *args),
        size_bytes=out_path.stat().st_size,
    )


def scene_render_args(
    plan: ScenePlan,
    encoder: EncoderProfile,
    ass_path: Path,
    out_path: Path,
    gen: GenerateConfig,
    fonts_dir: Path | None,
    title_file: Path | None = None,
) -> list[str]:
    """The ffmpeg argv (binary excluded) that renders ``plan`` to ``out_path``."""
    preset = plan.preset
    frames = scene_frames(plan)
    if plan.visual_kind == "image":
        inputs, picture = _still_input(plan, gen, frames)
    elif plan.visual_kind == "video":
        inputs, picture = _video_input(plan)
    elif plan.visual_kind == "card":
        if title_file is None:
            raise InputError(f"scene {plan.index + 1}: a title card needs its title text file")
        inputs, picture = _card_input(plan, gen, title_file)
    else:
        raise InputError(f"scene {plan.index + 1}: unknown visual kind {plan.visual_kind!r}")
    graph = f"{picture},setsar=1,format=yuv420p,{subtitles_filter(ass_path, fonts_dir)}[v]"
    args = ["-y", *inputs, "-filter_complex", graph, "-map", "[v]", "-an"]
    args += ["-frames:v", str(frames), "-r", _rate(preset.fps)]
    args += ["-c:v", encoder.name, *encoder.args]
    if "-profile:v" not in encoder.args:
        args += ["-profile:v", "high"]
    args += ["-video_track_timescale", str(VIDEO_TIMESCALE)]
    args += ["-map_metadata", "-1", "-f", "mp4", file_url(out_path)]
    return args


def scene_frames(plan: ScenePlan) -> int:
    """Frames in the scene (its span is frame-aligned; at least one frame)."""
    return max(1, round(plan.span.duration_s * plan.preset.fps))


def _still_input(plan: ScenePlan, gen: GenerateConfig, frames: int) -> tuple[list[str], str]:
    """A still decoded once and moved through ``frames`` frames by ``zoompan``."""
    assert plan.visual is not None
    preset = plan.preset
    big_w = _even(preset.width_px * gen.ken_burns_oversample)
    big_h = _even(preset.height_px * gen.ken_burns_oversample)
    zoom_gain = gen.ken_burns_zoom - 1.0
    progress = f"on/{max(frames - 1, 1)}"
    zoom_in = plan.index % 2 == 0
    zoom = (
        f"1+{zoom_gain:.4f}*{progress}"
        if zoom_in
        else f"{gen.ken_burns_zoom:.4f}-{zoom_gain:.4f}*{progress}"
    )
    drift = plan.index % 3 == 2
    x = f"(iw-iw/zoom)*{progress}" if drift else "(iw-iw/zoom)/2"
    picture = (
        f"[0:v:0]scale={big_w}:{big_h}:force_original_aspect_ratio=increase,"
        f"crop={big_w}:{big_h},"
        f"zoompan=z='{zoom}':x='{x}':y='(ih-ih/zoom)/2':d={frames}"
        f":s={preset.width_px}x{preset.height_px}:fps={_rate(preset.fps)}"
    )
    return local_input(plan.visual), picture


def _video_input(plan: ScenePlan) -> tuple[list[str], str]:
    """A clip looped (or cut) to the scene's length, at the output rate, filling the frame."""
    assert plan.visual is not None
    preset = plan.preset
    seek = ["-ss", f"{plan.source_offset_s:.3f}"] if plan.source_offset_s > 0 else []
    inputs = ["-stream_loop", "-1", *seek, *local_input(plan.visual)]
    size = f"{preset.width_px}:{preset.height_px}"
    picture = (
        f"[0:v:0]fps={_rate(preset.fps)},"
        f"scale={size}:force_original_aspect_ratio=increase,crop={size}"
    )
    return inputs, picture


def _card_input(plan: ScenePlan, gen: GenerateConfig, title_file: Path) -> tuple[list[str], str]:
    """The designed fallback: a turning gradient with the title centred in large type."""
    preset = plan.preset
    first, second = gen.fallback_colours
    source = (
        f"gradients=s={preset.width_px}x{preset.height_px}:r={_rate(preset.fps)}"
        f":c0={first}:c1={second}:n=2:speed=0.004:seed={plan.index + 1}"
        f":d={plan.span.duration_s:.3f}"
    )
    font_px = max(12, round(_CARD_FONT_FRAC * preset.width_px))
    option_value = escape_filter_text(str(title_file.absolute()), OPTION_SPECIAL)
    font = escape_filter_text(gen.fallback_font, OPTION_SPECIAL)
    text = escape_filter_text(
        f"font={font}:textfile={option_value}:fontsize={font_px}:fontcolor=white"
        f":line_spacing={font_px // 4}:borderw={max(2, font_px // 18)}:bordercolor=black@0.6"
        ":x=(w-text_w)/2:y=h*0.16",
        GRAPH_SPECIAL,
    )
    picture = f"[0:v:0]format=yuv420p,drawtext={text}"
    return ["-f", "lavfi", "-i", source], picture


def wrap_title(title: str, preset: OutputPreset) -> str:
    """The title broken into lines that fit the card's width at its font size."""
    font_px = _CARD_FONT_FRAC * preset.width_px
    chars = max(8, int(preset.width_px * 0.85 / font_px * _CARD_CHARS_PER_EM))
    return "\n".join(textwrap.wrap(" ".join(title.split()), width=chars)[:5]) or " "


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _rate(fps: float) -> str:
    return str(int(fps)) if float(fps).is_integer() else f"{fps:.6f}"
