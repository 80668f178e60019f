"""Write scan results: JSONL files, and optionally Parquet, written atomically (temp file, then rename).

Example:
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from dedup.report import write_jsonl
    >>> out = Path(tempfile.mkdtemp()) / "x.jsonl"
    >>> write_jsonl(out, [{"b": 1, "a": 2}])
    >>> out.read_text()
    '{"a": 2, "b": 1}\\n'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .atomic import atomic_path, write_text_atomic
from .errors import InvalidParameterError, OutputError
from .types import ScanResult

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
) -> list[Path]:
    """Write ``pairs.jsonl``, ``groups.jsonl``, ``documents.jsonl`` and ``skipped.jsonl`` into out_dir.

    With ``format="parquet"``, also ``pairs.parquet``, ``groups.parquet`` and ``documents.parquet``
    (see :func:`write_parquet`). With ``root`` (the scanned folder, or the common parent of several
    inputs), also ``scan.json``: that folder's absolute path, the scanned ``inputs`` (absolute paths,
    when given) and the scan's stats without timings (so the folder stays byte-identical on a
    re-run); ``dedup report`` reads it to show the articles.

    Returns:
        The paths written.

    Raises:
        InvalidParameterError: If ``format`` is not ``jsonl`` or ``parquet``.
        OutputError: If a file cannot be written.
    """
    if format not in FORMATS:
        raise InvalidParameterError(f"format must be one of {', '.join(FORMATS)}. Got {format!r}.")
    out = Path(out_dir)
    files = {
        "pairs.jsonl": [p.to_dict() for p in result.pairs],
        "groups.jsonl": [g.to_dict() for g in result.groups],
        "documents.jsonl": [d.to_dict() for d in result.documents],
        "skipped.jsonl": [s.to_dict() for s in result.skipped],
    }
    written = []
    for name, rows in files.items():
        write_jsonl(out / name, rows)
        written.append(out / name)
    if format == "parquet":
        written += write_parquet(result, out)
    if root is not None:
        meta = {k: v for k, v in result.stats.items() if k != "seconds"} | {"root": os.path.abspath(root)}
        if inputs is not None and not isinstance(inputs, dict):
            listed = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
            meta["inputs"] = [os.path.abspath(p) for p in listed]
        text = json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        write_text_atomic(out / "scan.json", text)
        written.append(out / "scan.json")
    return written


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

    from .types import PairFeatures

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
