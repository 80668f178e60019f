"""Candidate pairs: the document pairs worth scoring, for every runner.

Small inputs (up to ``exhaustive_below`` documents) score every pair. Larger ones take each
document's top-k neighbours by document vector (exact search, faiss HNSW above ``ann_above``)
plus every pair of exact copies, which the vectors might rank apart when boilerplate differs.
:func:`candidates_against` does the same for new documents against an archive.

Example:
    >>> import numpy as np
    >>> from dedup.search.candidates import candidates
    >>> v = np.array([[1, 0], [0.99, 0.14], [0, 1], [0, 1]], dtype=np.float32)
    >>> v /= np.linalg.norm(v, axis=1, keepdims=True)
    >>> candidates(v, ["k0", "", "k2", "k0"], top_k=1, exhaustive_below=2, ann_above=1000)
    [(0, 1), (0, 3), (2, 3)]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from dedup.search.ann import doc_candidate_pairs
from dedup.search.copies import copy_groups, copy_pairs
from dedup.search.exact import top_k_against


def candidates(
    doc_vectors: npt.NDArray[np.float32],
    copy_keys: Sequence[str],
    *,
    top_k: int,
    exhaustive_below: int,
    ann_above: int,
    eligible: npt.NDArray[np.bool_] | None = None,
) -> list[tuple[int, int]]:
    """Sorted pairs (i < j) to score among one set of documents.

    Args:
        doc_vectors: (n, dim) float32 document vectors, L2-normalised.
        copy_keys: Per document, its exact-copy key (:func:`dedup.search.copies.copy_key`).
        top_k: Neighbours per document.
        exhaustive_below: Up to this many documents, every pair is a candidate.
        ann_above: Above this many documents the neighbours come from faiss HNSW.
        eligible: When given, only pairs of documents marked True (the first tier's choice).
    """
    n = len(doc_vectors)
    if n <= exhaustive_below:
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    else:
        found = set(doc_candidate_pairs(doc_vectors, top_k=top_k, ann_above=ann_above))
        pairs = sorted(found.union(copy_pairs(copy_keys)))
    if eligible is not None:
        pairs = [(i, j) for i, j in pairs if eligible[i] and eligible[j]]
    return pairs


def candidates_against(
    query_vectors: npt.NDArray[np.float32],
    query_keys: Sequence[str],
    base_vectors: npt.NDArray[np.float32],
    base_keys: Sequence[str],
    *,
    top_k: int,
) -> dict[int, set[int]]:
    """Per query document, the base documents to score it with: its top-k by cosine, and its copies.

    Example:
        >>> import numpy as np
        >>> q = np.array([[1, 0]], dtype=np.float32)
        >>> base = np.array([[0, 1], [1, 0], [0.6, 0.8]], dtype=np.float32)
        >>> candidates_against(q, ["x"], base, ["x", "", ""], top_k=1)
        {0: {0, 1}}
    """
    chosen: dict[int, set[int]] = {i: set() for i in range(len(query_vectors))}
    if len(base_vectors):
        indices, _ = top_k_against(query_vectors, base_vectors, top_k=top_k)
        for i, row in enumerate(indices.tolist()):
            chosen[i].update(row)
    base_copies = copy_groups(base_keys)
    for i, key in enumerate(query_keys):
        chosen[i].update(base_copies.get(key, []) if key else [])
    return chosen
