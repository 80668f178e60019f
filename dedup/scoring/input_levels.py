"""Translation cosine levels of language pairs the calibration never measured, read off the input.

A :class:`~dedup.scoring.cosine_reference.CosineReference` knows the language pairs of its training
corpus. Any other pair falls back to its script pair, and a script pair's level can be far from
the pair's own: Icelandic sentences and their English translations sit near a centred cosine of
0.48, while the Latin-Latin level the fallback gives them is 0.67, so every Icelandic-English
alignment looks a third weaker than it is, and a language nobody measured loses most of its links.

The input itself shows where a pair's translations sit. Among the documents the scan compares
anyway (its candidate pairs), a pair of documents with at least two sentences that are each
other's best match *and* stand well clear of their usual neighbours (ratio margin >=
``min_margin``; the denominator is each sentence's mean similarity to its nearest sentences in
other documents and the background bank, as in alignment) is taken for a translation. The
median cosine of all mutually best sentence pairs of those documents is then measured exactly as
the reference measures its levels on known translations (:mod:`models.calibrate`). On the
calibration's training archives, for the 15 language pairs the reference knows, this estimate lies
within 0.017 of the measured level (Icelandic-English 0.508 against 0.491, the others within 0.008;
``benchmarks/input_levels.py``); two articles of different languages that are not translations
rarely have two such matches (5 of 67,257 document pairs there; one striking shared sentence is
not enough), though two reports written on one pattern can (see the README).

The estimate replaces the fallback only when at least ``min_evidence`` sentence pairs support it,
and is shrunk towards the fallback by ``prior_weight`` pairs' worth. A pair with fewer, one of whose
languages appears in no pair the reference measured, takes the matches of all that language's pairs
in the input together (a short story in many languages has a few matches per pair, enough per
language). Pairs the reference has measured, and the unrelated levels, stay as shipped.

Example:
    >>> import numpy as np
    >>> from dedup.scoring.corpus import build_corpus
    >>> from dedup.scoring.cosine_reference import CosineReference
    >>> ref = CosineReference(pairs={}, scripts={}, overall=(0.7, 0.1))
    >>> rng = np.random.default_rng(0)
    >>> vecs = [rng.normal(size=(30, 64)).astype(np.float32) for _ in range(2)]
    >>> vecs.insert(1, vecs[0] + 1.2 * rng.normal(size=(30, 64)).astype(np.float32))  # a weak "translation"
    >>> corpus = build_corpus([[f"{d}{k}" for k in range(30)] for d in "abc"], vecs, ["is", "en", "en"],
    ...                       margin_k=2)
    >>> levels = estimate_pair_levels(corpus, [(0, 1), (0, 2)], ref, min_evidence=5, prior_weight=0)
    >>> round(levels.levels("is", "en")[0], 2), levels.levels("is", "en")[1], levels.from_input
    (0.66, 0.1, {'en-is': 30})
    >>> estimate_pair_levels(corpus, [(0, 2)], ref, min_evidence=5).levels("is", "en")  # no translations
    (0.7, 0.1)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from dedup.scoring.corpus import Corpus
from dedup.scoring.cosine_reference import CosineReference, pair_key
from dedup.scoring.score import is_exact_copy, margin_denominators, mutual_best

# A mutual best match this far above its sentences' usual neighbours is taken for a translation.
DEFAULT_MIN_MARGIN = 1.2
# Sentence pairs needed before the input's own level replaces the fallback.
DEFAULT_MIN_EVIDENCE = 8
# The fallback level counts as this many sentence pairs in the shrunk estimate.
DEFAULT_PRIOR_WEIGHT = 10.0
# Clear matches that make a document pair count as a translation.
DEFAULT_MIN_PER_DOCUMENT = 2


def translation_matches(
    corpus: Corpus,
    pairs: Iterable[tuple[int, int]],
    *,
    min_margin: float = DEFAULT_MIN_MARGIN,
    min_per_document: int = DEFAULT_MIN_PER_DOCUMENT,
) -> dict[str, list[float]]:
    """Cosines of the mutually best sentence pairs of the document pairs that look like translations.

    A clear match is a mutual best sentence pair of two documents whose ratio margin (cosine over
    the mean of both sentences' neighbourhood similarities, floored as in alignment) reaches
    ``min_margin``. A document pair with at least ``min_per_document`` clear matches counts as a
    translation and contributes the cosines of all its mutual best pairs, clear or not (so the
    sample is not cut at the margin, and its median is comparable to the shipped levels). Two
    articles that share one striking sentence are not translations, and across a large archive
    those single chance matches would add up. Exact-copy documents are skipped (their sentences
    match themselves).

    Returns:
        ``pair_key -> cosines``, in the order the pairs were given.
    """
    found: dict[str, list[float]] = defaultdict(list)
    for i, j in pairs:
        ra, rb = corpus.rows(i), corpus.rows(j)
        if ra.start == ra.stop or rb.start == rb.stop or is_exact_copy(corpus, i, j):
            continue
        cos = corpus.embeddings[ra] @ corpus.embeddings[rb].T
        rows, cols = mutual_best(cos)
        denominators = margin_denominators(corpus.knn[ra], corpus.knn[rb])[rows, cols]
        clear = cos[rows, cols] >= min_margin * denominators
        if np.count_nonzero(clear) < min_per_document:
            continue
        found[pair_key(corpus.langs[i], corpus.langs[j])] += cos[rows, cols].tolist()
    return found


def estimate_pair_levels(
    corpus: Corpus,
    pairs: Iterable[tuple[int, int]],
    reference: CosineReference,
    *,
    min_margin: float = DEFAULT_MIN_MARGIN,
    min_evidence: int = DEFAULT_MIN_EVIDENCE,
    prior_weight: float = DEFAULT_PRIOR_WEIGHT,
) -> CosineReference:
    """``reference`` with translation levels measured on the input for the pairs it lacks.

    Only document pairs of two different languages whose language pair ``reference.pairs`` has
    no entry for are read: same-language pairs are told apart by shared wording as much as by
    cosines, and copied sentences would make their level a copy's.

    Args:
        corpus: The scan's corpus.
        pairs: Document pairs (i, j) the scan scores (its candidates).
        reference: The shipped reference.
        min_margin: Ratio margin a translation match needs.
        min_evidence: Matches a language pair needs before its own level is used.
        prior_weight: Weight, in matches, of the fallback level in the estimate.

    Returns:
        A new reference (``reference`` itself when nothing was estimated); its ``from_input``
        holds the matches behind each estimated pair.
    """
    unmeasured = [
        (i, j)
        for i, j in pairs
        if corpus.langs[i] != corpus.langs[j]
        and pair_key(corpus.langs[i], corpus.langs[j]) not in reference.pairs
    ]
    if not unmeasured:
        return reference
    languages = {
        pair_key(corpus.langs[i], corpus.langs[j]): (corpus.langs[i], corpus.langs[j]) for i, j in unmeasured
    }
    found = translation_matches(corpus, unmeasured, min_margin=min_margin)
    known = {lang for key in reference.pairs for lang in key.split("-")}
    added: dict[str, tuple[float, float]] = {}
    counts: dict[str, int] = {}
    for key, (lang_a, lang_b) in sorted(languages.items()):
        cosines = found.get(key, [])
        new = {lang_a, lang_b} - known
        if len(cosines) < min_evidence and new:
            # Too few matches of this pair: a language the reference never measured is read
            # off all its pairs in the input together.
            cosines = [c for other, cs in sorted(found.items()) if new & set(languages[other]) for c in cs]
        if len(cosines) < min_evidence:
            continue
        fallback, unrelated = reference.levels(lang_a, lang_b)
        n = float(len(cosines))
        level = (n * float(np.median(cosines)) + prior_weight * fallback) / (n + prior_weight)
        added[key] = (level, unrelated)
        counts[key] = len(cosines)
    if not added:
        return reference
    return replace(reference, pairs=reference.pairs | added, from_input=reference.from_input | counts)
