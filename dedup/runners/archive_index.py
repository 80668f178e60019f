"""Incremental archive index: embed an archive once, then check new articles against it.

An index folder holds one shard per :func:`build_index` / :func:`add_to_index` call and a
``manifest.json``::

    IDX/manifest.json          format, model identity, dim, shard list with each shard's counts,
                               file sizes and SHA-256, removed doc ids, time of the last change
    IDX/shard-00001/docs.jsonl one record per document: doc_id, lang, sha256, path, text, sentences
    IDX/shard-00001/embeddings.npy   (n_sentences, dim) float32 raw sentence embeddings (row order = docs)
    IDX/shard-00001/doc_vectors.npy  (n_docs, dim) float32 length-weighted mean of those, L2-normalised
    IDX/.dedup.lock            the writers' lock (see :mod:`dedup.io.locking`)

**Writers** (:func:`build_index`, :func:`add_to_index`, :func:`remove_from_index`) hold the index's
exclusive lock from start to end, so they run one at a time: a second writer waits (``wait=True``,
calling ``on_wait`` once) or raises :class:`~dedup.io.locking.FolderLockedError` (``wait=False``). A
new shard is written into a staging folder (``.staging-*``), then renamed to the next free shard
name, which is chosen under the lock; the manifest is replaced atomically last. Until then readers
and the manifest still see the previous index, so a writer interrupted at any point (Ctrl-C,
``kill -9``) leaves it as it was; staging folders and unlisted shards it leaves behind are removed
by the next writer. A doc_id added again replaces the older copy (the newest shard wins);
:func:`remove_from_index` records removals in the manifest.

**Readers** (:func:`scan_against`, :func:`index_doc_ids`, :func:`index_info`) take no lock: they
read the manifest, then open only the shards it lists, which are complete. Each shard is checked
against the manifest (file sizes, row counts, array shapes); a mismatch raises
:class:`IndexDamagedError` naming the shard. :func:`verify_index` also compares every file's SHA-256.

:func:`scan_against` embeds only the new articles, finds each one's ``top_k`` nearest archived
documents by language-centred document vector (plus exact text copies), builds one
:class:`~dedup.scoring.score.Corpus` over the new articles and those candidates, and scores pairs with the
same code as :func:`dedup.runners.local.scan`. Archived documents appear in the result with the
``archive:`` prefix; pairs among archived documents are not reported.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from dedup.encoders.base import HashingEncoder
    >>> from dedup.runners.archive_index import build_index, index_info, scan_against
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

import json
import logging
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.config import ScanConfig
from dedup.encoders.base import Encoder
from dedup.encoders.identity import encoder_identity
from dedup.errors import DedupError, IndexMismatchError, InputError, OutputError
from dedup.io.atomic import atomic_path, staging_dir
from dedup.io.ingest import sha256_file
from dedup.io.locking import LOCK_FILE, WaitCallback, checkpoint, folder_lock
from dedup.runners.local import (
    Embedded,
    Inputs,
    ProgressCallback,
    corpus_from,
    embed_documents,
    score_candidates,
)
from dedup.scoring.calibration import ConfidenceModel, load_confidence_model
from dedup.scoring.score import normalise_for_hash, sentence_weights
from dedup.search.exact import candidate_pairs
from dedup.types import Document, ScanResult

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
ARCHIVE_PREFIX = "archive:"
SHARD_FILES = ("docs.jsonl", "embeddings.npy", "doc_vectors.npy")
STAGING_PREFIX = ".staging-"
_SHARD_NAME = re.compile(r"shard-(\d+)")
_LEFTOVER_PREFIXES = (STAGING_PREFIX, ".shard-", f".{MANIFEST}.")  # staging folders, manifest temp files
_REBUILD = "dedup index build ARCHIVE --index {index}"


class IndexDamagedError(DedupError):
    """A shard listed in the manifest is missing, truncated or does not match the manifest."""


@dataclass(frozen=True, slots=True)
class ShardInfo:
    """One shard of an index, as recorded in its manifest.

    Attributes:
        name: Folder name, e.g. ``shard-00001``.
        n_docs: Documents stored in it (also those replaced by a newer shard or removed).
        n_sentences: Sentence embeddings stored in it.
        size_bytes: Its files' sizes on disk, together.
    """

    name: str
    n_docs: int
    n_sentences: int
    size_bytes: int


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """What an index holds (:func:`index_info`).

    Attributes:
        index: The index folder.
        model: Identity of the encoder it was built with.
        encoder: The ``--encoder`` giving that identity on this machine, or None (another model).
        dim: Embedding dimension.
        n_docs: Live documents (newest copy of each id, removals excluded).
        n_sentences: Sentences of the live documents.
        n_removed: Ids recorded as removed.
        shards: Every shard, in manifest order.
        size_bytes: All files in the index folder, together.
        changed: When a writer last changed it (ISO 8601, UTC).
        doc_ids: Sorted live document ids, when asked for (``ids=True``); else None.
    """

    index: str
    model: str
    encoder: str | None
    dim: int
    n_docs: int
    n_sentences: int
    n_removed: int
    shards: tuple[ShardInfo, ...]
    size_bytes: int
    changed: str
    doc_ids: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; ``doc_ids`` only when it was asked for."""
        out = asdict(self)
        out["shards"] = [asdict(s) for s in self.shards]
        if self.doc_ids is None:
            del out["doc_ids"]
        else:
            out["doc_ids"] = list(self.doc_ids)
        return out


