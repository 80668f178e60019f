"""Incremental archive index on disk: the manifest, its shards, and how writers and readers use them.

An index folder holds one shard per :func:`~dedup.runners.archive_index.build_index` /
:func:`~dedup.runners.archive_index.add_to_index` call and a ``manifest.json``::

    IDX/manifest.json          format, model identity, dim, shard list with each shard's counts,
                               file sizes and SHA-256, removed doc ids, time of the last change
    IDX/shard-00001/docs.jsonl one record per document: doc_id, lang, sha256, path, text, sentences
    IDX/shard-00001/embeddings.npy   (n_sentences, dim) float32 raw sentence embeddings (row order = docs)
    IDX/shard-00001/doc_vectors.npy  (n_docs, dim) float32 length-weighted mean of those, L2-normalised
    IDX/.dedup.lock            the writers' lock (see :mod:`dedup.io.locking`)

A shard's files are written and checked by :mod:`dedup.io.index_shards`.

**Writers** (:func:`~dedup.runners.archive_index.build_index`,
:func:`~dedup.runners.archive_index.add_to_index`, :func:`~dedup.runners.archive_index.remove_from_index`,
:func:`~dedup.io.index_maintenance.repair_index`) hold the index's exclusive lock from start to end,
so they run one at a time: a second writer waits (``wait=True``, calling ``on_wait`` once) or raises
:class:`~dedup.io.locking.FolderLockedError` (``wait=False``). A new shard is written into a staging
folder (``.staging-*``), then renamed to the next free shard name, which is chosen under the lock;
the manifest is replaced atomically last (:func:`write_shard`). Until then readers and the manifest
still see the previous index, so a writer interrupted at any point (Ctrl-C, ``kill -9``) leaves it as
it was; staging folders and unlisted shards it leaves behind are removed by the next writer
(:func:`clean_leftovers`). A doc_id added again replaces the older copy (the newest shard wins);
:func:`~dedup.runners.archive_index.remove_from_index` records removals in the manifest.

**Readers** (:func:`~dedup.runners.archive_index.scan_against`,
:func:`~dedup.io.index_maintenance.index_doc_ids`, :func:`~dedup.io.index_maintenance.index_info`)
take no lock: they read the manifest, then open only the shards it lists, which are complete
(:func:`open_index`). Each shard is checked against the manifest (file sizes, row counts, array
shapes); a mismatch raises :class:`IndexDamagedError` naming the shard.
:func:`~dedup.io.index_maintenance.verify_index` also compares every file's SHA-256.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     index = Path(tmp)
    ...     manifest = write_manifest(index, new_manifest("hashing-256-3", 256, {}))
    ...     (index / ".staging-k3x9").mkdir()  # what killed writers left behind
    ...     (index / "shard-00007").mkdir()
    ...     removed = clean_leftovers(index, manifest)
    ...     snapshot = open_index(index)
    ...     names = sorted(p.name for p in index.iterdir())
    >>> removed, names, snapshot.manifest["model"], snapshot.records()
    (['.staging-k3x9', 'shard-00007'], ['manifest.json'], 'hashing-256-3', [])
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.errors import DedupError, IndexMismatchError, InputError
from dedup.io.atomic import atomic_path, staging_dir
from dedup.io.index_shards import Shard, ShardContent, ShardProblem, read_shard, write_shard_files
from dedup.io.locking import LOCK_FILE, checkpoint

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
STAGING_PREFIX = ".staging-"
_SHARD_NAME = re.compile(r"shard-(\d+)")
_LEFTOVER_PREFIXES = (STAGING_PREFIX, ".shard-", f".{MANIFEST}.")  # staging folders, manifest temp files
_REBUILD = "dedup index build ARCHIVE --index {index}"


class IndexDamagedError(DedupError):
    """A shard listed in the manifest is missing, truncated or does not match the manifest."""


@dataclass(frozen=True)
class Record:
    """Where one live document is stored: its shard, its row there, its rows of ``embeddings.npy``.

    Attributes:
        shard: The shard's folder name.
        row: Its line in ``docs.jsonl`` and row in ``doc_vectors.npy``.
        start: Its first row in ``embeddings.npy``.
        stop: One past its last row in ``embeddings.npy``.
        doc: Its ``docs.jsonl`` record.
    """

    shard: str
    row: int
    start: int
    stop: int
    doc: dict[str, Any]


@dataclass
class Snapshot:
    """One consistent view of an index: a manifest and the shards it lists, opened."""

    manifest: dict[str, Any]
    shards: dict[str, Shard]

    def records(self) -> list[Record]:
        """Live documents, newest copy of each doc_id, in shard order."""
        latest: dict[str, Record] = {}
        for name in self.manifest["shards"]:
            start = 0
            for row, doc in enumerate(self.shards[name].docs):
                stop = start + len(doc["sentences"])
                latest[doc["doc_id"]] = Record(name, row, start, stop, doc)
                start = stop
        removed = set(self.manifest["removed"])
        return [r for r in latest.values() if r.doc["doc_id"] not in removed]


# --- the manifest ----------------------------------------------------------------------------------


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_manifest(model: str, dim: int, config: dict[str, Any]) -> dict[str, Any]:
    """The manifest of an index with no shards yet, for an encoder identity, its dim and the scan config."""
    return {"format": FORMAT, "model": model, "dim": dim, "shards": [], "removed": [], "config": config}


def write_manifest(index: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Replace the index's manifest atomically, stamped with the time of this change; returns it."""
    manifest = {**manifest, "changed": _utc(datetime.now(timezone.utc))}
    with atomic_path(index / MANIFEST) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1, sort_keys=True)
    return manifest


