"""Everything before pair scoring, for any runner: read, clean, identify and split, embed, build the corpus.

Example (with the fake encoder, so no model is loaded):
    >>> from dedup.encoders.base import HashingEncoder
    >>> from dedup.runners.prepare import prepare
    >>> prepared = prepare({"a": "Storm hits the coast tonight.", "b": "Markets fell on Friday."},
    ...                    encoder=HashingEncoder())
    >>> [d.doc_id for d in prepared.documents], prepared.corpus.n_docs
    (['a', 'b'], 2)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.config import ScanConfig
from dedup.encoders.base import Encoder
from dedup.runners.stages import (
    Inputs,
    ProgressCallback,
    clean,
    corpus_from,
    embed,
    identify_and_split,
    per_document,
    read,
    report_progress,
)
from dedup.scoring.corpus import Corpus
from dedup.types import Document, Skipped


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
        from dedup.encoders.loading import resolve_encoder

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
