"""Archive index runners: embed an archive once, then check new articles against it.

:func:`build_index`, :func:`add_to_index` and :func:`remove_from_index` write an index folder (each
call to the first two adds one shard); :func:`scan_against` reads it. What the folder holds, and
how writers and readers share it safely, is described in :mod:`dedup.io.index_store`; inspecting and
repairing an index is :mod:`dedup.io.index_maintenance`.

:func:`scan_against` embeds only the new articles, finds each one's ``top_k`` nearest archived
documents by language-centred document vector (plus exact text copies), builds one
:class:`~dedup.scoring.corpus.Corpus` over the new articles and those candidates, and scores pairs with the
same code as :func:`dedup.runners.local.scan`. Archived documents appear in the result with the
``archive:`` prefix; pairs among archived documents are not reported.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from dedup.encoders.base import HashingEncoder
    >>> from dedup.io.index_maintenance import index_info
    >>> from dedup.runners.archive_index import build_index, scan_against
    >>> old = {"a": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed.",
    ...        "b": "The central bank raised interest rates by half a point on Thursday."}
    >>> new = {"n1": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed."}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = build_index(old, Path(tmp) / "idx", encoder=HashingEncoder())
    ...     result = scan_against(new, Path(tmp) / "idx", encoder=HashingEncoder())
    ...     info = index_info(Path(tmp) / "idx")
    >>> [(p.doc_a, p.doc_b, p.relation.value) for p in result.pairs]
    [('archive:a', 'n1', 'exact')]
    >>> info.n_docs, [s.name for s in info.shards], info.model
    (2, ['shard-00001'], 'hashing-256-3')
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.config import ScanConfig
from dedup.encoders.base import Encoder
from dedup.encoders.cache import encoder_identity
from dedup.errors import IndexMismatchError, InputError, OutputError
from dedup.io.index_store import (
    Record,
    Snapshot,
    check_identity,
    check_replaceable,
    check_shard_files,
    clean_leftovers,
    new_manifest,
    open_index,
    read_manifest,
    write_manifest,
    write_shard,
)
from dedup.io.locking import WaitCallback, folder_lock
from dedup.runners.prepare import Embedded, embed_documents
from dedup.runners.stages import (
    Inputs,
    ProgressCallback,
    adapt_to_input,
    corpus_from,
    find_candidates,
    score_candidates,
)
from dedup.scoring.calibration import ConfidenceModel, load_confidence_model
from dedup.scoring.corpus import centre_by_language
from dedup.scoring.signals import sentence_weights
from dedup.search.candidates import candidates_against
from dedup.search.copies import copy_key
from dedup.types import Document, ScanResult

ARCHIVE_PREFIX = "archive:"


def _resolve_encoder(model: Any, encoder: Encoder | None, config: ScanConfig) -> Encoder:
    from dedup.encoders.loading import resolve_encoder

    return resolve_encoder(encoder, model, kind=config.encoder, device=config.device)


def _identity(encoder: Encoder) -> str:
    return encoder_identity(encoder) or getattr(encoder, "name", "unknown")


def _doc_vector(
    embeddings: npt.NDArray[np.float32], sentences: list[str], dim: int
) -> npt.NDArray[np.float32]:
    if len(sentences) == 0:
        return np.zeros(dim, dtype=np.float32)
    w = sentence_weights([sentences])
    v = (embeddings * w[:, None]).sum(axis=0)
    norm = np.linalg.norm(v)
    return (v / norm if norm > 0 else v).astype(np.float32)


def _doc_vectors(emb: Embedded, dim: int) -> npt.NDArray[np.float32]:
    """(n_docs, dim) float32: each document's length-weighted mean sentence embedding, L2-normalised."""
    vectors = [_doc_vector(e.reshape(-1, dim), s, dim) for e, s in zip(emb.embeddings, emb.sentences,
                                                                      strict=True)]
    return np.stack(vectors) if vectors else np.zeros((0, dim), np.float32)


def _embed(
    inputs: Inputs, config: ScanConfig, encoder: Encoder, progress: ProgressCallback | None
) -> tuple[Embedded, int]:
    """Read and embed ``inputs`` for a new shard; returns them and the embedding dimension.

    An index holds every document whole, so the encoding tiers (which leave documents unencoded)
    are off here whatever ``config`` says.
    """
    config = replace(config, first_tier=False, lead_tier=False)
    emb = embed_documents(inputs, config=config, encoder=encoder, progress=progress)
    for e in emb.embeddings:
        if e.ndim == 2 and e.shape[0]:
            return emb, int(e.shape[1])
    return emb, int(np.asarray(encoder.encode(["x"])).shape[1])


def _summary(index: Path, emb: Embedded) -> dict[str, Any]:
    return {"index": str(index), "n_docs": len(emb.documents),
            "n_sentences": int(sum(len(s) for s in emb.sentences)), "skipped": len(emb.skipped)}


