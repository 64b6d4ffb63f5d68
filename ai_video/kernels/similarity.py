"""Cosine top-k: the best ``k`` rows of a matrix for each query vector.

:func:`cosine_top_k` runs a numba loop on CPU (rows scored in parallel chunks, each keeping
its own sorted top-k, merged at the end) and, with ``device="gpu"``, cupy (one matrix product
and a partial sort on the GPU). Both normalise rows first, so inputs need not be unit length,
and both order results by score (highest first) then by row index, so they agree exactly on
ties. :func:`numpy_top_k` is the plain reference the tests and the benchmark compare with.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from numba import njit, prange

F32Array = npt.NDArray[np.float32]
I64Array = npt.NDArray[np.int64]
Device = Literal["cpu", "gpu", "auto"]
_CHUNKS = 64


def normalised_rows(vectors: npt.ArrayLike) -> F32Array:
    """``vectors`` (2-D) as float32 rows of unit length (all-zero rows stay zero)."""
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {array.shape}")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return np.ascontiguousarray(array / np.maximum(norms, 1e-12), dtype=np.float32)


def cosine_top_k(
    queries: npt.ArrayLike,
    matrix: npt.ArrayLike,
    k: int,
    device: Device = "cpu",
    normalised: bool = False,
) -> tuple[I64Array, F32Array]:
    """Row indices and cosines of the ``k`` rows of ``matrix`` most similar to each query.

    Shapes: queries ``(q, d)``, matrix ``(n, d)`` -> both results ``(q, min(k, n))``, best
    first. ``device="auto"`` uses the GPU when cupy sees one. ``normalised=True`` promises
    that the matrix rows already have unit length (an index stores them so), which saves a
    pass over the matrix per call.
    """
    q = normalised_rows(queries)
    m = _as_f32(matrix) if normalised else normalised_rows(matrix)
    if q.shape[1] != m.shape[1]:
        raise ValueError(f"dimension mismatch: queries {q.shape[1]}, matrix {m.shape[1]}")
    k = min(int(k), m.shape[0])
    if k <= 0 or q.shape[0] == 0:
        return np.zeros((q.shape[0], 0), np.int64), np.zeros((q.shape[0], 0), np.float32)
    if device == "gpu" or (device == "auto" and gpu_available()):
        return _gpu_top_k(q, m, k)
    chunks = min(_CHUNKS, m.shape[0])
    index, score = _top_k_chunks(q, m, k, chunks)
    return _merge(index, score, k)


def numpy_top_k(
    queries: npt.ArrayLike, matrix: npt.ArrayLike, k: int, normalised: bool = False
) -> tuple[I64Array, F32Array]:
    """The same answer by a numpy (BLAS) product, a partition and a stable sort of the
    top ``k`` (the reference the tests and the benchmark compare with)."""
    q = normalised_rows(queries)
    m = _as_f32(matrix) if normalised else normalised_rows(matrix)
    scores = q @ m.T
    k = min(int(k), m.shape[0])
    if k <= 0:
        return np.zeros((len(q), 0), np.int64), np.zeros((len(q), 0), np.float32)
    if k < m.shape[0]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        # rows tied with the k-th score may sit outside the partition: take them all
        kth = np.take_along_axis(scores, part, axis=1).min(axis=1, keepdims=True)
        candidates = [np.flatnonzero(row >= kth[i]) for i, row in enumerate(scores)]
    else:
        candidates = [np.arange(m.shape[0]) for _ in range(len(q))]
    order = np.stack(
        [c[np.lexsort((c, -scores[i, c]))][:k] for i, c in enumerate(candidates)]
    ).astype(np.int64)
    return order, np.take_along_axis(scores, order, axis=1).astype(np.float32)


def _as_f32(matrix: npt.ArrayLike) -> F32Array:
    """A C-contiguous float32 2-D array (no copy when it already is one)."""
    array = np.ascontiguousarray(matrix, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {array.shape}")
    return array


def gpu_available() -> bool:
    """Whether cupy is installed and sees a CUDA device."""
    try:
        import cupy
    except ImportError:
        return False
    try:
        return int(cupy.cuda.runtime.getDeviceCount()) > 0
    except Exception:  # cupy raises its own CUDA error types when the driver is absent
        return False


def _gpu_top_k(q: F32Array, m: F32Array, k: int) -> tuple[I64Array, F32Array]:
    """cupy: one product, then a stable sort of each row's scores (ties by row index)."""
    import cupy

    cp: Any = cupy
    scores = cp.asarray(q) @ cp.asarray(m).T
    # lexsort keys: last is primary; -score then row index, as on the CPU path
    rows = cp.broadcast_to(cp.arange(m.shape[0]), scores.shape)
    order = cp.stack([cp.lexsort(cp.stack([rows[i], -scores[i]]))[:k] for i in range(len(q))])
    top = cp.take_along_axis(scores, order, axis=1)
    return np.asarray(cp.asnumpy(order), dtype=np.int64), np.asarray(
        cp.asnumpy(top), dtype=np.float32
    )


@njit(cache=True, parallel=True, fastmath=True)
def _top_k_chunks(q: F32Array, m: F32Array, k: int, chunks: int) -> tuple[I64Array, F32Array]:
    """Each chunk of rows keeps its own sorted top-k per query (index -1 = empty slot)."""
    n, d = m.shape
    index = np.full((chunks, q.shape[0], k), -1, dtype=np.int64)
    score = np.full((chunks, q.shape[0], k), -np.inf, dtype=np.float32)
    size = (n + chunks - 1) // chunks
    for c in prange(chunks):
        for row in range(c * size, min(n, (c + 1) * size)):
            for j in range(q.shape[0]):
                total = np.float32(0.0)
                for t in range(d):
                    total += q[j, t] * m[row, t]
                _insert(index[c, j], score[c, j], row, total)
    return index, score


@njit(cache=True)
def _insert(index: I64Array, score: F32Array, row: int, value: np.float32) -> None:
    """Insert (row, value) into a best-first list; rows arrive in increasing order, so an
    equal score never displaces an earlier row."""
    k = len(score)
    if value <= score[k - 1] and index[k - 1] >= 0:
        return
    slot = k - 1
    while slot > 0 and (score[slot - 1] < value or index[slot - 1] < 0):
        score[slot] = score[slot - 1]
        index[slot] = index[slot - 1]
        slot -= 1
    score[slot] = value
    index[slot] = row


def _merge(index: I64Array, score: F32Array, k: int) -> tuple[I64Array, F32Array]:
    """Merge the chunks' lists: best score first, then lowest row index."""
    chunks, queries, _ = index.shape
    flat_index = index.transpose(1, 0, 2).reshape(queries, chunks * k)
    flat_score = score.transpose(1, 0, 2).reshape(queries, chunks * k)
    big = np.iinfo(np.int64).max
    keyed_index = np.where(flat_index < 0, big, flat_index)
    out_index = np.empty((queries, k), dtype=np.int64)
    out_score = np.empty((queries, k), dtype=np.float32)
    for j in range(queries):
        order = np.lexsort((keyed_index[j], -flat_score[j]))[:k]
        out_index[j] = flat_index[j, order]
        out_score[j] = flat_score[j, order]
    return out_index, out_score
