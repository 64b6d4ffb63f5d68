"""The bare equivalent of a generated short's composition: ONE plain ffmpeg command.

Each scene's picture (image held still, video trimmed or looped, title card as a flat colour)
scaled and cropped to the output size, concatenated, with the narration and the music mixed
under it, encoded with the same x264 preset and CRF as the pipeline. No captions, no camera
moves, no ducking: the least work that still gives a watchable short of the same length, so
the pipeline's render ratio against it bounds everything the pipeline adds.
"""

from __future__ import annotations

from pathlib import Path

from ai_video.config import Settings
from ai_video.media.ffmpeg import run_ffmpeg
from ai_video.types import ScenePlan


def _scene_input(plan: ScenePlan) -> list[str]:
    """ffmpeg input options giving this scene's picture for exactly its duration."""
    dur = f"{plan.span.duration_s:.3f}"
    preset = plan.preset
    if plan.visual_kind == "image" and plan.visual is not None:
        return ["-loop", "1", "-framerate", f"{preset.fps:g}", "-t", dur, "-i", str(plan.visual)]
    if plan.visual_kind == "video" and plan.visual is not None:
        seek = ["-ss", f"{plan.source_offset_s:.3f}"]
        return [*seek, "-stream_loop", "-1", "-t", dur, "-i", str(plan.visual)]
    size = f"{preset.width_px}x{preset.height_px}"
    return ["-f", "lavfi", "-t", dur, "-i", f"color=c=black:s={size}:r={preset.fps:g}"]


def bare_short_args(
    plans: list[ScenePlan], narration: Path, music: Path | None, out: Path, settings: Settings
) -> list[str]:
    """The one ffmpeg command (arguments) that composes the short."""
    preset = plans[0].preset
    w, h, fps = preset.width_px, preset.height_px, f"{preset.fps:g}"
    args = ["-y", "-v", "error"]
    for plan in plans:
        args += _scene_input(plan)
    args += ["-i", str(narration)]
    if music is not None:
        args += ["-stream_loop", "-1", "-i", str(music)]
    n = len(plans)
    fit = f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},fps={fps},setsar=1"
    graph = [f"[{i}:v]{fit},format=yuv420p[v{i}]" for i in range(n)]
    graph.append("".join(f"[v{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]")
    if music is not None:
        graph.append(f"[{n + 1}:a]volume=0.15[m];[{n}:a][m]amix=inputs=2:duration=first[a]")
        audio = "[a]"
    else:
        audio = f"{n}:a"
    render = settings.render
    args += ["-filter_complex", ";".join(graph), "-map", "[v]", "-map", audio]
    args += ["-c:v", "libx264", "-preset", render.x264_preset, "-crf", str(render.x264_crf)]
    args += ["-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)]
    return args


def bare_short(
    plans: list[ScenePlan], narration: Path, music: Path | None, out: Path, settings: Settings
) -> Path:
    """Compose the short with the one bare ffmpeg command."""
    run_ffmpeg("ffmpeg", bare_short_args(plans, narration, music, out, settings), 3600.0)
    return out
