"""Loudness per hop on generated signals; Silero VAD spans against LibriVox ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from faster_whisper.audio import decode_audio

from ai_video.analyze.speech import speech_activity, voiced_hops
from ai_video.config import SpeechConfig
from ai_video.errors import InputError
from ai_video.types import TimeSpan

RATE_HZ = 16000


def _tone(seconds: float, amplitude: float, freq_hz: float = 440.0) -> npt.NDArray[np.float32]:
    t = np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def test_loudness_of_tone_and_silence_per_hop() -> None:
    # 1 s of a 0.5-amplitude sine, 1 s of digital silence, then 0.05 s of a full-scale sine
    audio = np.concatenate([_tone(1.0, 0.5), np.zeros(RATE_HZ, np.float32), _tone(0.05, 1.0)])
    activity = speech_activity(audio, RATE_HZ, SpeechConfig())
    assert activity.hop_s == pytest.approx(0.1)
    assert len(activity.loudness_db) == 21  # 2.05 s in 0.1 s hops, the last one partial
    expected_tone_db = 20 * np.log10(0.5 / np.sqrt(2))  # -9.03 dBFS
    np.testing.assert_allclose(activity.loudness_db[:10], expected_tone_db, atol=0.05)
    np.testing.assert_array_equal(activity.loudness_db[10:20], -90.0)
    # the partial last hop is averaged over its own 800 samples, not padded with zeros
    assert activity.loudness_db[20] == pytest.approx(20 * np.log10(1 / np.sqrt(2)), abs=0.05)
    np.testing.assert_allclose(activity.times_s()[:3], [0.0, 0.1, 0.2])


def test_tone_and_silence_are_not_speech() -> None:
    audio = np.concatenate([np.zeros(RATE_HZ, np.float32), _tone(1.0, 0.3)])
    activity = speech_activity(audio, RATE_HZ, SpeechConfig())
    assert activity.speech_spans == ()
    assert not activity.voiced.any()


def test_empty_audio_and_wrong_input() -> None:
    empty = speech_activity(np.zeros(0, np.float32), RATE_HZ, SpeechConfig())
    assert len(empty.loudness_db) == 0 and len(empty.voiced) == 0 and empty.speech_spans == ()
    with pytest.raises(InputError, match="16000 Hz"):
        speech_activity(np.zeros(100, np.float32), 44100, SpeechConfig())
    with pytest.raises(InputError, match="1-D"):
        speech_activity(np.zeros((2, 100), np.float32), RATE_HZ, SpeechConfig())


@pytest.mark.media
def test_vad_spans_match_librivox_labels(media: Path) -> None:
    cfg = SpeechConfig()
    start_errors, end_errors = [], []
    for clip in sorted((media / "speech/librivox").glob("*.wav")):
        label_lines = clip.with_suffix(".lab").read_text().split("\n")
        speech_start_s, speech_end_s = (float(line.split()[0]) for line in label_lines[:2])
        audio = np.asarray(decode_audio(str(clip), sampling_rate=RATE_HZ), dtype=np.float32)
        activity = speech_activity(audio, RATE_HZ, cfg)
        spans = activity.speech_spans
        assert len(spans) == 1, spans  # one continuous read sentence per clip
        start_errors.append(spans[0].start_s - speech_start_s)
        end_errors.append(spans[-1].end_s - speech_end_s)
        voiced_s = activity.voiced.sum() * activity.hop_s
        assert voiced_s == pytest.approx(spans[0].duration_s, abs=2 * activity.hop_s)
        voiced_db = activity.loudness_db[activity.voiced].mean()
        silent_db = activity.loudness_db[~activity.voiced].mean()
        assert voiced_db - silent_db >= 15.0
    print(f"VAD start errors {np.round(start_errors, 3)}, end errors {np.round(end_errors, 3)}")
    assert max(abs(e) for e in start_errors) <= 0.3
    assert max(abs(e) for e in end_errors) <= 0.3


def test_voiced_hops_follow_span_edges() -> None:
    spans = (TimeSpan(0.2, 0.5), TimeSpan(0.9, 1.0))
    voiced = voiced_hops(spans, 12, 0.1)
    assert voiced.astype(int).tolist() == [0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0]
    assert not voiced_hops((), 5, 0.1).any()
