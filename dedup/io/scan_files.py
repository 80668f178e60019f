"""The scan result files of ``dedup scan --out``: written atomically (temp file, then rename), and read back.

:func:`write_scan` writes ``pairs.jsonl``, ``groups.jsonl``, ``documents.jsonl``, ``skipped.jsonl``
and ``scan.json`` (and, with ``format="parquet"``, the Parquet tables of :func:`write_parquet`);
:func:`read_scan_output` reads such a folder back into a :class:`~dedup.types.ScanResult` (for
``dedup report``).

Example:
    >>> import tempfile
    >>> from dedup.io.scan_files import read_scan_output, write_scan
    >>> from dedup.types import DocumentInfo, Group, ScanResult
    >>> groups = (Group("g00001", ("a.txt",), 1.0, ("en",)),)
    >>> result = ScanResult((DocumentInfo("a.txt", "en", 1, 20),), (), groups)
    >>> out = Path(tempfile.mkdtemp())
    >>> [p.name for p in write_scan(result, out)]
    ['pairs.jsonl', 'groups.jsonl', 'documents.jsonl', 'skipped.jsonl']
    >>> (out / "groups.jsonl").read_text()
    '{"confidence": 1.0, "group_id": "g00001", "languages": ["en"], "members": ["a.txt"]}\\n'
    >>> read_scan_output(out) == (result, None)
    True
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

from dedup.errors import InputError, InvalidParameterError, OutputError
from dedup.io.atomic import atomic_path, signals_deferred, staging_dir, write_text_atomic
from dedup.io.locking import WaitCallback, checkpoint, folder_lock
from dedup.types import DocumentInfo, Group, Pair, PairFeatures, ScanResult, Skipped

__all__ = [
    "FORMATS",
    "jsonl_text",
    "read_scan_output",
    "write_jsonl",
    "write_parquet",
    "write_scan",
]

_STAGING_PREFIX = ".dedup-staging-"
FORMATS = ("jsonl", "parquet")
# Columns of pairs.parquet: the keys of Pair.to_dict(), in its order.
_PAIR_COLUMNS = (
    "doc_a", "doc_b", "lang_a", "lang_b", "relation", "confidence", "story_confidence", "aligned", "features"
)


def jsonl_text(rows: Iterable[dict[str, Any]]) -> str:
    """One JSON object per line, keys sorted, UTF-8 kept readable."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write rows as JSON lines, atomically.

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp()) / "x.jsonl"
        >>> write_jsonl(out, [{"b": 1, "a": 2}])
        >>> out.read_text()
        '{"a": 2, "b": 1}\\n'
    """
    write_text_atomic(Path(path), jsonl_text(rows))


def write_scan(
    result: ScanResult,
    out_dir: Path | str,
    *,
    root: Path | str | None = None,
    inputs: Any = None,
    format: str = "jsonl",
    wait: bool = True,
    on_wait: WaitCallback | None = None,
) -> list[Path]:
    """Write ``pairs.jsonl``, ``groups.jsonl``, ``documents.jsonl`` and ``skipped.jsonl`` into out_dir.

    With ``format="parquet"``, also ``pairs.parquet``, ``groups.parquet`` and ``documents.parquet``
    (see :func:`write_parquet`). With ``root`` (the scanned folder, or the common parent of several
    inputs), also ``scan.json``: that folder's absolute path, the scanned ``inputs`` (absolute paths,
    when given) and the scan's stats without timings (so the folder stays byte-identical on a
    re-run); ``dedup report`` reads it to show the articles. Without ``root``, a ``scan.json`` of an
    earlier run is removed.

    The files are written into a staging folder inside out_dir, then renamed into place together
    while holding out_dir's writer lock (:mod:`dedup.io.locking`), with Ctrl-C held back for those few
    renames. Two runs writing to one folder therefore take turns, and out_dir always holds one
    run's complete set of files, never a mix. Staging folders left by a killed run are removed.

    Args:
        result: The scan to write.
        out_dir: The output folder; created (with the user's umask) when missing.
        root: The scanned folder, recorded in ``scan.json``.
        inputs: The scanned paths, recorded in ``scan.json``.
        format: ``jsonl``, or ``parquet`` for the Parquet tables as well.
        wait: Wait for another run writing to out_dir to finish (else raise at once).
        on_wait: Called once, with out_dir and the other run, before waiting for it.

    Returns:
        The paths written.

    Raises:
        InvalidParameterError: If ``format`` is not ``jsonl`` or ``parquet``.
        OutputError: If out_dir cannot be created or written.
        FolderLockedError: If ``wait`` is False and another run is writing to out_dir.
    """
    if format not in FORMATS:
        raise InvalidParameterError(f"format must be one of {', '.join(FORMATS)}. Got {format!r}.")
    out = Path(out_dir)
    texts = {
        "pairs.jsonl": jsonl_text(p.to_dict() for p in result.pairs),
        "groups.jsonl": jsonl_text(g.to_dict() for g in result.groups),
        "documents.jsonl": jsonl_text(d.to_dict() for d in result.documents),
        "skipped.jsonl": jsonl_text(s.to_dict() for s in result.skipped),
    }
    if root is not None:
        meta = {k: v for k, v in result.stats.items() if k != "seconds"} | {"root": os.path.abspath(root)}
        if inputs is not None and not isinstance(inputs, dict):
            listed = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
            meta["inputs"] = [os.path.abspath(p) for p in listed]
        texts["scan.json"] = json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        out.mkdir(parents=True, exist_ok=True)
        with folder_lock(out, operation="scan --out", wait=wait, on_wait=on_wait):
            for name in os.listdir(out):  # what a killed run left
                if name.startswith(_STAGING_PREFIX):
                    shutil.rmtree(out / name, ignore_errors=True)
            with staging_dir(out, prefix=_STAGING_PREFIX) as staged:
                for name, text in texts.items():
                    (staged / name).write_bytes(text.encode("utf-8"))
                names = list(texts)
                if format == "parquet":
                    names += [path.name for path in write_parquet(result, staged)]
                checkpoint("staged")
                with signals_deferred():
                    for name in names:
                        os.replace(staged / name, out / name)
                    if root is None:
                        (out / "scan.json").unlink(missing_ok=True)
    except OSError as err:
        where = err.filename or out
        raise OutputError(f"cannot write the scan output to {where}: {err.strerror or err}.") from err
    return [out / name for name in names]


def write_parquet(result: ScanResult, out_dir: Path | str) -> list[Path]:
    """Write ``pairs.parquet``, ``groups.parquet`` and ``documents.parquet`` (pyarrow), each atomically.

    The columns are those of the JSONL files, typed: ``aligned`` is a list of
    ``{text_a, text_b, cosine}`` structs and ``features`` a struct; ``members`` and ``languages``
    are lists of strings; ``url``/``date`` of documents are null outside WARC inputs. Load one with
    ``pandas.read_parquet(OUT / "pairs.parquet")`` or ``polars.read_parquet(...)``.

    Returns:
        The three paths written.

    Raises:
        OutputError: If a file cannot be written.

    Example:
        >>> import tempfile, pyarrow.parquet as pq
        >>> from dedup.types import Group, ScanResult
        >>> result = ScanResult(documents=(), pairs=(), groups=(Group("g00001", ("a",), 1.0, ("en",)),))
        >>> out = Path(tempfile.mkdtemp())
        >>> [p.name for p in write_parquet(result, out)]
        ['pairs.parquet', 'groups.parquet', 'documents.parquet']
        >>> pq.read_table(out / "groups.parquet").to_pylist()
        [{'group_id': 'g00001', 'members': ['a'], 'confidence': 1.0, 'languages': ['en']}]
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = _parquet_schemas()
    pair_rows = []
    for p in result.pairs:
        row = p.to_dict()
        row["aligned"] = [{"text_a": a, "text_b": b, "cosine": c} for a, b, c in row["aligned"]]
        row.setdefault("features", None)
        pair_rows.append(row)
    rows = {
        "pairs.parquet": pair_rows,
        "groups.parquet": [g.to_dict() for g in result.groups],
        "documents.parquet": [{"url": None, "date": None} | d.to_dict() for d in result.documents],
    }
    out = Path(out_dir)
    written = []
    for name, schema in schemas.items():
        table = pa.Table.from_pylist(rows[name], schema=schema)
        path = out / name
        try:
            out.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                pq.write_table(table, tmp)
        except OSError as err:
            raise OutputError(f"cannot write {path}: {err.strerror or err}.") from err
        written.append(path)
    return written


def _parquet_schemas() -> dict[str, Any]:
    """The Arrow schema of each Parquet table: the dataclasses' fields, typed as annotated."""
    import pyarrow as pa

    arrow = {
        "str": pa.string(),
        "Relation": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "tuple[str, ...]": pa.list_(pa.string()),
    }

    def columns(cls: type) -> list[tuple[str, Any]]:
        return [(f.name, arrow[f.type]) for f in fields(cls) if f.type in arrow]

    sentences = pa.struct([("text_a", pa.string()), ("text_b", pa.string()), ("cosine", pa.float64())])
    aligned = pa.list_(sentences)
    pair = dict(columns(Pair)) | {"aligned": aligned, "features": pa.struct(columns(PairFeatures))}
    return {
        "pairs.parquet": pa.schema([(name, pair[name]) for name in _PAIR_COLUMNS]),
        "groups.parquet": pa.schema(columns(Group)),
        "documents.parquet": pa.schema(columns(DocumentInfo)),
    }


# --------------------------------------------------------------------------------------------------------
# Reading a scan output folder back


def read_scan_output(out_dir: str | os.PathLike[str]) -> tuple[ScanResult, Path | None]:
    """Read a folder written by ``dedup scan --out`` (:func:`write_scan`) back into a ScanResult.

    Aligned sentences come back without their sentence indices and margins (the JSONL keeps only the
    two sentences and the cosine).

    Args:
        out_dir: The folder holding ``pairs.jsonl``, ``groups.jsonl`` and ``documents.jsonl``
            (``skipped.jsonl`` and ``scan.json`` are read when present).

    Returns:
        The result (``stats`` holds ``scan.json`` less its ``root``, e.g. the scanned ``inputs``),
        and the scanned folder recorded in ``scan.json`` (None when not recorded).

    Raises:
        InputError: If a required file is missing or does not parse.
    """
    out = Path(out_dir)
    pairs = tuple(Pair.from_dict(d) for d in _read_jsonl(out / "pairs.jsonl"))
    groups = tuple(Group.from_dict(d) for d in _read_jsonl(out / "groups.jsonl"))
    documents = tuple(DocumentInfo.from_dict(d) for d in _read_jsonl(out / "documents.jsonl"))
    skipped_path = out / "skipped.jsonl"
    skipped: tuple[Skipped, ...] = ()
    if skipped_path.exists():
        skipped = tuple(Skipped.from_dict(d) for d in _read_jsonl(skipped_path))
    meta: dict[str, Any] = {}
    if (out / "scan.json").exists():
        try:
            meta = json.loads((out / "scan.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise InputError(f"cannot read {out / 'scan.json'}: {err}.") from err
    root = Path(meta["root"]) if meta.get("root") else None
    stats = {k: v for k, v in meta.items() if k != "root"}
    return ScanResult(documents=documents, pairs=pairs, groups=groups, skipped=skipped, stats=stats), root


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise InputError(
            f"cannot read {path}: {err.strerror or err}. Expected the output folder of `dedup scan --out`."
        ) from err
    rows = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError as err:
            raise InputError(f"{path} line {n} is not JSON: {err}.") from err
    return rows
