"""Cosine-similarity search over embeddings, in chunks so no n x n matrix is ever held.

Two jobs: candidate document pairs from document vectors (top-k neighbours), and
each sentence's mean similarity to its k nearest sentences in *other* documents
(the denominator of the ratio margin used by alignment).

Example:
    >>> import numpy as np
    >>> from dedup.search.exact import candidate_pairs
    >>> v = np.array([[1, 0], [0.99, 0.14], [0, 1]], dtype=np.float32)
    >>> v /= np.linalg.norm(v, axis=1, keepdims=True)
    >>> candidate_pairs(v, top_k=1)
    [(0, 1), (1, 2)]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dedup.errors import InvalidParameterError


def _check_matrix(name: str, x: npt.NDArray[np.float32]) -> None:
    if x.ndim != 2:
        raise InvalidParameterError(f"{name} must be a 2-D array (n, dim). Got shape {x.shape}.")


def _top_k_rows(
    block: npt.NDArray[np.float32], k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Column indices and values of each row's k largest entries, by decreasing value, ties by index.

    Same result as a stable argsort of ``-block`` cut at k, in O(n) per row instead of O(n log n):
    a partition finds each row's k-th largest value, and only entries at or above it are sorted.
    """
    b, n = block.shape  # 1 <= k < n
    kth = np.partition(block, n - k, axis=1)[:, n - k]
    rows, cols = np.nonzero(block >= kth[:, None])  # every row has >= k entries (ties included)
    vals = block[rows, cols]
    order = np.lexsort((cols, -vals, rows))  # by row, then decreasing value, then index
    starts = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=b))[:-1]))
    pick = order[(starts[:, None] + np.arange(k)[None, :]).ravel()]
    return cols[pick].reshape(b, k).astype(np.int64), vals[pick].reshape(b, k)