def read_manifest(index: Path) -> dict[str, Any]:
    """Read the index's manifest.

    Raises:
        InputError: If ``index`` is not a dedup index (no manifest).
        IndexDamagedError: If the manifest cannot be read.
        IndexMismatchError: If it has another format than this version writes.
    """
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


def last_changed(index: Path, manifest: dict[str, Any]) -> str:
    """When a writer last changed the index (ISO 8601, UTC): the manifest's record, else the file's time."""
    return manifest.get("changed") or _utc(datetime.fromtimestamp((index / MANIFEST).stat().st_mtime,
                                                                  timezone.utc))


def check_identity(index: Path, manifest: dict[str, Any], identity: str) -> None:
    """Refuse an encoder other than the one the index was built with.

    Raises:
        IndexMismatchError: If the manifest's model is not ``identity``; the message names the
            ``--encoder`` that gives the index's model, where there is one.
    """
    built = manifest.get("model")
    if built != identity:
        kind = encoder_kind(built)
        hint = f"Use the encoder it was built with (--encoder {kind}) or rebuild it" if kind else "Rebuild it"
        raise IndexMismatchError(
            f"index {index} was built with model {built!r}, not {identity!r}. "
            f"{hint} with `dedup index build` using the current model."
        )


def encoder_kind(identity: Any) -> str | None:
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


# --- writing (under the writers' lock) --------------------------------------------------------------


def _next_shard_name(index: Path, listed: list[str]) -> str:
    """The next shard name: past every shard the manifest lists and every shard folder on disk."""
    numbers = [int(m.group(1)) for n in [*listed, *os.listdir(index)] if (m := _SHARD_NAME.fullmatch(n))]
    return f"shard-{max(numbers, default=0) + 1:05d}"


def write_shard(index: Path, manifest: dict[str, Any], content: ShardContent,
                doc_vectors: npt.NDArray[np.float32], dim: int) -> dict[str, Any]:
    """Add ``content`` to the index as a new shard; returns the new manifest (call under the lock).

    The shard is written into a staging folder, renamed to the next free shard name, and listed in
    a new manifest, written last; its doc_ids are no longer recorded as removed.

    Args:
        index: The index folder.
        manifest: The current manifest (or :func:`new_manifest` for a new index).
        content: The documents to store.
        doc_vectors: (n_docs, dim) float32, one vector per document of ``content``.
        dim: Embedding dimension.
    """
    with staging_dir(index, prefix=STAGING_PREFIX) as staged:
        info = write_shard_files(staged, content, doc_vectors, dim)
        checkpoint("staged")
        name = _next_shard_name(index, manifest["shards"])
        os.replace(staged, index / name)
        added = {d.doc_id for d in content.documents}
        manifest = {**manifest, "shards": [*manifest["shards"], name],
                    "shard_info": {**manifest.get("shard_info", {}), name: info},
                    "removed": sorted(set(manifest["removed"]) - added)}
        return write_manifest(index, manifest)


