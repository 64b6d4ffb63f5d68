"""A brand kit in the one render: logo pixels where configured, bar, intro/outro durations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_video.config import Settings, caption_style, load_brand
from ai_video.errors import ConfigError
from ai_video.media.ffmpeg import local_input, run_ffmpeg
from ai_video.media.probe import probe
from ai_video.pipeline.finishing import branded_plans
from ai_video.render.caption_templates import write_caption_ass
from ai_video.render.render import render_clip
from ai_video.types import CaptionTrack, CropKeyframe, CropPath, OutputPreset, TimeSpan
from tests.render.test_render import ENCODER, plan_for

PRESET = OutputPreset("small", 180, 320, 25.0)
SPAN = TimeSpan(20.0, 23.0)
INTRO_S, OUTRO_S = 1.0, 1.6


def _lavfi(out: Path, graph: str, seconds: float, audio: bool) -> Path:
    args = ["-y", "-v", "error", "-f", "lavfi", "-i", f"{graph}:d={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)]
    run_ffmpeg("ffmpeg", args, timeout_s=60)
    return out


@pytest.fixture(scope="module")
def brand_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A brand YAML with a magenta logo, a green bar, a 1 s intro (sound) and silent outro."""
    folder = tmp_path_factory.mktemp("brand")
    run_ffmpeg("ffmpeg", ["-y", "-v", "error", "-f", "lavfi", "-i", "color=c=0xFF00FF:s=200x100",
                          "-frames:v", "1", str(folder / "logo.png")], timeout_s=30)  # fmt: skip
    _lavfi(folder / "intro.mp4", "color=c=0x2040A0:s=640x360:r=30", INTRO_S, audio=True)
    _lavfi(folder / "outro.mp4", "color=c=0x20A040:s=320x320:r=24", OUTRO_S, audio=False)
    (folder / "brand.yaml").write_text(
        "logo: logo.png\nlogo_position: top_right\nlogo_opacity: 1.0\nlogo_width_frac: 0.3\n"
        "highlight_colour: '#00E5FF'\nintro: intro.mp4\noutro: outro.mp4\n"
        "progress_bar: true\nprogress_bar_colour: '#00FF00'\nprogress_bar_height_frac: 0.03\n"
    )
    return folder / "brand.yaml"


def _frame(video: Path, at_s: float) -> np.ndarray:
    args = ["-v", "error", "-ss", f"{at_s:.3f}", *local_input(video), "-frames:v", "1"]
    args += ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    raw = run_ffmpeg("ffmpeg", args, timeout_s=60).stdout
    return np.frombuffer(raw, np.uint8).reshape(PRESET.height_px, PRESET.width_px, 3)


@pytest.mark.media
def test_brand_kit_renders_in_one_pass(media: Path, brand_file: Path, tmp_path: Path) -> None:
    kit = load_brand(brand_file)
    settings = Settings().with_overrides({"finishing.brand": kit.model_dump()})
    assert caption_style(settings).highlight_colour == "#00E5FF"  # brand colours in captions
    crop = CropPath((CropKeyframe(0.0, 112, 0, 288, 512),))
    track = CaptionTrack((), "small")
    plain = plan_for(media / "talking/dfrf_cnn2_25fps.mp4", SPAN, crop, track, preset=PRESET)
    (plan,) = branded_plans([plain], settings)
    assert plan.brand is not None
    ass = write_caption_ass(track, caption_style(settings), (180, 320), tmp_path / "c.ass")
    result = render_clip(plan, tmp_path / "b.mp4", ass, ENCODER, settings.render, settings.media)
    assert result.command.count("-filter_complex") == 1  # one process, one graph

    info = probe(result.path, settings.media)
    assert info.duration_s == pytest.approx(INTRO_S + SPAN.duration_s + OUTRO_S, abs=0.1)
    assert plan.total_duration_s == pytest.approx(INTRO_S + SPAN.duration_s + OUTRO_S, abs=0.05)

    # intro and outro pictures at their times, fitted to the frame
    intro = _frame(result.path, 0.5).astype(int)
    assert np.abs(intro[160, 90] - [0x20, 0x40, 0xA0]).max() < 30
    outro = _frame(result.path, INTRO_S + SPAN.duration_s + 0.8).astype(int)
    assert np.abs(outro[160, 90] - [0x20, 0xA0, 0x40]).max() < 30

    # the logo: magenta where configured (top right, 30% wide, 4% margin), nowhere else
    clip = _frame(result.path, INTRO_S + 1.5).astype(int)
    x, y = plan.brand.logo_xy
    w = plan.brand.logo_width_px
    assert (x, y, w) == (180 - 54 - 7, 7, 54)
    inside = clip[y + 3 : y + 24, x + 3 : x + w - 3]
    assert np.abs(inside - [255, 0, 255]).max(axis=2).mean() < 40
    magenta = np.abs(clip - [255, 0, 255]).max(axis=2) < 50
    assert magenta[:, : x - 4].sum() == 0 and magenta[y + 40 :, :].sum() == 0

    # the progress bar: about half the width filled half way through the clip
    bar = np.abs(clip[316] - [0, 255, 0]).max(axis=1) < 60
    assert 0.35 < bar.mean() < 0.65, bar.mean()


def test_brand_file_errors(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("logo: missing.png\n")
    with pytest.raises(ConfigError, match="does not exist"):
        load_brand(tmp_path / "b.yaml")
    (tmp_path / "c.yaml").write_text("logo_opacity: 3\n")
    with pytest.raises(ConfigError):
        load_brand(tmp_path / "c.yaml")
