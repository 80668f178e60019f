"""One shard of an archive index: its three files, written once and checked on every read.

A shard folder holds (the index as a whole is described in :mod:`dedup.io.index_store`)::

    docs.jsonl       one record per document: doc_id, lang, sha256, path, text, sentences
    embeddings.npy   (n_sentences, dim) float32 raw sentence embeddings (row order = docs)
    doc_vectors.npy  (n_docs, dim) float32 one vector per document

:func:`write_shard_files` writes them and returns the shard's manifest entry (counts, file sizes,
SHA-256); :func:`read_shard` opens them again and collects every way they differ from that entry as
:class:`ShardProblem` values instead of raising.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from types import SimpleNamespace
    >>> import numpy as np
    >>> from dedup.types import Document
    >>> content = SimpleNamespace(documents=[Document(doc_id="a", text="Hi.")], langs=["en"], texts=["Hi."],
    ...                           sentences=[["Hi."]], embeddings=[np.ones((1, 4), np.float32)])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (Path(tmp) / "shard-00001").mkdir()
    ...     entry = write_shard_files(Path(tmp) / "shard-00001", content, np.ones((1, 4), np.float32), 4)
    ...     shard = read_shard(Path(tmp), "shard-00001", entry, 4, checksums=True)
    >>> entry["n_docs"], entry["n_sentences"], [d["doc_id"] for d in shard.docs], shard.problems
    (1, 1, ['a'], [])
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from dedup.io.hashing import sha256_file
from dedup.types import Document

SHARD_FILES = ("docs.jsonl", "embeddings.npy", "doc_vectors.npy")
_DOC_KEYS = ("doc_id", "lang", "sha256", "text", "sentences")


@dataclass(frozen=True, slots=True)
class ShardProblem:
    """One thing wrong with a shard: which shard, which file (or ``""``), and what."""

    shard: str
    file: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.shard}/{self.file}" if self.file else self.shard
        return f"{where}: {self.problem}"


@dataclass
class Shard:
    """A shard as read: its documents, its arrays (memory-mapped), and what is wrong with it.

    Attributes:
        name: Folder name, e.g. ``shard-00001``.
        docs: Its ``docs.jsonl`` records, in row order (as many as could be read).
        embeddings: ``embeddings.npy``, or None when it is missing or does not match.
        doc_vectors: ``doc_vectors.npy``, or None when it is missing or does not match.
        problems: Every way it differs from its manifest entry; empty for a sound shard.
    """

    name: str
    docs: list[dict[str, Any]] = field(default_factory=list)
    embeddings: npt.NDArray[np.float32] | None = None
    doc_vectors: npt.NDArray[np.float32] | None = None
    problems: list[ShardProblem] = field(default_factory=list)


class ShardContent(Protocol):
    """What a shard is written from: documents read, with their languages, sentences and embeddings.

    ``embeddings[i]`` holds the sentence embeddings of ``documents[i]``, ``len(sentences[i])`` rows;
    ``texts`` are the texts the sentences were taken from.
    (:class:`dedup.runners.prepare.Embedded` is one.)
    """

    @property
    def documents(self) -> Sequence[Document]: ...

    @property
    def langs(self) -> Sequence[str]: ...

    @property
    def sentences(self) -> Sequence[list[str]]: ...

    @property
    def texts(self) -> Sequence[str]: ...

    @property
    def embeddings(self) -> Sequence[npt.NDArray[np.float32]]: ...


def write_shard_files(
    folder: Path, content: ShardContent, doc_vectors: npt.NDArray[np.float32], dim: int
) -> dict[str, Any]:
    """Write a shard's three files into ``folder`` and sync them to disk.

    Args:
        folder: An existing, empty folder (the staging folder of the shard).
        content: The documents to store.
        doc_vectors: (n_docs, dim) float32, one vector per document of ``content``.
        dim: Embedding dimension.

    Returns:
        The shard's manifest entry: ``{"n_docs", "n_sentences", "files": {name: {"size", "sha256"}}}``.
    """
    with open(folder / "docs.jsonl", "w", encoding="utf-8") as fh:
        for d, lang, sents, text in zip(content.documents, content.langs, content.sentences, content.texts,
                                        strict=True):
            rec = {"doc_id": d.doc_id, "lang": lang, "sha256": d.sha256, "path": d.path,
                   "text": text, "sentences": sents}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    flat = (np.concatenate([e.reshape(-1, dim) for e in content.embeddings]) if content.embeddings
            else np.zeros((0, dim), np.float32))
    np.save(folder / "embeddings.npy", flat.astype(np.float32))
    np.save(folder / "doc_vectors.npy", doc_vectors)
    for name in SHARD_FILES:  # on disk before the manifest names the shard
        with open(folder / name, "rb") as fh:
            os.fsync(fh.fileno())
    return {"n_docs": len(content.documents), "n_sentences": int(flat.shape[0]),
            "files": {name: {"size": (folder / name).stat().st_size, "sha256": sha256_file(folder / name)}
                      for name in SHARD_FILES}}


def read_shard(index: Path, name: str, info: dict[str, Any] | None, dim: int, *,
               checksums: bool = False, files_only: bool = False) -> Shard:
    """Open one shard and check it against its manifest entry; problems are collected, not raised.

    Args:
        index: The index folder.
        name: The shard's folder name.
        info: Its manifest entry (as :func:`write_shard_files` returned it), or None when the
            manifest records none: then only the structure is checked.
        dim: Embedding dimension the arrays must have.
        checksums: Also compare every file's SHA-256 with the manifest entry.
        files_only: Check only that the files exist with the recorded sizes (no reading: cheap).

    Returns:
        Shard, its arrays memory-mapped; ``shard.problems`` lists what is wrong with it.
    """
    shard = Shard(name)
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