def unlisted(index: Path, manifest: dict[str, Any] | None) -> list[str]:
    """Entries of the index folder that no manifest lists: staging, temp files, orphaned shards."""
    listed = set(manifest["shards"]) if manifest else set()
    out = []
    for name in sorted(os.listdir(index)):
        if name.startswith(_LEFTOVER_PREFIXES) or (_SHARD_NAME.fullmatch(name) and name not in listed):
            out.append(name)
    return out


def clean_leftovers(index: Path, manifest: dict[str, Any] | None) -> list[str]:
    """Delete what interrupted or replaced writers left behind (call under the lock); returns their names."""
    removed = unlisted(index, manifest)
    for name in removed:
        path = index / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if removed:
        logger.info("removed %d leftover entries from %s: %s", len(removed), index, ", ".join(removed))
    return removed


def check_replaceable(index: Path) -> None:
    """Refuse to build over a folder that is neither a dedup index nor empty (call under the lock).

    Raises:
        InputError: If ``index`` holds other files than an index's.
    """
    if (index / MANIFEST).exists():
        return
    foreign = [n for n in os.listdir(index) if n != LOCK_FILE and n not in unlisted(index, None)]
    if foreign:
        raise InputError(f"{index} exists and is not a dedup index (it holds {foreign[0]!r} and no "
                         f"{MANIFEST}). Choose another --index folder.")


# --- reading and checking --------------------------------------------------------------------------


def read_shards(index: Path, manifest: dict[str, Any], *, checksums: bool = False,
                files_only: bool = False) -> dict[str, Shard]:
    """Open every shard ``manifest`` lists, by name (see :func:`~dedup.io.index_shards.read_shard`)."""
    info = manifest.get("shard_info", {})
    dim = int(manifest["dim"])
    return {n: read_shard(index, n, info.get(n), dim, checksums=checksums, files_only=files_only)
            for n in manifest["shards"]}


def _problems(shards: dict[str, Shard]) -> list[ShardProblem]:
    return [p for s in shards.values() for p in s.problems]


def _damaged(index: Path, problems: list[ShardProblem]) -> IndexDamagedError:
    first = problems[0]
    more = len({p.shard for p in problems}) - 1
    others = f" (and {more} more shard{'s' if more > 1 else ''})" if more > 0 else ""
    return IndexDamagedError(
        f"index {index} is damaged: {first}{others}. `dedup index verify {index}` lists every "
        f"problem; rebuild the index with `{_REBUILD.format(index=index)}`, or remove {first.shard} from "
        f"it with `dedup index repair {index}` and add its articles again."
    )


def check_shard_files(index: Path, manifest: dict[str, Any]) -> None:
    """Check that every listed shard's files exist with the recorded sizes (cheap: nothing is read).

    Raises:
        IndexDamagedError: If one does not; the message names it.
    """
    problems = _problems(read_shards(index, manifest, files_only=True))
    if problems:
        raise _damaged(index, problems)


def open_index(index: Path, manifest: dict[str, Any] | None = None) -> Snapshot:
    """Open the shards of ``manifest`` (default: the current one); a consistent view or an error.

    A build that replaces the index deletes the old shards after writing its manifest; when a
    listed shard is missing and the manifest has changed meanwhile, the new manifest is read.

    Raises:
        IndexDamagedError: If a listed shard is missing or does not match the manifest.
    """
    for _ in range(5):
        manifest = manifest or read_manifest(index)
        shards = read_shards(index, manifest)
        problems = _problems(shards)
        if not problems:
            return Snapshot(manifest, shards)
        current = read_manifest(index)
        if current == manifest:
            raise _damaged(index, problems)
        manifest = current
    raise _damaged(index, problems)
