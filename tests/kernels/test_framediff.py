"""Per-frame change features of YUV 4:2:0 frames: hand-built frames and a numpy reference."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ai_video.kernels.framediff import (
    CHROMA_BINS,
    LUMA_BINS,
    LUMA_TO_FULL,
    block_px,
    frame_features,
    new_state,
)

H, W = 36, 64


def _i420(rgb_frames: np.ndarray) -> np.ndarray:
    """RGB frames (n, h, w, 3) as I420 rows (n, h * w * 3 / 2), BT.601 limited range."""
    return np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2YUV_I420).reshape(-1) for f in rgb_frames])


def _solid(rgb: tuple[int, int, int], count: int = 1, size: tuple[int, int] = (H, W)) -> np.ndarray:
    frames = np.empty((count, *size, 3), dtype=np.uint8)
    frames[...] = rgb
    return frames


def _features(rgb_frames: np.ndarray):  # type: ignore[no-untyped-def]
    h, w = rgb_frames.shape[1:3]
    return frame_features(_i420(rgb_frames), h, w, new_state(h, w))


def _soft_hist(values: np.ndarray, bins: int, width: int) -> np.ndarray:
    """Histogram with each value split linearly between the two nearest bin centres."""
    position = values.ravel() / width - 0.5
    low = np.floor(position).astype(int)
    weight = position - low
    hist = np.zeros(bins)
    np.add.at(hist, np.maximum(low, 0), 1 - weight)
    np.add.at(hist, np.minimum(low + 1, bins - 1), weight)
    return hist / values.size


def _reference(yuv: np.ndarray, h: int, w: int) -> np.ndarray:
    """The same five features computed with plain numpy (rows as in FrameFeatures)."""
    block, stride = block_px(w), max(1, w // 160)
    out = np.zeros((5, len(yuv)))
    prev_small = prev_luma = prev_hist = None
    for i, row in enumerate(yuv.astype(np.float64)):
        luma = row[: h * w].reshape(h, w)
        u = row[h * w : h * w * 5 // 4].reshape(h // 2, w // 2)
        v = row[h * w * 5 // 4 :].reshape(h // 2, w // 2)
        sampled = luma[::stride, ::stride]
        ys, xs = np.mgrid[0:h:stride, 0:w:stride]
        bh, bw = max(1, h // block), max(1, w // block)
        by, bx = np.minimum(ys // block, bh - 1), np.minimum(xs // block, bw - 1)
        sums = np.zeros((bh, bw))
        counts = np.zeros((bh, bw))
        np.add.at(sums, (by, bx), sampled)
        np.add.at(counts, (by, bx), 1)
        small = sums / np.maximum(counts, 1)
        hist = np.concatenate(
            [
                _soft_hist(sampled, LUMA_BINS, 16),
                _soft_hist(u[::stride, ::stride], CHROMA_BINS, 8),
                _soft_hist(v[::stride, ::stride], CHROMA_BINS, 8),
            ]
        )
        out[0, i] = max(0.0, sampled.mean() - 16) * LUMA_TO_FULL
        out[1, i] = max(0.0, small.max() - 16) * LUMA_TO_FULL
        if prev_small is not None:
            out[2, i] = np.abs(small - prev_small).mean() * LUMA_TO_FULL
            out[3, i] = np.abs(sampled - prev_luma).mean() * LUMA_TO_FULL
            d = np.abs(hist - prev_hist)
            chroma = max(d[LUMA_BINS : LUMA_BINS + CHROMA_BINS].sum(), d[-CHROMA_BINS:].sum())
            out[4, i] = (d[:LUMA_BINS].sum() + chroma) / 4
        prev_small, prev_luma, prev_hist = small, sampled, hist
    return out


@pytest.mark.parametrize(("h", "w"), [(36, 64), (180, 320), (90, 160), (50, 66)])
def test_kernel_matches_numpy_reference(h: int, w: int) -> None:
    rng = np.random.default_rng(h * w)
    yuv = rng.integers(16, 236, size=(6, h * w * 3 // 2), dtype=np.uint8)
    yuv[3] = yuv[2]  # a repeated frame
    got = frame_features(yuv, h, w, new_state(h, w))
    rows = [got.mean_luma, got.peak_luma, got.luma_change, got.pixel_change, got.histogram_change]
    assert np.allclose(np.stack(rows), _reference(yuv, h, w), atol=1e-3)
    assert got.pixel_change[3] == 0.0 and got.luma_change[3] == 0.0


def test_identical_frames_do_not_change() -> None:
    features = _features(_solid((40, 120, 200), count=3))
    assert features.luma_change.tolist() == [0.0, 0.0, 0.0]
    assert features.histogram_change.tolist() == [0.0, 0.0, 0.0]
    luma = 0.299 * 40 + 0.587 * 120 + 0.114 * 200
    assert features.mean_luma[0] == pytest.approx(luma, abs=1.5)  # one 8-bit rounding step


def test_black_to_white() -> None:
    features = _features(np.concatenate([_solid((0, 0, 0)), _solid((255, 255, 255))]))
    assert features.mean_luma.tolist() == pytest.approx([0.0, 255.0], abs=1e-3)
    assert features.peak_luma.tolist() == pytest.approx([0.0, 255.0], abs=1e-3)
    assert features.luma_change[1] == pytest.approx(255.0, abs=1e-3)
    assert features.pixel_change[1] == pytest.approx(255.0, abs=1e-3)
    # grey stays grey: only the luma histogram moves (half of the distance)
    assert features.histogram_change[1] == pytest.approx(1 / 2)


def test_red_to_green_is_a_colour_change() -> None:
    features = _features(np.concatenate([_solid((255, 0, 0)), _solid((0, 255, 0))]))
    assert features.luma_change[1] == pytest.approx((0.587 - 0.299) * 255, abs=2.0)
    assert features.histogram_change[1] == pytest.approx(1.0)  # luma and chroma all move


def test_hue_change_at_equal_brightness_moves_the_chroma_half() -> None:
    frames = np.concatenate([_solid((200, 60, 60)), _solid((60, 130, 60))])  # Y about 100
    features = _features(frames)
    assert features.luma_change[1] < 3.0
    assert features.histogram_change[1] > 0.45


def test_a_small_level_change_moves_little_histogram_mass() -> None:
    frames = np.concatenate([_solid((100, 100, 100)), _solid((104, 104, 104))])
    assert _features(frames).histogram_change[1] < 0.15  # a soft bin, not a whole one


def test_peak_luma_finds_a_small_bright_patch() -> None:
    frames = _solid((0, 0, 0))
    block = block_px(W)
    frames[0, 8 : 8 + block, 16 : 16 + block] = 255  # exactly one block
    features = _features(frames)
    assert features.peak_luma[0] == pytest.approx(255.0, abs=1e-3)
    assert features.mean_luma[0] == pytest.approx(255 * block * block / (H * W), abs=1e-3)


def test_state_carries_across_batches() -> None:
    rng = np.random.default_rng(7)
    yuv = rng.integers(0, 256, size=(9, 46 * 80 * 3 // 2), dtype=np.uint8)
    whole = frame_features(yuv, 46, 80, new_state(46, 80))
    state = new_state(46, 80)
    parts = [frame_features(yuv[a:b], 46, 80, state) for a, b in ((0, 4), (4, 5), (5, 9))]
    assert np.allclose(np.concatenate([p.luma_change for p in parts]), whole.luma_change)
    assert np.allclose(np.concatenate([p.pixel_change for p in parts]), whole.pixel_change)
    assert np.allclose(np.concatenate([p.histogram_change for p in parts]), whole.histogram_change)
    assert whole.luma_change[0] == 0.0 and (whole.pixel_change[1:] > 10).all()


def test_rejects_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="expected I420 rows"):
        frame_features(np.zeros((2, 8 * 8 * 3), dtype=np.uint8), 8, 8, new_state(8, 8))
    with pytest.raises(ValueError, match="another frame size"):
        frame_features(np.zeros((2, 8 * 8 * 3 // 2), dtype=np.uint8), 8, 8, new_state(8, 16))
    with pytest.raises(ValueError, match="positive even size"):
        new_state(9, 8)
