"""Diarization's mel spectrogram of long audio is computed in blocks: the same frames."""

from __future__ import annotations

import librosa
import numpy as np

from ai_video.analyze import diarize


def test_block_mel_frames_equal_the_whole_track_spectrogram() -> None:
    rng = np.random.default_rng(3)
    audio = (rng.standard_normal(16000 * 310) * 0.1).astype(np.float32)  # > one 300 s block
    trailing = 160 * 160
    whole = librosa.feature.melspectrogram(
        y=np.concatenate([audio, np.zeros(trailing, np.float32)]),
        sr=16000,
        n_fft=400,
        hop_length=160,
        n_mels=40,
    )
    blocks = diarize.mel_frames(audio, trailing_zeros=trailing)
    assert blocks.shape == (whole.shape[1], 40)
    assert np.array_equal(blocks, np.ascontiguousarray(whole.astype(np.float32).T))
