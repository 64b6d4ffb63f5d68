"""Audio extraction (one ffmpeg run to mono float samples) and small WAV file helpers."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ai_video.config import ASR_SAMPLE_RATE_HZ, MediaConfig
from ai_video.errors import InputError, MediaError
from ai_video.media.ffmpeg import local_input, stream_ffmpeg
from ai_video.media.files import replace_atomic
from ai_video.media.probe import require_audio
from ai_video.types import MediaInfo

Float32Array = npt.NDArray[np.float32]

_READ_CHUNK_BYTES = 1 << 20
_INT16_FULL_SCALE = 32768.0


def _decode_args(info: MediaInfo, sample_rate_hz: int) -> list[str]:
    """ffmpeg arguments writing the first audio stream as mono float32 to stdout."""
    require_audio(info)
    if sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be positive, got {sample_rate_hz}")
    return [
        "-v", "error",
        *local_input(info.path),
        "-map", "0:a:0", "-vn", "-sn", "-dn",
        # rematrix_maxval=1 keeps the mono downmix at the channels' level (no +3 dB, no clip)
        "-af", "aresample=rematrix_maxval=1.0", "-ac", "1", "-ar", str(sample_rate_hz),
        "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1",
    ]  # fmt: skip


def decode_audio(
    info: MediaInfo, media: MediaConfig, sample_rate_hz: int = ASR_SAMPLE_RATE_HZ
) -> Float32Array:
    """The first audio stream as float32 mono samples in [-1, 1] at ``sample_rate_hz``."""
    args = _decode_args(info, sample_rate_hz)
    expected_bytes = int(max(info.duration_s, 0.0) * sample_rate_hz + sample_rate_hz) * 4
    data = bytearray()
    with stream_ffmpeg(
        media.ffmpeg_bin, args, media.ffmpeg_timeout_s, media.stall_timeout_s
    ) as pipe:
        chunk_size = max(_READ_CHUNK_BYTES, min(expected_bytes, 64 * _READ_CHUNK_BYTES))
        while chunk := pipe.read(chunk_size):
            data += chunk
    usable = len(data) - len(data) % 4
    if usable == 0:
        raise MediaError(f"{info.path}: ffmpeg decoded no audio samples")
    samples = np.frombuffer(data, dtype="<f4", count=usable // 4).astype(np.float32, copy=False)
    np.clip(samples, -1.0, 1.0, out=samples)
    return samples


def extract_wav(info: MediaInfo, media: MediaConfig, sample_rate_hz: int, path: Path) -> Path:
    """Decode the first audio stream straight into a 16-bit mono WAV, a chunk at a time.

    The same samples as ``write_wav(decode_audio(...))`` in memory bounded by the chunk
    size, whatever the source's length (issue 15).
    """
    args = _decode_args(info, sample_rate_hz)
    path = Path(path)
    written = 0
    with (
        replace_atomic(path) as partial,
        stream_ffmpeg(
            media.ffmpeg_bin, args, media.ffmpeg_timeout_s, media.stall_timeout_s
        ) as pipe,
    ):  # the WAV opens once ffmpeg runs: a start refused (deadline) is not masked by wave
        with wave.open(str(partial), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate_hz)
            pending = b""
            while chunk := pipe.read(4 * _READ_CHUNK_BYTES):
                pending += chunk
                usable = len(pending) - len(pending) % 4
                samples = np.frombuffer(pending, dtype="<f4", count=usable // 4)
                out.writeframes(_to_pcm16(np.clip(samples, -1.0, 1.0)).tobytes())
                written += usable // 4
                pending = pending[usable:]
        if written == 0:
            raise MediaError(f"{info.path}: ffmpeg decoded no audio samples")
    return path


def _to_pcm16(samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Float samples in [-1, 1] as little-endian 16-bit PCM (rounded, clipped)."""
    mono = np.asarray(samples, dtype=np.float64)
    return np.round(np.clip(mono, -1.0, 1.0) * (_INT16_FULL_SCALE - 1)).astype("<i2")


def write_wav(samples: npt.ArrayLike, sample_rate_hz: int, path: Path) -> Path:
    """Write mono float samples in [-1, 1] as a 16-bit PCM WAV file, atomically."""
    mono = np.asarray(samples, dtype=np.float64)
    if mono.ndim != 1:
        raise ValueError(f"expected mono samples (1-D), got shape {mono.shape}")
    if sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be positive, got {sample_rate_hz}")
    pcm = _to_pcm16(mono)
    path = Path(path)
    with replace_atomic(path) as partial, wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate_hz)
        out.writeframes(pcm.tobytes())
    return path


def read_wav(path: Path) -> tuple[Float32Array, int]:
    """Samples of a PCM WAV file as float32 mono in [-1, 1], and its sample rate."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        with wave.open(str(path), "rb") as src:
            channels = src.getnchannels()
            width = src.getsampwidth()
            rate = src.getframerate()
            raw = src.readframes(src.getnframes())
    except (wave.Error, EOFError) as exc:
        raise InputError(f"{path}: not a readable PCM WAV file ({exc})") from None
    samples = _pcm_to_float(raw, width, path)
    if channels > 1:
        usable = len(samples) - len(samples) % channels
        samples = samples[:usable].reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return samples.astype(np.float32, copy=False), rate


def _pcm_to_float(raw: bytes, width: int, path: Path) -> Float32Array:
    """PCM bytes (8-bit unsigned, 16- or 32-bit signed little-endian) as floats in [-1, 1]."""
    if width == 1:
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    if width in (2, 4):
        ints = np.frombuffer(raw[: len(raw) - len(raw) % width], dtype=f"<i{width}")
        # scaling by a power of two is exact: the same floats as dividing in float64 and
        # rounding, without a float64 copy of the whole track (issue 15)
        floats = ints.astype(np.float32)
        floats *= np.float32(1.0 / float(1 << (8 * width - 1)))
        return floats
    raise InputError(f"{path}: unsupported WAV sample width of {width} bytes (use 8, 16 or 32 bit)")
