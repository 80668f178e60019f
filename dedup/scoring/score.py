"""Pair scoring: align two documents' sentences and turn the alignment into features.

The scorer works on a :class:`~dedup.scoring.corpus.Corpus`: every sentence embedding of the
scan, centred per language and re-normalised, with each sentence's document, weight
and margin denominator. ``score_pair(corpus, i, j)`` aligns documents i and j by
mutual best match under a LASER-style ratio margin and measures how much of each
document the alignment covers, in both directions.

Example:
    >>> import numpy as np
    >>> from dedup.scoring.corpus import build_corpus
    >>> from dedup.scoring.score import score_pair
    >>> from dedup.encoders.base import HashingEncoder
    >>> sents = [["The cat sat on the mat today.", "Rain is expected tomorrow."],
    ...          ["The cat sat on the mat today.", "Rain is expected tomorrow!"],
    ...          ["Stock markets fell sharply.", "Oil prices rose again."]]
    >>> enc = HashingEncoder(dim=128)
    >>> emb = [enc.encode(s) for s in sents]
    >>> corpus = build_corpus(sents, emb, ["en", "en", "en"], margin_k=1)
    >>> feats, _ = score_pair(corpus, 0, 1, min_cosine=0.3, min_margin=1.0)
    >>> feats.coverage_a, feats.n_aligned
    (1.0, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.errors import InvalidParameterError
from dedup.scoring.corpus import Corpus
from dedup.scoring.cosine_reference import CosineReference
from dedup.scoring.numbers import number_checks
from dedup.scoring.signals import jaccard
from dedup.types import PairFeatures

# Ratio-margin denominators are floored: centred cosines of unrelated sentences sit
# near zero, and a tiny denominator would make any chance match look significant.
MIN_MARGIN_DENOMINATOR = 0.3
# Matches this close are aligned whatever their margin (copies and their neighbours).
_STRONG_COSINE = 0.9


@dataclass(frozen=True, slots=True)
class Alignment:
    """Mutually best-matching sentence pairs of two documents (i in A, j in B)."""

    pairs: tuple[tuple[int, int, float, float], ...]
    coverage_a: float
    coverage_b: float
    soft_coverage_a: float = 0.0
    soft_coverage_b: float = 0.0


def mutual_best(cos: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Rows and columns of the entries that are the best of both their row and their column, by row.

    Example:
        >>> rows, cols = mutual_best(np.array([[0.9, 0.1], [0.8, 0.2]], dtype=np.float32))
        >>> rows.tolist(), cols.tolist()
        ([0], [0])
    """
    best_b, best_a = cos.argmax(axis=1), cos.argmax(axis=0)
    rows = np.flatnonzero(best_a[best_b] == np.arange(len(best_b)))
    return rows, best_b[rows]