@dataclass(frozen=True, slots=True)
class ShardProblem:
    """One thing wrong with a shard: which shard, which file (or ``""``), and what."""

    shard: str
    file: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.shard}/{self.file}" if self.file else self.shard
        return f"{where}: {self.problem}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Result of :func:`verify_index`.

    Attributes:
        index: The index folder.
        n_shards: Shards listed in the manifest (all checked).
        n_docs: Live documents.
        problems: Every problem found, by shard; empty when the index is sound.
        unlisted: Folders and temp files not in the manifest (a running writer's staging, or what an
            interrupted one left; the next writer removes them). Not damage.
    """

    index: str
    n_shards: int
    n_docs: int
    problems: tuple[ShardProblem, ...] = ()
    unlisted: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no shard has a problem."""
        return not self.problems

    @property
    def damaged_shards(self) -> tuple[str, ...]:
        """Names of the shards with at least one problem, in manifest order."""
        return tuple(dict.fromkeys(p.shard for p in self.problems))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, with ``ok`` and ``damaged_shards``."""
        return {"index": self.index, "ok": self.ok, "n_shards": self.n_shards, "n_docs": self.n_docs,
                "damaged_shards": list(self.damaged_shards),
                "problems": [asdict(p) for p in self.problems], "unlisted": list(self.unlisted)}


@dataclass(frozen=True, slots=True)
class RepairReport:
    """Result of :func:`repair_index`.

    Attributes:
        dropped: The damaged shards taken out of the manifest (and deleted).
        lost_doc_ids: Ids no longer in the index because their only live copy was in a dropped
            shard (as far as its ``docs.jsonl`` could still be read); add their articles again.
    """

    dropped: tuple[str, ...] = ()
    lost_doc_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Record:
    shard: str
    row: int
    start: int
    stop: int
    doc: dict[str, Any]


@dataclass
class _Shard:
    """A shard as read: its documents, its arrays (memory-mapped), and what is wrong with it."""

    name: str
    docs: list[dict[str, Any]] = field(default_factory=list)
    embeddings: npt.NDArray[np.float32] | None = None
    doc_vectors: npt.NDArray[np.float32] | None = None
    problems: list[ShardProblem] = field(default_factory=list)


@dataclass
class _Snapshot:
    """One consistent view of an index: a manifest and the shards it lists, opened."""

    manifest: dict[str, Any]
    shards: dict[str, _Shard]

    def records(self) -> list[_Record]:
        """Live documents, newest copy of each doc_id, in shard order."""
        latest: dict[str, _Record] = {}
        for name in self.manifest["shards"]:
            start = 0
            for row, doc in enumerate(self.shards[name].docs):
                stop = start + len(doc["sentences"])
                latest[doc["doc_id"]] = _Record(name, row, start, stop, doc)
                start = stop
        removed = set(self.manifest["removed"])
        return [r for r in latest.values() if r.doc["doc_id"] not in removed]


def _resolve_encoder(model: Any, encoder: Encoder | None, config: ScanConfig) -> Encoder:
    from dedup.encoders.loading import resolve_encoder

    return resolve_encoder(encoder, model, kind=config.encoder, device=config.device)


def _identity(encoder: Encoder) -> str:
    return encoder_identity(encoder) or getattr(encoder, "name", "unknown")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_manifest(index: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    manifest = {**manifest, "changed": _now()}
    with atomic_path(index / MANIFEST) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1, sort_keys=True)
    return manifest


def _read_manifest(index: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((index / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError(f"{index} is not a dedup index ({MANIFEST} is missing). "
                         f"Create one with `dedup index build ARCHIVE --index {index}`.") from err
    except (OSError, ValueError) as err:
        raise IndexDamagedError(f"index {index} is damaged: {MANIFEST} cannot be read ({err}). "
                                f"Rebuild it with `{_REBUILD.format(index=index)}`.") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        got = manifest.get("format") if isinstance(manifest, dict) else None
        raise IndexMismatchError(f"index {index} has format {got}; expected {FORMAT}. "
                                 f"Rebuild it with `{_REBUILD.format(index=index)}`.")
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
    from dedup.build.onnx_export import onnx_model_name
    from dedup.build.paths import MODEL_NAME

    if not isinstance(identity, str):
        return None
    if identity.startswith(onnx_model_name() + ":"):
        return "onnx-int8"
    if identity.startswith(f"{MODEL_NAME}-onnx-int8-batched-"):
        return "onnx-int8-batched"
    if identity.startswith(MODEL_NAME + ":"):
        return "torch"
    return None


def _doc_vector(
    embeddings: npt.NDArray[np.float32], sentences: list[str], dim: int
) -> npt.NDArray[np.float32]:
    if len(sentences) == 0:
        return np.zeros(dim, dtype=np.float32)
    w = sentence_weights([sentences])
    v = (embeddings * w[:, None]).sum(axis=0)
    norm = np.linalg.norm(v)
    return (v / norm if norm > 0 else v).astype(np.float32)


# --- writing ---------------------------------------------------------------------------------------


def _write_shard_files(folder: Path, emb: Embedded, dim: int) -> dict[str, Any]:
    """Write a shard's three files into ``folder``; returns its manifest entry (counts, sizes, SHA-256)."""
    with open(folder / "docs.jsonl", "w", encoding="utf-8") as fh:
        for d, lang, sents, text in zip(emb.documents, emb.langs, emb.sentences, emb.texts, strict=True):
            rec = {"doc_id": d.doc_id, "lang": lang, "sha256": d.sha256, "path": d.path,
                   "text": text, "sentences": sents}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    flat = (np.concatenate([e.reshape(-1, dim) for e in emb.embeddings]) if emb.embeddings
            else np.zeros((0, dim), np.float32))
    np.save(folder / "embeddings.npy", flat.astype(np.float32))
    vectors = [_doc_vector(e.reshape(-1, dim), s, dim) for e, s in zip(emb.embeddings, emb.sentences,
                                                                      strict=True)]
    np.save(folder / "doc_vectors.npy", np.stack(vectors) if vectors else np.zeros((0, dim), np.float32))
    for name in SHARD_FILES:  # on disk before the manifest names the shard
        with open(folder / name, "rb") as fh:
            os.fsync(fh.fileno())
    return {"n_docs": len(emb.documents), "n_sentences": int(flat.shape[0]),
            "files": {name: {"size": (folder / name).stat().st_size, "sha256": sha256_file(folder / name)}
                      for name in SHARD_FILES}}


