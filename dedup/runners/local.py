"""find_pairs / find_groups / scan: the stages of :mod:`dedup.runners.stages`, run in this process.

read -> clean -> identify languages and split -> embed -> corpus -> candidates -> score -> group.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.config import ScanConfig, config_with
from dedup.encoders.base import Encoder
from dedup.errors import InvalidParameterError
from dedup.runners.stages import (
    Inputs,
    ProgressCallback,
    clean,
    corpus_from,
    embed,
    find_candidates,
    identify_and_split,
    per_document,
    read,
    report_progress,
    score_candidates,
)
from dedup.scoring.calibration import ConfidenceModel, load_confidence_model
from dedup.scoring.corpus import Corpus
from dedup.types import (
    Document,
    Group,
    Pair,
    ScanResult,
    Skipped,
)

logger = logging.getLogger(__name__)


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

        if config.first_tier or config.lead_tier:
            raise InvalidParameterError(
                "first_tier and lead_tier are not supported with against=. "
                f"Got first_tier={config.first_tier}, lead_tier={config.lead_tier}."
            )

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
    # first tier: documents that were not encoded stay singletons
    candidates = find_candidates(corpus, config, eligible=prepared.encoded)
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
    documents, skipped = read(inputs, config, progress)
    texts = clean(documents, config)
    timings["ingest"] = time.perf_counter() - t
    report_progress(progress, "read", len(documents), len(documents))

    t = time.perf_counter()
    langs, sentences = identify_and_split(texts, config)
    timings["langid_segment"] = time.perf_counter() - t

    t = time.perf_counter()
    if encoder is None:
        from dedup.build.model import resolve_encoder

        encoder = resolve_encoder(model=model, kind=config.encoder, device=config.device)
    to_embed, encoded = sentences, None
    if config.first_tier:  # only documents with a candidate partner are encoded (dedup.search.first_tier)
        from dedup.search.first_tier import plan_encoding

        to_embed, encoded = plan_encoding(sentences, langs, texts, config=config, encoder=encoder)
    elif config.lead_tier:  # every lead is encoded, the rest only with a plausible partner (search.lead_tier)
        from dedup.search.lead_tier import plan_encoding as plan_leads

        to_embed, encoded, encoder = plan_leads(sentences, langs, texts, config=config, encoder=encoder)
    vectors = embed(to_embed, encoder, config, progress)
    per_doc = per_document(vectors, to_embed)
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
