"""The streamed WAV extraction writes the same file as decoding whole and writing it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_video.config import MediaConfig
from ai_video.media.audio import decode_audio, extract_wav, read_wav, write_wav
from ai_video.media.probe import probe
from tests.conftest import make_lavfi_clip

MEDIA = MediaConfig()


@pytest.mark.parametrize("duration_s", [0.3, 70.0])  # shorter and longer than one read chunk
def test_streamed_wav_equals_the_whole_track_written(tmp_path: Path, duration_s: float) -> None:
    clip = make_lavfi_clip(tmp_path / "clip.mp4", duration_s=duration_s, size="64x64", fps=5)
    info = probe(clip, MEDIA)
    whole = write_wav(decode_audio(info, MEDIA, 16000), 16000, tmp_path / "whole.wav")
    streamed = extract_wav(info, MEDIA, 16000, tmp_path / "streamed.wav")
    assert streamed.read_bytes() == whole.read_bytes()
    samples, rate = read_wav(streamed)
    assert rate == 16000 and abs(samples.size - duration_s * 16000) <= 2048


def test_read_wav_scales_16_bit_exactly(tmp_path: Path) -> None:
    pcm = np.array([-32768, -1, 0, 1, 12345, 32767], dtype="<i2")
    path = write_wav(pcm / 32767.0, 16000, tmp_path / "x.wav")
    samples, _ = read_wav(path)
    assert samples.dtype == np.float32
    expected = np.round(np.clip(pcm / 32767.0, -1, 1) * 32767).astype("<i2") / 32768.0
    assert np.array_equal(samples, expected.astype(np.float32))
