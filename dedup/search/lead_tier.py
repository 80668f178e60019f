"""A lead tier: encode every article's lead, and the rest of it only when a partner is plausible.

Sentence encoding is nearly all the cost of a scan, and in an archive most articles have no copy
or translation. The lead tier encodes with the scan's own encoder only each document's *lead*
(its first ``n_lead`` substantive sentences), finds each document's candidate partners from
those, and sends a document on to full encoding only when a gate says a partner is plausible:

* **Candidates.** The top-``top_k`` neighbours of each document by its lead vector (the mean of
  its lead sentences, each centred by the shipped background mean of its language,
  :mod:`dedup.scoring.background`, with Chinese split by script as
  :func:`dedup.text.scripts.centring_key` does it, so no statistic of the input is needed).
* **The gate**, per candidate pair: the two leads *align* (some lead sentence and some lead
  sentence of the other are each other's best match, at a level >= ``min_level`` on the
  language pair's cosine scale, :mod:`dedup.scoring.cosine_reference`), or (off by default) the
  leads share ``min_shared`` names or numbers (:func:`dedup.scoring.signals.entity_keys`) that few
  documents of the input use. Exact copies (:func:`dedup.search.copies.copy_key`) and MinHash near-copies
  (:func:`dedup.search.first_tier.minhash_partners`) always pass.

Both documents of a passing pair are encoded in full (the lead sentences are not encoded twice:
:func:`plan_encoding` hands back an encoder that answers them from memory); the others keep only
their lead and become singletons. A "sentence" is substantive when it has >= ``min_words``
words (:func:`dedup.scoring.signals.count_words`), is not a menu line (``a | b | c``) and is not
shared by three or more documents (site furniture).

Example (the fake hashing encoder, so no model is needed):
    >>> from dedup.encoders.base import HashingEncoder
    >>> from dedup.search.lead_tier import select_documents
    >>> docs = [["Storm hits the west coast of the island tonight.", "Thousands of homes lost power."],
    ...         ["A storm hits the west coast of the island tonight!", "Thousands of homes lost power."],
    ...         ["The central bank raised its rates by half a point.", "Markets stayed calm all day."]]
    >>> tier = select_documents(docs, ["en", "en", "en"], encode=HashingEncoder(dim=64).encode)
    >>> tier.keep.tolist()
    [True, True, False]
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.errors import InvalidParameterError
from dedup.scoring.corpus import subtract_language_means
from dedup.scoring.cosine_reference import CosineReference
from dedup.scoring.score import mutual_best
from dedup.scoring.signals import char_shingles, count_words, entity_keys
from dedup.search.ann import nearest_neighbours
from dedup.search.copies import copy_groups, copy_key, normalise_for_hash
from dedup.search.first_tier import MIN_JACCARD, minhash_partners, minhash_signatures
from dedup.text.scripts import centring_key

logger = logging.getLogger(__name__)

Encode = Callable[[list[str]], npt.NDArray[np.float32]]
"""Turns sentences into (n, dim) L2-normalised vectors: the scan's sentence encoder."""

LEAD_SENTENCES = 3
MIN_WORDS = 6
TOP_K = 10
MIN_LEVEL = 0.7
"""Default alignment level of two lead sentences (on the language pair's cosine scale: 0 unrelated,
1 translation): the highest that lost no true link on the two training archives of
``benchmarks/bench_lead_tier.py --split train`` (0.8 lost 1 of 43 on the realistic one)."""
MIN_SHARED: int | None = None
"""Default count of rare names/numbers two leads must share to pass on that alone; None: not used.
On the training archives 3 shared names kept more unpaired documents and saved no true link."""
_RARE_SHARE = 0.05  # a name or number used by more than this share of the documents is not evidence
_MENU = re.compile(r"\s[|•·»]\s")
_FURNITURE_DOCS = 3  # a sentence found in this many documents is site furniture, never a lead


@dataclass(frozen=True)
class LeadTier:
    """The lead tier's evidence, and which documents go on to full encoding.

    Attributes:
        keep: (n_docs,) bool, True for documents to encode in full (a plausible partner).
        leads: Per document, the indices of its lead sentences.
        pairs: (n_pairs, 2) int64 candidate pairs (i < j) from the lead vectors.
        levels: (n_pairs,) float32, best mutual lead-sentence alignment level of each pair
            (-inf where no lead sentences).
        shared: (n_pairs,) int64, rare names/numbers the two leads share.
        copies: (n_docs,) bool, True where an exact copy or a MinHash near-copy exists.
    """

    keep: npt.NDArray[np.bool_]
    leads: list[list[int]]
    pairs: npt.NDArray[np.int64]
    levels: npt.NDArray[np.float32]
    shared: npt.NDArray[np.int64]
    copies: npt.NDArray[np.bool_]

    def keep_at(self, min_level: float, min_shared: int | None = None) -> npt.NDArray[np.bool_]:
        """Which documents the gate keeps at other cuts (no re-encoding: for curves)."""
        keep = self.copies.copy()
        passing = self.levels >= min_level
        if min_shared is not None:
            passing |= self.shared >= min_shared
        keep[self.pairs[passing].ravel()] = True
        return keep


