"""find_pairs / find_groups / scan: the only module that wires the stages together.

ingest -> langid -> segment -> embed -> (centre, index) -> score -> calibrate -> cluster.

Example (with the fake encoder, so no model is loaded):
    >>> from dedup.runners.local import scan
    >>> from dedup.encoders.base import HashingEncoder
    >>> texts = {"a": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed.",
    ...          "b": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed.",
    ...          "c": "The central bank raised interest rates by half a point on Thursday."}
    >>> result = scan(texts, encoder=HashingEncoder())
    >>> [g.members for g in result.groups]
    [('a', 'b'), ('c',)]
    >>> result.pairs[0].relation.value
    'exact'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.config import DEFAULT_MIN_COSINE, ScanConfig, config_with
from dedup.encoders.base import Encoder, embed_sentences
from dedup.encoders.cache import maybe_cached
from dedup.errors import InvalidParameterError
from dedup.io.ingest import read_documents
from dedup.scoring.background import load_background
from dedup.scoring.calibration import ConfidenceModel, load_confidence_model
from dedup.scoring.cluster import cluster_pairs, group_confidence
from dedup.scoring.score import Alignment, Corpus, build_corpus, is_exact_copy, score_pair
from dedup.search.ann import doc_candidate_pairs
from dedup.text.boilerplate import strip_boilerplate
from dedup.text.preprocess import detect_and_split
from dedup.types import (
    AlignedSentence,
    Document,
    DocumentInfo,
    Group,
    Pair,
    PairFeatures,
    Relation,
    ScanResult,
    Skipped,
)

logger = logging.getLogger(__name__)

Inputs = str | Path | Sequence[str | Path] | Mapping[str, str]
ProgressCallback = Callable[[str, int, int], None]
# (features, alignment, article confidence, story confidence) of one scored pair
ScoredPair = tuple[PairFeatures, Alignment, float, float]


def scan(
    inputs: Inputs,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | str | None = None,
    confidence_model: ConfidenceModel | None = None,
    progress: ProgressCallback | None = None,
    against: str | Path | None = None,
    **params: Any,
) -> ScanResult:
    """Scan documents for copies, near-duplicates and translations, and group them.

    Keywords are named as the options of ``dedup scan``: ``dedup.scan(path, level="story",
    threshold=0.7, encoder="torch", text_field="body")`` is ``dedup scan PATH --level story
    --threshold 0.7 --encoder torch --text-field body``.

    Args:
        inputs: A folder, a single file, a list of files and folders, or a ``{doc_id: text}`` dict.
        config: Scan parameters; defaults to ``ScanConfig()``. Keywords in ``params`` override it.
        model: A loaded SentenceTransformer (see ``dedup.load_model``), used as it is. When
            neither model nor encoder is given, ``config.encoder`` is loaded for this call
            (``dedup.load_encoder``; default the int8 ONNX encoder).
        encoder: Any :class:`~dedup.encoders.base.Encoder` (overrides ``model``), or the name of one to
            load (``"onnx-int8"``, ``"torch"``: sets ``ScanConfig.encoder``).
        confidence_model: Calibration to use; defaults to the shipped one.
        progress: Optional callback ``(stage, done, total)``; the library never prints. Reading
            reports stage ``read bytes`` (bytes of all input files).
        against: An archive index folder (``dedup index build``): check the new inputs against it
            (see :func:`dedup.runners.archive_index.scan_against`).
        **params: Any :class:`~dedup.config.ScanConfig` field: ``threshold``, ``level``,
            ``max_chars``, ``text_field``, ``id_field``, ``follow_symlinks``, ``strip_boilerplate``,
            ``first_tier``, ...

    Returns:
        ScanResult with documents, linked pairs, groups (a partition) and skipped inputs.

    Raises:
        InputError: If a single input path is missing.
        InvalidParameterError: On an unknown keyword, a value out of range, or ``first_tier`` with
            ``against``.
        ModelError: If the model cannot be built or loaded.
    """
    if isinstance(encoder, str):
        params["encoder"], encoder = encoder, None
    config = config_with(config, **params)
    if against is not None:
        from dedup.runners.archive_index import scan_against

        if config.first_tier:
            raise InvalidParameterError("first_tier is not supported with against=. Got first_tier=True.")

        return scan_against(
            inputs,
            against,
            config=config,
            model=model,
            encoder=encoder,
            confidence_model=confidence_model,
            progress=progress,
        )
    confidence_model = confidence_model or load_confidence_model()
    timings: dict[str, float] = {}
    prepared = prepare(
        inputs, config=config, model=model, encoder=encoder, progress=progress, timings=timings
    )
    documents, corpus = prepared.documents, prepared.corpus
    t = time.perf_counter()
    candidates = _candidates(corpus, config)
    if prepared.encoded is not None:  # first tier: documents that were not encoded stay singletons
        candidates = [(i, j) for i, j in candidates if prepared.encoded[i] and prepared.encoded[j]]
    timings["index"] = time.perf_counter() - t
    result = score_candidates(
        documents,
        corpus,
        candidates,
        config=config,
        confidence_model=confidence_model,
        skipped=prepared.skipped,
        progress=progress,
        timings=timings,
    )
    if prepared.encoded is not None and prepared.n_sentences is not None:
        from dedup.search.first_tier import restore_unencoded

        result = restore_unencoded(result, prepared.n_sentences, prepared.encoded)
    return result


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
    pairs = _linked_pairs(corpus, ids, reported, config.threshold, report_threshold)
    groups = _groups(clusters, ids, corpus.langs, link)
    infos = tuple(
        DocumentInfo(
            doc_id=d.doc_id,
            lang=lang,
            n_sentences=len(s),
            n_chars=len(d.text),
            sha256=d.sha256,
            n_words=n_words,
            too_short=n_words < config.min_words,
            url=d.url,
            date=d.date,
        )
        for d, lang, s, n_words in zip(documents, corpus.langs, corpus.sentences, corpus.n_words, strict=True)
    )
    stats = {
        "n_docs": len(documents),
        "n_sentences": int(corpus.offsets[-1]),
        "n_candidates": len(candidates),
        "n_scored": len(link),
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


@dataclass(frozen=True)
class Prepared:
    """Documents read, and their sentence-level arrays, ready for pair scoring.

    With ``ScanConfig.first_tier``, ``encoded`` marks the documents that were sentence-encoded (the
    others are in the corpus without sentences) and ``n_sentences`` holds every document's count.
    """

    documents: list[Document]
    skipped: list[Skipped]
    corpus: Corpus
    encoded: npt.NDArray[np.bool_] | None = None
    n_sentences: list[int] | None = None


@dataclass(frozen=True)
class Embedded:
    """Documents read, with their languages, sentences and raw (uncentred) sentence embeddings.

    ``texts`` are the boilerplate-free texts; ``embeddings[i]`` is (len(sentences[i]), dim) float32,
    or (0, dim) where ``encoded`` (set with ``ScanConfig.first_tier``, see
    :mod:`dedup.search.first_tier`) is False.
    ``embeddings[i]`` are row views of ``vectors``, all embedded sentences in document order.
    """

    documents: list[Document]
    skipped: list[Skipped]
    texts: list[str]
    langs: list[str]
    sentences: list[list[str]]
    embeddings: list[npt.NDArray[np.float32]]
    vectors: npt.NDArray[np.float32]
    encoded: npt.NDArray[np.bool_] | None = None


def prepare(
    inputs: Inputs,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | None = None,
    progress: ProgressCallback | None = None,
    timings: dict[str, float] | None = None,
) -> Prepared:
    """Read, identify languages, split, embed and index: everything before pair scoring.

    Arguments as for :func:`scan`; ``timings`` (if given) receives seconds per stage.
    """
    config = config or ScanConfig()
    timings = timings if timings is not None else {}
    e = embed_documents(
        inputs, config=config, model=model, encoder=encoder, progress=progress, timings=timings
    )
    t = time.perf_counter()
    sentences = e.sentences
    if e.encoded is not None:  # first tier: unencoded documents enter the corpus without sentences
        sentences = [s if k else [] for s, k in zip(e.sentences, e.encoded.tolist(), strict=True)]
    # The one matrix of sentence vectors becomes the corpus's (centred in place): no second copy.
    corpus = corpus_from(sentences, e.vectors, e.langs, e.texts, config, copy=False)
    timings["corpus"] = time.perf_counter() - t
    n_sentences = [len(s) for s in e.sentences] if e.encoded is not None else None
    return Prepared(
        documents=e.documents, skipped=e.skipped, corpus=corpus, encoded=e.encoded, n_sentences=n_sentences
    )


def corpus_from(
    sentences: list[list[str]],
    embeddings: list[npt.NDArray[np.float32]] | npt.NDArray[np.float32],
    langs: list[str],
    texts: list[str],
    config: ScanConfig,
    *,
    copy: bool = True,
) -> Corpus:
    """:func:`dedup.scoring.score.build_corpus` with the scan's settings (the one place they are mapped).

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


