"""The final pass: video copied from the scenes, music ducked under the voice, -14 LUFS."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from ai_video.config import Settings
from ai_video.media.audio import decode_audio, write_wav
from ai_video.media.encoders import detect_encoder
from ai_video.media.mix import (
    Loudness,
    file_loudness,
    level_gain_db,
    parse_ebur128_report,
    parse_loudnorm_report,
)
from ai_video.media.probe import probe
from ai_video.pipeline.generate_steps import render_scenes
from ai_video.render.concat import finish_short
from ai_video.types import CaptionTrack, OutputPreset, ScenePlan, TimeSpan

RATE = 22050
VOICE_ON = [(0.5, 2.0), (3.5, 5.0)]


def _tone(freq_hz: float, seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def _level_db(samples: np.ndarray, rate: int, freq_hz: float, span: tuple[float, float]) -> float:
    """Amplitude of one frequency in a time window (single-bin DFT), in dB."""
    part = samples[round(span[0] * rate) : round(span[1] * rate)].astype(np.float64)
    t = np.arange(len(part)) / rate
    amplitude = 2 * np.abs(np.sum(part * np.exp(-2j * np.pi * freq_hz * t))) / len(part)
    return float(20 * np.log10(amplitude + 1e-12))


def _frame_hashes(path: Path) -> list[str]:
    """MD5 of every decoded video frame (identical pictures = the stream was not re-encoded)."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "framemd5", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if not line.startswith("#")]


@pytest.fixture()
def voice_and_music(tmp_path: Path) -> tuple[Path, Path]:
    """A 6 s 'voice' of 1 kHz bursts and 8 s of 220 Hz 'music', as WAV files."""
    voice = np.zeros(6 * RATE, dtype=np.float32)
    for start, end in VOICE_ON:
        voice[round(start * RATE) : round(end * RATE)] = _tone(1000, end - start, 0.3)
    return (
        write_wav(voice, RATE, tmp_path / "voice.wav"),
        write_wav(_tone(220, 8.0, 0.3), RATE, tmp_path / "music.wav"),
    )


def test_scenes_are_copied_and_music_ducks_under_the_voice(
    small_settings: Settings, tmp_path: Path, voice_and_music: tuple[Path, Path]
) -> None:
    preset = OutputPreset("tiktok", 360, 640, 30.0)
    no_captions = CaptionTrack((), "tiktok")
    plans = [
        ScenePlan(i, TimeSpan(3.0 * i, 3.0 * i + 3.0), "card", None, "Part", preset, no_captions)
        for i in range(2)
    ]
    encoder = detect_encoder(small_settings.render, small_settings.media)
    scenes = render_scenes(plans, encoder, small_settings, tmp_path / "scenes")
    voice, music = voice_and_music
    out = tmp_path / "short.mp4"
    final = finish_short([s.path for s in scenes], voice, music, 6.0, out, small_settings, tmp_path)

    assert _frame_hashes(out) == _frame_hashes(scenes[0].path) + _frame_hashes(scenes[1].path)
    info = probe(out, small_settings.media)
    assert info.duration_s == pytest.approx(6.0, abs=0.05)
    assert (
        info.audio is not None and info.audio.codec == "aac" and info.audio.sample_rate_hz == 48000
    )
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(out), "-f", "null", "-"], capture_output=True, text=True
    )
    assert decoded.returncode == 0 and decoded.stderr == ""

    mixed = decode_audio(info, small_settings.media, 16000)
    under_voice = _level_db(mixed, 16000, 220, (1.0, 1.9))
    alone = _level_db(mixed, 16000, 220, (2.9, 3.4))
    assert alone - under_voice > 8.0, f"music only {alone - under_voice:.1f} dB lower under speech"
    assert _level_db(mixed, 16000, 1000, (1.0, 1.9)) - under_voice > 10.0
    assert final.music_gain_db is not None and final.voice_gain_db > 0
    assert file_loudness(out, small_settings.media).integrated_lufs == pytest.approx(-14.0, abs=1.0)


def test_without_music_the_voice_alone_reaches_the_target(
    small_settings: Settings, tmp_path: Path, voice_and_music: tuple[Path, Path]
) -> None:
    preset = OutputPreset("tiktok", 360, 640, 30.0)
    plan = ScenePlan(
        0, TimeSpan(0.0, 6.0), "card", None, "Solo", preset, CaptionTrack((), "tiktok")
    )
    encoder = detect_encoder(small_settings.render, small_settings.media)
    scenes = render_scenes([plan], encoder, small_settings, tmp_path / "scenes")
    out = tmp_path / "short.mp4"
    final = finish_short(
        [scenes[0].path], voice_and_music[0], None, 6.0, out, small_settings, tmp_path
    )
    assert final.music is None and final.music_gain_db is None
    measured = file_loudness(out, small_settings.media)
    assert measured.integrated_lufs == pytest.approx(-14.0, abs=1.0)
    assert measured.peak_db < -0.5


def test_loudnorm_reports_are_parsed_by_filter_name() -> None:
    stderr = (
        '[loudnorm@voice @ 0x1] \n{\n\t"input_i" : "-21.50",\n\t"input_tp" : "-3.00",\n'
        '\t"input_lra" : "4.10",\n\t"input_thresh" : "-31.9"\n}\n'
        '[loudnorm@music @ 0x2] \n{\n\t"input_i" : "-inf",\n\t"input_tp" : "-inf",\n'
        '\t"input_lra" : "0.00"\n}\n'
    )
    found = parse_loudnorm_report(stderr)
    assert found["voice"] == Loudness(-21.5, -3.0, 4.1)
    assert found["music"].silent and not found["voice"].silent
    assert level_gain_db(found["voice"], -14.0) == pytest.approx(7.5)
    assert level_gain_db(found["music"], -14.0) == 0.0


def test_ebur128_summaries_are_parsed_by_filter_name_last_one_wins() -> None:
    def summary(name: str, lufs: str, lra: str, peak: str) -> str:
        return (
            f"[ebur128@{name} @ 0x5] Summary:\n\n  Integrated loudness:\n    I:  {lufs} LUFS\n"
            f"    Threshold: -31.3 LUFS\n\n  Loudness range:\n    LRA:  {lra} LU\n"
            f"    Threshold: -41.6 LUFS\n\n  Sample peak:\n    Peak:  {peak} dBFS\n"
        )

    stderr = (
        summary("mix", "-70.0", "0.0", "-inf")
        + "Stream mapping:\n"
        + summary("mix", "-14.2", "2.2", "-1.4")
    )
    assert parse_ebur128_report(stderr) == {"mix": Loudness(-14.2, -1.4, 2.2)}