def lead_indices(
    sentences: Sequence[Sequence[str]], *, n_lead: int = LEAD_SENTENCES, min_words: int = MIN_WORDS
) -> list[list[int]]:
    """Per document, the indices of its first ``n_lead`` substantive sentences.

    Header-like lines are skipped: fewer than ``min_words`` words, menu lines (``a | b | c``), and
    sentences that three or more documents share. A document with no substantive sentence takes its
    first non-shared one (or its first), so every non-empty document has a lead.

    Example:
        >>> lead_indices([["Skip to main content", "By staff", "Storm hits the west coast of Norway.",
        ...                "Thousands of homes lost power overnight."]], n_lead=3)
        [[2, 3]]
    """
    keys = [[normalise_for_hash(s) for s in doc] for doc in sentences]
    doc_freq = Counter(k for doc in keys for k in set(doc))
    out: list[list[int]] = []
    for doc, doc_keys in zip(sentences, keys, strict=True):
        own = [k for k, key in enumerate(doc_keys) if doc_freq[key] < _FURNITURE_DOCS]
        lead = [k for k in own if count_words(doc[k]) >= min_words and not _MENU.search(doc[k])][:n_lead]
        out.append(lead or own[:1] or list(range(min(1, len(doc)))))
    return out


def _centred(
    vectors: npt.NDArray[np.float32], langs: Sequence[str], background: Any
) -> npt.NDArray[np.float32]:
    """Rows minus their language's background mean (when the dimensions match), L2-normalised."""
    out = vectors.astype(np.float32, copy=True)
    means = {}
    if background is not None and background.dim == out.shape[1]:
        means = {lang: background.mean_of(lang) for lang in set(langs)}
    return subtract_language_means(out, langs, means)


def _mutual_best(sims: npt.NDArray[np.float32]) -> float:
    """Highest cosine among mutual best matches of a (lead x lead) cosine matrix."""
    mutual = sims[mutual_best(sims)]
    return float(mutual.max()) if len(mutual) else float(sims.max())


def select_documents(
    sentences: Sequence[Sequence[str]],
    langs: Sequence[str],
    *,
    encode: Encode,
    texts: Sequence[str] | None = None,
    reference: CosineReference | None = None,
    background: Any = None,
    n_lead: int = LEAD_SENTENCES,
    min_words: int = MIN_WORDS,
    top_k: int = TOP_K,
    min_level: float = MIN_LEVEL,
    min_shared: int | None = MIN_SHARED,
    shingle_size: int = 5,
    ann_above: int = 250_000,
) -> LeadTier:
    """Encode every document's lead and decide which documents have a plausible partner.

    Args:
        sentences: Per document, its (boilerplate-free) sentences.
        langs: Per document, its language code.
        encode: The sentence encoder; called once, with the lead sentences of all documents.
        texts: Per document, its full text for exact copies and MinHash (default: joined sentences).
        reference: Cosine levels per language pair; None: ``min_level`` is a plain centred cosine.
        background: A :class:`~dedup.scoring.background.Background` to centre lead sentences with;
            None (or another dimension): no centring.
        n_lead: Lead sentences per document (>= 1).
        min_words: Words a lead sentence needs.
        top_k: Candidate partners per document from the lead vectors (>= 1).
        min_level: Alignment level two lead sentences need for their documents to pass.
        min_shared: Rare names/numbers two leads need in common to pass (>= 1); None: names not used.
        shingle_size: Character n-gram size of the MinHash shingles.
        ann_above: Above this many documents candidates come from faiss HNSW (:mod:`dedup.search.ann`).

    Returns:
        A :class:`LeadTier`; ``keep`` is True for documents to encode in full.
    """
    if len(sentences) != len(langs):
        raise InvalidParameterError(
            f"sentences and langs must have one entry per document. Got {len(sentences)}, {len(langs)}."
        )
    for name, value in (
        ("n_lead", n_lead),
        ("top_k", top_k),
        ("min_shared", 1 if min_shared is None else min_shared),
    ):
        if not isinstance(value, int) or value < 1:
            raise InvalidParameterError(f"{name} must be an int >= 1. Got {value!r}.")
    n = len(sentences)
    full = list(texts) if texts is not None else ["\n".join(s) for s in sentences]
    leads = lead_indices(sentences, n_lead=n_lead, min_words=min_words)
    lead_texts = [[sentences[i][k] for k in lead] for i, lead in enumerate(leads)]
    flat = [s for lead in lead_texts for s in lead]
    owners = np.repeat(np.arange(n), [len(lead) for lead in lead_texts])
    copies = np.zeros(n, dtype=bool)
    for members in copy_groups([copy_key(t) for t in full]).values():
        if len(members) > 1:
            copies[members] = True
    if n >= 2:
        copies |= minhash_partners(
            minhash_signatures([char_shingles(t, size=shingle_size) for t in full]), min_jaccard=MIN_JACCARD
        )
    empty = np.zeros(0, dtype=np.int64)
    if n < 2 or not flat:
        return LeadTier(copies.copy(), leads, empty.reshape(0, 2), empty.astype(np.float32), empty, copies)

    keys = [centring_key(lang, text) for lang, text in zip(langs, full, strict=True)]
    vectors = _centred(np.asarray(encode(flat), dtype=np.float32), [keys[i] for i in owners], background)
    docs = np.zeros((n, vectors.shape[1]), dtype=np.float32)
    np.add.at(docs, owners, vectors)
    docs /= np.maximum(np.linalg.norm(docs, axis=1, keepdims=True), 1e-12)
    idx, scores = nearest_neighbours(docs, top_k=min(top_k, n - 1), ann_above=ann_above)
    found = {
        (min(i, int(j)), max(i, int(j)))
        for i in range(n)
        for j, s in zip(idx[i], scores[i], strict=True)
        if j >= 0 and int(j) != i and np.isfinite(s)
    }
    pairs = np.array(sorted(found), dtype=np.int64).reshape(-1, 2)

    starts = np.concatenate([[0], np.cumsum([len(lead) for lead in lead_texts])])
    keys = [entity_keys(" ".join(lead)) for lead in lead_texts]
    key_docs = Counter(k for ks in keys for k in ks)
    rare = [{k for k in ks if key_docs[k] <= max(2, _RARE_SHARE * n)} for ks in keys]
    levels = np.full(len(pairs), -np.inf, dtype=np.float32)
    shared = np.zeros(len(pairs), dtype=np.int64)
    for p, (i, j) in enumerate(pairs.tolist()):
        shared[p] = len(rare[i] & rare[j])
        a, b = vectors[starts[i] : starts[i + 1]], vectors[starts[j] : starts[j + 1]]
        if len(a) and len(b):
            cosine = _mutual_best(a @ b.T)
            levels[p] = cosine if reference is None else reference.normalise(cosine, langs[i], langs[j])
    tier = LeadTier(np.zeros(n, dtype=bool), leads, pairs, levels, shared, copies)
    keep = tier.keep_at(min_level, min_shared)
    logger.info("lead tier: %d of %d documents have a plausible partner", int(keep.sum()), n)
    return LeadTier(keep, leads, pairs, levels, shared, copies)


