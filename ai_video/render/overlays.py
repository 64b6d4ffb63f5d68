"""B-roll overlays inside the one render graph: inputs, fitting, timing and compositing.

Each overlay is one more input of the clip's ffmpeg process: a video is seeked to its
offset, looped if it is shorter than its span and cut to the span's length (its sound is
never mapped, so the speech stays continuous); a still is decoded once and, with a zoom
above 1, pushed in slowly by ``zoompan``. Full-frame overlays cover the output frame
(scaled to cover, centre-cropped: 9:16 fill); picture-in-picture ones are a box of
``render.overlay_pip_width_frac`` of the width near the top. Every overlay is timed by
shifting its timestamps to its span in clip time and enabled only inside it; captions are
burned after all overlays, so they stay on top.
"""

from __future__ import annotations

from ai_video.config import RenderConfig
from ai_video.media.ffmpeg import local_input
from ai_video.types import EditPlan, OutputPreset, Overlay

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"})
_MARGIN_FRAMES = 2


def is_still(overlay: Overlay) -> bool:
    """Whether the overlay's source is a still image (by its file suffix)."""
    return overlay.source.suffix.lower() in IMAGE_SUFFIXES


def overlay_inputs(plan: EditPlan) -> list[str]:
    """Input options of every overlay, in order (inputs 1..n after the source).

    Each input runs two frames past its span, so rounding onto the output frame grid never
    leaves the last frames of the span without a picture; ``enable`` cuts it exactly.
    """
    args: list[str] = []
    for overlay in plan.overlays:
        duration = seconds(overlay.span.duration_s + _MARGIN_FRAMES / plan.preset.fps)
        if is_still(overlay) and overlay.zoom > 1.0:
            args += local_input(overlay.source)  # one picture; zoompan makes the frames
        elif is_still(overlay):
            args += ["-loop", "1", "-t", duration, *local_input(overlay.source)]
        else:
            offset = seconds(overlay.source_offset_s)
            args += ["-stream_loop", "-1", "-ss", offset, "-t", duration]
            args += local_input(overlay.source)
    return args


def overlay_chains(
    plan: EditPlan, base: str, render: RenderConfig, rate: str
) -> tuple[list[str], str]:
    """Chains that lay every overlay over ``base``; returns them and the head that continues."""
    chains: list[str] = []
    label = "base"
    for index, overlay in enumerate(plan.overlays, start=1):
        chains.append(f"{base}[{label}]")
        chains.append(_fitted(index, overlay, plan.preset, render, rate))
        top = _overlay_y(overlay, plan.preset.height_px, render)
        start, end = seconds(overlay.span.start_s), seconds(overlay.span.end_s)
        base = (
            f"[{label}][ov{index}]overlay=x=(W-w)/2:y={top}:eof_action=pass"
            f":enable='gte(t,{start})*lt(t,{end})'"
        )
        label = f"base{index}"
    return chains, base


def _box(overlay: Overlay, preset: OutputPreset, render: RenderConfig) -> tuple[int, int | None]:
    """The overlay's size on screen: the frame, or the picture-in-picture width (height free)."""
    if overlay.full_frame:
        return preset.width_px, preset.height_px
    return even(preset.width_px * render.overlay_pip_width_frac), None


def _fitted(
    index: int, overlay: Overlay, preset: OutputPreset, render: RenderConfig, rate: str
) -> str:
    """Input ``index`` fitted to its box at the output rate, its timestamps at its span."""
    width, height = _box(overlay, preset, render)
    flags = render.scale_flags
    if height is None:
        fit = f"scale={width}:-2:flags={flags}"
    else:
        fit = (
            f"scale={width}:{height}:force_original_aspect_ratio=increase:flags={flags},"
            f"crop={width}:{height}"
        )
    if is_still(overlay) and overlay.zoom > 1.0:
        fit = _push_in(overlay, (width, height), preset.fps, render, rate)
    return (
        f"[{index}:v:0]{fit},setsar=1,fps={rate},format=yuv420p,"
        f"setpts=PTS-STARTPTS+{seconds(overlay.span.start_s)}/TB[ov{index}]"
    )


def _push_in(
    overlay: Overlay, box: tuple[int, int | None], fps: float, render: RenderConfig, rate: str
) -> str:
    """A still scaled to ``zoom`` x its box, then zoomed from 1 to ``zoom`` over the span.

    The picture is first made exactly zoom x the box (so the last frame is 1:1 and every
    earlier one a downscale, which keeps zoompan's whole-pixel steps below one output pixel).
    A picture-in-picture still keeps its aspect ratio inside a 16:9 box.
    """
    width, height = box
    box_h = height if height is not None else even(width * 9 / 16)
    big_w, big_h = even(width * overlay.zoom), even(box_h * overlay.zoom)
    frames = max(1, round(overlay.span.duration_s * fps))
    gain = overlay.zoom - 1.0
    return (
        f"scale={big_w}:{big_h}:force_original_aspect_ratio=increase:flags={render.scale_flags},"
        f"crop={big_w}:{big_h},"
        f"zoompan=z='min(1+{gain:.4f}*on/{max(frames - 1, 1)},{overlay.zoom:.4f})'"
        f":x='(iw-iw/zoom)/2':y='(ih-ih/zoom)/2'"
        f":d={frames + _MARGIN_FRAMES}:s={width}x{box_h}:fps={rate}"
    )


def _overlay_y(overlay: Overlay, height_px: int, render: RenderConfig) -> str:
    """Top edge of an overlay: 0 for full frame, the configured margin for picture-in-picture."""
    return "0" if overlay.full_frame else str(round(height_px * render.overlay_pip_top_frac))


def even(value: float) -> int:
    """The nearest even whole number (at least 2): a size yuv420p can hold."""
    return max(2, 2 * round(value / 2))


def seconds(value: float) -> str:
    """Seconds as ffmpeg reads them, to the millisecond."""
    return f"{value:.3f}"
