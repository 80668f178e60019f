"""The corpus of a scan: every sentence embedding, centred per language, with each sentence's
document, weight and margin denominator, and per-document vectors, shingles and copy keys.

Example:
    >>> from dedup.scoring.corpus import build_corpus
    >>> from dedup.encoders.base import HashingEncoder
    >>> sents = [["The cat sat on the mat today.", "Rain is expected tomorrow."], ["Stock markets fell."]]
    >>> enc = HashingEncoder(dim=64)
    >>> corpus = build_corpus(sents, [enc.encode(s) for s in sents], ["en", "en"], margin_k=1)
    >>> corpus.n_docs, corpus.embeddings.shape
    (2, (3, 64))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.errors import InvalidParameterError
from dedup.scoring.background import Background
from dedup.scoring.signals import char_shingles, count_words, entity_keys, sentence_weights
from dedup.search.ann import sentence_knn_mean_similarity
from dedup.search.copies import copy_key
from dedup.search.exact import knn_mean_similarity
from dedup.text.scripts import centring_key

# Language means use at least this many sentences' worth of the global mean as a prior,
# so a language seen in one short document is not centred onto itself.
_CENTRING_PRIOR = 30.0


# Rows per block when centring, so temporaries stay small next to the embedding matrix.
_ROW_BLOCK = 65536


# Story vectors weigh sentence k by 1 / (1 + k / _LEAD_DECAY): the lead says what the story is.
_LEAD_DECAY = 3.0


_LEAD_SENTENCES = 3


@dataclass(frozen=True)
class Corpus:
    """All sentence-level arrays of one scan.

    Attributes:
        sentences: Per document, its sentence texts.
        offsets: (n_docs + 1,) start of each document's rows in the arrays below.
        embeddings: (n_sentences, dim) float32, centred per language, L2-normalised.
        weights: (n_sentences,) float32, characters / number of documents sharing the sentence.
        knn: (n_sentences,) float32, mean cosine to the k nearest sentences of other documents.
        doc_vectors: (n_docs, dim) float32, weighted mean of a document's rows, L2-normalised.
        story_vectors: (n_docs, dim) float32, the same with early sentences weighted up.
        lead_vectors: (n_docs, dim) float32, mean of the first three rows, L2-normalised.
        entities: Per document, its names and numbers (see :func:`entity_keys`).
        langs: Per document, its language code.
        shingles: Per document, sorted unique hashed character shingles (uint64).
        text_hashes: Per document, hash of its whitespace-free lower-cased text (exact copies);
            empty for a document with no letters or digits left, which copies nothing.
        n_words: Per document, its length in words (see :func:`count_words`).
    """

    sentences: list[list[str]]
    offsets: npt.NDArray[np.int64]
    embeddings: npt.NDArray[np.float32]
    weights: npt.NDArray[np.float32]
    knn: npt.NDArray[np.float32]
    doc_vectors: npt.NDArray[np.float32]
    story_vectors: npt.NDArray[np.float32]
    lead_vectors: npt.NDArray[np.float32]
    entities: list[frozenset[str]]
    langs: list[str]
    shingles: list[npt.NDArray[np.uint64]]
    text_hashes: list[str]
    n_words: list[int]

    @property
    def n_docs(self) -> int:
        return len(self.sentences)

    def rows(self, i: int) -> slice:
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))


def language_means(
    embeddings: npt.NDArray[np.float32],
    langs: Sequence[str],
    weights: npt.NDArray[np.float32],
    *,
    background: Background | None = None,
    shrink: bool = True,
) -> dict[str, npt.NDArray[np.float64]]:
    """Each language's weighted mean row, shrunk towards a prior so few sentences cannot make it.

    The prior is the background mean of the language (``background.prior_weight`` average
    sentences' worth) when the background has one; else (no background, or a language it has
    not measured) the input's global mean, 30 sentences' worth: a mixture of other languages is
    no estimate of an unseen language's mean. With a background, that global mean is itself shrunk
    towards the background's global mean (``prior_weight`` sentences' worth): a small folder's
    global mean is mostly its own stories (one story in eight languages is all story), and
    centring an unseen language on it removes the story from that language's sentences. A large
    input's own means dominate either way.
    ``shrink=False`` gives the plain weighted means (no prior).
    """
    langs_arr = np.asarray(langs)
    w = weights.astype(np.float64)
    total = w.sum()
    global_mean = (
        _weighted_sum(embeddings, w, np.arange(len(w))) / total
        if total > 0
        else embeddings.mean(axis=0, dtype=np.float64)
    )
    mean_weight = total / max(len(w), 1)
    if shrink and background is not None:
        prior = background.prior_weight * mean_weight
        global_mean = (global_mean * total + prior * background.global_mean.astype(np.float64)) / (
            total + prior
        )
    means: dict[str, npt.NDArray[np.float64]] = {}
    for lang in sorted(set(langs_arr.tolist())):
        rows = np.flatnonzero(langs_arr == lang)
        if not shrink:
            prior, prior_mean = 0.0, global_mean
        elif background is not None and lang in background.langs:
            prior = background.prior_weight * mean_weight
            prior_mean = background.mean_of(lang).astype(np.float64)
        else:
            prior, prior_mean = _CENTRING_PRIOR * mean_weight, global_mean
        means[lang] = (_weighted_sum(embeddings, w, rows) + prior * prior_mean) / (w[rows].sum() + prior)
    return means


def centre_by_language(
    embeddings: npt.NDArray[np.float32],
    langs: Sequence[str],
    weights: npt.NDArray[np.float32],
    *,
    inplace: bool = False,
    background: Background | None = None,
    shrink: bool = True,
) -> npt.NDArray[np.float32]:
    """Subtract each language's (weighted) mean embedding and re-normalise rows.

    A language with few sentences gets a mean shrunk towards a prior (see
    :func:`language_means`). Works in row blocks, so the extra memory is a block, not a copy
    of the matrix.

    Args:
        embeddings: (n, dim) float32, L2-normalised.
        langs: Language of each row.
        weights: (n,) non-negative row weights.
        inplace: Overwrite ``embeddings`` instead of returning a new array.
        background: Shipped statistics whose language means are the priors.
        shrink: False centres on the plain weighted means (no prior; see :func:`language_means`).

    Returns:
        (n, dim) float32, L2-normalised (an all-zero row stays zero).

    Example:
        >>> import numpy as np
        >>> e = np.array([[1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
        >>> c = centre_by_language(e, ["en", "en", "de"], np.ones(3, dtype=np.float32))
        >>> np.allclose(np.linalg.norm(c, axis=1), 1.0)
        True
    """
    means = language_means(embeddings, langs, weights, background=background, shrink=shrink)
    return subtract_language_means(embeddings if inplace else embeddings.copy(), langs, means)


def subtract_language_means(
    out: npt.NDArray[np.float32], langs: Sequence[str], means: dict[str, npt.NDArray[np.float64]]
) -> npt.NDArray[np.float32]:
    """Subtract each row's language mean in place and re-normalise the rows (an all-zero row stays zero).

    Rows of a language without an entry in ``means`` are only re-normalised. Works in row blocks,
    so the extra memory is a block, not a copy of the matrix.

    Example:
        >>> import numpy as np
        >>> out = subtract_language_means(np.array([[1.0, 1.0]], dtype=np.float32), ["en"],
        ...                               {"en": np.array([1.0, 0.0])})
        >>> out.tolist()
        [[0.0, 1.0]]
    """
    langs_arr = np.asarray(langs)
    for lang, mean in means.items():
        rows = np.flatnonzero(langs_arr == lang)
        for start in range(0, len(rows), _ROW_BLOCK):
            block = rows[start : start + _ROW_BLOCK]
            out[block] = out[block] - mean.astype(np.float32)
    for start in range(0, len(out), _ROW_BLOCK):
        block = out[start : start + _ROW_BLOCK]
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        block /= np.where(norms > 0, norms, 1.0).astype(np.float32)
    return out


def _weighted_sum(
    embeddings: npt.NDArray[np.float32], w: npt.NDArray[np.float64], rows: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    acc = np.zeros(embeddings.shape[1], dtype=np.float64)
    for start in range(0, len(rows), _ROW_BLOCK):
        block = rows[start : start + _ROW_BLOCK]
        acc += (embeddings[block].astype(np.float64) * w[block, None]).sum(axis=0)
    return acc


def build_corpus(
    sentences: list[list[str]],
    embeddings: list[npt.NDArray[np.float32]] | npt.NDArray[np.float32],
    langs: list[str],
    *,
    margin_k: int = 4,
    margin_skip: int = 4,
    margin_skip_versions: bool = True,
    shingle_size: int = 5,
    texts: list[str] | None = None,
    knn_ann_above: int | None = None,
    copy: bool = True,
    background: Background | None = None,
) -> Corpus:
    """Assemble per-document sentences and embeddings into a :class:`Corpus`.

    Args:
        sentences: Per document, its sentences (may be empty).
        embeddings: Per document, (n_sentences, dim) float32 L2-normalised embeddings; or one
            (total sentences, dim) array with every document's rows in document order.
        langs: Per document, its language code. Sentences are centred on the mean of their
            document's :func:`dedup.text.scripts.centring_key` (the language; traditional
            Chinese apart from simplified).
        margin_k: Neighbours in the margin denominator (>= 1).
        margin_skip: Nearest foreign neighbours left out of the denominator (a sentence's
            copies and translations), >= 0.
        margin_skip_versions: Leave out more when more documents are versions of the sentence's
            own (a story in ten languages has nine): as many nearest neighbours as there are
            versions among them (:func:`dedup.search.exact.version_skips`), so a sentence's
            translations never make up its neighbourhood.
        shingle_size: Character n-gram size for the lexical-overlap feature.
        texts: Per document, the full text for shingles, exact-copy hashes and the centring key
            (defaults to the joined sentences).
        knn_ann_above: With more sentences than this, the margin denominators come from a faiss
            HNSW index (:func:`dedup.search.ann.sentence_knn_mean_similarity`); None: always exact.
        copy: False lets a single float32 C-contiguous ``embeddings`` array be centred in place and
            kept as the corpus's matrix (no second copy of the largest array; the caller's array
            changes). Per-document arrays are always copied into one matrix.
        background: Shipped statistics (:mod:`dedup.scoring.background`) of the model that made the
            embeddings: language means are shrunk towards its means, and, when the margin is
            computed exactly, its sentence bank joins every sentence's neighbourhood. Ignored
            when its dimension differs from the embeddings'.

    Returns:
        The corpus, ready for :func:`score_pair`.
    """
    n_embedded = len(sentences) if isinstance(embeddings, np.ndarray) else len(embeddings)
    if not (len(sentences) == n_embedded == len(langs)):
        raise InvalidParameterError(
            f"sentences, embeddings and langs must have one entry per document. "
            f"Got {len(sentences)}, {len(embeddings)}, {len(langs)}."
        )
    lengths = np.array([len(s) for s in sentences], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = _embedding_matrix(embeddings, int(offsets[-1]), copy=copy)
    dim = flat.shape[1]
    owners = np.repeat(np.arange(len(sentences)), lengths)
    weights = sentence_weights(sentences)
    full_texts = texts if texts is not None else ["\n".join(s) for s in sentences]
    keys = [centring_key(lang, text) for lang, text in zip(langs, full_texts, strict=True)]
    sent_keys = [keys[o] for o in owners]
    if background is not None and background.dim != dim:
        background = None
    means = language_means(flat, sent_keys, weights, background=background) if len(flat) else {}
    centred = subtract_language_means(flat, sent_keys, means)
    doc_vectors = np.zeros((len(sentences), dim), dtype=np.float32)
    story_vectors = np.zeros_like(doc_vectors)
    lead_vectors = np.zeros_like(doc_vectors)
    for i in range(len(sentences)):
        rows = slice(int(offsets[i]), int(offsets[i + 1]))
        if offsets[i + 1] > offsets[i]:
            w = weights[rows]
            doc_vectors[i] = _unit((centred[rows] * w[:, None]).sum(axis=0))
            position = 1.0 + np.arange(len(w), dtype=np.float32) / _LEAD_DECAY
            story_vectors[i] = _unit((centred[rows] * (w / position)[:, None]).sum(axis=0))
            lead_vectors[i] = _unit(centred[rows][:_LEAD_SENTENCES].sum(axis=0))
    exact_margin = knn_ann_above is None or len(flat) <= knn_ann_above
    if not len(flat):
        knn = np.zeros(0, dtype=np.float32)
    elif background is not None and exact_margin and len(background.bank):
        bank_means = {lang: means.get(lang, background.mean_of(lang)) for lang in set(background.bank_langs)}
        bank = subtract_language_means(background.bank.copy(), background.bank_langs, bank_means)
        knn = knn_mean_similarity(
            centred, owners, k=margin_k, skip=margin_skip, extra=bank, skip_versions=margin_skip_versions
        )
    else:
        knn = sentence_knn_mean_similarity(
            centred,
            owners,
            k=margin_k,
            skip=margin_skip,
            ann_above=knn_ann_above,
            skip_versions=margin_skip_versions,
        )
    return Corpus(
        sentences=sentences,
        offsets=offsets,
        embeddings=centred,
        weights=weights,
        knn=knn,
        doc_vectors=doc_vectors,
        story_vectors=story_vectors,
        lead_vectors=lead_vectors,
        entities=[entity_keys(t) for t in full_texts],
        langs=list(langs),
        shingles=[char_shingles(t, size=shingle_size) for t in full_texts],
        text_hashes=[copy_key(t) for t in full_texts],
        n_words=[count_words(t) for t in full_texts],
    )


def _embedding_matrix(
    embeddings: list[npt.NDArray[np.float32]] | npt.NDArray[np.float32], n_rows: int, *, copy: bool
) -> npt.NDArray[np.float32]:
    """One (n_rows, dim) float32 matrix of all sentence embeddings, copied unless ``copy`` is False."""
    if isinstance(embeddings, np.ndarray):
        if embeddings.ndim != 2 or embeddings.shape[0] != n_rows:
            raise InvalidParameterError(
                f"a single embeddings array must have one row per sentence ({n_rows}). "
                f"Got shape {embeddings.shape}."
            )
        if copy:
            return np.array(embeddings, dtype=np.float32, order="C")
        return np.ascontiguousarray(embeddings, dtype=np.float32)
    dim = next((e.shape[1] for e in embeddings if e.ndim == 2 and e.shape[0]), 1)
    if not n_rows:
        return np.zeros((0, dim), dtype=np.float32)
    return np.concatenate([e.reshape(-1, dim) for e in embeddings]).astype(np.float32, copy=False)


def _unit(v: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v