def _next_shard_name(index: Path, listed: list[str]) -> str:
    """The next shard name: past every shard the manifest lists and every shard folder on disk."""
    numbers = [int(m.group(1)) for n in [*listed, *os.listdir(index)] if (m := _SHARD_NAME.fullmatch(n))]
    return f"shard-{max(numbers, default=0) + 1:05d}"


def _commit_shard(index: Path, manifest: dict[str, Any], staged: Path, info: dict[str, Any],
                  added: set[str]) -> dict[str, Any]:
    """Rename the staged shard to the next free name and list it in a new manifest (call under the lock)."""
    name = _next_shard_name(index, manifest["shards"])
    os.replace(staged, index / name)
    manifest = {**manifest, "shards": [*manifest["shards"], name],
                "shard_info": {**manifest.get("shard_info", {}), name: info},
                "removed": sorted(set(manifest["removed"]) - added)}
    return _write_manifest(index, manifest)


def _unlisted(index: Path, manifest: dict[str, Any] | None) -> list[str]:
    """Entries of the index folder that no manifest lists: staging, temp files, orphaned shards."""
    listed = set(manifest["shards"]) if manifest else set()
    out = []
    for name in sorted(os.listdir(index)):
        if name.startswith(_LEFTOVER_PREFIXES) or (_SHARD_NAME.fullmatch(name) and name not in listed):
            out.append(name)
    return out


