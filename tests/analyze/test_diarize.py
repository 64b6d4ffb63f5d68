"""Diarization pieces: the error-rate measure, voice clustering, the bundled voice encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ai_video.analyze.diarize import (
    VOICE_TURN_SCHEMA,
    VoiceEncoder,
    cluster_voices,
    diarization_error_rate,
    mel_frames,
)
from ai_video.config import MediaConfig, SpeakerConfig
from ai_video.media.audio import decode_audio
from ai_video.media.probe import probe


def hyp(*rows: tuple[float, float, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"start_s": [r[0] for r in rows], "end_s": [r[1] for r in rows],
         "voice_id": [r[2] for r in rows]},
        schema=VOICE_TURN_SCHEMA,
    )  # fmt: skip


def test_der_ignores_label_names_and_counts_every_error_kind() -> None:
    reference = [(0.0, 4.0, 0), (4.0, 8.0, 1)]
    assert diarization_error_rate(reference, hyp((0, 4, 1), (4, 8, 0))) == pytest.approx(0.0)
    assert diarization_error_rate(reference, hyp((0, 4, 0))) == pytest.approx(0.5, abs=0.01)
    confused = hyp((0, 6, 0), (6, 8, 1))  # 2 s of voice 1 given to voice 0
    assert diarization_error_rate(reference, confused) == pytest.approx(0.25, abs=0.01)
    extra = hyp((0, 4, 0), (4, 8, 1), (8, 10, 1))  # 2 s of speech where there was none
    assert diarization_error_rate(reference, extra) == pytest.approx(0.25, abs=0.01)


def test_clustering_finds_the_number_of_voices() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 256))

    def around(centre: np.ndarray, n: int) -> np.ndarray:
        points = centre + 0.3 * rng.normal(size=(n, 256))
        return points / np.linalg.norm(points, axis=1, keepdims=True)

    three = np.concatenate([around(centres[1], 20), around(centres[0], 15), around(centres[2], 12)])
    labels = cluster_voices(three, SpeakerConfig())
    assert labels[:20].tolist() == [0] * 20 and set(labels[20:35]) == {1}
    assert set(labels[35:]) == {2}
    one = cluster_voices(around(centres[0], 30), SpeakerConfig())
    assert set(one.tolist()) == {0}


@pytest.mark.media
def test_bundled_encoder_tells_voices_apart(media: Path) -> None:
    """Windows of one reader are closer to each other than to another reader's."""
    cfg = MediaConfig()
    encoder = VoiceEncoder()
    assert encoder.name == "resemblyzer@0.1.4"
    voices = []
    for name in ("speech/jfk.flac", "speech/ljspeech/LJ001-0001.wav"):
        audio = decode_audio(probe(media / name, cfg), cfg)
        mel = mel_frames(audio)
        windows = np.stack([mel[i : i + 120] for i in range(0, len(mel) - 120, 100)][:6])
        voices.append(encoder.embed_mels(windows))
    n = len(voices[0])
    same = [float((v @ v.T)[~np.eye(len(v), dtype=bool)].mean()) for v in voices]
    across = float((voices[0] @ voices[1].T).mean())
    centroids = np.stack([v.mean(axis=0) for v in voices])
    nearest = np.argmax(np.concatenate(voices) @ centroids.T, axis=1)
    print(f"mean same-voice similarity {same}, across {across:.3f}, nearest {nearest}")
    assert min(same) > across + 0.1
    assert nearest.tolist() == [0] * n + [1] * len(voices[1])
