"""Cosine top-k: the numba path (and the cupy path on a GPU) against a plain numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

from ai_video.kernels.similarity import cosine_top_k, gpu_available, normalised_rows, numpy_top_k


def _assert_same_ranking(
    got: tuple[np.ndarray, np.ndarray], want: tuple[np.ndarray, np.ndarray]
) -> None:
    """Same scores; same rows wherever the reference's neighbouring scores are not near-ties."""
    got_rows, got_scores = got
    want_rows, want_scores = want
    assert got_rows.shape == want_rows.shape
    np.testing.assert_allclose(got_scores, want_scores, atol=2e-5)
    gaps = np.abs(np.diff(want_scores, axis=1, prepend=np.inf, append=-np.inf))
    clear = np.minimum(gaps[:, :-1], gaps[:, 1:]) > 1e-4
    assert clear.mean() > 0.9
    np.testing.assert_array_equal(got_rows[clear], want_rows[clear])


def test_matches_numpy_on_random_vectors() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(5000, 64)).astype(np.float32)
    queries = rng.normal(size=(4, 64)).astype(np.float32)
    got = cosine_top_k(queries, matrix, 10)
    _assert_same_ranking(got, numpy_top_k(queries, matrix, 10))
    scores = got[1]
    assert np.all(np.diff(scores, axis=1) <= 0)  # best first
    assert np.all(scores <= 1.0 + 1e-6)


def test_exact_rows_rank_first_and_ties_go_to_the_lower_row() -> None:
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(300, 16)).astype(np.float32)
    matrix[200] = matrix[17] * 3.0  # same direction, other length: a tie in cosine
    rows, scores = cosine_top_k(matrix[17:18], matrix, 3)
    assert rows[0, :2].tolist() == [17, 200]
    np.testing.assert_allclose(scores[0, :2], [1.0, 1.0], atol=1e-5)


def test_k_larger_than_rows_zero_rows_and_bad_shapes() -> None:
    matrix = np.eye(3, dtype=np.float32)
    matrix[1] = 0.0
    rows, scores = cosine_top_k(np.array([[1.0, 0.0, 0.0]]), matrix, 10)
    assert rows.shape == (1, 3)
    assert rows[0].tolist() == [0, 1, 2]  # zero row scores 0, tie with row 2 goes to row 1
    assert scores[0].tolist() == [1.0, 0.0, 0.0]
    assert cosine_top_k(np.zeros((0, 3)), matrix, 2)[0].shape == (0, 0)
    with pytest.raises(ValueError, match="dimension mismatch"):
        cosine_top_k(np.ones((1, 4)), matrix, 2)
    assert np.allclose(np.linalg.norm(normalised_rows([[3.0, 4.0]]), axis=1), 1.0)


@pytest.mark.gpu
def test_gpu_path_gives_the_cpu_answer() -> None:
    if not gpu_available():
        pytest.skip("cupy with a CUDA device is not available on this machine (no GPU here)")
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(20000, 128)).astype(np.float32)
    queries = rng.normal(size=(3, 128)).astype(np.float32)
    _assert_same_ranking(
        cosine_top_k(queries, matrix, 25, device="gpu"), cosine_top_k(queries, matrix, 25)
    )


def test_benchmark_top_k_rows_agree_and_time_both_paths() -> None:
    from benchmarking.broll import top_k_runs

    rows = top_k_runs(3000, 1)
    assert {r["impl"] for r in rows} >= {"numba", "numpy"}
    assert {r["queries"] for r in rows} == {1, 8}
    assert all(r["agree"] and float(str(r["seconds"])) > 0 for r in rows)
