"""Render a clip with one ffmpeg process, and grab a thumbnail from the result.

Outputs are written to a temporary sibling and moved into place with ``os.replace``, so a
file at the final path is always complete; on failure the partial file is removed and the
:class:`FFmpegError` propagates.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from ai_video.config import MediaConfig, RenderConfig
from ai_video.errors import MediaError
from ai_video.media.ffmpeg import file_url, local_input, run_ffmpeg
from ai_video.media.files import replace_atomic
from ai_video.render.graph import build_render_args
from ai_video.types import EditPlan, EncoderProfile, RenderResult


def render_clip(
    plan: EditPlan,
    out_path: Path,
    ass_path: Path,
    encoder: EncoderProfile,
    render: RenderConfig,
    media: MediaConfig,
) -> RenderResult:
    """Run the one ffmpeg process that makes ``out_path`` from the plan's original source."""
    out_path = Path(out_path)
    started = time.perf_counter()
    with replace_atomic(out_path) as partial:
        args = build_render_args(plan, encoder, ass_path, partial, render, render.fonts_dir)
        run_ffmpeg(media.ffmpeg_bin, args, timeout_s=media.ffmpeg_timeout_s)
        _require_output(partial, args)
    return RenderResult(
        path=out_path,
        wall_s=time.perf_counter() - started,
        command=(media.ffmpeg_bin, *args),
        size_bytes=out_path.stat().st_size,
    )


def make_thumbnail(
    video: Path, out_jpg: Path, at_s: float, width_px: int, media: MediaConfig
) -> Path:
    """Write one JPEG frame of ``video`` at ``at_s`` seconds, ``width_px`` wide."""
    out_jpg = Path(out_jpg)
    with replace_atomic(out_jpg) as partial:
        args = [
            "-y", "-v", "error", "-ss", f"{max(at_s, 0.0):.3f}", *local_input(video),
            "-frames:v", "1", "-vf", f"scale={width_px}:-2", "-q:v", "3",
            "-f", "image2", "-update", "1", file_url(partial),
        ]  # fmt: skip
        run_ffmpeg(media.ffmpeg_bin, args, timeout_s=media.probe_timeout_s)
        _require_output(partial, args)
    return out_jpg


def _require_output(path: Path, args: Sequence[str]) -> None:
    """Raise when ffmpeg exited cleanly but wrote nothing (e.g. a seek past the end)."""
    if not path.is_file() or path.stat().st_size == 0:
        raise MediaError(f"ffmpeg exited cleanly but wrote no output to {path.name}: {args[-1]}")
