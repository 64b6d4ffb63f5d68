"""Cutaways inside the one render pass: the frames show the asset only inside its span, the
speech runs on unbroken under them, and a still's push-in really zooms.

Ground truth by construction: the 'speaker' is a flat grey picture under espeak-ng speech;
the b-roll is a red still, a blue video carrying a loud 1 kHz tone of its own (which must
never be heard), a green still in a picture-in-picture box, and a still with a white square
whose on-screen size grows by the configured zoom.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_video.config import CaptionStyle, Settings
from ai_video.media.audio import write_wav
from ai_video.media.espeak import synthesize_espeak
from ai_video.media.ffmpeg import local_input, run_ffmpeg
from ai_video.render.export import write_ass
from ai_video.render.render import render_clip
from ai_video.types import (
    AudioPlan,
    CaptionTrack,
    CropKeyframe,
    CropPath,
    EditPlan,
    EncoderProfile,
    OutputPreset,
    Overlay,
    TimeSpan,
)

pytestmark = pytest.mark.slow

ENCODER = EncoderProfile("libx264", ("-preset", "ultrafast", "-crf", "23"), reason="test")
PRESET = OutputPreset("small", 180, 320, 25.0)
SPAN = TimeSpan(1.0, 9.0)
TEXT = (
    "Today we look at a red bicycle, a blue lighthouse and a green garden. "
    "Each one has a story, and the stories are long enough to fill this clip. "
    "We will come back to all of them at the end."
)


def ffmpeg(args: list[str]) -> bytes:
    return run_ffmpeg("ffmpeg", ["-y", "-v", "error", *args], timeout_s=120).stdout


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("broll_render")
    samples, rate = synthesize_espeak(TEXT, "en-us", 160, "espeak-ng", 60)
    write_wav(samples, rate, folder / "speech.wav")
    source = folder / "talk.mp4"
    ffmpeg(["-f", "lavfi", "-i", "color=c=0x808080:s=320x180:r=25", "-i",
            str(folder / "speech.wav"), "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
            "-c:a", "aac", str(source)])  # fmt: skip
    out = {"source": source}
    for name, colour in (("red", "red"), ("green", "0x00FF00")):
        out[name] = folder / f"{name}.png"
        ffmpeg(["-f", "lavfi", "-i", f"color=c={colour}:s=640x360", "-frames:v", "1",
                str(out[name])])  # fmt: skip
    out["blue"] = folder / "blue.mp4"
    ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=480x270:r=30:d=2", "-f", "lavfi", "-i",
            "sine=frequency=1000:d=2,volume=8", "-c:v", "libx264", "-preset", "ultrafast",
            "-c:a", "aac", "-shortest", str(out["blue"])])  # fmt: skip
    out["square"] = folder / "square.png"
    ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=360x640", "-vf",
            "drawbox=x=130:y=270:w=100:h=100:color=white:t=fill", "-frames:v", "1",
            str(out["square"])])  # fmt: skip
    return out


def plan(source: Path, overlays: tuple[Overlay, ...]) -> EditPlan:
    crop = CropPath((CropKeyframe(0.0, 0, 0, 100, 180),))
    audio = AudioPlan(-14.0, -1.5, 128, 48000)
    return EditPlan(source, SPAN, PRESET, crop, CaptionTrack((), "small"), audio, overlays)


@pytest.fixture(scope="module")
def renders(assets: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The clip with four cutaways, and the same clip without any."""
    folder = tmp_path_factory.mktemp("broll_out")
    settings = Settings()
    overlays = (
        Overlay(assets["red"], TimeSpan(0.5, 1.5)),  # ffmpeg's own clip time, no hook guard here
        Overlay(assets["blue"], TimeSpan(2.0, 4.0), source_offset_s=0.5),
        Overlay(assets["green"], TimeSpan(4.5, 5.5), full_frame=False),
        Overlay(assets["square"], TimeSpan(6.0, 7.6), zoom=1.3),
    )
    ass = write_ass(CaptionTrack((), "small"), CaptionStyle(font_size_px=20), (180, 320),
                    folder / "none.ass")  # fmt: skip
    with_broll = render_clip(plan(assets["source"], overlays), folder / "broll.mp4", ass,
                             ENCODER, settings.render, settings.media)  # fmt: skip
    bare = render_clip(plan(assets["source"], ()), folder / "bare.mp4", ass, ENCODER,
                       settings.render, settings.media)  # fmt: skip
    return [with_broll.path, bare.path]