def embed_documents(
    inputs: Inputs,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | None = None,
    progress: ProgressCallback | None = None,
    timings: dict[str, float] | None = None,
) -> Embedded:
    """Read, strip boilerplate, identify languages, split and embed (through the cache).

    Arguments as for :func:`scan`; ``timings`` (if given) receives seconds per stage.
    """
    config = config or ScanConfig()
    timings = timings if timings is not None else {}
    t = time.perf_counter()
    documents, skipped = read_documents(
        inputs,
        max_chars=config.max_chars,
        follow_symlinks=config.follow_symlinks,
        text_field=config.text_field,
        id_field=config.id_field,
        progress=None if progress is None else lambda done, total: progress("read bytes", done, total),
    )
    # Boilerplate-free text for language id, sentences and shingles; Document.text stays the original.
    texts = [d.text for d in documents]
    if config.strip_boilerplate:
        texts = [c.text for c in strip_boilerplate(texts)]
    timings["ingest"] = time.perf_counter() - t
    _report(progress, "read", len(documents), len(documents))

    t = time.perf_counter()
    langs, sentences = detect_and_split(texts, config)  # cached per cleaned text (dedup.text.preprocess)
    timings["langid_segment"] = time.perf_counter() - t

    t = time.perf_counter()
    if encoder is None:
        from dedup.encoders.loading import resolve_encoder

        encoder = resolve_encoder(model=model, kind=config.encoder, device=config.device)
    to_embed, encoded = sentences, None
    if config.first_tier:  # only documents with a candidate partner are encoded (dedup.search.first_tier)
        from dedup.search.first_tier import plan_encoding

        to_embed, encoded = plan_encoding(sentences, langs, texts, config=config, encoder=encoder)
    flat = [s for doc in to_embed for s in doc]
    with maybe_cached(encoder, cache_dir=config.cache_dir, enabled=config.use_cache) as enc:
        vectors = embed_sentences(
            enc, flat, batch_size=config.batch_size, progress=lambda d, n: _report(progress, "embedded", d, n)
        )
    _report(progress, "embedded", len(flat), len(flat))
    offsets = np.cumsum([0] + [len(s) for s in to_embed])
    per_doc = [vectors[offsets[i] : offsets[i + 1]] for i in range(len(documents))]
    timings["embed"] = time.perf_counter() - t
    return Embedded(
        documents=documents,
        skipped=skipped,
        texts=texts,
        langs=langs,
        sentences=sentences,
        embeddings=per_doc,
        vectors=vectors,
        encoded=encoded,
    )


