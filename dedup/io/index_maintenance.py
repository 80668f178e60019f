"""Inspecting and mending an archive index: what it holds, whether it is sound, dropping damaged shards.

:func:`index_info` and :func:`index_doc_ids` read an index like any reader (no lock);
:func:`verify_index` also compares every file's SHA-256 with the manifest and changes nothing;
:func:`repair_index` is a writer: under the index's lock it takes the damaged shards out of the
manifest. The on-disk format is described in :mod:`dedup.io.index_store`.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from dedup.encoders.base import HashingEncoder
    >>> from dedup.runners.archive_index import build_index
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = build_index({"a": "Storm hits the coast.", "b": "Rates rise."}, Path(tmp) / "idx",
    ...                     encoder=HashingEncoder())
    ...     _ = (Path(tmp) / "idx" / "shard-00001" / "doc_vectors.npy").write_bytes(b"")
    ...     report = verify_index(Path(tmp) / "idx")
    ...     repaired = repair_index(Path(tmp) / "idx")
    ...     ids = index_doc_ids(Path(tmp) / "idx")
    >>> report.ok, report.damaged_shards, repaired.dropped, repaired.lost_doc_ids, ids
    (False, ('shard-00001',), ('shard-00001',), ('a', 'b'), [])
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dedup.io.index_shards import ShardProblem
from dedup.io.index_store import (
    Snapshot,
    clean_leftovers,
    encoder_kind,
    last_changed,
    open_index,
    read_manifest,
    read_shards,
    unlisted,
    write_manifest,
)
from dedup.io.locking import WaitCallback, folder_lock


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


def index_doc_ids(index: str | Path) -> list[str]:
    """Sorted ids of the documents currently in the index."""
    return sorted(r.doc["doc_id"] for r in open_index(Path(index)).records())


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
        IndexInfo. See the example of :mod:`dedup.runners.archive_index`.

    Raises:
        InputError: If ``index`` is not a dedup index.
        IndexDamagedError: If a shard does not match the manifest.
    """
    index = Path(index)
    snap = open_index(index)
    records = snap.records()
    manifest = snap.manifest
    shards = []
    for name in manifest["shards"]:
        shard = snap.shards[name]
        n_sentences = sum(len(d["sentences"]) for d in shard.docs)
        shards.append(ShardInfo(name, len(shard.docs), n_sentences, _folder_size(index / name)))
    changed = last_changed(index, manifest)
    return IndexInfo(
        index=str(index), model=str(manifest.get("model")), encoder=encoder_kind(manifest.get("model")),
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
    manifest = read_manifest(index)
    for _ in range(5):
        shards = read_shards(index, manifest, checksums=True)
        problems = tuple(p for s in shards.values() for p in s.problems)
        current = read_manifest(index)
        if not problems or current == manifest:
            break
        manifest = current  # replaced by a writer while we read: check the new state
    records = Snapshot(manifest, shards).records() if not problems else []
    return VerifyReport(index=str(index), n_shards=len(manifest["shards"]), n_docs=len(records),
                        problems=problems, unlisted=tuple(unlisted(index, manifest)))


def repair_index(
    index: str | Path, *, wait: bool = True, on_wait: WaitCallback | None = None
) -> RepairReport:
    """Drop every damaged shard from the manifest, so the rest of the index can be used again.

    The dropped shards' documents leave the index (an older copy of the same id in a sound shard
    becomes live again); add their articles again with
    :func:`~dedup.runners.archive_index.add_to_index`. A sound index is left as it is.

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
    read_manifest(index)
    with folder_lock(index, operation="index repair", wait=wait, on_wait=on_wait):
        manifest = read_manifest(index)
        shards = read_shards(index, manifest, checksums=True)
        dropped = [n for n, s in shards.items() if s.problems]
        if not dropped:
            return RepairReport()
        before = {r.doc["doc_id"] for r in Snapshot(manifest, shards).records()}
        kept = [n for n in manifest["shards"] if n not in dropped]
        info = {n: v for n, v in manifest.get("shard_info", {}).items() if n in kept}
        manifest = write_manifest(index, {**manifest, "shards": kept, "shard_info": info})
        after = {r.doc["doc_id"] for r in Snapshot(manifest, {n: shards[n] for n in kept}).records()}
        clean_leftovers(index, manifest)
    return RepairReport(tuple(dropped), tuple(sorted(before - after)))
