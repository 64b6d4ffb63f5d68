"""One-process clip renders, probed for what a platform needs: size, codec, rate, loudness."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from ai_video.config import CaptionStyle, Settings
from ai_video.edit.captions import build_caption_track
from ai_video.errors import FFmpegError, MediaError
from ai_video.media.ffmpeg import local_input, run_ffmpeg
from ai_video.render.export import write_ass
from ai_video.render.render import make_thumbnail, render_clip
from ai_video.types import (
    AudioPlan,
    CaptionTrack,
    CropKeyframe,
    CropPath,
    EditPlan,
    EncoderProfile,
    OutputPreset,
    Overlay,
    RenderResult,
    TimeSpan,
    Word,
)
from tests.conftest import make_lavfi_clip

ENCODER = EncoderProfile("libx264", ("-preset", "superfast", "-crf", "23"), reason="test")
SMALL = OutputPreset("small", 180, 320, 25.0)
SMALL_STYLE = CaptionStyle(font_size_px=20, outline_px=1.0, shadow_px=0.0)
HIGHLIGHT_RGB = np.array([0xFF, 0xE1, 0x4D])


# --------------------------------------------------------------------------- helpers


def probe_json(path: Path, settings: Settings) -> dict[str, object]:
    """ffprobe's streams and format of ``path``."""
    args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    result = run_ffmpeg(settings.media.ffprobe_bin, [*args, *local_input(path)], timeout_s=60)
    data: dict[str, object] = orjson.loads(result.stdout)
    return data


def streams(path: Path, settings: Settings, kind: str) -> list[dict[str, Any]]:
    """The streams of one codec type."""
    all_streams = probe_json(path, settings)["streams"]
    assert isinstance(all_streams, list)
    return [s for s in all_streams if s["codec_type"] == kind]


def container_duration_s(path: Path, settings: Settings) -> float:
    """The container duration ffprobe reports."""
    fmt = probe_json(path, settings)["format"]
    assert isinstance(fmt, dict)
    return float(fmt["duration"])


def luma_frames(path: Path, size: tuple[int, int], settings: Settings) -> np.ndarray:
    """Every frame's Y plane as ``(n, height, width)`` uint8 (no range conversion)."""
    width, height = size
    args = ["-v", "error", *local_input(path), "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1"]
    raw = run_ffmpeg(settings.media.ffmpeg_bin, args, timeout_s=120).stdout
    frame_bytes = width * height * 3 // 2
    frames = np.frombuffer(raw, np.uint8).reshape(-1, frame_bytes)
    return frames[:, : width * height].reshape(-1, height, width)


def frames_rgb(
    source: Path,
    input_opts: list[str],
    graph: str,
    count: int,
    size: tuple[int, int],
    settings: Settings,
) -> np.ndarray:
    """The first ``count`` RGB frames out of the filter ``graph``, as ``(n, h, w, 3)`` int16."""
    args = ["-v", "error", *input_opts, *local_input(source), "-filter_complex", graph]
    args += ["-frames:v", str(count)]
    args += ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    raw = run_ffmpeg(settings.media.ffmpeg_bin, args, timeout_s=60).stdout
    width, height = size
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3).astype(np.int16)


def integrated_loudness(path: Path, settings: Settings) -> float:
    """EBU R128 integrated loudness of ``path`` in LUFS, measured by ffmpeg's ebur128."""
    args = [*local_input(path), "-map", "0:a:0", "-af", "ebur128", "-f", "null", "-"]
    stderr = run_ffmpeg(settings.media.ffmpeg_bin, args, timeout_s=120).stderr
    match = re.search(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf) LUFS", stderr)
    assert match is not None, stderr[-500:]
    return float(match.group(1))


def top_level_atoms(path: Path) -> list[str]:
    """MP4 top-level box types in file order."""
    atoms: list[str] = []
    with path.open("rb") as f:
        while header := f.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0] - 8
            atoms.append(kind.decode("latin-1"))
            f.seek(size - 8, 1)
    return atoms


