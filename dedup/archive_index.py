"""Incremental archive index: embed an archive once, then check new articles against it.

An index folder holds one shard per :func:`build_index` / :func:`add_to_index` call and a
``manifest.json``::

    IDX/manifest.json          format, model identity, dim, shard list, removed doc ids
    IDX/shard-00001/docs.jsonl one record per document: doc_id, lang, sha256, path, text, sentences
    IDX/shard-00001/embeddings.npy   (n_sentences, dim) float32 raw sentence embeddings (row order = docs)
    IDX/shard-00001/doc_vectors.npy  (n_docs, dim) float32 length-weighted mean of those, L2-normalised

Shards are written to a temporary folder and moved into place, and the manifest is replaced
atomically last, so an interrupted ``add`` leaves the index as it was. A doc_id added again replaces
the older copy (the newest shard wins); :func:`remove_from_index` records removals in the manifest.

:func:`scan_against` embeds only the new articles, finds each one's ``top_k`` nearest archived
documents by language-centred document vector (plus exact text copies), builds one
:class:`~dedup.score.Corpus` over the new articles and those candidates, and scores pairs with the
same code as :func:`dedup.pipeline.scan`. Archived documents appear in the result with the
``archive:`` prefix; pairs among archived documents are not reported.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from dedup.embed import HashingEncoder
    >>> from dedup.archive_index import build_index, scan_against
    >>> old = {"a": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed.",
    ...        "b": "The central bank raised interest rates by half a point on Thursday."}
    >>> new = {"n1": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed."}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = build_index(old, Path(tmp) / "idx", encoder=HashingEncoder())
    ...     result = scan_against(new, Path(tmp) / "idx", encoder=HashingEncoder())
    >>> [(p.doc_a, p.doc_b, p.relation.value) for p in result.pairs]
    [('archive:a', 'n1', 'exact')]
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .atomic import atomic_path
from .cache import encoder_identity
from .calibrate import ConfidenceModel, load_confidence_model
from .config import ScanConfig
from .embed import Encoder
from .errors import IndexMismatchError, InputError
from .index import candidate_pairs
from .pipeline import Embedded, Inputs, ProgressCallback, corpus_from, embed_documents, score_candidates
from .score import normalise_for_hash
from .types import Document, ScanResult

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
ARCHIVE_PREFIX = "archive:"
_MAX_WEIGHT_CHARS = 300  # as dedup.score: sentence weight = characters, capped


@dataclass(frozen=True)
class _Record:
    shard: str
    row: int
    start: int
    stop: int
    doc: dict[str, Any]


def _resolve_encoder(model: Any, encoder: Encoder | None, config: ScanConfig) -> Encoder:
    from .model import resolve_encoder

    return resolve_encoder(encoder, model, kind=config.encoder)


def _identity(encoder: Encoder) -> str:
    return encoder_identity(encoder) or getattr(encoder, "name", "unknown")


def _write_json_atomic(path: Path, data: Any) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1, sort_keys=True)


def _read_manifest(index: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((index / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{index} is not a dedup index ({MANIFEST} missing or unreadable: {err}). "
                         "Create one with `dedup index build FOLDER --index IDX`.") from err
    if manifest.get("format") != FORMAT:
        raise IndexMismatchError(f"index {index} has format {manifest.get('format')}; expected {FORMAT}. "
                                 "Rebuild it with `dedup index build`.")
    return manifest


def _check_identity(index: Path, manifest: dict[str, Any], identity: str) -> None:
    built = manifest.get("model")
    if built != identity:
        kind = _encoder_kind(built)
        hint = f"Use the encoder it was built with (--encoder {kind}) or rebuild it" if kind else "Rebuild it"
        raise IndexMismatchError(
            f"index {index} was built with model {built!r}, not {identity!r}. "
            f"{hint} with `dedup index build` using the current model."
        )


def _encoder_kind(identity: Any) -> str | None:
    """Which ``ScanConfig.encoder`` gives ``identity`` on this machine's build, or None (another model)."""
    from .model import MODEL_NAME
    from .onnx_encoder import onnx_model_name

    if not isinstance(identity, str):
        return None
    if identity.startswith(onnx_model_name() + ":"):
        return "onnx-int8"
    if identity.startswith(MODEL_NAME + ":"):
        return "torch"
    return None


