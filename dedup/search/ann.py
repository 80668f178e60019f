"""Approximate nearest-neighbour candidates for large scans (faiss HNSW), with an exact fallback.

Above ``ScanConfig.ann_above`` documents (default 250,000), candidate pairs come from a faiss
``IndexHNSWFlat`` (inner product on L2-normalised vectors = cosine) instead of the exact chunked
search of :mod:`dedup.search.exact`, whose cost grows with n² (at 100k documents on 2 cores exact search
took 124 s and the index 345 s to build and query, so exact search stays the default well past
that). Settings M=48, efConstruction=200, efSearch=1024 were chosen on a synthetic 100k-document
archive (``benchmarks/bench_ann_recall.py``): efSearch 512 lost 1.2 % of the links exact candidates
reach, mostly documents whose nearest neighbour is the pair itself at a low cosine (isolated
points, HNSW's hard case); 1024 lost 0.4 %. Memory stays linear: the index holds the vectors plus
``2 * m`` links per vector, and queries run in blocks of ``block_size`` rows, so only (block, k)
results are held at a time; no n x n matrix is built.

faiss is an optional dependency (``pip install 'dedup[ann]'``). Without it, :func:`doc_candidate_pairs`
logs a warning and falls back to the exact search, which gives the same or better candidates, only slower.

Why faiss over usearch (``benchmarks/bench_ann.py``, 10k 384-d vectors, 2 shared cores): faiss HNSW built
and queried faster and had higher recall@20 than usearch HNSW at similar settings (clustered data:
0.957 vs 0.938 at 10k; planted near-duplicate pairs 1.000 vs 0.9995); both install from PyPI
wheels (~65 MB vs ~57 MB with usearch's numkong dependency). faiss IVF-Flat builds fastest but lost
0.3 % of planted pairs.

The graph is built on one thread, so the same vectors always give the same candidates (a parallel
HNSW build depends on thread timing); queries use every core.

Example:
    >>> import numpy as np
    >>> from dedup.search.ann import doc_candidate_pairs
    >>> v = np.array([[1, 0], [0.99, 0.14], [0, 1]], dtype=np.float32)
    >>> v /= np.linalg.norm(v, axis=1, keepdims=True)
    >>> doc_candidate_pairs(v, top_k=1, ann_above=1000)  # small: exact search
    [(0, 1), (1, 2)]
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.errors import InvalidParameterError
from dedup.search.exact import (
    knn_mean_similarity,
    mean_after_skips,
    pairs_from_neighbours,
    top_k_neighbours,
    version_skips,
)

logger = logging.getLogger(__name__)


def ann_available() -> bool:
    """True when faiss can be imported (the ``[ann]`` extra is installed)."""
    return importlib.util.find_spec("faiss") is not None


def _hnsw_index(x: npt.NDArray[np.float32], *, m: int, ef_construction: int) -> Any:
    """A faiss inner-product HNSW index of the rows of ``x``, built on one thread (deterministic)."""
    import faiss

    index = faiss.IndexHNSWFlat(x.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # deterministic graph
    try:
        index.add(x)
    finally:
        faiss.omp_set_num_threads(threads)
    return index


def ann_top_k_neighbours(
    vectors: npt.NDArray[np.float32],
    *,
    top_k: int,
    m: int = 48,
    ef_construction: int = 200,
    ef_search: int = 1024,
    block_size: int = 8192,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Approximate top-k cosine neighbours of every row among the other rows (faiss HNSW).

    Args:
        vectors: (n, dim) float32, L2-normalised.
        top_k: Neighbours per row (>= 1); capped at n - 1.
        m: HNSW links per node. Increase for recall (more memory and build time).
        ef_construction: Build-time beam width. Increase for recall (slower build).
        ef_search: Query-time beam width (>= top_k). Increase for recall (slower queries).
        block_size: Query rows per block. Decrease to lower memory.

    Returns:
        (indices, scores), each (n, k), sorted by decreasing cosine; a row with fewer than k
        neighbours found is padded with index -1 and score -inf.

    Raises:
        ImportError: If faiss is not installed.
        InvalidParameterError: If vectors is not 2-D or top_k < 1.
    """

    if vectors.ndim != 2:
        raise InvalidParameterError(f"vectors must be a 2-D array (n, dim). Got shape {vectors.shape}.")
    if top_k < 1:
        raise InvalidParameterError(f"top_k must be an int >= 1. Got {top_k}.")
    n, dim = vectors.shape
    k = min(top_k, n - 1)
    if k <= 0:
        return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.float32)
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    index = _hnsw_index(x, m=m, ef_construction=ef_construction)
    index.hnsw.efSearch = max(ef_search, k + 1)
    indices = np.full((n, k), -1, dtype=np.int64)
    scores = np.full((n, k), -np.inf, dtype=np.float32)
    for start in range(0, n, block_size):
        block = x[start : start + block_size]
        sims, ids = index.search(block, k + 1)
        for row in range(len(block)):
            keep = (ids[row] >= 0) & (ids[row] != start + row)
            found_ids, found_sims = ids[row][keep][:k], sims[row][keep][:k]
            indices[start + row, : len(found_ids)] = found_ids
            scores[start + row, : len(found_ids)] = found_sims
    return indices, scores