def frames(path: Path) -> np.ndarray:
    raw = ffmpeg([*local_input(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
    return np.frombuffer(raw, np.uint8).reshape(-1, 320, 180, 3).astype(np.int16)


def pcm(path: Path, extra: list[str] | None = None) -> np.ndarray:
    raw = ffmpeg([*(extra or []), *local_input(path), "-map", "0:a:0", "-ac", "1", "-ar",
                  "16000", "-f", "s16le", "pipe:1"])  # fmt: skip
    return np.frombuffer(raw, np.int16).astype(np.float64) / 32768.0


def envelope_db(samples: np.ndarray, hop: int = 320) -> np.ndarray:
    n = len(samples) // hop
    rms = np.sqrt(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1))
    return 20 * np.log10(rms + 1e-6)


def test_each_cutaway_shows_its_asset_only_inside_its_span(renders: list[Path]) -> None:
    video = frames(renders[0])
    assert len(video) == 200  # 8 s at 25 fps
    grey = np.array([128, 128, 128])

    def colour(t_s: float, rows: slice = slice(None), cols: slice = slice(None)) -> np.ndarray:
        return np.asarray(video[round(t_s * 25), rows, cols].mean(axis=(0, 1)))

    assert np.abs(colour(0.2) - grey).max() < 12  # the speaker before any cutaway
    # the red still covers exactly the frames of [0.5, 1.5): 0.52 s .. 1.48 s
    for t_s, red in ((0.48, False), (0.52, True), (1.0, True), (1.48, True), (1.52, False)):
        assert (colour(t_s)[0] > 200 and colour(t_s)[1:].max() < 50) == red, t_s
    assert np.abs(colour(1.7) - grey).max() < 12  # back to the speaker
    assert colour(3.0)[2] > 200 and colour(3.0)[:2].max() < 60  # blue video, full frame
    top = round(320 * Settings().render.overlay_pip_top_frac)
    box = colour(5.0, slice(top + 4, top + 40), slice(50, 130))  # a box half the width
    assert box[1] > 200 and box[0] < 60  # green picture-in-picture box
    assert np.abs(colour(5.0, slice(top + 4, top + 40), slice(0, 40)) - grey).max() < 12
    assert np.abs(colour(5.0, slice(top + 70, None)) - grey).max() < 12  # speaker under it
    assert np.abs(colour(7.96) - grey).max() < 12  # the speaker after the last one


def test_a_still_pushes_in_by_its_zoom(renders: list[Path]) -> None:
    video = frames(renders[0])

    def square_height(t_s: float) -> int:
        column = video[round(t_s * 25), :, 90, 0]
        return int((column > 128).sum())

    first, last = square_height(6.0), square_height(7.56)
    # the 100 px square in a 640 px tall picture covers 320 px: 50 px, then 1.3 x 50
    assert first == pytest.approx(50, abs=3)
    assert last == pytest.approx(65, abs=3)


def test_speech_runs_unbroken_under_the_cutaways(
    renders: list[Path], assets: dict[str, Path]
) -> None:
    with_broll, bare = (pcm(p) for p in renders)
    assert len(with_broll) == pytest.approx(8 * 16000, abs=800)
    # the b-roll's own tone never reaches the mix: the two renders carry the same sound
    n = min(len(with_broll), len(bare))
    assert np.abs(with_broll[:n] - bare[:n]).max() < 1e-3
    # and that sound follows the source's speech over the span, with no dropout
    source = pcm(assets["source"], ["-ss", "1.0", "-t", "8.0"])
    ours, theirs = envelope_db(with_broll), envelope_db(source)
    m = min(len(ours), len(theirs))
    assert np.corrcoef(ours[:m], theirs[:m])[0, 1] > 0.9
    speaking = theirs[:m] > -35
    assert speaking.sum() > 0.5 * m
    assert (ours[:m][speaking] > -45).all()