def margin_denominators(
    knn_a: npt.NDArray[np.float32], knn_b: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """(n_a, n_b) ratio-margin denominators: the mean of both sentences' neighbourhood terms, floored
    at ``MIN_MARGIN_DENOMINATOR``."""
    return np.maximum((knn_a[:, None] + knn_b[None, :]) / 2.0, MIN_MARGIN_DENOMINATOR)


def is_exact_copy(corpus: Corpus, i: int, j: int) -> bool:
    """True when documents i and j have the same non-empty normalised text."""
    return bool(corpus.text_hashes[i]) and corpus.text_hashes[i] == corpus.text_hashes[j]


def align_sentences(
    emb_a: npt.NDArray[np.float32],
    emb_b: npt.NDArray[np.float32],
    knn_a: npt.NDArray[np.float32],
    knn_b: npt.NDArray[np.float32],
    weights_a: npt.NDArray[np.float32],
    weights_b: npt.NDArray[np.float32],
    *,
    min_cosine: float,
    min_margin: float,
) -> Alignment:
    """Align two documents' sentences by mutual best match, scored by ratio margin.

    margin(i, j) = cos(i, j) / mean(knn_a[i], knn_b[j]), the denominator floored at
    0.15. A sentence counts as covered when its best partner has cos >= min_cosine
    and margin >= min_margin (or cos >= 0.9). Evidence pairs are the mutual best
    matches among those.

    Args:
        emb_a: (n_a, dim) centred, L2-normalised sentence embeddings of document A.
        emb_b: (n_b, dim) the same for document B.
        knn_a: (n_a,) margin denominators of A's sentences (see ``knn_mean_similarity``).
        knn_b: (n_b,) the same for B.
        weights_a: (n_a,) sentence weights for coverage.
        weights_b: (n_b,) the same for B.
        min_cosine: Minimum cosine of an aligned pair, in [-1, 1].
        min_margin: Minimum ratio margin of an aligned pair, >= 0.

    Returns:
        Alignment: evidence pairs sorted by i, and weighted coverage of A and of B.
    """
    if emb_a.shape[0] == 0 or emb_b.shape[0] == 0:
        return Alignment(pairs=(), coverage_a=0.0, coverage_b=0.0)
    if emb_a.shape[1] != emb_b.shape[1]:
        raise InvalidParameterError(f"embedding dims differ: {emb_a.shape[1]} vs {emb_b.shape[1]}.")
    cos = emb_a @ emb_b.T
    margin = cos / margin_denominators(knn_a, knn_b)
    ok = (cos >= min_cosine) & ((margin >= min_margin) | (cos >= _STRONG_COSINE))
    covered_a = ok[np.arange(cos.shape[0]), cos.argmax(axis=1)]
    covered_b = ok[cos.argmax(axis=0), np.arange(cos.shape[1])]
    rows, cols = mutual_best(cos)
    pairs = tuple(
        (int(i), int(j), float(cos[i, j]), float(margin[i, j]))
        for i, j in zip(rows, cols, strict=True)
        if ok[i, j]
    )
    cov_a = float(weights_a[covered_a].sum() / weights_a.sum()) if weights_a.sum() > 0 else 0.0
    cov_b = float(weights_b[covered_b].sum() / weights_b.sum()) if weights_b.sum() > 0 else 0.0
    soft_a = float((cos.max(axis=1) * weights_a).sum() / weights_a.sum()) if weights_a.sum() > 0 else 0.0
    soft_b = float((cos.max(axis=0) * weights_b).sum() / weights_b.sum()) if weights_b.sum() > 0 else 0.0
    return Alignment(
        pairs=pairs, coverage_a=cov_a, coverage_b=cov_b, soft_coverage_a=soft_a, soft_coverage_b=soft_b
    )


def score_pair(
    corpus: Corpus,
    i: int,
    j: int,
    *,
    min_cosine: float | None = 0.35,
    min_margin: float = 1.05,
    reference: CosineReference | None = None,
    min_level: float = 0.0,
) -> tuple[PairFeatures, Alignment]:
    """Features of documents i and j of the corpus, and their sentence alignment.

    Scoring is symmetric: swapping i and j swaps the ``_a``/``_b`` fields only.

    Args:
        corpus: The scan's corpus.
        i: Index of one document.
        j: Index of the other.
        min_cosine: Minimum centred cosine of an aligned sentence pair; None: the cosine at
            ``min_level`` on the language pair's scale (needs ``reference``).
        min_margin: Minimum ratio margin of an aligned pair.
        reference: Per-language-pair cosine levels; gives ``mean_level`` (0 without one).
        min_level: See ``min_cosine``.
    """
    lang_a, lang_b = corpus.langs[i], corpus.langs[j]
    if min_cosine is None:
        if reference is None:
            raise InvalidParameterError("min_cosine=None needs a cosine reference.")
        min_cosine = reference.cosine_at(min_level, lang_a, lang_b)
    ra, rb = corpus.rows(i), corpus.rows(j)
    alignment = align_sentences(
        corpus.embeddings[ra],
        corpus.embeddings[rb],
        corpus.knn[ra],
        corpus.knn[rb],
        corpus.weights[ra],
        corpus.weights[rb],
        min_cosine=min_cosine,
        min_margin=min_margin,
    )
    len_a = float(sum(len(s) for s in corpus.sentences[i]))
    len_b = float(sum(len(s) for s in corpus.sentences[j]))
    n_aligned = len(alignment.pairs)
    number_agreements, number_conflicts = number_checks(
        [(corpus.sentences[i][p[0]], corpus.sentences[j][p[1]]) for p in alignment.pairs]
    )
    features = PairFeatures(
        coverage_a=alignment.coverage_a,
        coverage_b=alignment.coverage_b,
        n_aligned=n_aligned,
        mean_cosine=float(np.mean([p[2] for p in alignment.pairs])) if n_aligned else 0.0,
        mean_margin=float(np.mean([p[3] for p in alignment.pairs])) if n_aligned else 0.0,
        length_ratio=min(len_a, len_b) / max(len_a, len_b) if max(len_a, len_b) > 0 else 0.0,
        shingle_jaccard=jaccard(corpus.shingles[i], corpus.shingles[j]),
        doc_cosine=float(corpus.doc_vectors[i] @ corpus.doc_vectors[j]),
        same_language=corpus.langs[i] == corpus.langs[j],
        n_sentences_a=ra.stop - ra.start,
        n_sentences_b=rb.stop - rb.start,
        story_cosine=float(corpus.story_vectors[i] @ corpus.story_vectors[j]),
        soft_coverage=max(alignment.soft_coverage_a, alignment.soft_coverage_b),
        entity_overlap=_set_jaccard(corpus.entities[i], corpus.entities[j]),
        lead_cosine=float(corpus.lead_vectors[i] @ corpus.lead_vectors[j]),
        mean_level=(
            float(np.mean([reference.normalise(p[2], lang_a, lang_b) for p in alignment.pairs]))
            if n_aligned and reference is not None
            else 0.0
        ),
        number_agreements=number_agreements,
        number_conflicts=number_conflicts,
    )
    return features, alignment


def _set_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0
