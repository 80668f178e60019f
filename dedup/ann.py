"""Approximate nearest-neighbour candidates for large scans (faiss HNSW), with an exact fallback.

Above ``ScanConfig.ann_above`` documents, candidate pairs come from a faiss ``IndexHNSWFlat``
(inner product on L2-normalised vectors = cosine) instead of the exact chunked search of
:mod:`dedup.index`, whose cost grows with n². Memory stays linear: the index holds the vectors plus
``2 * m`` links per vector, and queries run in blocks of ``block_size`` rows, so only (block, k)
results are held at a time; no n x n matrix is built.

faiss is an optional dependency (``pip install 'dedup[ann]'``). Without it, :func:`doc_candidate_pairs`
logs once and falls back to the exact search, which gives the same or better candidates, only slower.

Why faiss over usearch (``benchmarks/bench_ann.py``, 10k 384-d vectors, 2 shared cores): faiss HNSW built
and queried faster and had higher recall@20 than usearch HNSW at similar settings (clustered data:
0.957 vs 0.938 at 10k; planted near-duplicate pairs 1.000 vs 0.9995); both install from PyPI
wheels (~65 MB vs ~57 MB with usearch's numkong dependency). faiss IVF-Flat builds fastest but lost
0.3 % of planted pairs.

The graph is built on one thread, so the same vectors always give the same candidates (a parallel
HNSW build depends on thread timing); queries use every core.

Example:
    >>> import numpy as np
    >>> from dedup.ann import doc_candidate_pairs
    >>> v = np.array([[1, 0], [0.99, 0.14], [0, 1]], dtype=np.float32)
    >>> v /= np.linalg.norm(v, axis=1, keepdims=True)
    >>> doc_candidate_pairs(v, top_k=1, ann_above=1000)  # small: exact search
    [(0, 1), (1, 2)]
"""

from __future__ import annotations

import importlib.util
import logging

import numpy as np
import numpy.typing as npt

from .errors import InvalidParameterError
from .index import candidate_pairs

logger = logging.getLogger(__name__)

_warned = False


def ann_available() -> bool:
    """True when faiss can be imported (the ``[ann]`` extra is installed)."""
    return importlib.util.find_spec("faiss") is not None


def ann_top_k_neighbours(
    vectors: npt.NDArray[np.float32],
    *,
    top_k: int,
    m: int = 32,
    ef_construction: int = 80,
    ef_search: int = 128,
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
    import faiss

    if vectors.ndim != 2:
        raise InvalidParameterError(f"vectors must be a 2-D array (n, dim). Got shape {vectors.shape}.")
    if top_k < 1:
        raise InvalidParameterError(f"top_k must be an int >= 1. Got {top_k}.")
    n, dim = vectors.shape
    k = min(top_k, n - 1)
    if k <= 0:
        return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.float32)
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # deterministic graph
    try:
        index.add(x)
    finally:
        faiss.omp_set_num_threads(threads)
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
    vectors: npt.NDArray[np.float32], *, top_k: int = 20, ann_above: int = 20_000
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
    global _warned
    if len(vectors) <= ann_above:
        return candidate_pairs(vectors, top_k=top_k)
    if not ann_available():
        if not _warned:
            logger.warning(
                "%d documents: install faiss (pip install 'dedup[ann]') for faster candidate search; "
                "using exact search",
                len(vectors),
            )
            _warned = True
        return candidate_pairs(vectors, top_k=top_k)
    indices, _ = ann_top_k_neighbours(vectors, top_k=top_k)
    pairs = {(min(i, int(j)), max(i, int(j))) for i, row in enumerate(indices) for j in row if j >= 0}
    return sorted(pairs)