def _doc_vector(
    embeddings: npt.NDArray[np.float32], sentences: list[str], dim: int
) -> npt.NDArray[np.float32]:
    if len(sentences) == 0:
        return np.zeros(dim, dtype=np.float32)
    w = np.array([min(len(s), _MAX_WEIGHT_CHARS) for s in sentences], dtype=np.float32)
    v = (embeddings * w[:, None]).sum(axis=0)
    norm = np.linalg.norm(v)
    return (v / norm if norm > 0 else v).astype(np.float32)


def _write_shard(index: Path, name: str, emb: Embedded, dim: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=index))
    try:
        with open(tmp / "docs.jsonl", "w", encoding="utf-8") as fh:
            for d, lang, sents, text in zip(emb.documents, emb.langs, emb.sentences, emb.texts, strict=True):
                rec = {"doc_id": d.doc_id, "lang": lang, "sha256": d.sha256, "path": d.path,
                       "text": text, "sentences": sents}
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        flat = (np.concatenate([e.reshape(-1, dim) for e in emb.embeddings]) if emb.embeddings
                else np.zeros((0, dim), np.float32))
        np.save(tmp / "embeddings.npy", flat.astype(np.float32))
        vectors = [_doc_vector(e.reshape(-1, dim), s, dim) for e, s in zip(emb.embeddings, emb.sentences,
                                                                          strict=True)]
        np.save(tmp / "doc_vectors.npy", np.stack(vectors) if vectors else np.zeros((0, dim), np.float32))
        os.replace(tmp, index / name)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _add(index: Path, manifest: dict[str, Any], emb: Embedded, dim: int) -> dict[str, Any]:
    number = max((int(s.split("-")[1]) for s in manifest["shards"]), default=0) + 1
    name = f"shard-{number:05d}"
    _write_shard(index, name, emb, dim)
    added = {d.doc_id for d in emb.documents}
    manifest = {**manifest, "shards": [*manifest["shards"], name],
                "removed": sorted(set(manifest["removed"]) - added)}
    _write_json_atomic(index / MANIFEST, manifest)
    return manifest


def _embed(
    inputs: Inputs, config: ScanConfig, encoder: Encoder, progress: ProgressCallback | None
) -> Embedded:
    emb = embed_documents(inputs, config=config, encoder=encoder, progress=progress)
    return emb


