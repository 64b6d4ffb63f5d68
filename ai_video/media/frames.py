"""The one shared analysis decode: small RGB frames at a constant rate, streamed in batches.

One ffmpeg process per source decodes, rotates (ffmpeg autorotates), resamples to a constant
rate with the ``fps`` filter and scales down; raw ``rgb24`` frames arrive over a pipe and are
handed out in bounded batches, so memory does not grow with the length of the source.
Frame ``i`` of the analysis timeline shows the source at time ``i / fps`` (seconds from the
start of the file); a variable-rate source gets duplicated frames where it dropped some.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from fractions import Fraction

import numpy as np

from ai_video.config import AnalysisConfig, MediaConfig
from ai_video.errors import InputError, MediaError
from ai_video.media.ffmpeg import TimedPipe, local_input, stream_ffmpeg
from ai_video.media.probe import require_video
from ai_video.types import FrameBatch, MediaInfo, PlaneBatch, VideoStreamInfo

_RATE_DENOMINATOR_LIMIT = 100_000
_MIN_DECODED_SHARE = 0.5
"""Fewer decoded frames than this share of ``duration * fps`` means the file is damaged."""
_MIN_FRAMES_FOR_CHECK = 10


def analysis_fps(info: MediaInfo, cfg: AnalysisConfig) -> float:
    """Rate of the analysis timeline: the source's nominal rate, capped at ``cfg.max_fps``."""
    require_video(info)
    assert info.video is not None
    return float(min(_source_rate(info.video), Fraction(cfg.max_fps)))


def analysis_size(info: MediaInfo, cfg: AnalysisConfig) -> tuple[int, int]:
    """Width and (even) height of analysis frames, keeping the displayed aspect ratio."""
    require_video(info)
    assert info.video is not None
    display_w, display_h = info.video.display_size
    width = max(2, cfg.frame_width_px - cfg.frame_width_px % 2)
    height = max(2, 2 * round(width * display_h / display_w / 2))
    return width, height


def stream_frames(
    info: MediaInfo, cfg: AnalysisConfig, media: MediaConfig
) -> Generator[FrameBatch, None, None]:
    """Decode ``info.path`` once into batches of small RGB frames at :func:`analysis_fps`.

    Closing the generator early (``close()``, or dropping it) stops the decode.
    """
    require_video(info)
    assert info.video is not None
    if cfg.batch_frames <= 0:
        raise ValueError(f"batch_frames must be positive, got {cfg.batch_frames}")
    rate = min(_source_rate(info.video), Fraction(cfg.max_fps))
    fps = float(rate)
    width, height = analysis_size(info, cfg)
    scale = info.video.display_size[0] / width
    args = [
        "-v", "error",
        *local_input(info.path),
        "-map", "0:v:0", "-an", "-sn", "-dn",
        "-vf", f"fps={rate.numerator}/{rate.denominator}:start_time=0,"
        f"scale={width}:{height}:flags=area,format=rgb24",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]  # fmt: skip
    start_index = 0
    for count, buffer in _raw_frames(args, width * height * 3, cfg, media):
        frames = np.frombuffer(buffer, dtype=np.uint8, count=count * width * height * 3)
        yield FrameBatch(
            start_index=start_index,
            fps=fps,
            frames=frames.reshape(count, height, width, 3),
            scale=scale,
        )
        start_index += count
    _check_complete(info, start_index, fps)


def stream_planes(
    info: MediaInfo,
    cfg: AnalysisConfig,
    media: MediaConfig,
    width_px: int,
    skip_nonref: bool,
    threads: int = 0,
) -> Generator[PlaneBatch, None, None]:
    """Decode ``info.path`` once into batches of small YUV 4:2:0 frames at :func:`analysis_fps`.

    The cheap analysis stream: no RGB conversion, the in-loop deblocking filter skipped (it
    only smooths block edges, invisible after the downscale) and, with ``skip_nonref``,
    frames no other frame references are not decoded at all (about half the decode work of
    a typical H.264/HEVC file); the ``fps`` filter repeats the previous frame in their
    place, so frame ``i`` still shows time ``i / fps`` or an earlier frame (a cut shows up
    on the next decoded frame: one frame late with x264's default B-pyramid, up to the
    length of a run of B-frames without one).
    """
    require_video(info)
    assert info.video is not None
    if cfg.batch_frames <= 0:
        raise ValueError(f"batch_frames must be positive, got {cfg.batch_frames}")
    rate = min(_source_rate(info.video), Fraction(cfg.max_fps))
    fps = float(rate)
    width, height = analysis_size(info, cfg.model_copy(update={"frame_width_px": width_px}))
    scale = info.video.display_size[0] / width
    skip = ["-skip_frame", "noref"] if skip_nonref else []
    skip += ["-threads", str(threads)] if threads > 0 else []  # 0: the decoder's choice
    args = [
        "-v", "error", "-skip_loop_filter", "all", *skip,
        *local_input(info.path),
        "-map", "0:v:0", "-an", "-sn", "-dn",
        "-vf", f"fps={rate.numerator}/{rate.denominator}:start_time=0,"
        f"scale={width}:{height}:flags=fast_bilinear,format=yuv420p",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1",
    ]  # fmt: skip
    frame_bytes = width * height * 3 // 2
    start_index = 0
    for count, buffer in _raw_frames(args, frame_bytes, cfg, media):
        yuv = np.frombuffer(buffer, dtype=np.uint8, count=count * frame_bytes)
        yield PlaneBatch(start_index, fps, yuv.reshape(count, frame_bytes), width, height, scale)
        start_index += count
    _check_complete(info, start_index, fps)


def _raw_frames(
    args: list[str], frame_bytes: int, cfg: AnalysisConfig, media: MediaConfig
) -> Generator[tuple[int, bytes], None, None]:
    """``(frame count, bytes)`` of up to ``cfg.batch_frames`` raw frames at a time."""
    with stream_ffmpeg(
        media.ffmpeg_bin, args, media.ffmpeg_timeout_s, media.stall_timeout_s
    ) as pipe:
        while True:
            buffer = _read_up_to(pipe, frame_bytes * cfg.batch_frames)
            count = len(buffer) // frame_bytes
            if count == 0:
                break
            yield count, buffer
            if count < cfg.batch_frames:
                break


def _check_complete(info: MediaInfo, decoded: int, fps: float) -> None:
    """Raise when far fewer frames came out than the duration promises (a truncated file)."""
    expected = info.duration_s * fps
    if decoded == 0 or (
        expected >= _MIN_FRAMES_FOR_CHECK and decoded < _MIN_DECODED_SHARE * expected
    ):
        raise InputError(
            f"{info.path}: decoded only {decoded} of about {expected:.0f} video frames "
            "(the file looks truncated or damaged)"
        )


def _source_rate(video: VideoStreamInfo) -> Fraction:
    fps = video.timeline_fps
    if not math.isfinite(fps) or fps <= 0:
        raise MediaError(f"invalid source frame rate {fps!r}")
    return Fraction(fps).limit_denominator(_RATE_DENOMINATOR_LIMIT)


def _read_up_to(pipe: TimedPipe, size: int) -> bytes:
    """Read ``size`` bytes, or fewer only at the end of the stream."""
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = pipe.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
