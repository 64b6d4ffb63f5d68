"""The greedy selection kernel against a plain-Python reference on random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from ai_video.kernels.select import greedy_non_overlapping


def _reference(
    starts: np.ndarray, ends: np.ndarray, scores: np.ndarray, max_count: int, min_score: float
) -> list[int]:
    order = sorted(range(len(starts)), key=lambda i: (-scores[i], starts[i], i))
    kept: list[int] = []
    for i in order:
        if len(kept) == max_count or scores[i] < min_score:
            break
        if all(not (starts[i] < ends[j] and starts[j] < ends[i]) for j in kept):
            kept.append(i)
    return kept


@pytest.mark.parametrize("seed", range(5))
def test_kernel_matches_reference_on_random_inputs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(200):
        n = int(rng.integers(0, 80))
        starts = np.round(rng.uniform(0, 200, n), 1)
        ends = starts + np.round(rng.uniform(0.5, 20, n), 1)
        scores = np.round(rng.uniform(0, 1, n), 1)  # coarse values: many ties
        max_count = int(rng.integers(1, 10))
        min_score = float(rng.choice([0.0, 0.3, 0.8]))
        got = greedy_non_overlapping(starts, ends, scores, max_count, min_score)
        assert got.dtype == np.int64
        assert got.tolist() == _reference(starts, ends, scores, max_count, min_score)


def test_kernel_rejects_bad_inputs() -> None:
    one = np.array([1.0])
    with pytest.raises(ValueError):
        greedy_non_overlapping(one, np.array([2.0, 3.0]), one, 3, 0.0)
    with pytest.raises(ValueError):
        greedy_non_overlapping(one, one + 1, np.array([np.nan]), 3, 0.0)
    assert greedy_non_overlapping(one, one + 1, one, 0, 0.0).size == 0
