"""Pair scoring: align two documents' sentences and turn the alignment into features.

The scorer works on a :class:`Corpus`: every sentence embedding of the scan,
centred per language and re-normalised, with each sentence's document, weight
and margin denominator. ``score_pair(corpus, i, j)`` aligns documents i and j by
mutual best match under a LASER-style ratio margin and measures how much of each
document the alignment covers, in both directions.

Example:
    >>> import numpy as np
    >>> from dedup.scoring.score import build_corpus, score_pair
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

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.errors import InvalidParameterError
from dedup.scoring.background import Background
from dedup.scoring.cosine_reference import CosineReference
from dedup.search.ann import sentence_knn_mean_similarity
from dedup.search.exact import knn_mean_similarity
from dedup.types import PairFeatures

# Sentence weights: characters, capped so one run-on sentence cannot dominate a document.
_MAX_WEIGHT_CHARS = 300
# Language means use at least this many sentences' worth of the global mean as a prior,
# so a language seen in one short document is not centred onto itself.
_CENTRING_PRIOR = 30.0
# Ratio-margin denominators are floored: centred cosines of unrelated sentences sit
# near zero, and a tiny denominator would make any chance match look significant.
_MIN_MARGIN_DENOMINATOR = 0.3
# Matches this close are aligned whatever their margin (copies and their neighbours).
_STRONG_COSINE = 0.9
# Rows per block when centring, so temporaries stay small next to the embedding matrix.
_ROW_BLOCK = 65536
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
# Story vectors weigh sentence k by 1 / (1 + k / _LEAD_DECAY): the lead says what the story is.
_LEAD_DECAY = 3.0
_LEAD_SENTENCES = 3
_ENTITY_RE = re.compile(r"\b[A-Z][\w-]{2,}|\b\d[\d.,]*\d\b|\b\d\b")
_NOT_ALNUM = re.compile(r"[\W_]+")  # everything str.isalnum() rejects
_WORD = re.compile(r"[^\W_]+")
# Scripts written without spaces between words: two characters count as one word there.
_UNSPACED = re.compile(
    r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


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


@dataclass(frozen=True, slots=True)
class Alignment:
    """Mutually best-matching sentence pairs of two documents (i in A, j in B)."""

    pairs: tuple[tuple[int, int, float, float], ...]
    coverage_a: float
    coverage_b: float
    soft_coverage_a: float = 0.0
    soft_coverage_b: float = 0.0


def normalise_for_hash(text: str) -> str:
    """Lower-case, NFKC, no whitespace or punctuation: the key for exact copies.

    Example:
        >>> normalise_for_hash("Hello,  World!") == normalise_for_hash("hello world")
        True
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return _NOT_ALNUM.sub("", text)  # same as keeping ch.isalnum() (checked on every code point), ~5x faster


def char_shingles(text: str, *, size: int = 5) -> npt.NDArray[np.uint64]:
    """Hashed character n-grams of the whitespace-free text (works for scripts without spaces).

    Each n-gram of code points is hashed with FNV-1a and a splitmix64 finaliser, vectorised
    over all positions (deterministic across processes, uniform enough for MinHash). A text
    shorter than ``size`` is one n-gram.

    Returns:
        Sorted unique uint64 hashes; empty when no letter or digit is left.

    Example:
        >>> len(char_shingles("abcdef", size=5))
        2
        >>> jaccard(char_shingles("abcdef"), char_shingles("ABC def!"))
        1.0
    """
    key = normalise_for_hash(text)
    if not key:
        return np.zeros(0, dtype=np.uint64)
    points = np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = max(len(points) - size + 1, 1)
    h = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    for m in range(min(size, len(points))):
        h = (h ^ points[m : m + n]) * _FNV_PRIME
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return np.unique(h)


def count_words(text: str) -> int:
    """Length of a text in words: runs of letters and digits, where in scripts written without
    spaces (Chinese, Japanese, Thai, Lao, Khmer, Burmese) every two characters count as one word.

    Example:
        >>> count_words("Hi."), count_words("Storm hits the west coast tonight")
        (1, 6)
        >>> count_words("東京で大雨が降った")
        5
    """
    words = 0
    for token in _WORD.findall(text):
        unspaced = len(_UNSPACED.findall(token))
        words += (unspaced + 1) // 2 + (1 if unspaced < len(token) else 0)
    return words


