"""Caption templates render on a real clip with the spoken word in the highlight colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_video.config import CaptionTemplate, Settings, caption_style
from ai_video.edit.captions import build_caption_track
from ai_video.errors import ConfigError
from ai_video.media.ffmpeg import local_input, run_ffmpeg
from ai_video.media.images import image_rgb
from ai_video.render.caption_preview import render_caption_preview
from ai_video.render.caption_templates import template_to_ass, write_caption_ass
from ai_video.render.render import render_clip
from ai_video.types import CaptionTrack, CropKeyframe, CropPath, OutputPreset, TimeSpan, Word
from tests.render.test_render import ENCODER, plan_for

TEMPLATES = ("pop", "karaoke", "lower_third", "boxed", "hormozi")
PRESET = OutputPreset("small", 360, 640, 25.0)
SPAN = TimeSpan(20.0, 23.6)
TEXT = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
STEP_S = 0.45
WORD_S = 0.35


def _words() -> list[Word]:
    return [
        Word(t, SPAN.start_s + 0.1 + i * STEP_S, SPAN.start_s + 0.1 + i * STEP_S + WORD_S, 1.0)
        for i, t in enumerate(TEXT)
    ]


def _template(name: str) -> CaptionTemplate:
    style = caption_style(Settings().with_overrides({"finishing.captions": name}))
    assert isinstance(style, CaptionTemplate)
    return style


def _frame(video: Path, at_s: float, settings: Settings) -> np.ndarray:
    args = ["-v", "error", "-ss", f"{at_s:.3f}", *local_input(video), "-frames:v", "1"]
    args += ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    raw = run_ffmpeg(settings.media.ffmpeg_bin, args, timeout_s=60).stdout
    return np.frombuffer(raw, np.uint8).reshape(PRESET.height_px, PRESET.width_px, 3)


def _mask(frame: np.ndarray, colour: str, plain: np.ndarray | None = None) -> np.ndarray:
    """Pixels near ``colour`` (and, given the uncaptioned frame, changed by the captions)."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], np.int16)
    near = np.abs(frame.astype(np.int16) - rgb).max(axis=2) < 70
    if plain is None:
        return near
    changed = np.abs(frame.astype(np.int16) - plain.astype(np.int16)).max(axis=2) > 40
    return near & changed


CROP = CropPath((CropKeyframe(0.0, 112, 0, 288, 512),))


@pytest.fixture(scope="module")
def uncaptioned(media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same clip without captions: pixels that differ from it are caption pixels."""
    folder = tmp_path_factory.mktemp("plain")
    settings = Settings()
    track = CaptionTrack((), "plain")
    plan = plan_for(media / "talking/dfrf_cnn2_25fps.mp4", SPAN, CROP, track, preset=PRESET)
    ass = write_caption_ass(track, settings.preset().caption, (360, 640), folder / "c.ass")
    return render_clip(plan, folder / "c.mp4", ass, ENCODER, settings.render, settings.media).path


@pytest.mark.media
@pytest.mark.parametrize("name", TEMPLATES)
def test_template_highlights_the_spoken_word(
    name: str, media: Path, settings: Settings, tmp_path: Path, uncaptioned: Path
) -> None:
    template = _template(name)
    track = build_caption_track(
        _words(), SPAN, name, template.min_words_per_line, template.max_words_per_line,
        break_pause_s=template.line_break_pause_s, max_chars=60,
    )  # fmt: skip
    plan = plan_for(media / "talking/dfrf_cnn2_25fps.mp4", SPAN, CROP, track, preset=PRESET)
    ass = write_caption_ass(
        track, template, (PRESET.width_px, PRESET.height_px), tmp_path / "c.ass"
    )
    video = render_clip(plan, tmp_path / "c.mp4", ass, ENCODER, settings.render, settings.media)
    # the first word, then the third, each in the middle of its spoken time (clip time)
    colour = template.highlight_colour
    first, third = (
        _mask(_frame(video.path, t, settings), colour, _frame(uncaptioned, t, settings))
        for t in (0.1 + 0.6 * WORD_S, 0.1 + 2 * STEP_S + 0.6 * WORD_S)
    )
    assert first.sum() > 25 and third.sum() > 25, (first.sum(), third.sum())
    only_first, only_third = first & ~third, third & ~first
    assert only_third.sum() > 25
    if template.max_words_per_line >= 3:  # same line: the highlight moved right, to word 3
        x_first = np.nonzero(only_first if only_first.sum() > 25 else first)[1].mean()
        assert np.nonzero(only_third)[1].mean() > x_first + 10


def test_template_markup() -> None:
    words = [Word("We", 0.0, 0.3, 1.0), Word("win", 0.4, 0.7, 1.0), Word("42", 0.8, 1.1, 1.0)]
    track = build_caption_track(words, TimeSpan(0.0, 2.0), "s", 1, 3)
    pop = template_to_ass(track, _template("pop"), (1080, 1920))
    assert "\\t(0,90,\\fscx118\\fscy118)" in pop  # pop-in of the spoken word
    assert "WIN ★" in pop  # uppercase, keyword symbol
    karaoke = template_to_ass(track, _template("karaoke"), (1080, 1920))
    assert karaoke.count("\\kf") == 3
    boxed = template_to_ass(track, _template("boxed"), (1080, 1920))
    assert ",3," in next(ln for ln in boxed.splitlines() if ln.startswith("Style:"))


def test_unknown_template_and_bad_override_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown caption template"):
        caption_style(Settings().with_overrides({"finishing.captions": "nope"}))
    bad = {"finishing.captions": "pop", "finishing.caption_overrides": {"font_sz": 3}}
    with pytest.raises(ConfigError, match="caption override"):
        caption_style(Settings().with_overrides(bad))
    good = {"finishing.captions": "pop", "finishing.caption_overrides": {"font_size_px": 50}}
    assert caption_style(Settings().with_overrides(good)).font_size_px == 50


@pytest.mark.parametrize("name", ["pop", "hormozi"])
def test_preview_png_is_not_blank(name: str, settings: Settings, tmp_path: Path) -> None:
    out = render_caption_preview(
        _template(name), (270, 480), tmp_path / "p.png", settings.media, None
    )
    image = np.asarray(image_rgb(out))
    assert image.shape == (480, 270, 3)
    highlight = _mask(image, _template(name).highlight_colour)
    assert highlight.sum() > 25  # the spoken sample word, in the highlight colour
    assert image.reshape(-1, 3).std(axis=0).max() > 5  # not one flat colour