def doc_candidate_pairs(
    vectors: npt.NDArray[np.float32], *, top_k: int = 20, ann_above: int = 250_000
) -> list[tuple[int, int]]:
    """Unordered pairs (i < j) where j is among i's top-k neighbours or i among j's.

    Exact chunked search up to ``ann_above`` rows (or when faiss is missing), HNSW above.

    Args:
        vectors: Document vectors (n_docs, dim), L2-normalised.
        top_k: Neighbours per document (>= 1).
        ann_above: Use the ANN index when there are more rows than this.

    Returns:
        Sorted list of index pairs (i, j) with i < j.
    """
    indices, _ = nearest_neighbours(vectors, top_k=top_k, ann_above=ann_above)
    return pairs_from_neighbours(indices)


def nearest_neighbours(
    vectors: npt.NDArray[np.float32], *, top_k: int, ann_above: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Top-k cosine neighbours of every row among the other rows: exact chunked search up to
    ``ann_above`` rows (or when faiss is missing, with a warning), faiss HNSW above.

    Returns:
        (indices, scores), each (n, k), as :func:`dedup.search.exact.top_k_neighbours` gives them.
    """
    if len(vectors) <= ann_above:
        return top_k_neighbours(vectors, top_k=top_k)
    if not ann_available():
        logger.warning(
            "%d documents: install faiss (pip install 'dedup[ann]') for faster candidate search; "
            "using exact search",
            len(vectors),
        )
        return top_k_neighbours(vectors, top_k=top_k)
    return ann_top_k_neighbours(vectors, top_k=top_k)


def ann_knn_mean_similarity(
    vectors: npt.NDArray[np.float32],
    owners: npt.NDArray[np.int64],
    *,
    k: int = 4,
    skip: int = 0,
    m: int = 16,
    ef_construction: int = 64,
    ef_search: int = 64,
    extra: int = 12,
    block_size: int = 4096,
    skip_versions: bool = False,
    max_versions: int = 32,
) -> npt.NDArray[np.float32]:
    """Approximate :func:`dedup.search.exact.knn_mean_similarity` (faiss HNSW): same contract, linear memory.

    Each row asks the index for its ``k + skip + extra`` nearest rows; rows of the same document are
    dropped. A row left with fewer than ``k + skip`` foreign neighbours (its own document has many
    similar sentences) is asked again for ``k + skip + (sentences in its document)`` rows, which
    always leaves enough. With ``skip_versions`` each row keeps ``k + max(skip, max_versions)``
    foreign neighbours, from which :func:`dedup.search.exact.version_skips` sets its skip. Scores are
    exact inner products of the neighbours found; only the choice of neighbours is approximate.

    Args:
        vectors: (n_sentences, dim) float32, L2-normalised.
        owners: (n_sentences,) document index of each row.
        k: Neighbours averaged (>= 1), those ranked skip+1 .. skip+k among foreign rows.
        skip: Nearest foreign neighbours passed over (>= 0).
        skip_versions: Raise each row's skip to its document's versions among its nearest rows
            (see :func:`dedup.search.exact.knn_mean_similarity`).
        max_versions: Most versions counted per row.
        m: HNSW links per node. Increase for recall (more memory and build time).
        ef_construction: Build-time beam width. Increase for recall (slower build).
        ef_search: Query-time beam width (raised to the number of rows asked for).
        extra: Rows asked for beyond ``k + skip`` on the first try, to absorb same-document rows.
        block_size: Query rows per block. Decrease to lower memory.

    Returns:
        (n_sentences,) float32. Rows with no foreign neighbour in that rank range get 0.

    Raises:
        ImportError: If faiss is not installed.
        InvalidParameterError: If vectors is not 2-D, owners has another length, k < 1 or skip < 0.

    Example:
        >>> import numpy as np
        >>> v = np.eye(3, dtype=np.float32)
        >>> ann_knn_mean_similarity(v, np.array([0, 1, 2]), k=1).tolist()
        [0.0, 0.0, 0.0]
    """
    if vectors.ndim != 2:
        raise InvalidParameterError(f"vectors must be a 2-D array (n, dim). Got shape {vectors.shape}.")
    if k < 1 or skip < 0:
        raise InvalidParameterError(f"k must be >= 1 and skip >= 0. Got k={k}, skip={skip}.")
    owners = np.asarray(owners, dtype=np.int64)
    if owners.shape != (vectors.shape[0],):
        raise InvalidParameterError(
            f"owners must have one entry per row of vectors. Got {owners.shape} for {vectors.shape[0]} rows."
        )
    n = vectors.shape[0]
    out = np.zeros(n, dtype=np.float32)
    if n < 2:
        return out
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    index = _hnsw_index(x, m=m, ef_construction=ef_construction)
    need = k + (max(skip, max_versions) if skip_versions else skip)
    own = np.bincount(owners)[owners]  # rows of each row's own document, itself included
    values = np.full((n, need), -np.inf, dtype=np.float32)
    listed = np.full((n, need), -1, dtype=np.int32)
    for start in range(0, n, block_size):
        rows = np.arange(start, min(n, start + block_size))
        asked = min(need + extra, n)
        while len(rows):
            index.hnsw.efSearch = max(ef_search, asked)
            sims, ids = index.search(x[rows], asked)
            found_owners = owners[np.maximum(ids, 0)]
            foreign = (ids >= 0) & (found_owners != owners[rows, None])
            enough = (foreign.sum(axis=1) >= need) | (asked >= np.minimum(need + own[rows], n))
            done = rows[enough]
            nearest = np.where(foreign, sims, -np.inf)[enough]
            order = np.argsort(-nearest, axis=1, kind="stable")[:, :need]
            kept = np.take_along_axis(nearest, order, axis=1)
            values[done, : kept.shape[1]] = kept
            kept_owners = np.take_along_axis(found_owners[enough], order, axis=1)
            listed[done, : kept.shape[1]] = np.where(np.isfinite(kept), kept_owners, -1)
            rows = rows[~enough]
            if len(rows):
                asked = int(min(need + own[rows].max(), n))
    skips = (
        version_skips(owners, listed, skip=skip, k=k, max_versions=max_versions)
        if skip_versions
        else np.full(n, skip)
    )
    return mean_after_skips(values, skips, k)


def sentence_knn_mean_similarity(
    vectors: npt.NDArray[np.float32],
    owners: npt.NDArray[np.int64],
    *,
    k: int = 4,
    skip: int = 0,
    ann_above: int | None = 50_000,
    skip_versions: bool = False,
) -> npt.NDArray[np.float32]:
    """The margin's neighbourhood term: exact up to ``ann_above`` rows (or without faiss), HNSW above.

    See :func:`dedup.search.exact.knn_mean_similarity` (exact, cost grows with n²) and
    :func:`ann_knn_mean_similarity` (approximate, about n log n, memory linear in n).

    Args:
        vectors: (n_sentences, dim) float32, L2-normalised.
        owners: (n_sentences,) document index of each row.
        k: Neighbours averaged (>= 1).
        skip: Nearest foreign neighbours passed over (>= 0).
        ann_above: Use the HNSW index when there are more rows than this; None: always exact.
        skip_versions: Raise each row's skip to its document's versions among its nearest rows
            (see :func:`dedup.search.exact.knn_mean_similarity`).

    Returns:
        (n_sentences,) float32.

    Example:
        >>> import numpy as np
        >>> v = np.eye(3, dtype=np.float32)
        >>> sentence_knn_mean_similarity(v, np.array([0, 1, 2]), k=1, ann_above=0).tolist()
        [0.0, 0.0, 0.0]
    """
    if ann_above is None or len(vectors) <= ann_above:
        return knn_mean_similarity(vectors, owners, k=k, skip=skip, skip_versions=skip_versions)
    if not ann_available():
        logger.warning(
            "%d sentences: install faiss (pip install 'dedup[ann]') for a faster margin; exact search",
            len(vectors),
        )
        return knn_mean_similarity(vectors, owners, k=k, skip=skip, skip_versions=skip_versions)
    return ann_knn_mean_similarity(vectors, owners, k=k, skip=skip, skip_versions=skip_versions)
