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
    skip_versions: bool = False,
    max_versions: int = 32,
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
        skip_versions: Pass over more than ``skip`` rows where a row's document has versions
            (translations, copies): as many as there are versions among its nearest rows, up to
            ``max_versions`` (see :func:`version_skips`). A story in ten languages gives each
            sentence nine partners, which a fixed ``skip`` would average as its neighbourhood.
        max_versions: Most versions counted per row.

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
    if skip_versions:
        return _knn_mean_skipping_versions(
            vectors,
            owners,
            queries,
            k=k,
            skip=skip,
            chunk_size=chunk_size,
            extra=extra,
            max_versions=max_versions,
        )
    out = np.zeros(len(queries), dtype=np.float32)
    n = vectors.shape[0] + (0 if extra is None else extra.shape[0])
    kk = min(k + skip, n)
    for start in range(0, len(queries), chunk_size):
        block = _foreign_similarities(vectors, owners, queries[start : start + chunk_size], extra)
        top = -np.partition(-block, kk - 1, axis=1)[:, :kk] if kk < n else block
        top = -np.sort(-top, axis=1)
        out[start : start + block.shape[0]] = mean_after_skips(top, np.full(len(top), skip), k)
    return out


def _foreign_similarities(
    vectors: npt.NDArray[np.float32],
    owners: npt.NDArray[np.int64],
    chunk: npt.NDArray[np.int64],
    extra: npt.NDArray[np.float32] | None,
) -> npt.NDArray[np.float32]:
    """Cosines of the ``chunk`` rows to every row (-inf for rows of their own document), then to
    every ``extra`` row."""
    block = vectors[chunk] @ vectors.T
    block[owners[chunk, None] == owners[None, :]] = -np.inf
    if extra is not None:
        block = np.hstack([block, vectors[chunk] @ extra.T])
    return block


def _knn_mean_skipping_versions(
    vectors: npt.NDArray[np.float32],
    owners: npt.NDArray[np.int64],
    queries: npt.NDArray[np.int64],
    *,
    k: int,
    skip: int,
    chunk_size: int,
    extra: npt.NDArray[np.float32] | None,
    max_versions: int,
) -> npt.NDArray[np.float32]:
    """:func:`knn_mean_similarity` with each row's skip raised to its document's versions near it."""
    column_owners = (
        owners if extra is None else np.r_[owners, np.full(extra.shape[0], -1, dtype=owners.dtype)]
    )
    n = len(column_owners)
    kk = min(k + max(skip, max_versions), n)
    values = np.empty((len(queries), kk), dtype=np.float32)
    listed = np.empty((len(queries), kk), dtype=np.int64)
    for start in range(0, len(queries), chunk_size):
        chunk = queries[start : start + chunk_size]
        block = _foreign_similarities(vectors, owners, chunk, extra)
        nearest = np.argpartition(-block, kk - 1, axis=1)[:, :kk] if kk < n else np.argsort(-block, axis=1)
        top = np.take_along_axis(block, nearest, axis=1)
        order = np.argsort(-top, axis=1, kind="stable")
        values[start : start + len(chunk)] = np.take_along_axis(top, order, axis=1)
        found = column_owners[np.take_along_axis(nearest, order, axis=1)]
        listed[start : start + len(chunk)] = np.where(
            np.isfinite(values[start : start + len(chunk)]), found, -1
        )
    skips = version_skips(owners[queries], listed, skip=skip, k=k, max_versions=max_versions)
    return mean_after_skips(values, skips, k)


# Rows per block in version_skips, so its temporaries stay small next to the neighbour lists.
_VERSION_BLOCK = 65536
# A version shows up near this share of its original's rows (and near two at least).
_VERSION_SHARE = 0.3


