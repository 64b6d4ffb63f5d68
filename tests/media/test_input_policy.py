"""Untrusted files: refused on their header before decode; ffmpeg reads and jobs are bounded."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ai_video.config import InputPolicyConfig, MediaConfig
from ai_video.errors import FFmpegTimeout, InputError
from ai_video.media.ffmpeg import job_deadline, run_ffmpeg, stream_ffmpeg
from ai_video.media.input_policy import probe_untrusted
from ai_video.media.probe import probe
from tests.conftest import make_lavfi_clip

MEDIA = MediaConfig(probe_timeout_s=3.0)
POLICY = InputPolicyConfig()


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s 320x240 H.264+AAC clip."""
    return make_lavfi_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", 2.0, "320x240")


def _refused(path: Path, policy: InputPolicyConfig = POLICY) -> str:
    started = time.monotonic()
    with pytest.raises(InputError) as exc:
        probe_untrusted(path, MEDIA, policy)
    assert time.monotonic() - started < MEDIA.probe_timeout_s  # refused, not timed out
    message = str(exc.value)
    assert str(path.parent) not in message, message  # no server path in the message
    return message


def test_an_ordinary_clip_is_accepted(clip: Path) -> None:
    info = probe_untrusted(clip, MEDIA, POLICY)
    assert info.video is not None and (info.video.width, info.video.height) == (320, 240)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)


def test_hls_playlist_under_any_name_is_refused_before_reading_segments(tmp_path: Path) -> None:
    """The playlist names a FIFO: opening it would block; the policy never gets that far."""
    fifo = tmp_path / "other_job_upload.ts"
    os.mkfifo(fifo)
    playlist = tmp_path / "upload.mp4"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{fifo}\n#EXT-X-ENDLIST\n")
    assert "not a readable media file of an accepted kind" in _refused(playlist)
    # control: the unrestricted probe does follow the playlist (and blocks on the FIFO)
    with pytest.raises(InputError, match="not a readable media file"):
        probe(playlist, MediaConfig(probe_timeout_s=1.0))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("list.mp4", "ffconcat version 1.0\nfile '/etc/hostname'\n"),
        ("dash.mp4", '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011">'
         '<Period><AdaptationSet><Representation><BaseURL>/etc/hostname</BaseURL>'
         "</Representation></AdaptationSet></Period></MPD>"),
        ("text.mp4", "just some text, not a video\n" * 20),
    ],
)  # fmt: skip
def test_playlists_and_text_are_refused(name: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert "not a readable media file of an accepted kind" in _refused(path)


def test_image_as_video_is_refused(tmp_path: Path) -> None:
    png = tmp_path / "frame.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", "-f", "image2", str(png))
    assert "frame.mp4" in _refused(png)


def test_caps(clip: Path) -> None:
    assert "at most 1 s" in _refused(clip, InputPolicyConfig(max_duration_s=1.0))
    assert "320x240" in _refused(clip, InputPolicyConfig(max_pixels=320 * 239))
    assert "2 streams" in _refused(clip, InputPolicyConfig(max_streams=1))
    assert "larger than 1000 bytes" in _refused(clip, InputPolicyConfig(max_file_bytes=1000))


def test_empty_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "zero.mp4").touch()
    assert _refused(tmp_path / "zero.mp4") == "zero.mp4: file is empty (0 bytes)"
    assert _refused(tmp_path / "gone.mp4") == "gone.mp4: file not found"


def test_huge_picture_header_is_refused_before_decode(tmp_path: Path) -> None:
    big = tmp_path / "big.mkv"
    _ffmpeg("-f", "lavfi", "-i", "color=size=7680x4320:duration=0.04", "-c:v", "libx264",
            "-preset", "ultrafast", str(big))  # fmt: skip
    assert "7680x4320" in _refused(big)


def _stalling_writer(fifo: Path, data: bytes, stop: threading.Event) -> None:
    with fifo.open("wb") as out:
        out.write(data)
        out.flush()
        stop.wait(30)  # keep the pipe open: ffmpeg waits for more


def test_a_stalled_decode_times_out(clip: Path, tmp_path: Path) -> None:
    ts = tmp_path / "clip.ts"
    _ffmpeg("-i", str(clip), "-c", "copy", "-f", "mpegts", str(ts))
    fifo = tmp_path / "stall.ts"
    os.mkfifo(fifo)
    stop = threading.Event()
    writer = threading.Thread(
        target=_stalling_writer, args=(fifo, ts.read_bytes()[: 40 * 188], stop), daemon=True
    )
    writer.start()
    args = ["-v", "error", "-f", "mpegts", "-i", f"file:{fifo}", "-f", "rawvideo", "pipe:1"]
    started = time.monotonic()
    try:
        with (
            pytest.raises(FFmpegTimeout, match="stalled"),
            stream_ffmpeg("ffmpeg", args, timeout_s=60, stall_timeout_s=1.0) as pipe,
        ):
            while pipe.read(1 << 16):
                pass
    finally:
        stop.set()
        writer.join(5)
    assert time.monotonic() - started < 10


def test_job_deadline_kills_the_process_group(tmp_path: Path) -> None:
    """A wrapper script with a child: both die when the deadline passes."""
    pids = tmp_path / "pids"
    script = tmp_path / "ffmpeg-wrapper"
    script.write_text(f"#!/bin/sh\nsleep 60 &\necho $$ $! > {pids}\nwait\n")
    script.chmod(0o755)
    started = time.monotonic()
    with job_deadline(1.0), pytest.raises(FFmpegTimeout):
        run_ffmpeg(str(script), [], timeout_s=60)
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    for pid in map(int, pids.read_text().split()):
        assert _gone(pid)


def _gone(pid: int) -> bool:
    """No such process, or only its zombie is left (dead, waiting to be reaped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_job_deadline_passed_refuses_new_processes() -> None:
    with job_deadline(0.0), pytest.raises(FFmpegTimeout, match="deadline"):
        run_ffmpeg("ffmpeg", ["-version"], timeout_s=10)
