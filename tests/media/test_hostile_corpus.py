"""A hostile input corpus, generated at test time, through the untrusted-input boundary.

Each case is a file a stranger could upload, with its expected outcome at the boundary the
pipeline uses (``probe_untrusted`` under the default input policy, then the video/audio
requirements, then the shared decodes of frames and audio):

* ``refused``: a clear InputError naming the file (never a server path), before any decode;
* ``no-video`` / ``no-audio``: accepted as media but refused for clipping;
* ``decodes``: accepted; the first frame batch has the analysis size and the audio decode
  has about ``duration * 16 kHz`` samples.

Every case runs under a stall timeout, so a hang fails the test instead of blocking it. The
outcome table is printed (``pytest -s`` shows it).
"""

from __future__ import annotations

import struct
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ai_video.config import AnalysisConfig, InputPolicyConfig, MediaConfig
from ai_video.errors import InputError, MediaError
from ai_video.media.audio import decode_audio
from ai_video.media.frames import analysis_size, stream_frames
from ai_video.media.input_policy import probe_untrusted
from ai_video.media.probe import require_audio, require_video

pytestmark = pytest.mark.slow

MEDIA = MediaConfig(probe_timeout_s=10.0, ffmpeg_timeout_s=30.0, stall_timeout_s=10.0)
POLICY = InputPolicyConfig()
ANALYSIS = AnalysisConfig(frame_width_px=64, batch_frames=8)