def build_index(
    inputs: Inputs,
    index: str | Path,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Embed an archive once and store it as a new index at ``index`` (replacing any old one).

    Args:
        inputs: A folder, a list of file paths, or a ``{doc_id: text}`` dict.
        index: Index folder to create.
        config: Reading, splitting and embedding parameters (as for :func:`dedup.pipeline.scan`).
        model: A loaded SentenceTransformer; loaded when neither model nor encoder is given.
        encoder: Any :class:`~dedup.embed.Encoder`; overrides ``model``.
        progress: Optional callback ``(stage, done, total)``.

    Returns:
        Summary: ``{"index", "model", "n_docs", "n_sentences", "skipped"}``.
    """
    config = config or ScanConfig()
    index = Path(index)
    encoder = _resolve_encoder(model, encoder, config)
    emb = _embed(inputs, config, encoder, progress)
    dim = _dim(emb, encoder)
    if index.exists():
        _read_manifest(index)  # only ever replace a dedup index
        shutil.rmtree(index)
    index.mkdir(parents=True)
    manifest = {"format": FORMAT, "model": _identity(encoder), "dim": dim, "shards": [], "removed": [],
                "config": {k: getattr(config, k) for k in ("min_sentence_chars", "max_sentences",
                                                           "max_chars", "strip_boilerplate")}}
    _add(index, manifest, emb, dim)
    return _summary(index, emb)


def add_to_index(
    index: str | Path,
    inputs: Inputs,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Embed ``inputs`` and append them to ``index`` as a new shard (same doc_id: the new copy wins).

    Raises:
        IndexMismatchError: If the index was built with another model or dimension.
    """
    config = config or ScanConfig()
    index = Path(index)
    manifest = _read_manifest(index)
    encoder = _resolve_encoder(model, encoder, config)
    _check_identity(index, manifest, _identity(encoder))
    emb = _embed(inputs, config, encoder, progress)
    dim = _dim(emb, encoder)
    if dim != manifest["dim"]:
        raise IndexMismatchError(f"index {index} has dimension {manifest['dim']}; the encoder gives {dim}.")
    _add(index, manifest, emb, dim)
    return _summary(index, emb)


def remove_from_index(index: str | Path, doc_ids: list[str]) -> list[str]:
    """Mark documents as removed; returns the ids that were in the index (unknown ids are ignored)."""
    index = Path(index)
    manifest = _read_manifest(index)
    live = {r.doc["doc_id"] for r in _records(index, manifest)}
    found = sorted(set(doc_ids) & live)
    manifest["removed"] = sorted(set(manifest["removed"]) | set(found))
    _write_json_atomic(index / MANIFEST, manifest)
    return found


def index_doc_ids(index: str | Path) -> list[str]:
    """Sorted ids of the documents currently in the index."""
    index = Path(index)
    return sorted(r.doc["doc_id"] for r in _records(index, _read_manifest(index)))


def _dim(emb: Embedded, encoder: Encoder) -> int:
    for e in emb.embeddings:
        if e.ndim == 2 and e.shape[0]:
            return int(e.shape[1])
    return int(np.asarray(encoder.encode(["x"])).shape[1])


def _summary(index: Path, emb: Embedded) -> dict[str, Any]:
    return {"index": str(index), "n_docs": len(emb.documents),
            "n_sentences": int(sum(len(s) for s in emb.sentences)), "skipped": len(emb.skipped)}


def _records(index: Path, manifest: dict[str, Any]) -> list[_Record]:
    """Live documents, newest copy of each doc_id, in shard order."""
    latest: dict[str, _Record] = {}
    for shard in manifest["shards"]:
        start = 0
        with open(index / shard / "docs.jsonl", encoding="utf-8") as fh:
            for row, line in enumerate(fh):
                doc = json.loads(line)
                stop = start + len(doc["sentences"])
                latest[doc["doc_id"]] = _Record(shard, row, start, stop, doc)
                start = stop
    removed = set(manifest["removed"])
    return [r for r in latest.values() if r.doc["doc_id"] not in removed]


def _centred(vectors: npt.NDArray[np.float32], langs: list[str], means: dict[str, npt.NDArray[np.float32]],
             global_mean: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    out = vectors - np.stack([means.get(lang, global_mean) for lang in langs]) if len(vectors) else vectors
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)


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
        encoder: Any :class:`~dedup.embed.Encoder`; overrides ``model``. Must match the index.
        confidence_model: Calibration to use; defaults to the shipped one.
        progress: Optional callback ``(stage, done, total)``.

    Returns:
        ScanResult over the new articles and their archived candidates (ids ``archive:<doc_id>``).
        Pairs are new-new or new-archived; ``stats["against"]`` describes the index.

    Raises:
        IndexMismatchError: If the index was built with another model or dimension.
    """
    config = config or ScanConfig()
    confidence_model = confidence_model or load_confidence_model()
    index = Path(index)
    manifest = _read_manifest(index)
    encoder = _resolve_encoder(model, encoder, config)
    _check_identity(index, manifest, _identity(encoder))
    timings: dict[str, float] = {}
    new = embed_documents(inputs, config=config, encoder=encoder, progress=progress, timings=timings)
    dim = int(manifest["dim"])

    t = time.perf_counter()
    records = _records(index, manifest)
    by_shard: dict[str, list[_Record]] = {}
    for r in records:
        by_shard.setdefault(r.shard, []).append(r)
    arch_vectors = np.zeros((len(records), dim), dtype=np.float32)
    k = 0
    order: list[_Record] = []
    for shard, recs in by_shard.items():
        dv = np.load(index / shard / "doc_vectors.npy", mmap_mode="r")
        for r in recs:
            arch_vectors[k] = dv[r.row]
            order.append(r)
            k += 1
    arch_langs = [r.doc["lang"] for r in order]
    new_vectors = np.stack([_doc_vector(e.reshape(-1, dim), s, dim) for e, s in
                            zip(new.embeddings, new.sentences, strict=True)]) if new.documents else \
        np.zeros((0, dim), np.float32)
    everything = np.concatenate([arch_vectors, new_vectors])
    all_langs = arch_langs + list(new.langs)
    global_mean = everything.mean(axis=0) if len(everything) else np.zeros(dim, np.float32)
    means = {lang: everything[[i for i, x in enumerate(all_langs) if x == lang]].mean(axis=0)
             for lang in set(all_langs)}
    arch_c = _centred(arch_vectors, arch_langs, means, global_mean)
    new_c = _centred(new_vectors, list(new.langs), means, global_mean)

    # top_k archived candidates per new document, in blocks so no n_new x n_archive matrix is held
    chosen: dict[int, set[int]] = {}
    kk = min(config.top_k, len(order))
    block = max(1, (1 << 24) // max(len(order), 1))
    for start in range(0, len(new_c), block):
        if kk == 0:
            break
        sims = new_c[start : start + block] @ arch_c.T
        top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk] if kk < len(order) else \
            np.tile(np.arange(len(order)), (len(sims), 1))
        for row, cols in enumerate(top):
            chosen[start + row] = {int(c) for c in cols}
    arch_hash = {}
    for a, r in enumerate(order):
        arch_hash.setdefault(_text_hash(r.doc["text"]), []).append(a)
    for i, text in enumerate(new.texts):
        chosen.setdefault(i, set()).update(arch_hash.get(_text_hash(text), []))
    involved = sorted({a for s in chosen.values() for a in s})
    timings["archive_search"] = time.perf_counter() - t

    t = time.perf_counter()
    arch_emb = _load_embeddings(index, [order[a] for a in involved], dim)
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
    if n_new <= config.exhaustive_below:
        candidates.update((i, j) for i in range(n_new) for j in range(i + 1, n_new))
    else:
        candidates.update(candidate_pairs(corpus.doc_vectors[:n_new], top_k=config.top_k))
    result = score_candidates(
        documents, corpus, sorted(candidates), config=config, confidence_model=confidence_model,
        skipped=new.skipped, progress=progress, timings=timings,
    )
    pairs = tuple(p for p in result.pairs
                  if not (p.doc_a.startswith(ARCHIVE_PREFIX) and p.doc_b.startswith(ARCHIVE_PREFIX)))
    stats = {**result.stats, "against": {"index": str(index), "n_archived": len(order),
                                         "n_archived_candidates": len(involved)}}
    return replace(result, pairs=pairs, stats=stats)


def _text_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(normalise_for_hash(text).encode()).hexdigest()


def _load_embeddings(index: Path, records: list[_Record], dim: int) -> list[npt.NDArray[np.float32]]:
    arrays: dict[str, npt.NDArray[np.float32]] = {}
    out = []
    for r in records:
        if r.shard not in arrays:
            arrays[r.shard] = np.load(index / r.shard / "embeddings.npy", mmap_mode="r")
        out.append(np.array(arrays[r.shard][r.start : r.stop], dtype=np.float32).reshape(-1, dim))
    return out
