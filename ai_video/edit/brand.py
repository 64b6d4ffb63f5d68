"""Where a brand kit's elements go in one clip: logo rectangle, bar height, intro and outro."""

from __future__ import annotations

from ai_video.config import BrandKit
from ai_video.types import BrandPlan, MediaInfo, OutputPreset


def plan_brand(
    brand: BrandKit,
    preset: OutputPreset,
    logo_size: tuple[int, int] | None,
    intro: MediaInfo | None,
    outro: MediaInfo | None,
) -> BrandPlan:
    """The brand's elements for a ``preset`` frame (logo size from the image's own size)."""
    width, height = preset.width_px, preset.height_px
    logo_w = 2 * max(1, round(brand.logo_width_frac * width / 2))
    xy = (0, 0)
    if brand.logo is not None and logo_size is not None:
        logo_h = 2 * max(1, round(logo_w * logo_size[1] / max(1, logo_size[0]) / 2))
        margin = round(brand.logo_margin_frac * width)
        x = margin if brand.logo_position.endswith("left") else width - logo_w - margin
        y = margin if brand.logo_position.startswith("top") else height - logo_h - margin
        xy = (x, y)
    bar = max(2, round(brand.progress_bar_height_frac * height)) if brand.progress_bar else 0
    return BrandPlan(
        logo=brand.logo,
        logo_xy=xy,
        logo_width_px=logo_w,
        logo_opacity=brand.logo_opacity,
        progress_bar_colour=brand.progress_bar_colour if brand.progress_bar else None,
        progress_bar_height_px=bar,
        intro=brand.intro,
        intro_s=intro.duration_s if intro is not None else 0.0,
        intro_has_audio=intro is not None and intro.audio is not None,
        outro=brand.outro,
        outro_s=outro.duration_s if outro is not None else 0.0,
        outro_has_audio=outro is not None and outro.audio is not None,
    )