def ff(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def av(
    out: Path,
    seconds: float = 1.0,
    size: str = "160x90",
    rate: int = 10,
    vcodec: tuple[str, ...] = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
    acodec: tuple[str, ...] = ("-c:a", "aac"),
    extra: tuple[str, ...] = (),
) -> Path:
    """A small test clip: testsrc2 picture and a sine tone."""
    ff(
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate={rate}:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=300:duration={seconds}",
        *vcodec,
        *acodec,
        *extra,
        "-shortest",
        str(out),
    )
    return out


def text(content: str) -> Callable[[Path], Path]:
    def make(out: Path) -> Path:
        out.write_text(content)
        return out

    return make


def truncated(out: Path) -> Path:
    whole = av(out.with_name("whole.mp4"), seconds=2.0)
    out.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # moov is at the end
    return out


def huge_duration_header(out: Path) -> Path:
    """A Matroska file whose Duration element claims ~31 years."""
    av(out)
    data = bytearray(out.read_bytes())
    at = data.find(b"\x44\x89\x88")  # Duration, 8-byte float, in TimecodeScale units (ms)
    assert at > 0
    data[at + 3 : at + 11] = struct.pack(">d", 1e12)
    out.write_bytes(bytes(data))
    return out


def corrupted_middle(out: Path) -> Path:
    av(out, seconds=2.0, extra=("-movflags", "+faststart"))
    data = bytearray(out.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = bytes(range(256)) * 16
    out.write_bytes(bytes(data))
    return out


def zeroed_media_data(out: Path) -> Path:
    av(out, seconds=2.0, extra=("-movflags", "+faststart"))
    data = bytearray(out.read_bytes())
    start = data.find(b"mdat") + 4
    data[start:] = bytes(len(data) - start)
    out.write_bytes(bytes(data))
    return out


def png_bomb(out: Path) -> Path:
    ff(
        "-f",
        "lavfi",
        "-i",
        "color=size=16000x16000:duration=0.04",
        "-frames:v",
        "1",
        "-f",
        "image2",
        "-c:v",
        "png",
        str(out),
    )
    return out


def hls(out: Path) -> Path:
    segment = av(out.with_name("other_job.ts"), extra=("-f", "mpegts"))
    out.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{segment}\n"
        "#EXTINF:1.0,\n"
        f"{segment}\n" * 3 + "#EXT-X-ENDLIST\n"
    )
    return out


def many_streams(out: Path) -> Path:
    src = av(out.with_name("one.mkv"), acodec=("-c:a", "libopus"))
    maps = [a for _ in range(20) for a in ("-map", "0:a")]
    ff("-i", str(src), "-map", "0:v", *maps, "-c", "copy", str(out))
    return out


def vfr(out: Path) -> Path:
    return av(
        out,
        seconds=2.0,
        extra=("-vf", "setpts='if(lt(N,10),N/10/TB,(N*2)/10/TB)'", "-fps_mode", "vfr"),
    )


def with_subtitles(out: Path) -> Path:
    plain = av(out.with_name("plain.mkv"))
    srt = out.with_name("subs.srt")
    srt.write_text("1\n00:00:00,000 --> 00:00:00,900\n{\\an8}<b>hello</b>\n\n")
    ff("-i", str(plain), "-i", str(srt), "-map", "0", "-map", "1", "-c", "copy", str(out))
    return out


def rotated(out: Path) -> Path:
    plain = av(out.with_name("plain.mp4"))
    ff("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(out))
    return out


@dataclass(frozen=True)
class Case:
    name: str
    file_name: str
    make: Callable[[Path], Path]
    expect: str  # refused | no-video | no-audio | decodes | damaged
    detail_has: str = ""


X264_444_10 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p10le")
CASES = [
    Case("zero bytes", "empty.mp4", text(""), "refused"),
    Case("truncated mp4 (no moov)", "cut.mp4", truncated, "refused"),
    Case("text named .mp4", "notes.mp4", text("not a video\n" * 50), "refused"),
    Case("HTML named .mp4", "page.mp4", text("<html><body>hi</body></html>"), "refused"),
    Case("HLS playlist named .mp4", "list.mp4", hls, "refused"),
    Case("HLS playlist .m3u8", "list.m3u8", hls, "refused"),
    Case(
        "ffconcat list",
        "concat.mp4",
        text("ffconcat version 1.0\nfile '/etc/hostname'\n"),
        "refused",
    ),
    Case(
        "DASH manifest",
        "dash.mp4",
        text(
            '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:'
            'schema:mpd:2011"><Period></Period></MPD>'
        ),
        "refused",
    ),
    Case(
        "SDP (network streams)",
        "s.mp4",
        text(
            "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\n"
            "c=IN IP4 127.0.0.1\nt=0 0\nm=video 5004 RTP/AVP 96\n"
        ),
        "refused",
    ),
    Case("16k x 16k PNG (bomb-like)", "bomb.mp4", png_bomb, "refused"),
    Case("PNG named .png", "frame.png", png_bomb, "refused"),
    Case(
        "animated GIF",
        "anim.gif",
        lambda o: av(o, vcodec=("-c:v", "gif"), acodec=("-an",)),
        "refused",
    ),
    Case("8K video", "8k.mkv", lambda o: av(o, seconds=0.2, size="7680x4320", rate=5), "refused"),
    Case("huge duration header", "long.mkv", huge_duration_header, "refused"),
    Case("21 streams", "many.mkv", many_streams, "refused"),
    Case("audio only (m4a)", "talk.m4a", lambda o: av(o, vcodec=("-vn",)), "no-video"),
    Case(
        "mp3",
        "talk.mp3",
        lambda o: av(o, vcodec=("-vn",), acodec=("-c:a", "libmp3lame")),
        "no-video",
    ),
    Case(
        "wav",
        "talk.wav",
        lambda o: av(o, vcodec=("-vn",), acodec=("-c:a", "pcm_s16le")),
        "no-video",
    ),
    Case(
        "flac", "talk.flac", lambda o: av(o, vcodec=("-vn",), acodec=("-c:a", "flac")), "no-video"
    ),
    Case("video only", "silent.mp4", lambda o: av(o, acodec=("-an",)), "no-audio"),
    Case("ordinary mp4", "ok.mp4", av, "decodes"),
    Case(
        "faststart mp4", "fast.mp4", lambda o: av(o, extra=("-movflags", "+faststart")), "decodes"
    ),
    Case("one frame", "one.mp4", lambda o: av(o, seconds=0.1, rate=10), "decodes"),
    Case("0.2 s", "short.mp4", lambda o: av(o, seconds=0.2), "decodes"),
    Case("rotated 90", "rot.mp4", rotated, "decodes", "(90, 160)"),
    Case("variable frame rate", "vfr.mp4", vfr, "decodes"),
    Case("1 fps slideshow", "slides.mp4", lambda o: av(o, seconds=3.0, rate=1), "decodes"),
    Case(
        "odd dimensions 161x91",
        "odd.mkv",
        lambda o: av(
            o,
            size="161x91",
            vcodec=("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p"),
        ),
        "decodes",
    ),
    Case(
        "2x2 pixels",
        "tiny.mkv",
        lambda o: av(
            o, size="2x2", vcodec=("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p")
        ),
        "decodes",
    ),
    Case("10-bit 4:4:4", "hi444.mkv", lambda o: av(o, vcodec=X264_444_10), "decodes"),
    Case("240 fps", "fast240.mp4", lambda o: av(o, rate=240), "decodes"),
    Case(
        "VP9 + Opus webm",
        "clip.webm",
        lambda o: av(
            o,
            vcodec=("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"),
            acodec=("-c:a", "libopus"),
        ),
        "decodes",
    ),
    Case(
        "MJPEG avi (moving JPEGs)",
        "clip.avi",
        lambda o: av(o, vcodec=("-c:v", "mjpeg"), acodec=("-c:a", "pcm_s16le")),
        "decodes",
    ),
    Case("MPEG-TS", "clip.ts", lambda o: av(o, extra=("-f", "mpegts")), "decodes"),
    Case(
        "Theora + Vorbis ogg",
        "clip.ogv",
        lambda o: av(o, vcodec=("-c:v", "libtheora"), acodec=("-c:a", "libvorbis")),
        "decodes",
    ),
    Case("mkv with subtitles", "subs.mkv", with_subtitles, "decodes"),
    Case("leading dash name", "-i.mp4", av, "decodes"),
    Case("name with newline", "a\nb.mp4", av, "decodes"),
    Case("name like a protocol", "concat:a|b.mp4", av, "decodes"),
    Case("non-UTF-8 name", "caf\udce9.mp4", av, "decodes"),
    Case("corrupted middle", "corrupt.mp4", corrupted_middle, "decodes"),
    Case("media data zeroed", "zeroed.mp4", zeroed_media_data, "damaged"),
]


def outcome(path: Path) -> str:
    """What the boundary does with ``path``: a one-word result and a detail."""
    try:
        info = probe_untrusted(path, MEDIA, POLICY)
    except InputError as exc:
        assert str(path.parent) not in str(exc), exc
        return f"refused|{exc}"
    try:
        require_video(info)
    except InputError:
        return "no-video|"
    try:
        require_audio(info)
    except InputError:
        return "no-audio|"
    try:
        batch = next(iter(stream_frames(info, ANALYSIS, MEDIA)))
        samples = decode_audio(info, MEDIA)
    except (InputError, MediaError) as exc:
        return f"damaged|{str(exc)[:80]}"
    width, height = analysis_size(info, ANALYSIS)
    assert batch.frames.shape[1:] == (height, width, 3)
    assert abs(len(samples) / 16_000 - info.duration_s) < 0.5 + 0.1 * info.duration_s
    return (
        f"decodes|{info.container} {info.video and info.video.display_size} {info.duration_s:.2f}s"
    )


def test_hostile_corpus(tmp_path: Path) -> None:
    rows = []
    for number, case in enumerate(CASES):
        folder = tmp_path / f"c{number:02d}"
        folder.mkdir()
        path = case.make(folder / case.file_name)
        started = time.monotonic()
        got, _, detail = outcome(path).partition("|")
        rows.append((case.name, case.expect, got, time.monotonic() - started, detail))
        assert case.detail_has in detail, (case.name, detail)
    print(f"\n{'case':32} {'expected':9} {'got':9} {'s':>5}  detail")
    for name, expect, got, seconds, detail in rows:
        print(f"{name:32} {expect:9} {got:9} {seconds:5.2f}  {detail[:90]!r}")
    wrong = [(name, expect, got, detail) for name, expect, got, _, detail in rows if expect != got]
    assert not wrong, wrong
    assert len(CASES) >= 40