def version_skips(
    row_owners: npt.NDArray[np.int64],
    listed_owners: npt.NDArray[np.int64],
    *,
    skip: int,
    k: int,
    max_versions: int = 32,
) -> npt.NDArray[np.int64]:
    """How many nearest foreign rows each row passes over in the margin's neighbourhood term.

    A document is a *version* of another when at least two, and at least 30 %, of the other's rows
    list one of its rows among the neighbours the margin would look at (a row's skipped rows and the
    ``k`` after them): a translation or copy shows up near most of its original's sentences, an
    unrelated article near a few. On the WMT validation archives this finds 96 % of the documents
    of the same story, and 62 % of what it finds are (the rest raise a skip only where a document
    has more than ``skip`` of them). Each row passes over ``skip`` rows, or, when more, as many as there
    are versions of its document among all its listed neighbours (at most ``max_versions``). Since
    a row that passes over more looks further, this is repeated until no skip changes (a story in
    twenty languages has more versions than the first ``skip + k`` rows show).

    Args:
        row_owners: (n,) document of each row.
        listed_owners: (n, L) owners of each row's nearest foreign rows, nearest first; -1 for a
            row owned by no document (the background bank) or none.
        skip: The fewest rows passed over.
        k: Rows averaged after the skip.
        max_versions: Most versions counted per row.

    Returns:
        (n,) int64 skip per row.

    Example:
        >>> import numpy as np
        >>> listed = np.array([[1, 2, 5], [1, 3, 6], [0, 4, 7]])
        >>> version_skips(np.array([0, 0, 1]), listed, skip=0, k=2).tolist()
        [1, 1, 0]
    """
    n, width = listed_owners.shape
    skips = np.full(n, skip, dtype=np.int64)
    if n == 0 or width == 0:
        return skips
    span = int(max(row_owners.max(), listed_owners.max())) + 1
    blocks = [slice(start, min(n, start + _VERSION_BLOCK)) for start in range(0, n, _VERSION_BLOCK)]
    first = np.zeros((n, width), dtype=bool)  # each (row, listed document) once, at its nearest rank
    for rows in blocks:
        listed = listed_owners[rows]
        r, c = np.nonzero(listed >= 0)
        _, at = np.unique(r * span + listed[r, c], return_index=True)
        first[rows][r[at], c[at]] = True
    ranks = np.arange(width)[None, :]
    rows_of = np.bincount(row_owners, minlength=span)
    for _ in range(max_versions + 1):
        seen = [
            (row_owners[rows, None] * span + listed_owners[rows])[
                first[rows] & (ranks < (skips[rows] + k)[:, None])
            ]
            for rows in blocks
        ]
        pairs, seen_by = np.unique(np.concatenate(seen), return_counts=True)
        versions = pairs[seen_by >= np.maximum(2, np.ceil(_VERSION_SHARE * rows_of[pairs // span]))]
        new = np.empty_like(skips)
        for rows in blocks:
            keys = row_owners[rows, None] * span + listed_owners[rows]
            at = np.minimum(np.searchsorted(versions, keys), max(len(versions) - 1, 0))
            near = first[rows] & (versions[at] == keys) if len(versions) else np.zeros_like(first[rows])
            new[rows] = np.maximum(skip, np.minimum(near.sum(axis=1), max_versions))
        if np.array_equal(new, skips):
            break
        skips = new
    return skips


def mean_after_skips(
    values: npt.NDArray[np.float32], skips: npt.NDArray[np.int64], k: int
) -> npt.NDArray[np.float32]:
    """Per row of descending ``values``, the mean of the finite values ranked skip+1 .. skip+k (0 if none)."""
    ranks = skips[:, None] + np.arange(k)[None, :]
    inside = ranks < values.shape[1]
    picked = np.take_along_axis(values, np.minimum(ranks, values.shape[1] - 1), axis=1)
    finite = inside & np.isfinite(picked)
    counts = finite.sum(axis=1)
    sums = np.where(finite, picked, 0.0).sum(axis=1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0).astype(np.float32)