def top_k_neighbours(
    vectors: npt.NDArray[np.float32], *, top_k: int, chunk_size: int = 1024, max_block: int = 1 << 25
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Exact top-k cosine neighbours of every row among the other rows.

    Args:
        vectors: (n, dim) float32, L2-normalised.
        top_k: Neighbours per row (>= 1); capped at n - 1.
        chunk_size: Most rows per block.
        max_block: Most similarity values held per block (rows per block shrink as n grows, so
            a block stays near ``4 * max_block`` bytes: 128 MiB by default).

    Returns:
        (indices, scores), each (n, k), sorted by decreasing cosine; ties by index.

    Example:
        >>> import numpy as np
        >>> v = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
        >>> top_k_neighbours(v, top_k=1)[0].tolist()
        [[1], [0], [0]]
    """
    _check_matrix("vectors", vectors)
    if top_k < 1:
        raise InvalidParameterError(f"top_k must be an int >= 1. Got {top_k}.")
    n = vectors.shape[0]
    k = min(top_k, n - 1)
    if k <= 0:
        return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.float32)
    rows_per_block = max(1, min(chunk_size, max_block // n))
    indices = np.empty((n, k), dtype=np.int64)
    scores = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, rows_per_block):
        block = vectors[start : start + rows_per_block] @ vectors.T
        rows = np.arange(block.shape[0])
        block[rows, start + rows] = -np.inf
        np.nan_to_num(block, copy=False, nan=-np.inf)  # a zero vector matches nothing
        end = start + block.shape[0]
        indices[start:end], scores[start:end] = _top_k_rows(block, k)
    return indices, scores


def top_k_against(
    queries: npt.NDArray[np.float32],
    base: npt.NDArray[np.float32],
    *,
    top_k: int,
    max_block: int = 1 << 24,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Exact top-k cosine neighbours of every query row among the rows of ``base``.

    Queries run in blocks, so no (queries x base) matrix is held beyond ``max_block`` values.

    Returns:
        (indices into ``base``, scores), each (n_queries, min(top_k, len(base))), by decreasing
        cosine; ties by index.

    Example:
        >>> import numpy as np
        >>> q = np.array([[1, 0]], dtype=np.float32)
        >>> top_k_against(q, np.array([[0, 1], [1, 0]], dtype=np.float32), top_k=1)[0].tolist()
        [[1]]
    """
    _check_matrix("queries", queries)
    _check_matrix("base", base)
    if top_k < 1:
        raise InvalidParameterError(f"top_k must be an int >= 1. Got {top_k}.")
    n, m = len(queries), len(base)
    k = min(top_k, m)
    indices = np.empty((n, k), dtype=np.int64)
    scores = np.empty((n, k), dtype=np.float32)
    if k == 0:
        return indices, scores
    rows_per_block = max(1, max_block // m)
    for start in range(0, n, rows_per_block):
        block = queries[start : start + rows_per_block] @ base.T
        np.nan_to_num(block, copy=False, nan=-np.inf)
        end = start + block.shape[0]
        if k < m:
            indices[start:end], scores[start:end] = _top_k_rows(block, k)
        else:  # every base row: by decreasing cosine, ties by index
            order = np.lexsort((np.broadcast_to(np.arange(m), block.shape), -block), axis=1)
            indices[start:end] = order
            scores[start:end] = np.take_along_axis(block, order, axis=1)
    return indices, scores


def candidate_pairs(
    vectors: npt.NDArray[np.float32], *, top_k: int = 20, chunk_size: int = 1024
) -> list[tuple[int, int]]:
    """Unordered pairs (i < j) where j is among i's top-k neighbours or i among j's.

    Args:
        vectors: Document vectors (n_docs, dim), L2-normalised.
        top_k: Neighbours per document (>= 1).
        chunk_size: Rows per block of the search.

    Returns:
        Sorted list of index pairs (i, j) with i < j.
    """
    indices, _ = top_k_neighbours(vectors, top_k=top_k, chunk_size=chunk_size)
    return pairs_from_neighbours(indices)


def pairs_from_neighbours(indices: npt.NDArray[np.int64]) -> list[tuple[int, int]]:
    """Sorted unordered pairs (i < j) from a neighbour table; entries < 0 (no neighbour) are ignored.

    Example:
        >>> import numpy as np
        >>> pairs_from_neighbours(np.array([[1], [0], [-1]]))
        [(0, 1)]
    """
    pairs = {(min(i, int(j)), max(i, int(j))) for i, row in enumerate(indices) for j in row if j >= 0}
    return sorted(pairs)


def knn_mean_similarity(
    vectors: npt.NDArray[np.float32],
    owners: npt.NDArray[np.int64],
    *,
    k: int = 4,
    skip: int = 0,
    chunk_size: int = 1024,
    rows: npt.NDArray[np.int64] | None = None,
    extra: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float32]:
    """Mean cosine of each row to its nearest rows owned by a different document.

    This is the neighbourhood term of the LASER ratio margin: a sentence that is
    close to everything gets a high value, so its matches count for less. The
    ``skip`` nearest foreign rows are passed over first, so that a sentence with a
    few copies or translations elsewhere (its true partners) is not penalised for them.

    Args:
        vectors: (n_sentences, dim) float32, L2-normalised.
        owners: (n_sentences,) document index of each row.
        k: Neighbours averaged (>= 1), those ranked skip+1 .. skip+k; fewer when fewer exist.
        skip: Nearest foreign neighbours passed over (>= 0).
        chunk_size: Rows per block.
        rows: Only these rows (indices into ``vectors``), still searched against all rows; None: all.
        extra: (m, dim) float32 rows owned by no document (a background bank): searched as
            neighbours of every row, never queried themselves.

    Returns:
        (n_sentences,) float32, or (len(rows),) when ``rows`` is given. Rows with no neighbour in
        that rank range get 0.

    Example:
        >>> import numpy as np
        >>> v = np.eye(3, dtype=np.float32)
        >>> knn_mean_similarity(v, np.array([0, 1, 2]), k=1).tolist()
        [0.0, 0.0, 0.0]
    """
    _check_matrix("vectors", vectors)
    if k < 1 or skip < 0:
        raise InvalidParameterError(f"k must be >= 1 and skip >= 0. Got k={k}, skip={skip}.")
    queries = np.arange(vectors.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
    out = np.zeros(len(queries), dtype=np.float32)
    n = vectors.shape[0] + (0 if extra is None else extra.shape[0])
    kk = min(k + skip, n)
    for start in range(0, len(queries), chunk_size):
        chunk = queries[start : start + chunk_size]
        block = vectors[chunk] @ vectors.T
        block[owners[chunk, None] == owners[None, :]] = -np.inf
        if extra is not None:
            block = np.hstack([block, vectors[chunk] @ extra.T])
        top = -np.partition(-block, kk - 1, axis=1)[:, :kk] if kk < n else block
        top = -np.sort(-top, axis=1)[:, skip:kk]
        finite = np.isfinite(top)
        counts = finite.sum(axis=1)
        sums = np.where(finite, top, 0.0).sum(axis=1)
        out[start : start + block.shape[0]] = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    return out