def _clean_leftovers(index: Path, manifest: dict[str, Any] | None) -> list[str]:
    """Delete what interrupted or replaced writers left behind (call under the lock)."""
    removed = _unlisted(index, manifest)
    for name in removed:
        path = index / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if removed:
        logger.info("removed %d leftover entries from %s: %s", len(removed), index, ", ".join(removed))
    return removed


def _embed(
    inputs: Inputs, config: ScanConfig, encoder: Encoder, progress: ProgressCallback | None
) -> Embedded:
    emb = embed_documents(inputs, config=config, encoder=encoder, progress=progress)
    return emb


def _check_replaceable(index: Path) -> None:
    """Refuse to build over a folder that is neither a dedup index nor empty (call under the lock)."""
    if (index / MANIFEST).exists():
        return
    foreign = [n for n in os.listdir(index) if n != LOCK_FILE and n not in _unlisted(index, None)]
    if foreign:
        raise InputError(f"{index} exists and is not a dedup index (it holds {foreign[0]!r} and no "
                         f"{MANIFEST}). Choose another --index folder.")


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
        _check_replaceable(index)
        emb = _embed(inputs, config, encoder, progress)
        dim = _dim(emb, encoder)
        manifest = {"format": FORMAT, "model": _identity(encoder), "dim": dim, "shards": [], "removed": [],
                    "config": {k: getattr(config, k) for k in ("min_sentence_chars", "max_sentences",
                                                               "max_chars", "strip_boilerplate")}}
        with staging_dir(index, prefix=STAGING_PREFIX) as staged:
            info = _write_shard_files(staged, emb, dim)
            checkpoint("staged")
            manifest = _commit_shard(index, manifest, staged, info, set())
        _clean_leftovers(index, manifest)  # the replaced index's shards
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
    _read_manifest(index)
    encoder = _resolve_encoder(model, encoder, config)
    identity = _identity(encoder)
    with folder_lock(index, operation="index add", wait=wait, on_wait=on_wait):
        manifest = _read_manifest(index)  # as the writers before us left it
        _check_identity(index, manifest, identity)
        _clean_leftovers(index, manifest)
        problems = [p for s in _read_all(index, manifest, files_only=True).values() for p in s.problems]
        if problems:
            raise _damaged(index, problems)
        emb = _embed(inputs, config, encoder, progress)
        dim = _dim(emb, encoder)
        if dim != manifest["dim"]:
            raise IndexMismatchError(
                f"index {index} has dimension {manifest['dim']}; the encoder gives {dim}."
            )
        with staging_dir(index, prefix=STAGING_PREFIX) as staged:
            info = _write_shard_files(staged, emb, dim)
            checkpoint("staged")
            _commit_shard(index, manifest, staged, info, {d.doc_id for d in emb.documents})
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
    _read_manifest(index)
    with folder_lock(index, operation="index remove", wait=wait, on_wait=on_wait):
        manifest = _read_manifest(index)
        _clean_leftovers(index, manifest)
        live = {r.doc["doc_id"] for r in _open(index, manifest).records()}
        found = sorted(set(doc_ids) & live)
        _write_manifest(index, {**manifest, "removed": sorted(set(manifest["removed"]) | set(found))})
    return found