def build_index(
    inputs: Inputs,
    index: str | Path,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | None = None,
    progress: ProgressCallback | None = None,
    wait: bool = True,
    on_wait: WaitCallback | None = None,
) -> dict[str, Any]:
    """Embed an archive once and store it as a new index at ``index`` (replacing any old one).

    An existing index (even a damaged one) is replaced only once the new one is complete: until the
    new manifest is written, readers see the old index, and an interrupted build leaves it as it was.

    Args:
        inputs: A folder, a list of file paths, or a ``{doc_id: text}`` dict.
        index: Index folder to create (or an existing index or empty folder).
        config: Reading, splitting and embedding parameters (as for :func:`dedup.runners.local.scan`).
        model: A loaded SentenceTransformer; loaded when neither model nor encoder is given.
        encoder: Any :class:`~dedup.encoders.base.Encoder`; overrides ``model``.
        progress: Optional callback ``(stage, done, total)``.
        wait: Wait for another writer of this index to finish (else raise at once).
        on_wait: Called once, with the index and the other writer, before waiting for it.

    Returns:
        Summary: ``{"index", "n_docs", "n_sentences", "skipped"}``.

    Raises:
        InputError: If ``index`` is a file, or a folder holding other files than an index.
        OutputError: If the index folder cannot be created.
        FolderLockedError: If ``wait`` is False and another writer holds the index.
    """
    config = config or ScanConfig()
    index = Path(index)
    encoder = _resolve_encoder(model, encoder, config)
    if index.exists() and not index.is_dir():
        raise InputError(f"{index} is a file, not an index folder. Choose another --index folder.")
    try:
        index.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the index folder {index}: {err.strerror or err}.") from err
    with folder_lock(index, operation="index build", wait=wait, on_wait=on_wait):
        check_replaceable(index)
        emb, dim = _embed(inputs, config, encoder, progress)
        manifest = new_manifest(_identity(encoder), dim, {k: getattr(config, k) for k in (
            "min_sentence_chars", "max_sentences", "max_chars", "strip_boilerplate")})
        manifest = write_shard(index, manifest, emb, _doc_vectors(emb, dim), dim)
        clean_leftovers(index, manifest)  # the replaced index's shards
    return _summary(index, emb)


def add_to_index(
    index: str | Path,
    inputs: Inputs,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | None = None,
    progress: ProgressCallback | None = None,
    wait: bool = True,
    on_wait: WaitCallback | None = None,
) -> dict[str, Any]:
    """Embed ``inputs`` and append them to ``index`` as a new shard (same doc_id: the new copy wins).

    Holds the index's writer lock throughout; the new shard becomes visible only when it is complete.

    Args:
        index: An index folder made by :func:`build_index`.
        inputs: A folder, a list of file paths, or a ``{doc_id: text}`` dict.
        config: Reading, splitting and embedding parameters.
        model: A loaded SentenceTransformer; loaded when neither model nor encoder is given.
        encoder: Any :class:`~dedup.encoders.base.Encoder`; overrides ``model``. Must match the index.
        progress: Optional callback ``(stage, done, total)``.
        wait: Wait for another writer of this index to finish (else raise at once).
        on_wait: Called once, with the index and the other writer, before waiting for it.

    Returns:
        Summary: ``{"index", "n_docs", "n_sentences", "skipped"}`` of the added documents.

    Raises:
        IndexMismatchError: If the index was built with another model or dimension.
        IndexDamagedError: If a listed shard is missing or has other sizes than the manifest records.
        FolderLockedError: If ``wait`` is False and another writer holds the index.
    """
    config = config or ScanConfig()
    index = Path(index)
    read_manifest(index)
    encoder = _resolve_encoder(model, encoder, config)
    identity = _identity(encoder)
    with folder_lock(index, operation="index add", wait=wait, on_wait=on_wait):
        manifest = read_manifest(index)  # as the writers before us left it
        check_identity(index, manifest, identity)
        clean_leftovers(index, manifest)
        check_shard_files(index, manifest)
        emb, dim = _embed(inputs, config, encoder, progress)
        if dim != manifest["dim"]:
            raise IndexMismatchError(
                f"index {index} has dimension {manifest['dim']}; the encoder gives {dim}."
            )
        write_shard(index, manifest, emb, _doc_vectors(emb, dim), dim)
    return _summary(index, emb)


def remove_from_index(
    index: str | Path, doc_ids: list[str], *, wait: bool = True, on_wait: WaitCallback | None = None
) -> list[str]:
    """Mark documents as removed; returns the ids that were in the index (unknown ids are ignored).

    Args:
        index: An index folder.
        doc_ids: Ids to remove.
        wait: Wait for another writer of this index to finish (else raise at once).
        on_wait: Called once, with the index and the other writer, before waiting for it.

    Raises:
        IndexDamagedError: If a shard does not match the manifest.
        FolderLockedError: If ``wait`` is False and another writer holds the index.
    """
    index = Path(index)
    read_manifest(index)
    with folder_lock(index, operation="index remove", wait=wait, on_wait=on_wait):
        manifest = read_manifest(index)
        clean_leftovers(index, manifest)
        live = {r.doc["doc_id"] for r in open_index(index, manifest).records()}
        found = sorted(set(doc_ids) & live)
        write_manifest(index, {**manifest, "removed": sorted(set(manifest["removed"]) | set(found))})
    return found


