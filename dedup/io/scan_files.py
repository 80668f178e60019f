"""Write scan results: JSONL files, and optionally Parquet, written atomically (temp file, then rename).

Example:
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from dedup.io.scan_files import write_jsonl
    >>> out = Path(tempfile.mkdtemp()) / "x.jsonl"
    >>> write_jsonl(out, [{"b": 1, "a": 2}])
    >>> out.read_text()
    '{"a": 2, "b": 1}\\n'
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dedup.errors import InvalidParameterError, OutputError
from dedup.io.atomic import atomic_path, signals_deferred, staging_dir, write_text_atomic
from dedup.io.locking import WaitCallback, checkpoint, folder_lock
from dedup.types import ScanResult

_STAGING_PREFIX = ".dedup-staging-"
FORMATS = ("jsonl", "parquet")


def jsonl_text(rows: Iterable[dict[str, Any]]) -> str:
    """One JSON object per line, keys sorted, UTF-8 kept readable."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write rows as JSON lines, atomically."""
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

    from dedup.types import PairFeatures

    feature_names = [f for f in PairFeatures.__dataclass_fields__]
    feature_type = pa.struct(
        [
            (
                name,
                pa.bool_()
                if name == "same_language"
                else pa.int64()
                if name.startswith("n_")
                else pa.float64(),
            )
            for name in feature_names
        ]
    )
    aligned_type = pa.list_(
        pa.struct([("text_a", pa.string()), ("text_b", pa.string()), ("cosine", pa.float64())])
    )
    schemas = {
        "pairs.parquet": pa.schema(
            [
                ("doc_a", pa.string()),
                ("doc_b", pa.string()),
                ("lang_a", pa.string()),
                ("lang_b", pa.string()),
                ("relation", pa.string()),
                ("confidence", pa.float64()),
                ("story_confidence", pa.float64()),
                ("aligned", aligned_type),
                ("features", feature_type),
            ]
        ),
        "groups.parquet": pa.schema(
            [
                ("group_id", pa.string()),
                ("members", pa.list_(pa.string())),
                ("confidence", pa.float64()),
                ("languages", pa.list_(pa.string())),
            ]
        ),
        "documents.parquet": pa.schema(
            [
                ("doc_id", pa.string()),
                ("lang", pa.string()),
                ("n_sentences", pa.int64()),
                ("n_chars", pa.int64()),
                ("sha256", pa.string()),
                ("n_words", pa.int64()),
                ("too_short", pa.bool_()),
                ("url", pa.string()),
                ("date", pa.string()),
            ]
        ),
    }
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
