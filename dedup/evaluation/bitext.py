"""Sentence retrieval on a bitext: does each sentence's nearest neighbour in the other language translate it?

The bitext files are read by :func:`dedup.evaluation.readers.read_bitext`; :func:`bitext_retrieval`
measures top-1 accuracy of their embeddings in both directions.

Example:
    >>> import numpy as np
    >>> bitext_retrieval(np.eye(2), np.eye(2))
    (1.0, 1.0)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dedup.errors import InvalidParameterError

__all__ = ["bitext_retrieval"]


def _top1_accuracy(
    queries: npt.NDArray[np.float32], corpus: npt.NDArray[np.float32], chunk_size: int
) -> float:
    n = queries.shape[0]
    hits = 0
    for start in range(0, n, chunk_size):
        sims = queries[start : start + chunk_size] @ corpus.T
        best = np.argmax(sims, axis=1)  # first maximum: ties go to the lowest index
        hits += int(np.count_nonzero(best == np.arange(start, start + sims.shape[0])))
    return hits / n


def bitext_retrieval(
    src_emb: npt.ArrayLike, tgt_emb: npt.ArrayLike, *, chunk_size: int = 1024
) -> tuple[float, float]:
    """Top-1 retrieval accuracy of aligned sentence embeddings, in both directions.

    Row ``i`` of ``src_emb`` translates row ``i`` of ``tgt_emb``. For each source row the nearest target
    row by dot product (cosine, for L2-normalised rows) is found; accuracy is the share of rows whose
    nearest row is their own. Ties go to the lowest index, so a duplicate row is found only if it comes
    first. Similarities are computed ``chunk_size`` query rows at a time, so memory is
    O(chunk_size * n) rather than O(n^2).

    Args:
        src_emb: Source embeddings, shape (n, dim), L2-normalised (converted to float32).
        tgt_emb: Target embeddings, shape (n, dim), same n and dim.
        chunk_size: Query rows per block; >= 1. Decrease to lower memory (increases run-time).

    Returns:
        ``(accuracy_src_to_tgt, accuracy_tgt_to_src)``, each in [0, 1].

    Raises:
        InvalidParameterError: If an input is not 2-D, the shapes differ, n is 0 or ``chunk_size < 1``.

    Example:
        >>> import numpy as np
        >>> eye = np.eye(3, dtype=np.float32)
        >>> bitext_retrieval(eye, eye)
        (1.0, 1.0)
        >>> bitext_retrieval(eye, eye[[1, 0, 2]], chunk_size=2)
        (0.3333333333333333, 0.3333333333333333)
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise InvalidParameterError(f"chunk_size must be an int >= 1. Got {chunk_size!r}.")
    src = np.asarray(src_emb, dtype=np.float32)
    tgt = np.asarray(tgt_emb, dtype=np.float32)
    if src.ndim != 2 or tgt.ndim != 2:
        raise InvalidParameterError(
            f"src_emb and tgt_emb must be 2-D (n, dim). Got shapes {src.shape} and {tgt.shape}."
        )
    if src.shape != tgt.shape:
        raise InvalidParameterError(
            f"src_emb and tgt_emb must have the same shape (row i translates row i). "
            f"Got {src.shape} and {tgt.shape}."
        )
    if src.shape[0] == 0:
        raise InvalidParameterError("src_emb and tgt_emb must hold at least one row. Got 0.")
    return _top1_accuracy(src, tgt, chunk_size), _top1_accuracy(tgt, src, chunk_size)