def jaccard(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> float:
    """Jaccard similarity of two sorted unique arrays; 0 when both are empty."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def language_means(
    embeddings: npt.NDArray[np.float32],
    langs: Sequence[str],
    weights: npt.NDArray[np.float32],
    *,
    background: Background | None = None,
) -> dict[str, npt.NDArray[np.float64]]:
    """Each language's weighted mean row, shrunk towards a prior so few sentences cannot make it.

    The prior is the background mean of the language (``background.prior_weight`` average
    sentences' worth) when the background has one; else (no background, or a language it has
    not measured) the input's global mean, 30 sentences' worth: a mixture of other languages is
    no estimate of an unseen language's mean. A large input's own mean dominates either way.
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
    means: dict[str, npt.NDArray[np.float64]] = {}
    for lang in sorted(set(langs_arr.tolist())):
        rows = np.flatnonzero(langs_arr == lang)
        if background is not None and lang in background.langs:
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

    Returns:
        (n, dim) float32, L2-normalised (an all-zero row stays zero).

    Example:
        >>> import numpy as np
        >>> e = np.array([[1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
        >>> c = centre_by_language(e, ["en", "en", "de"], np.ones(3, dtype=np.float32))
        >>> np.allclose(np.linalg.norm(c, axis=1), 1.0)
        True
    """
    means = language_means(embeddings, langs, weights, background=background)
    return _subtract_means(embeddings if inplace else embeddings.copy(), langs, means)


def _subtract_means(
    out: npt.NDArray[np.float32], langs: Sequence[str], means: dict[str, npt.NDArray[np.float64]]
) -> npt.NDArray[np.float32]:
    """Subtract each row's language mean in place and re-normalise the rows."""
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
        langs: Per document, its language code.
        margin_k: Neighbours in the margin denominator (>= 1).
        margin_skip: Nearest foreign neighbours left out of the denominator (a sentence's
            copies and translations), >= 0.
        shingle_size: Character n-gram size for the lexical-overlap feature.
        texts: Per document, the full text for shingles and exact-copy hashes
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
    sent_langs = [langs[o] for o in owners]
    if background is not None and background.dim != dim:
        background = None
    means = language_means(flat, sent_langs, weights, background=background) if len(flat) else {}
    centred = _subtract_means(flat, sent_langs, means)
    exact_margin = knn_ann_above is None or len(flat) <= knn_ann_above
    if not len(flat):
        knn = np.zeros(0, dtype=np.float32)
    elif background is not None and exact_margin and len(background.bank):
        bank_means = {lang: means.get(lang, background.mean_of(lang)) for lang in set(background.bank_langs)}
        bank = _subtract_means(background.bank.copy(), background.bank_langs, bank_means)
        knn = knn_mean_similarity(centred, owners, k=margin_k, skip=margin_skip, extra=bank)
    else:
        knn = sentence_knn_mean_similarity(
            centred, owners, k=margin_k, skip=margin_skip, ann_above=knn_ann_above
        )
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
    full_texts = texts if texts is not None else ["\n".join(s) for s in sentences]
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
        text_hashes=[_text_hash(t) for t in full_texts],
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


def _text_hash(text: str) -> str:
    key = normalise_for_hash(text)
    return hashlib.sha256(key.encode()).hexdigest() if key else ""


def is_exact_copy(corpus: Corpus, i: int, j: int) -> bool:
    """True when documents i and j have the same non-empty normalised text."""
    return bool(corpus.text_hashes[i]) and corpus.text_hashes[i] == corpus.text_hashes[j]


def _unit(v: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def entity_keys(text: str) -> frozenset[str]:
    """Names and numbers of a text: capitalised words (3+ letters) and digit runs, lower-cased,
    without diacritics. They are spelled alike across most Latin-script languages.

    Example:
        >>> sorted(entity_keys("Jens Stoltenberg met Olaf Scholz in Berlin on 18 January."))
        ['18', 'berlin', 'january', 'jens', 'olaf', 'scholz', 'stoltenberg']
    """
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return frozenset(m.lower() for m in _ENTITY_RE.findall(plain))


def sentence_weights(sentences: Sequence[Sequence[str]]) -> npt.NDArray[np.float32]:
    """Weight of every sentence (documents' sentences in order): its characters, capped at 300 so
    one run-on sentence cannot dominate a document, divided by the number of documents that hold
    it (after :func:`normalise_for_hash`), so shared boilerplate cannot make documents look alike.

    Example:
        >>> sentence_weights([["Subscribe now.", "Storm hits."], ["Subscribe now!"]]).tolist()
        [7.0, 11.0, 7.0]
    """
    keys = [[normalise_for_hash(s) for s in doc] for doc in sentences]
    doc_freq = Counter(k for doc_keys in keys for k in set(doc_keys))
    return np.array(
        [
            min(len(s), _MAX_WEIGHT_CHARS) / doc_freq[k]
            for doc, doc_keys in zip(sentences, keys, strict=True)
            for s, k in zip(doc, doc_keys, strict=True)
        ],
        dtype=np.float32,
    )


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
    denom = np.maximum((knn_a[:, None] + knn_b[None, :]) / 2.0, _MIN_MARGIN_DENOMINATOR)
    margin = cos / denom
    ok = (cos >= min_cosine) & ((margin >= min_margin) | (cos >= _STRONG_COSINE))
    best_b = np.argmax(cos, axis=1)
    best_a = np.argmax(cos, axis=0)
    rows = np.arange(cos.shape[0])
    cols = np.arange(cos.shape[1])
    covered_a = ok[rows, best_b]
    covered_b = ok[best_a, cols]
    pairs = tuple(
        (int(i), int(j), float(cos[i, j]), float(margin[i, j]))
        for i, j in enumerate(best_b)
        if best_a[j] == i and ok[i, j]
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
    )
    return features, alignment


def _set_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0