def words_every(step_s: float, start_s: float, count: int) -> list[Word]:
    """Words 'w0 w1 ...' of 0.3 s each, one every ``step_s`` seconds."""
    return [
        Word(f"w{i}", start_s + i * step_s, start_s + i * step_s + 0.3, 1.0) for i in range(count)
    ]


def plan_for(
    source: Path,
    span: TimeSpan,
    crop: CropPath,
    captions: CaptionTrack,
    preset: OutputPreset = SMALL,
    has_audio: bool = True,
    overlays: tuple[Overlay, ...] = (),
) -> EditPlan:
    """An EditPlan with the default audio targets (-14 LUFS, -1.5 dBTP, 128 kb/s, 48 kHz)."""
    audio = AudioPlan(-14.0, -1.5, 128, 48000)
    return EditPlan(source, span, preset, crop, captions, audio, overlays, has_audio)


# --------------------------------------------------------------------------- generated media


@pytest.fixture(scope="module")
def gradient_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s 640x360 25 fps clip whose luma equals 255*x/width, with a sine tone."""
    out = tmp_path_factory.mktemp("grad") / "gradient.mp4"
    return make_lavfi_clip(
        out, duration_s=3.0, extra_video_filter="geq=lum='X*255/W':cb=128:cr=128"
    )


def test_crop_path_switches_on_the_right_frames_in_a_hostile_folder(
    gradient_clip: Path, tmp_path: Path, settings: Settings
) -> None:
    folder = tmp_path / "we:ir'd, [dir]; x\\y"
    folder.mkdir()
    dense = [CropKeyframe(1.5 + k * 0.04, 300 + 16 * k, 0, 180, 320) for k in range(11)]
    crop = CropPath(
        (CropKeyframe(0.0, 0, 0, 180, 320), CropKeyframe(1.0, 300, 0, 180, 320), *dense)
    )
    span = TimeSpan(0.4, 2.4)
    track = build_caption_track(words_every(0.5, 0.5, 3), span, "small")
    ass = write_ass(track, SMALL_STYLE, (180, 320), folder / "caps.ass")
    result = render_clip(plan_for(gradient_clip, span, crop, track), folder / "out.mp4", ass,
                         ENCODER, settings.render, settings.media)  # fmt: skip
    assert isinstance(result, RenderResult) and result.path.is_file() and result.size_bytes > 0
    assert not list(folder.glob(".*partial*"))
    frames = luma_frames(result.path, (180, 320), settings)
    assert len(frames) == 50  # 2.0 s at 25 fps
    x_seen = frames[:, :100, :].mean(axis=(1, 2)) * 640 / 255 - 89.5  # captions are lower down
    expected = np.array([crop.at(i / 25).x for i in range(50)])
    assert np.abs(x_seen - expected).max() < 4.0, np.round(x_seen).tolist()
    video, audio = (
        streams(result.path, settings, "video")[0],
        streams(result.path, settings, "audio")[0],
    )
    assert (video["width"], video["height"], video["avg_frame_rate"]) == (180, 320, "25/1")
    assert audio["codec_name"] == "aac" and audio["sample_rate"] == "48000"
    assert container_duration_s(result.path, settings) == pytest.approx(2.0, abs=0.05)


def test_plan_without_audio_gets_silence_or_no_track(tmp_path: Path, settings: Settings) -> None:
    mute = make_lavfi_clip(tmp_path / "mute.mp4", duration_s=2.0, audio=False)
    crop = CropPath((CropKeyframe(0.0, 0, 0, 180, 320),))
    track = CaptionTrack((), "small")
    ass = write_ass(track, SMALL_STYLE, (180, 320), tmp_path / "none.ass")
    plan = plan_for(mute, TimeSpan(0.0, 1.5), crop, track, has_audio=False)
    silent = render_clip(
        plan, tmp_path / "silent.mp4", ass, ENCODER, settings.render, settings.media
    )
    [track_info] = streams(silent.path, settings, "audio")
    assert track_info["codec_name"] == "aac" and float(track_info["duration"]) == pytest.approx(
        1.5, abs=0.05
    )
    assert integrated_loudness(silent.path, settings) < -69.0
    no_audio_cfg = settings.render.model_copy(update={"silent_audio_when_missing": False})
    bare = render_clip(plan, tmp_path / "bare.mp4", ass, ENCODER, no_audio_cfg, settings.media)
    assert streams(bare.path, settings, "audio") == []
    assert len(streams(bare.path, settings, "video")) == 1


def test_overlays_cover_the_frame_or_sit_in_a_box(
    gradient_clip: Path, tmp_path: Path, settings: Settings
) -> None:
    red, blue = tmp_path / "red.png", tmp_path / "blue.png"
    for path, colour in ((red, "red"), (blue, "blue")):
        lavfi = ["-f", "lavfi", "-i", f"color={colour}:s=320x180"]
        run_ffmpeg(settings.media.ffmpeg_bin, [*lavfi, "-frames:v", "1", str(path)], timeout_s=30)
    overlays = (
        Overlay(red, TimeSpan(0.4, 0.8)),
        Overlay(blue, TimeSpan(1.2, 1.6), full_frame=False),
    )
    crop = CropPath((CropKeyframe(0.0, 0, 0, 180, 320),))
    track = CaptionTrack((), "small")
    ass = write_ass(track, SMALL_STYLE, (180, 320), tmp_path / "none.ass")
    plan = plan_for(gradient_clip, TimeSpan(0.0, 2.0), crop, track, overlays=overlays)
    out = render_clip(plan, tmp_path / "ov.mp4", ass, ENCODER, settings.render, settings.media).path
    before, covered, pip = frames_rgb(
        out, [], "select='eq(n,5)+eq(n,15)+eq(n,35)'", 3, (180, 320), settings
    )  # t = 0.2, 0.6, 1.4 s
    assert before[..., 0].mean() < 100  # the dark left part of the gradient
    assert covered[..., 0].mean() > 200 and covered[..., 1:].mean() < 40
    top = round(320 * settings.render.overlay_pip_top_frac)
    box_h = round(90 * 180 / 320 / 2) * 2  # half-width box, 16:9 picture
    inside = pip[top + 4 : top + box_h - 4, 50:130]
    assert inside[..., 2].mean() > 200 and inside[..., 0].mean() < 40
    assert pip[top + box_h + 10 :, :, 2].mean() < 160  # below the box: the gradient again


def test_failed_render_leaves_no_file(tmp_path: Path, settings: Settings) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    track = CaptionTrack((), "small")
    ass = write_ass(track, SMALL_STYLE, (180, 320), tmp_path / "none.ass")
    plan = plan_for(bad, TimeSpan(0.0, 1.0), CropPath((CropKeyframe(0.0, 0, 0, 180, 320),)), track)
    out = tmp_path / "out" / "clip.mp4"
    with pytest.raises(FFmpegError) as info:
        render_clip(plan, out, ass, ENCODER, settings.render, settings.media)
    assert "Invalid data" in info.value.stderr_tail
    assert not out.exists()
    assert list(out.parent.iterdir()) == []


def test_thumbnail_is_atomic_and_sized(
    gradient_clip: Path, tmp_path: Path, settings: Settings
) -> None:
    jpg = make_thumbnail(gradient_clip, tmp_path / "thumb.jpg", 1.0, 320, settings.media)
    [info] = streams(jpg, settings, "video")
    assert (info["codec_name"], info["width"], info["height"]) == ("mjpeg", 320, 180)
    with pytest.raises(MediaError):
        make_thumbnail(gradient_clip, tmp_path / "late.jpg", 30.0, 320, settings.media)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thumb.jpg"]


# --------------------------------------------------------------------------- real media

REAL_SPAN = TimeSpan(20.0, 30.0)
REAL_CROP = CropPath((CropKeyframe(0.0, 100, 0, 288, 512), CropKeyframe(3.0, 150, 0, 288, 512),
                      CropKeyframe(6.0, 200, 0, 288, 512)))  # fmt: skip


@pytest.fixture(scope="module")
def real_render(
    media: Path, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RenderResult, EditPlan]:
    """A 10 s 1080x1920 clip of the news anchor, crop moving twice, captions every 0.4 s."""
    folder = tmp_path_factory.mktemp("real")
    track = build_caption_track(words_every(0.4, 20.1, 24), REAL_SPAN, "tiktok")
    style = settings.preset("tiktok").caption
    ass = write_ass(track, style, (1080, 1920), folder / "clip.ass")
    preset = OutputPreset("tiktok", 1080, 1920, 30.0)
    plan = plan_for(
        media / "talking/dfrf_cnn2_25fps.mp4", REAL_SPAN, REAL_CROP, track, preset=preset
    )
    return render_clip(
        plan, folder / "clip.mp4", ass, ENCODER, settings.render, settings.media
    ), plan


@pytest.mark.media
@pytest.mark.slow
def test_real_clip_meets_the_platform_spec(
    real_render: tuple[RenderResult, EditPlan], settings: Settings
) -> None:
    result, _ = real_render
    [video] = streams(result.path, settings, "video")
    [audio] = streams(result.path, settings, "audio")
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (video["width"], video["height"], video["avg_frame_rate"]) == (1080, 1920, "30/1")
    assert video.get("sample_aspect_ratio", "1:1") == "1:1"
    assert int(video["nb_frames"]) == 300
    assert (audio["codec_name"], audio["sample_rate"]) == ("aac", "48000")
    assert 115_000 < int(audio["bit_rate"]) < 140_000
    duration = container_duration_s(result.path, settings)
    assert duration == pytest.approx(REAL_SPAN.duration_s, abs=0.05)
    atoms = top_level_atoms(result.path)
    assert atoms.index("moov") < atoms.index("mdat")  # +faststart
    assert integrated_loudness(result.path, settings) == pytest.approx(-14.0, abs=1.5)


@pytest.mark.media
@pytest.mark.slow
def test_real_clip_follows_the_crop_and_burns_captions(
    real_render: tuple[RenderResult, EditPlan], settings: Settings
) -> None:
    """Frames match the source cropped at the planned x, plus caption-coloured text in the band."""
    result, plan = real_render
    half = (540, 960)
    times = {1.0: 100, 7.0: 200}  # clip time -> crop x in force
    select = "+".join(f"eq(n,{round(t * 30)})" for t in times)
    rendered = frames_rgb(result.path, [], f"select='{select}',scale=540:960", 2, half, settings)
    band = slice(round(960 * 0.70) - 70, round(960 * 0.70))  # just above MarginV = 30% of height
    candidates = (100, 150, 200)
    for frame, (t, x) in zip(rendered, times.items(), strict=True):
        crops = ";".join(
            f"[s{i}]crop=288:512:{cx}:0,scale=540:960:flags=lanczos[c{i}]"
            for i, cx in enumerate(candidates)
        )
        graph = f"split=3[s0][s1][s2];{crops};[c0][c1][c2]hstack=3"
        wide = frames_rgb(
            plan.source, ["-ss", f"{20.0 + t:.3f}"], graph, 1, (540 * 3, 960), settings
        )
        refs = {cx: wide[0][:, i * 540 : (i + 1) * 540] for i, cx in enumerate(candidates)}
        errors = {cx: float(np.abs(frame[:500] - ref[:500]).mean()) for cx, ref in refs.items()}
        assert min(errors, key=lambda cx: errors[cx]) == x and errors[x] < 4.0, errors
        yellow = int((np.abs(frame[band] - HIGHLIGHT_RGB).max(axis=2) < 40).sum())
        yellow_ref = int((np.abs(refs[x][band] - HIGHLIGHT_RGB).max(axis=2) < 40).sum())
        white = int((frame[band].min(axis=2) > 235).sum())
        white_ref = int((refs[x][band].min(axis=2) > 235).sum())
        assert yellow > 300 and yellow_ref < 20, (yellow, yellow_ref)
        assert white > white_ref + 300, (white, white_ref)
        text_columns = np.nonzero(
            (np.abs(frame[band] - refs[x][band]).max(axis=2) > 80).any(axis=0)
        )[0]
        margin = round(0.08 * 540)
        assert text_columns.min() >= margin - 4 and text_columns.max() <= 540 - margin + 4