def scan_against(
    inputs: Inputs,
    index: str | Path,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | None = None,
    confidence_model: ConfidenceModel | None = None,
    progress: ProgressCallback | None = None,
) -> ScanResult:
    """Check new articles against an archive index without re-embedding the archive.

    Args:
        inputs: The new articles (folder, file list or ``{doc_id: text}``).
        index: An index folder made by :func:`build_index`.
        config: Scan parameters; ``top_k`` archived candidates are taken per new article.
        model: A loaded SentenceTransformer; loaded when neither model nor encoder is given.
        encoder: Any :class:`~dedup.encoders.base.Encoder`; overrides ``model``. Must match the index.
        confidence_model: Calibration to use; defaults to the shipped one.
        progress: Optional callback ``(stage, done, total)``.

    Returns:
        ScanResult over the new articles and their archived candidates (ids ``archive:<doc_id>``).
        Pairs are new-new or new-archived; ``stats["against"]`` describes the index.

    Raises:
        IndexMismatchError: If the index was built with another model or dimension.
        IndexDamagedError: If a shard does not match the manifest (the message names it).
    """
    config = config or ScanConfig()
    confidence_model = confidence_model or load_confidence_model()
    index = Path(index)
    encoder = _resolve_encoder(model, encoder, config)
    snap = open_index(index)  # every array the scan reads stays open, even if a build replaces the index
    manifest = snap.manifest
    check_identity(index, manifest, _identity(encoder))
    timings: dict[str, float] = {}
    new = embed_documents(inputs, config=config, encoder=encoder, progress=progress, timings=timings)
    dim = int(manifest["dim"])

    t = time.perf_counter()
    records = snap.records()
    by_shard: dict[str, list[Record]] = {}
    for r in records:
        by_shard.setdefault(r.shard, []).append(r)
    arch_vectors = np.zeros((len(records), dim), dtype=np.float32)
    k = 0
    order: list[Record] = []
    for shard, recs in by_shard.items():
        dv = snap.shards[shard].doc_vectors
        assert dv is not None  # open_index returns sound shards only
        for r in recs:
            arch_vectors[k] = dv[r.row]
            order.append(r)
            k += 1
    arch_langs = [r.doc["lang"] for r in order]
    new_vectors = _doc_vectors(new, dim)
    # Document vectors centred on the plain per-language means of archive and new documents together.
    everything = centre_by_language(
        np.concatenate([arch_vectors, new_vectors]),
        arch_langs + list(new.langs),
        np.ones(len(arch_vectors) + len(new_vectors), dtype=np.float32),
        shrink=False,
    )
    chosen = candidates_against(
        everything[len(arch_vectors):],
        [copy_key(text) for text in new.texts],
        everything[: len(arch_vectors)],
        [copy_key(r.doc["text"]) for r in order],
        top_k=config.top_k,
    )
    involved = sorted({a for s in chosen.values() for a in s})
    timings["archive_search"] = time.perf_counter() - t

    t = time.perf_counter()
    arch_emb = _load_embeddings(snap, [order[a] for a in involved], dim)
    n_new = len(new.documents)
    documents = list(new.documents) + [
        Document(doc_id=ARCHIVE_PREFIX + order[a].doc["doc_id"], text=order[a].doc["text"],
                 path=order[a].doc.get("path"), sha256=order[a].doc["sha256"])
        for a in involved
    ]
    corpus = corpus_from(
        list(new.sentences) + [order[a].doc["sentences"] for a in involved],
        list(new.embeddings) + arch_emb,
        list(new.langs) + [order[a].doc["lang"] for a in involved],
        list(new.texts) + [order[a].doc["text"] for a in involved],
        config,
    )
    timings["corpus"] = time.perf_counter() - t
    position = {a: n_new + p for p, a in enumerate(involved)}
    candidates = {(i, position[a]) for i, s in chosen.items() for a in s}
    candidates.update(find_candidates(corpus, config, among=n_new))
    ordered = sorted(candidates)
    confidence_model = adapt_to_input(
        corpus, ordered, config=config, confidence_model=confidence_model, timings=timings
    )
    result = score_candidates(
        documents, corpus, ordered, config=config, confidence_model=confidence_model,
        skipped=new.skipped, progress=progress, timings=timings,
    )
    pairs = tuple(p for p in result.pairs
                  if not (p.doc_a.startswith(ARCHIVE_PREFIX) and p.doc_b.startswith(ARCHIVE_PREFIX)))
    stats = {**result.stats, "against": {"index": str(index), "n_archived": len(order),
                                         "n_archived_candidates": len(involved)}}
    return replace(result, pairs=pairs, stats=stats)


def _load_embeddings(snap: Snapshot, records: list[Record], dim: int) -> list[npt.NDArray[np.float32]]:
    out = []
    for r in records:
        emb = snap.shards[r.shard].embeddings
        assert emb is not None  # open_index returns sound shards only
        out.append(np.array(emb[r.start : r.stop], dtype=np.float32).reshape(-1, dim))
    return out
