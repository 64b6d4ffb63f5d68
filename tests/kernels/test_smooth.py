"""Crop-path smoothing loops: gap filling, de-jittering, dead-zone following."""

from __future__ import annotations

import numpy as np
import pytest

from ai_video.kernels.smooth import centered_moving_average, dead_zone_follow, fill_gaps

NAN = np.nan


def test_fill_gaps_interpolates_inside_and_holds_at_the_edges() -> None:
    values = np.array([NAN, NAN, 10.0, NAN, NAN, 40.0, NAN])
    np.testing.assert_allclose(fill_gaps(values), [10, 10, 10, 20, 30, 40, 40])
    assert np.isnan(values[0]), "the input must not be modified"


def test_fill_gaps_leaves_an_all_missing_series_missing() -> None:
    assert np.isnan(fill_gaps(np.full(4, NAN))).all()
    assert fill_gaps(np.array([], dtype=np.float64)).shape == (0,)


def test_centered_moving_average_ignores_missing_values() -> None:
    values = np.array([0.0, 3.0, NAN, 9.0, NAN, NAN, NAN])
    out = centered_moving_average(values, 1)
    np.testing.assert_allclose(out[:5], [1.5, 1.5, 6.0, 9.0, 9.0])
    assert np.isnan(out[5:]).all()
    np.testing.assert_allclose(centered_moving_average(values, 0)[:2], [0.0, 3.0])


def test_dead_zone_follow_ignores_jitter_inside_the_zone() -> None:
    rng = np.random.default_rng(1)
    target = 100.0 + rng.uniform(-4.0, 4.0, 300)
    path = dead_zone_follow(target, dead_zone=10.0, alpha=0.2)
    assert path[0] == target[0]
    assert np.ptp(path) == 0.0


def test_dead_zone_follow_tracks_a_step_smoothly_and_monotonically() -> None:
    target = np.concatenate([np.zeros(10), np.full(90, 100.0)])
    path = dead_zone_follow(target, dead_zone=10.0, alpha=0.2)
    steps = np.diff(path)
    assert (steps >= 0).all()
    assert steps.max() <= 0.2 * 90 + 1e-9, "one step moves at most alpha of the distance"
    assert path[-1] == pytest.approx(90.0, abs=0.01), "ends a dead zone short of the target"


def test_dead_zone_follow_holds_through_missing_targets() -> None:
    target = np.array([NAN, 50.0, NAN, NAN, 50.0])
    path = dead_zone_follow(target, dead_zone=5.0, alpha=0.5)
    assert np.isnan(path[0])
    np.testing.assert_allclose(path[1:], 50.0)


def test_dead_zone_follow_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="alpha"):
        dead_zone_follow(np.zeros(3), dead_zone=1.0, alpha=0.0)
    with pytest.raises(ValueError, match="dead_zone"):
        dead_zone_follow(np.zeros(3), dead_zone=-1.0, alpha=0.5)