def find_pairs(inputs: Inputs, **kwargs: Any) -> list[Pair]:
    """Linked document pairs of ``inputs``, strongest first. Keywords as for :func:`scan`.

    Example (with the fake encoder, so no model is loaded):
        >>> from dedup.encoders.base import HashingEncoder
        >>> text = "Storm hits the coast.\\nThousands lost power."
        >>> texts = {"a": text, "b": text}
        >>> [(p.doc_a, p.doc_b) for p in find_pairs(texts, threshold=0.9, encoder=HashingEncoder())]
        [('a', 'b')]
    """
    return list(scan(inputs, **kwargs).pairs)


def find_groups(inputs: Inputs, **kwargs: Any) -> list[Group]:
    """Story groups of ``inputs`` (every document in exactly one). Keywords as for :func:`scan`.

    Example (with the fake encoder, so no model is loaded):
        >>> from dedup.encoders.base import HashingEncoder
        >>> [g.members for g in find_groups({"a": "One story.", "b": "Another."}, level="story",
        ...                                  encoder=HashingEncoder())]
        [('a',), ('b',)]
    """
    return list(scan(inputs, **kwargs).groups)


def _report(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def _candidates(corpus: Corpus, config: ScanConfig) -> list[tuple[int, int]]:
    n = corpus.n_docs
    if n <= config.exhaustive_below:
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    pairs = set(doc_candidate_pairs(corpus.doc_vectors, top_k=config.top_k, ann_above=config.ann_above))
    by_hash: dict[str, list[int]] = {}
    for i, h in enumerate(corpus.text_hashes):
        if h:  # an empty text copies nothing
            by_hash.setdefault(h, []).append(i)
    for members in by_hash.values():
        pairs.update((a, b) for k, a in enumerate(members) for b in members[k + 1 :])
    return sorted(pairs)


def _relation(corpus: Corpus, i: int, j: int, article: float, threshold: float) -> Relation:
    if is_exact_copy(corpus, i, j):
        return Relation.EXACT
    if article >= threshold:
        return Relation.NEAR_DUPLICATE if corpus.langs[i] == corpus.langs[j] else Relation.TRANSLATION
    return Relation.SAME_STORY


def _linked_pairs(
    corpus: Corpus,
    ids: list[str],
    scored: Mapping[tuple[int, int], ScoredPair],
    threshold: float,
    report_threshold: float,
) -> list[Pair]:
    pairs = []
    for (i, j), (feats, alignment, article, story) in scored.items():
        if max(article, story) < report_threshold:
            continue
        a, b = (i, j) if ids[i] < ids[j] else (j, i)
        relation = _relation(corpus, i, j, article, threshold)
        aligned = tuple(
            AlignedSentence(
                i=p[0] if a == i else p[1],
                j=p[1] if a == i else p[0],
                text_a=corpus.sentences[a][p[0] if a == i else p[1]],
                text_b=corpus.sentences[b][p[1] if a == i else p[0]],
                cosine=p[2],
                margin=p[3],
            )
            for p in alignment.pairs
        )
        if a != i:
            feats = replace(
                feats,
                coverage_a=feats.coverage_b,
                coverage_b=feats.coverage_a,
                n_sentences_a=feats.n_sentences_b,
                n_sentences_b=feats.n_sentences_a,
            )
        pairs.append(
            Pair(
                doc_a=ids[a],
                doc_b=ids[b],
                lang_a=corpus.langs[a],
                lang_b=corpus.langs[b],
                relation=relation,
                confidence=article,
                aligned=tuple(sorted(aligned, key=lambda s: s.i)),
                features=feats,
                story_confidence=story,
            )
        )
    return sorted(pairs, key=lambda p: (-p.confidence, p.doc_a, p.doc_b))


def _groups(
    clusters: list[list[int]], ids: list[str], langs: list[str], link: Mapping[tuple[int, int], float]
) -> list[Group]:
    strongest = [0.0] * len(ids)
    for (i, j), c in link.items():
        strongest[i] = max(strongest[i], c)
        strongest[j] = max(strongest[j], c)
    ordered = sorted(clusters, key=lambda m: (-len(m), ids[m[0]]))
    groups = []
    for k, members in enumerate(ordered, start=1):
        confidence = group_confidence(members, link) if len(members) > 1 else 1.0 - strongest[members[0]]
        groups.append(
            Group(
                group_id=f"g{k:05d}",
                members=tuple(sorted(ids[m] for m in members)),
                confidence=confidence,
                languages=tuple(sorted({langs[m] for m in members})),
            )
        )
    return groups