class _Remembering:
    """An encoder that answers the lead sentences from memory and passes the rest on.

    Its ``name`` is the cache identity of the wrapped encoder, so the embedding cache treats the two
    alike (:func:`dedup.encoders.cache.encoder_identity`); other attributes are the wrapped one's.
    """

    def __init__(self, encoder: Any, memory: dict[str, npt.NDArray[np.float32]]) -> None:
        from dedup.encoders.cache import encoder_identity

        self.encoder = encoder
        self.memory = memory
        self.name = encoder_identity(encoder)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.encoder, attr)

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        from dedup.encoders.cache import normalise_sentence

        keys = [normalise_sentence(s) for s in sentences]
        todo = {k: s for k, s in zip(keys, sentences, strict=True) if k not in self.memory}
        if todo or not keys:
            new = np.asarray(
                self.encoder.encode(list(todo.values()), batch_size=batch_size), dtype=np.float32
            )
            if not keys:
                return new
            self.memory.update(zip(todo, new, strict=True))
        return np.stack([self.memory[k] for k in keys]).astype(np.float32, copy=False)


def plan_encoding(
    sentences: list[list[str]], langs: list[str], texts: list[str], *, config: Any, encoder: Any
) -> tuple[list[list[str]], npt.NDArray[np.bool_], Any]:
    """The pipeline's hook: per document, the sentences to encode in full (none for documents the
    gate drops), which documents are encoded, and the encoder to encode them with (it remembers the
    lead vectors, so lead sentences are not encoded twice).

    Args:
        sentences: Per document, its sentences.
        langs: Per document, its language code.
        texts: Per document, its boilerplate-free text.
        config: The :class:`~dedup.config.ScanConfig` (``batch_size``, ``use_cache``, ``cache_dir``,
            ``background``, ``shingle_size``, ``ann_above``).
        encoder: The scan's sentence encoder.
    """
    from dedup.encoders.base import embed_sentences, encoder_form
    from dedup.encoders.cache import maybe_cached, normalise_sentence
    from dedup.scoring.background import load_background
    from dedup.scoring.calibration import load_confidence_model

    memory: dict[str, npt.NDArray[np.float32]] = {}

    def encode(flat: list[str]) -> npt.NDArray[np.float32]:
        with maybe_cached(encoder, cache_dir=config.cache_dir, enabled=config.use_cache) as enc:
            vectors = embed_sentences(enc, flat, batch_size=config.batch_size)
        memory.update(zip((normalise_sentence(encoder_form(s)) for s in flat), vectors, strict=True))
        return vectors

    tier = select_documents(
        sentences,
        langs,
        encode=encode,
        texts=texts,
        reference=load_confidence_model().reference,
        background=load_background() if config.background else None,
        shingle_size=config.shingle_size,
        ann_above=config.ann_above,
    )
    to_embed = [s if k else [] for s, k in zip(sentences, tier.keep.tolist(), strict=True)]
    return to_embed, tier.keep, _Remembering(encoder, memory)