def _dim(emb: Embedded, encoder: Encoder) -> int:
    for e in emb.embeddings:
        if e.ndim == 2 and e.shape[0]:
            return int(e.shape[1])
    return int(np.asarray(encoder.encode(["x"])).shape[1])


def _summary(index: Path, emb: Embedded) -> dict[str, Any]:
    return {"index": str(index), "n_docs": len(emb.documents),
            "n_sentences": int(sum(len(s) for s in emb.sentences)), "skipped": len(emb.skipped)}


# --- reading and checking --------------------------------------------------------------------------


_DOC_KEYS = ("doc_id", "lang", "sha256", "text", "sentences")


def _read_shard(index: Path, name: str, info: dict[str, Any] | None, dim: int, *,
                checksums: bool = False, files_only: bool = False) -> _Shard:
    """Open one shard and check it against its manifest entry; problems are collected, not raised.

    ``files_only`` checks only that the files exist with the recorded sizes (no reading: cheap).
    """
    shard = _Shard(name)
    folder = index / name

    def problem(file: str, what: str) -> None:
        shard.problems.append(ShardProblem(name, file, what))

    if not folder.is_dir():
        problem("", "the shard folder is missing")
        return shard
    files = (info or {}).get("files", {})
    for file in SHARD_FILES:
        path = folder / file
        if not path.is_file():
            problem(file, "missing")
            continue
        size = path.stat().st_size
        want = files.get(file, {})
        if "size" in want and size != want["size"]:
            problem(file, f"{size:,} bytes, the manifest records {want['size']:,} (truncated or changed)")
        elif checksums and "sha256" in want and sha256_file(path) != want["sha256"]:
            problem(file, "its SHA-256 differs from the manifest (the file was changed or corrupted)")
    bad = {p.file for p in shard.problems}
    if files_only or not (folder / "docs.jsonl").is_file():
        return shard
    try:  # also when its size is wrong: the records that still parse name what a repair loses
        with open(folder / "docs.jsonl", encoding="utf-8") as fh:
            for row, line in enumerate(fh):
                doc = json.loads(line)
                if not isinstance(doc, dict) or any(k not in doc for k in _DOC_KEYS):
                    raise ValueError(f"record {row + 1} lacks one of {', '.join(_DOC_KEYS)}")
                shard.docs.append(doc)
    except (OSError, ValueError) as err:
        if "docs.jsonl" not in bad:
            problem("docs.jsonl", f"does not parse ({err})")
        return shard
    if "docs.jsonl" in bad:
        return shard
    n_docs, n_sentences = len(shard.docs), sum(len(d["sentences"]) for d in shard.docs)
    if info and info.get("n_docs", n_docs) != n_docs:
        problem("docs.jsonl", f"{n_docs} documents, the manifest records {info['n_docs']}")
    for file, rows in (("embeddings.npy", n_sentences), ("doc_vectors.npy", n_docs)):
        if file in bad:
            continue
        try:
            array = np.load(folder / file, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as err:
            problem(file, f"cannot be read as an array ({err})")
            continue
        if array.dtype != np.float32 or array.shape != (rows, dim):
            problem(file, f"holds a {array.dtype} array of shape {array.shape}; expected float32 "
                          f"({rows}, {dim}) for the {n_docs} documents in docs.jsonl")
            continue
        setattr(shard, "embeddings" if file == "embeddings.npy" else "doc_vectors", array)
    return shard


def _read_all(index: Path, manifest: dict[str, Any], *, checksums: bool = False,
              files_only: bool = False) -> dict[str, _Shard]:
    info = manifest.get("shard_info", {})
    dim = int(manifest["dim"])
    return {n: _read_shard(index, n, info.get(n), dim, checksums=checksums, files_only=files_only)
            for n in manifest["shards"]}


def _damaged(index: Path, problems: list[ShardProblem]) -> IndexDamagedError:
    first = problems[0]
    more = len({p.shard for p in problems}) - 1
    others = f" (and {more} more shard{'s' if more > 1 else ''})" if more > 0 else ""
    return IndexDamagedError(
        f"index {index} is damaged: {first}{others}. `dedup index verify {index}` lists every "
        f"problem; rebuild the index with `{_REBUILD.format(index=index)}`, or remove {first.shard} from "
        f"it with `dedup index repair {index}` and add its articles again."
    )


def _open(index: Path, manifest: dict[str, Any] | None = None) -> _Snapshot:
    """Open the shards of ``manifest`` (default: the current one); a consistent view or an error.

    A build that replaces the index deletes the old shards after writing its manifest; when a
    listed shard is missing and the manifest has changed meanwhile, the new manifest is read.

    Raises:
        IndexDamagedError: If a listed shard is missing or does not match the manifest.
    """
    for _ in range(5):
        manifest = manifest or _read_manifest(index)
        shards = _read_all(index, manifest)
        problems = [p for s in shards.values() for p in s.problems]
        if not problems:
            return _Snapshot(manifest, shards)
        current = _read_manifest(index)
        if current == manifest:
            raise _damaged(index, problems)
        manifest = current
    raise _damaged(index, problems)


def index_doc_ids(index: str | Path) -> list[str]:
    """Sorted ids of the documents currently in the index."""
    return sorted(r.doc["doc_id"] for r in _open(Path(index)).records())


def _folder_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for file in files:
            try:
                total += os.lstat(os.path.join(root, file)).st_size
            except OSError:  # deleted meanwhile by a writer
                pass
    return total


def index_info(index: str | Path, *, ids: bool = False) -> IndexInfo:
    """Describe an index: live documents, shards, encoder identity, size on disk, last change.

    Args:
        index: An index folder.
        ids: Also list the live document ids (sorted).

    Returns:
        IndexInfo. See the module example.

    Raises:
        InputError: If ``index`` is not a dedup index.
        IndexDamagedError: If a shard does not match the manifest.
    """
    index = Path(index)
    snap = _open(index)
    records = snap.records()
    manifest = snap.manifest
    shards = []
    for name in manifest["shards"]:
        shard = snap.shards[name]
        n_sentences = sum(len(d["sentences"]) for d in shard.docs)
        shards.append(ShardInfo(name, len(shard.docs), n_sentences, _folder_size(index / name)))
    changed = manifest.get("changed") or datetime.fromtimestamp(
        (index / MANIFEST).stat().st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return IndexInfo(
        index=str(index), model=str(manifest.get("model")), encoder=_encoder_kind(manifest.get("model")),
        dim=int(manifest["dim"]), n_docs=len(records),
        n_sentences=sum(len(r.doc["sentences"]) for r in records), n_removed=len(manifest["removed"]),
        shards=tuple(shards), size_bytes=_folder_size(index), changed=changed,
        doc_ids=tuple(sorted(r.doc["doc_id"] for r in records)) if ids else None,
    )


def verify_index(index: str | Path) -> VerifyReport:
    """Check every shard against the manifest: files present, sizes, SHA-256, row counts, shapes.

    Takes no lock and changes nothing. Shards written without recorded sizes and checksums are
    checked for structure only (records parse, array shapes agree).

    Args:
        index: An index folder.

    Returns:
        VerifyReport; ``report.ok`` is False when any shard is damaged, and ``report.problems``
        names each one.

    Raises:
        InputError: If ``index`` is not a dedup index (no manifest).
    """
    index = Path(index)
    manifest = _read_manifest(index)
    for _ in range(5):
        shards = _read_all(index, manifest, checksums=True)
        problems = tuple(p for s in shards.values() for p in s.problems)
        current = _read_manifest(index)
        if not problems or current == manifest:
            break
        manifest = current  # replaced by a writer while we read: check the new state
    records = _Snapshot(manifest, shards).records() if not problems else []
    return VerifyReport(index=str(index), n_shards=len(manifest["shards"]), n_docs=len(records),
                        problems=problems, unlisted=tuple(_unlisted(index, manifest)))


def repair_index(
    index: str | Path, *, wait: bool = True, on_wait: WaitCallback | None = None
) -> RepairReport:
    """Drop every damaged shard from the manifest, so the rest of the index can be used again.

    The dropped shards' documents leave the index (an older copy of the same id in a sound shard
    becomes live again); add their articles again with :func:`add_to_index`. A sound index is
    left as it is.

    Args:
        index: An index folder.
        wait: Wait for another writer of this index to finish (else raise at once).
        on_wait: Called once, with the index and the other writer, before waiting for it.

    Returns:
        RepairReport: the dropped shards and the ids that left the index with them.

    Raises:
        FolderLockedError: If ``wait`` is False and another writer holds the index.
    """
    index = Path(index)
    _read_manifest(index)
    with folder_lock(index, operation="index repair", wait=wait, on_wait=on_wait):
        manifest = _read_manifest(index)
        shards = _read_all(index, manifest, checksums=True)
        dropped = [n for n, s in shards.items() if s.problems]
        if not dropped:
            return RepairReport()
        before = {r.doc["doc_id"] for r in _Snapshot(manifest, shards).records()}
        kept = [n for n in manifest["shards"] if n not in dropped]
        info = {n: v for n, v in manifest.get("shard_info", {}).items() if n in kept}
        manifest = _write_manifest(index, {**manifest, "shards": kept, "shard_info": info})
        after = {r.doc["doc_id"] for r in _Snapshot(manifest, {n: shards[n] for n in kept}).records()}
        _clean_leftovers(index, manifest)
    return RepairReport(tuple(dropped), tuple(sorted(before - after)))


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
    snap = _open(index)  # every array the scan reads stays open, even if a build replaces the index
    manifest = snap.manifest
    _check_identity(index, manifest, _identity(encoder))
    timings: dict[str, float] = {}
    new = embed_documents(inputs, config=config, encoder=encoder, progress=progress, timings=timings)
    dim = int(manifest["dim"])

    t = time.perf_counter()
    records = snap.records()
    by_shard: dict[str, list[_Record]] = {}
    for r in records:
        by_shard.setdefault(r.shard, []).append(r)
    arch_vectors = np.zeros((len(records), dim), dtype=np.float32)
    k = 0
    order: list[_Record] = []
    for shard, recs in by_shard.items():
        dv = snap.shards[shard].doc_vectors
        assert dv is not None  # _open returns sound shards only
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


def _load_embeddings(snap: _Snapshot, records: list[_Record], dim: int) -> list[npt.NDArray[np.float32]]:
    out = []
    for r in records:
        emb = snap.shards[r.shard].embeddings
        assert emb is not None  # _open returns sound shards only
        out.append(np.array(emb[r.start : r.stop], dtype=np.float32).reshape(-1, dim))
    return out
