"""The stages of a scan, as the functions every runner calls.

read -> clean -> identify languages and split -> embed -> corpus -> candidates -> score -> group.

A runner decides where each stage runs (in this process: :mod:`dedup.runners.local`; as Ray tasks:
:mod:`dedup.runners.ray`; new documents against an archive: :mod:`dedup.runners.archive_index`),
never what it does. :class:`dedup.api.Detector` calls the same functions to fit a calibration.

Example (with the fake encoder, so no model is loaded):
    >>> from dedup.config import ScanConfig
    >>> from dedup.encoders.base import HashingEncoder
    >>> from dedup.runners import stages
    >>> config = ScanConfig()
    >>> texts = {"a": "Storm hits the coast tonight, they said.", "b": "Hi."}
    >>> documents, skipped = stages.read(texts, config)
    >>> texts = stages.clean(documents, config)
    >>> langs, sentences = stages.identify_and_split(texts, config)
    >>> vectors = stages.embed(sentences, HashingEncoder(dim=32), config)
    >>> corpus = stages.corpus_from(sentences, vectors, langs, texts, config)
    >>> stages.find_candidates(corpus, config)
    [(0, 1)]
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dedup.config import DEFAULT_MIN_COSINE, ScanConfig
from dedup.encoders.base import Encoder, embed_sentences
from dedup.encoders.cache import maybe_cached
from dedup.io.read import read_documents
from dedup.runners.results import ScoredPair, document_infos, linked_pairs, story_groups
from dedup.scoring.background import load_background
from dedup.scoring.calibration import ConfidenceModel
from dedup.scoring.cluster import cluster_pairs
from dedup.scoring.corpus import Corpus, build_corpus
from dedup.scoring.input_levels import estimate_pair_levels
from dedup.scoring.score import Alignment, is_exact_copy, score_pair
from dedup.search.candidates import candidates
from dedup.text.boilerplate import strip_boilerplate
from dedup.text.preprocess import detect_and_split
from dedup.text.reflow import unwrap
from dedup.types import Document, PairFeatures, ScanResult, Skipped

logger = logging.getLogger(__name__)

Inputs = str | Path | Sequence[str | Path] | Mapping[str, str]

ProgressCallback = Callable[[str, int, int], None]


def read(
    inputs: Inputs, config: ScanConfig, progress: ProgressCallback | None = None
) -> tuple[list[Document], list[Skipped]]:
    """Read the inputs (read-only, streaming): documents, and what could not be used.

    Reading reports stage ``read bytes`` (bytes of all input files) to ``progress``.
    """
    return read_documents(
        inputs,
        max_chars=config.max_chars,
        follow_symlinks=config.follow_symlinks,
        text_field=config.text_field,
        id_field=config.id_field,
        progress=None if progress is None else lambda done, total: progress("read bytes", done, total),
    )


def clean(documents: Sequence[Document], config: ScanConfig) -> list[str]:
    """The texts to score: hard-wrapped text joined into its paragraphs (:func:`dedup.text.reflow.unwrap`),
    then boilerplate stripped (unless ``config.strip_boilerplate`` is off).

    ``Document.text`` stays the original; these texts feed language ID, sentences and shingles.
    """
    texts = [unwrap(d.text) for d in documents]
    if config.strip_boilerplate:
        texts = [c.text for c in strip_boilerplate(texts)]
    return texts


def identify_and_split(texts: Sequence[str], config: ScanConfig) -> tuple[list[str], list[list[str]]]:
    """Language and sentences of every text (cached per text: :mod:`dedup.text.preprocess`)."""
    return detect_and_split(list(texts), config)


def embed(
    sentences: Sequence[Sequence[str]],
    encoder: Encoder,
    config: ScanConfig,
    progress: ProgressCallback | None = None,
) -> npt.NDArray[np.float32]:
    """One (total sentences, dim) float32 matrix of every document's sentence vectors, in order.

    Vectors come from the embedding cache when it holds them (``config.use_cache``); the encoder
    is opened only for the rest. Reports stage ``embedded`` to ``progress``.
    """
    flat = [s for doc in sentences for s in doc]
    with maybe_cached(encoder, cache_dir=config.cache_dir, enabled=config.use_cache) as enc:
        vectors = embed_sentences(
            enc,
            flat,
            batch_size=config.batch_size,
            progress=lambda d, n: report_progress(progress, "embedded", d, n),
        )
    report_progress(progress, "embedded", len(flat), len(flat))
    return vectors


def per_document(
    vectors: npt.NDArray[np.float32], sentences: Sequence[Sequence[str]]
) -> list[npt.NDArray[np.float32]]:
    """Row views of ``vectors``, one (n_sentences, dim) array per document."""
    offsets = np.cumsum([0] + [len(s) for s in sentences])
    return [vectors[offsets[i] : offsets[i + 1]] for i in range(len(sentences))]


def corpus_from(
    sentences: list[list[str]],
    embeddings: list[npt.NDArray[np.float32]] | npt.NDArray[np.float32],
    langs: list[str],
    texts: list[str],
    config: ScanConfig,
    *,
    copy: bool = True,
) -> Corpus:
    """:func:`dedup.scoring.corpus.build_corpus` with the scan's settings (the one place they are mapped).

    With ``config.background`` the shipped background statistics (:mod:`dedup.scoring.background`) are
    used; they only apply to embeddings of the model they were measured with (same width).
    """
    return build_corpus(
        sentences,
        embeddings,
        langs,
        background=load_background() if config.background else None,
        margin_k=config.margin_k,
        shingle_size=config.shingle_size,
        texts=texts,
        knn_ann_above=config.knn_ann_above,
        copy=copy,
    )


def find_candidates(
    corpus: Corpus,
    config: ScanConfig,
    *,
    eligible: npt.NDArray[np.bool_] | None = None,
    among: int | None = None,
) -> list[tuple[int, int]]:
    """Pairs (i < j) of the corpus to score (:func:`dedup.search.candidates.candidates`).

    ``eligible`` restricts them to documents marked True (those the first tier encoded);
    ``among`` searches only the first ``among`` documents (the new ones of a scan against an index).
    """
    n = corpus.n_docs if among is None else among
    return candidates(
        corpus.doc_vectors[:n],
        corpus.text_hashes[:n],
        top_k=config.top_k,
        exhaustive_below=config.exhaustive_below,
        ann_above=config.ann_above,
        eligible=eligible,
    )


def adapt_to_input(
    corpus: Corpus,
    pairs: Sequence[tuple[int, int]],
    *,
    config: ScanConfig,
    confidence_model: ConfidenceModel,
    timings: dict[str, float] | None = None,
) -> ConfidenceModel:
    """The confidence model with cosine levels, measured on the candidate ``pairs``, for the language
    pairs its reference lacks (:func:`dedup.scoring.input_levels.estimate_pair_levels`); the model
    itself when ``config.input_levels`` is off or it has no reference. Call it once per scan, before
    any pair is scored, so every block of pairs is scored on the same scale. Its seconds go to
    ``timings["input_levels"]`` when given."""
    if not config.input_levels or confidence_model.reference is None:
        return confidence_model
    t = time.perf_counter()
    reference = estimate_pair_levels(corpus, pairs, confidence_model.reference)
    if timings is not None:
        timings["input_levels"] = time.perf_counter() - t
    if reference is confidence_model.reference:
        return confidence_model
    return replace(confidence_model, reference=reference)


def score_pairs(
    corpus: Corpus,
    pairs: Sequence[tuple[int, int]],
    *,
    config: ScanConfig,
    confidence_model: ConfidenceModel,
) -> dict[tuple[int, int], ScoredPair]:
    """Features, alignment, article and story confidence of each pair (i < j) of the corpus.

    Each pair depends only on the corpus, so blocks of pairs can be scored anywhere and merged.
    A pair with a document shorter than ``config.min_words`` gets 0 at both levels (too little
    text to tell anything, even a copy); otherwise exact copies get 1.0, and pairs with fewer
    than ``config.min_aligned`` aligned sentences get article confidence 0.
    """
    out: dict[tuple[int, int], ScoredPair] = {}
    for i, j in pairs:
        feats, alignment = pair_features(corpus, i, j, config=config, confidence_model=confidence_model)
        if min(corpus.n_words[i], corpus.n_words[j]) < config.min_words:
            article = story = 0.0
        elif is_exact_copy(corpus, i, j):
            article = story = 1.0
        elif feats.n_aligned < config.min_aligned:
            article = 0.0
            story = confidence_model.story_confidence(feats)
        else:
            article = confidence_model.article_confidence(feats)
            story = max(article, confidence_model.story_confidence(feats))
        out[(i, j)] = (feats, alignment, article, story)
    return out


def pair_features(
    corpus: Corpus, i: int, j: int, *, config: ScanConfig, confidence_model: ConfidenceModel
) -> tuple[PairFeatures, Alignment]:
    """:func:`dedup.scoring.score.score_pair` with the scan's alignment thresholds (the one place they are
    mapped): ``config.min_cosine`` for every language pair when set, else the calibration's level
    on each pair's own cosine scale (``DEFAULT_MIN_COSINE`` with a calibration that has no cosine
    reference)."""
    reference = confidence_model.reference
    min_cosine = config.min_cosine
    if min_cosine is None and reference is None:
        min_cosine = DEFAULT_MIN_COSINE
    return score_pair(
        corpus,
        i,
        j,
        min_cosine=min_cosine,
        min_margin=config.min_margin,
        reference=reference,
        min_level=confidence_model.min_level,
    )


def score_candidates(
    documents: Sequence[Document],
    corpus: Corpus,
    candidates: Sequence[tuple[int, int]],
    *,
    config: ScanConfig,
    confidence_model: ConfidenceModel,
    skipped: Sequence[Skipped] = (),
    progress: ProgressCallback | None = None,
    timings: dict[str, float] | None = None,
    prescored: Mapping[tuple[int, int], ScoredPair] | None = None,
) -> ScanResult:
    """Score candidate pairs (i < j, indices into ``corpus``), cluster, and assemble the result.

    The second half of :func:`scan`, for callers that choose their own candidates
    (e.g. :func:`dedup.runners.archive_index.scan_against`). ``prescored`` holds pairs already
    scored elsewhere with :func:`score_pairs` (e.g. in parallel blocks by the Ray backend).
    """
    timings = timings if timings is not None else {}
    t = time.perf_counter()
    level_index = 2 if config.level == "article" else 3
    report_threshold = config.threshold if config.report_threshold is None else config.report_threshold
    # Every scored pair keeps its link confidence; only reported pairs keep features and alignment
    # (at 10^5 documents, holding the alignment of every candidate dominated peak memory).
    link: dict[tuple[int, int], float] = {}
    reported: dict[tuple[int, int], ScoredPair] = {}

    def score(i: int, j: int) -> float:
        if (i, j) not in link:
            if prescored is not None and (i, j) in prescored:
                scored = prescored[(i, j)]
            else:
                one = score_pairs(corpus, [(i, j)], config=config, confidence_model=confidence_model)
                scored = one[(i, j)]
            link[(i, j)] = scored[level_index]
            if max(scored[2], scored[3]) >= report_threshold:
                reported[(i, j)] = scored
        return link[(i, j)]

    for k, (i, j) in enumerate(candidates):
        score(i, j)
        if progress is not None and (k % 500 == 0 or k == len(candidates) - 1):
            progress("scored", k + 1, len(candidates))
    timings["score"] = time.perf_counter() - t

    t = time.perf_counter()
    clusters = cluster_pairs(
        len(documents),
        link,
        threshold=config.threshold,
        score_missing=score,
        strong_link=config.strong_link,
        strong_mean=config.strong_mean,
    )
    timings["cluster"] = time.perf_counter() - t  # link now also holds the pairs scored on demand

    ids = [d.doc_id for d in documents]
    pairs = linked_pairs(corpus, ids, reported, config.threshold, report_threshold)
    groups = story_groups(clusters, ids, corpus.langs, link)
    infos = document_infos(documents, corpus, min_words=config.min_words)
    stats = {
        "n_docs": len(documents),
        "n_sentences": int(corpus.offsets[-1]),
        "n_candidates": len(candidates),
        "n_scored": len(link),
        "input_levels": _input_levels(confidence_model),
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "config": config.to_dict(),
    }
    logger.info("scanned %d documents: %d pairs, %d groups", len(documents), len(pairs), len(groups))
    return ScanResult(
        documents=infos,
        pairs=tuple(pairs),
        groups=tuple(groups),
        skipped=tuple(skipped),
        stats=stats,
    )


def _input_levels(confidence_model: ConfidenceModel) -> dict[str, dict[str, float]]:
    reference = confidence_model.reference
    if reference is None:
        return {}
    return {
        key: {"translation": round(reference.pairs[key][0], 4), "matches": n}
        for key, n in sorted(reference.from_input.items())
    }


def report_progress(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    """Call ``progress(stage, done, total)`` when a callback was given."""
    if progress is not None:
        progress(stage, done, total)
