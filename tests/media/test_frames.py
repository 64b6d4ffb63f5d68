"""The shared analysis decode: size, rate, timeline, rotation, batching and damaged input."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ai_video.config import AnalysisConfig, MediaConfig
from ai_video.errors import InputError
from ai_video.media.frames import analysis_fps, analysis_size, stream_frames
from ai_video.media.probe import probe
from ai_video.types import FrameBatch
from tests.conftest import make_lavfi_clip

MEDIA = MediaConfig()


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def _all_frames(batches: list[FrameBatch]) -> np.ndarray:
    return np.concatenate([b.frames for b in batches])


def test_lavfi_clip_size_rate_and_batches(lavfi_clip: Path) -> None:
    info = probe(lavfi_clip, MEDIA)
    cfg = AnalysisConfig(batch_frames=16)
    batches = list(stream_frames(info, cfg, MEDIA))
    assert analysis_fps(info, cfg) == pytest.approx(25.0)
    assert [b.start_index for b in batches] == list(range(0, 75, 16))
    assert all(len(b.frames) <= 16 for b in batches)
    frames = _all_frames(batches)
    assert frames.shape == (75, 180, 320, 3)  # 3 s at 25 fps, 640x360 -> 320x180
    assert frames.dtype == np.uint8
    assert {b.scale for b in batches} == {2.0}
    assert batches[1].times_s()[0] == pytest.approx(16 / 25)
    assert 40 < frames.mean() < 200  # a real picture, not zeros


def test_rate_is_capped_and_index_maps_to_time(tmp_path: Path) -> None:
    clip = tmp_path / "red_then_blue.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "color=c=red:s=160x90:r=50:d=1",
        "-f", "lavfi", "-i", "color=c=blue:s=160x90:r=50:d=1",
        "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip),
    )  # fmt: skip
    info = probe(clip, MEDIA)
    cfg = AnalysisConfig(max_fps=10.0, frame_width_px=64)
    frames = _all_frames(list(stream_frames(info, cfg, MEDIA)))
    assert analysis_fps(info, cfg) == 10.0
    assert len(frames) == 20  # 2 s at the capped 10 fps
    red = frames[:, :, :, 0].mean(axis=(1, 2)) > frames[:, :, :, 2].mean(axis=(1, 2))
    assert red[:10].all() and not red[10:].any()  # frame i shows time i / 10 s


def test_rotated_source_is_decoded_upright(tmp_path: Path) -> None:
    plain = tmp_path / "halves.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "color=red:s=160x180:d=0.5:r=10[a];color=blue:s=160x180:d=0.5:r=10[b];"
        "[a][b]hstack",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(plain),
    )  # fmt: skip
    rotated = tmp_path / "rotated.mp4"
    _ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    info = probe(rotated, MEDIA)
    cfg = AnalysisConfig(frame_width_px=90)
    assert analysis_size(info, cfg) == (90, 160)
    frames = _all_frames(list(stream_frames(info, cfg, MEDIA)))
    assert frames.shape == (5, 160, 90, 3)
    top, bottom = frames[0, :70].mean(axis=(0, 1)), frames[0, -70:].mean(axis=(0, 1))
    # the left/right halves of the stored picture end up on top and bottom once upright
    assert {int(np.argmax(top)), int(np.argmax(bottom))} == {0, 2}


@pytest.mark.media
def test_hevc_vertical_source(media: Path) -> None:
    info = probe(media / "talking/latentsync_demo1_video.mp4", MEDIA)
    stream = stream_frames(info, AnalysisConfig(batch_frames=12), MEDIA)
    first, second = next(stream), next(stream)
    stream.close()  # two batches prove the layout; the full decode is the slow part
    assert first.frames.shape == (12, 568, 320, 3)  # 1080x1920 -> 320 wide, even height
    assert second.start_index == 12 and second.fps == 25.0
    assert first.scale == pytest.approx(1080 / 320)
    assert 30 < first.frames.mean() < 220


@pytest.mark.media
def test_vfr_source_on_its_nominal_timeline(media: Path) -> None:
    info = probe(media / "scenes/goldeneye-vfr-drop3.mp4", MEDIA)
    assert info.video is not None
    # 160 decoded frames, every third one of the 23.976 fps timeline dropped; probe reads
    # the nominal rate from r_frame_rate
    assert abs(info.video.nominal_fps - 24000 / 1001) < 1e-3
    frames = _all_frames(list(stream_frames(info, AnalysisConfig(frame_width_px=96), MEDIA)))
    assert abs(len(frames) - 239) <= 1
    repeats = int(np.sum(np.all(frames[1:] == frames[:-1], axis=(1, 2, 3))))
    assert abs(repeats - 79) <= 3  # the dropped frames come back as duplicates
    no_nominal = dataclasses.replace(info, video=dataclasses.replace(info.video, nominal_fps=0.0))
    average = _all_frames(list(stream_frames(no_nominal, AnalysisConfig(frame_width_px=96), MEDIA)))
    assert len(average) == 160  # without a nominal rate: the average rate, no duplicates


@pytest.mark.media
def test_truncated_file_with_index_up_front(media: Path, tmp_path: Path) -> None:
    data = (media / "talking/liveportrait_s18.mp4").read_bytes()  # moov atom first
    cut = tmp_path / "cut_short.mp4"
    cut.write_bytes(data[: int(len(data) * 0.3)])
    info = probe(cut, MEDIA)  # the index still promises 9.4 s
    with pytest.raises(InputError, match=r"cut_short\.mp4: decoded only \d+ of about 283"):
        for _ in stream_frames(info, AnalysisConfig(frame_width_px=64), MEDIA):
            pass


def test_audio_only_input_is_rejected(tmp_path: Path) -> None:
    clip = make_lavfi_clip(tmp_path / "speech.m4a", duration_s=0.5, video=False)
    info = probe(clip, MEDIA)
    with pytest.raises(InputError, match=r"speech\.m4a: has no video stream"):
        next(stream_frames(info, AnalysisConfig(), MEDIA))


def test_stopping_early_ends_the_decode(tmp_path: Path) -> None:
    clip = make_lavfi_clip(tmp_path / "long.mp4", duration_s=4.0, audio=False)
    stream = stream_frames(probe(clip, MEDIA), AnalysisConfig(batch_frames=8), MEDIA)
    first = next(stream)
    stream.close()  # kills ffmpeg instead of waiting for the remaining 92 frames
    assert first.frames.shape[0] == 8
    assert not first.frames.flags.writeable  # batches are shared read-only views
