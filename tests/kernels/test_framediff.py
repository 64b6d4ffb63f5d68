"""Per-frame change features on hand-built frames."""

from __future__ import annotations

import numpy as np
import pytest

from ai_video.kernels.framediff import frame_features, new_state


def _solid(
    rgb: tuple[int, int, int], count: int = 1, size: tuple[int, int] = (36, 64)
) -> np.ndarray:
    frames = np.empty((count, *size, 3), dtype=np.uint8)
    frames[...] = rgb
    return frames


def test_identical_frames_do_not_change() -> None:
    frames = _solid((40, 120, 200), count=3)
    features = frame_features(frames, new_state(36, 64))
    assert features.luma_change.tolist() == [0.0, 0.0, 0.0]
    assert features.histogram_change.tolist() == [0.0, 0.0, 0.0]
    assert features.mean_luma[0] == pytest.approx(0.299 * 40 + 0.587 * 120 + 0.114 * 200, abs=1e-3)


def test_black_to_white() -> None:
    frames = np.concatenate([_solid((0, 0, 0)), _solid((255, 255, 255))])
    features = frame_features(frames, new_state(36, 64))
    assert features.mean_luma.tolist() == pytest.approx([0.0, 255.0], abs=1e-3)
    assert features.peak_luma.tolist() == pytest.approx([0.0, 255.0], abs=1e-3)
    assert features.luma_change[1] == pytest.approx(255.0, abs=1e-3)
    # hue (none) and saturation (zero) agree; only the value histogram moves
    assert features.histogram_change[1] == pytest.approx(1 / 3)


def test_red_to_green_is_a_colour_change() -> None:
    frames = np.concatenate([_solid((255, 0, 0)), _solid((0, 255, 0))])
    features = frame_features(frames, new_state(36, 64))
    assert features.luma_change[1] == pytest.approx((0.587 - 0.299) * 255, abs=1e-3)
    assert features.histogram_change[1] == pytest.approx(1 / 3)  # hue moves, S and V do not


def test_peak_luma_finds_a_small_bright_patch() -> None:
    frames = _solid((0, 0, 0))
    frames[0, 8:12, 16:20] = 255  # exactly one 4x4 block
    features = frame_features(frames, new_state(36, 64))
    assert features.peak_luma[0] == pytest.approx(255.0, abs=1e-3)
    assert features.mean_luma[0] == pytest.approx(255 * 16 / (36 * 64), abs=1e-3)


def test_state_carries_across_batches() -> None:
    rng = np.random.default_rng(7)
    frames = rng.integers(0, 256, size=(9, 45, 80, 3), dtype=np.uint8)
    whole = frame_features(frames, new_state(45, 80))
    state = new_state(45, 80)
    parts = [frame_features(frames[a:b], state) for a, b in ((0, 4), (4, 5), (5, 9))]
    assert np.allclose(np.concatenate([p.luma_change for p in parts]), whole.luma_change)
    assert np.allclose(np.concatenate([p.histogram_change for p in parts]), whole.histogram_change)
    assert whole.luma_change[0] == 0.0 and (whole.luma_change[1:] > 10).all()


def test_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError, match="expected frames of shape"):
        frame_features(np.zeros((2, 8, 8), dtype=np.uint8), new_state(8, 8))
