"""Record files: one article per object or row of JSON, JSON Lines, CSV, TSV and Parquet.

Functions over decoded text or an already open binary stream (they never open a path);
:mod:`dedup.io.read_records` opens the files and turns each :class:`Record` into a
:class:`~dedup.types.Document` or a :class:`~dedup.types.Skipped`. Parquet is read with pyarrow one
record batch at a time (only the text, id and title columns).

Example:
    >>> from dedup.io.records import iter_json_records
    >>> rows = list(iter_json_records('[{"id": 7, "body": "Hello."}, {"id": 8}]'))
    >>> [(r.key, r.text) for r in rows]
    [('7', 'Hello.'), ('8', None)]
    >>> rows[1].error
    'no text field (tried text, body, content, article, maintext, full_text)'
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ID_FIELDS",
    "PARQUET_BATCH_ROWS",
    "TEXT_FIELDS",
    "TITLE_FIELDS",
    "Record",
    "iter_csv_records",
    "iter_json_lines",
    "iter_json_records",
    "iter_parquet_records",
    "record_from_object",
]

# Parquet rows per record batch (each row holds one article, up to max_chars).
PARQUET_BATCH_ROWS = 256

# Field names tried, in order, when the caller names no field (matched case-insensitively).
TEXT_FIELDS = ("text", "body", "content", "article", "maintext", "full_text")
ID_FIELDS = ("id", "doc_id", "_id", "uuid", "guid")
TITLE_FIELDS = ("title", "headline")
# Keys of a JSON object that may hold the list of articles ({"articles": [...]}).
_LIST_KEYS = ("articles", "items", "documents", "docs", "data", "records", "results")


@dataclass(frozen=True, slots=True)
class Record:
    """One article read from a record file.

    Attributes:
        key: The record's id (from the id field), else its 1-based line, row or item number.
        text: The article text (title, if any, as the first line); None when unusable.
        error: Why the record is unusable, or None.
    """

    key: str
    text: str | None
    error: str | None = None


def record_from_object(
    obj: Any, key: str, *, text_field: str | None = None, id_field: str | None = None
) -> Record:
    """Turn one JSON object or CSV row into a :class:`Record`.

    Args:
        obj: A mapping (other values give an error record).
        key: Fallback key (line, row or item number) when the record has no id.
        text_field: Field holding the text; None tries ``text``, ``body``, ``content``,
            ``article``, ``maintext``, ``full_text`` (case-insensitive), in that order.
        id_field: Field holding the id; None tries ``id``, ``doc_id``, ``_id``, ``uuid``, ``guid``.
            Either field may be dotted (``article.body``) to reach into nested JSON objects.

    Returns:
        The record; a text given as a list of strings is read as paragraphs, one per line. A
        ``title``/``headline`` field, when present and not already the text's first line, is put
        in front of the text.

    Example:
        >>> record_from_object({"ID": 3, "Title": "Storm", "content": "It rained."}, "1")
        Record(key='3', text='Storm\\nIt rained.', error=None)
        >>> record_from_object({"meta": {"id": "x9"}, "article": {"paragraphs": ["One.", "Two."]}}, "1",
        ...                    text_field="article.paragraphs", id_field="meta.id")
        Record(key='x9', text='One.\\nTwo.', error=None)
    """
    if not isinstance(obj, Mapping):
        return Record(key, None, f"not an object (got {type(obj).__name__})")
    lowered = {str(k).lower(): v for k, v in obj.items()}
    rid = _first(lowered, (id_field,) if id_field else ID_FIELDS)
    if rid is not None and not isinstance(rid, (dict, list)) and str(rid).strip():
        key = str(rid).strip()
    names = (text_field,) if text_field else TEXT_FIELDS
    text = _first(lowered, names)
    if text is None:
        return Record(key, None, f"no text field (tried {', '.join(names)})")
    if isinstance(text, list) and all(isinstance(part, str) for part in text):
        text = "\n".join(part for part in text if part.strip())  # a list of paragraphs
    if not isinstance(text, str):
        return Record(key, None, f"text field is not a string (got {type(text).__name__})")
    title = _first(lowered, TITLE_FIELDS)
    if isinstance(title, str) and title.strip() and not text.lstrip().startswith(title.strip()):
        text = f"{title.strip()}\n{text}"
    return Record(key, text)


def _first(obj: Mapping[str, Any], names: Iterable[str]) -> Any:
    """The first of ``names`` that ``obj`` (lower-cased keys) holds; a dotted name that is not a key
    itself is a path into nested objects (``article.body``)."""
    for name in names:
        value = obj.get(name.lower())
        if value is None and "." in name:
            value = obj
            for part in name.lower().split("."):
                value = (
                    {str(k).lower(): v for k, v in value.items()}.get(part)
                    if isinstance(value, Mapping)
                    else None
                )
        if value is not None:
            return value
    return None


def iter_json_records(
    text: str, *, lines: bool | None = None, text_field: str | None = None, id_field: str | None = None
) -> Iterator[Record]:
    """Records of a JSON document (array, single object, or ``{"articles": [...]}``) or JSON Lines.

    Args:
        text: The decoded file, or an iterable of its lines for streaming JSON Lines.
        lines: True for JSON Lines (one object per line), False for one JSON document;
            None guesses (JSON Lines unless the text parses as one document).
        text_field: See :func:`record_from_object`.
        id_field: See :func:`record_from_object`.

    Yields:
        One :class:`Record` per object; broken lines give error records, keyed by line number.

    Example:
        >>> [r.key for r in iter_json_records('{"text": "a"}\\n\\n{"text": "b"}\\nnot json', lines=True)]
        ['1', '3', '4']
    """
    if lines is None:
        try:
            json.loads(text)
            lines = False
        except ValueError:
            lines = True
    if lines:
        yield from iter_json_lines(text.splitlines(), text_field=text_field, id_field=id_field)
        return
    try:
        data = json.loads(text)
    except ValueError as err:
        yield Record("1", None, f"invalid JSON: {err}")
        return
    if isinstance(data, Mapping) and _first(data, (text_field,) if text_field else TEXT_FIELDS) is None:
        listed = next((data[k] for k in _LIST_KEYS if isinstance(data.get(k), list)), None)
        if listed is not None:
            data = listed
    items = data if isinstance(data, list) else [data]
    for n, obj in enumerate(items, start=1):
        yield record_from_object(obj, str(n), text_field=text_field, id_field=id_field)


def iter_json_lines(
    lines: Iterable[str], *, text_field: str | None = None, id_field: str | None = None
) -> Iterator[Record]:
    """Records of JSON Lines, streamed; blank lines are skipped, line numbers are 1-based.

    Example:
        >>> [r.text for r in iter_json_lines(['{"body": "x"}'])]
        ['x']
    """
    for n, line in enumerate(lines, start=1):
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError as err:
            yield Record(str(n), None, f"invalid JSON on line {n}: {err.msg}")
            continue
        yield record_from_object(obj, str(n), text_field=text_field, id_field=id_field)


def iter_csv_records(
    lines: Iterable[str],
    *,
    delimiter: str = ",",
    text_field: str | None = None,
    id_field: str | None = None,
    max_field_chars: int = 1_000_000,
) -> Iterator[Record]:
    """Records of a CSV/TSV file with a header row; keys default to the 1-based data row number.

    Args:
        lines: The decoded file (a string) or its lines (a text file opened with ``newline=""``).
        delimiter: ``","`` for CSV, ``"\\t"`` for TSV.
        text_field: See :func:`record_from_object`.
        id_field: See :func:`record_from_object`.
        max_field_chars: Fields longer than this end the file with an error record.

    Example:
        >>> rows = list(iter_csv_records('id,text\\n1,"Hello, world."\\n2,\\n', text_field="text"))
        >>> [(r.key, r.text) for r in rows]
        [('1', 'Hello, world.'), ('2', '')]
    """
    if isinstance(lines, str):
        lines = lines.splitlines(keepends=True)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, max_field_chars))
    try:
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            header = [h.strip().lstrip("\ufeff") for h in next(reader)]
        except StopIteration:
            return
        except csv.Error as err:
            yield Record("header", None, f"unreadable CSV header: {err}")
            return
        n = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                yield Record(str(n + 1), None, f"unreadable CSV from data row {n + 1} on: {err}")
                return
            n += 1
            if not any(cell.strip() for cell in row):
                continue
            yield record_from_object(
                dict(zip(header, row, strict=False)), str(n), text_field=text_field, id_field=id_field
            )
    finally:
        csv.field_size_limit(old_limit)


def iter_parquet_records(
    source: Any,
    *,
    text_field: str | None = None,
    id_field: str | None = None,
    batch_rows: int = PARQUET_BATCH_ROWS,
) -> Iterator[tuple[Record, float]]:
    """Records of a Parquet file, read with pyarrow one record batch at a time.

    Only the text, id and title columns are read (matched case-insensitively, as for JSON/CSV),
    so memory is bounded by one batch of those columns (and pyarrow's buffer of one row group).

    Args:
        source: A path or an open binary file.
        text_field: See :func:`record_from_object`.
        id_field: See :func:`record_from_object`.
        batch_rows: Rows per batch (>= 1). Decrease to lower memory for very long texts.

    Yields:
        ``(record, share)``: each row's record (key: its id, else the 1-based row number) and the
        share of the file's rows read so far (for progress). A file without a text column yields
        one error record keyed ``file``.

    Example:
        >>> import io, pyarrow as pa, pyarrow.parquet as pq
        >>> buf = io.BytesIO()
        >>> pq.write_table(pa.table({"ID": ["x1", "x2"], "body": ["Hello.", None]}), buf)
        >>> [(r.key, r.text, share) for r, share in iter_parquet_records(io.BytesIO(buf.getvalue()))]
        [('x1', 'Hello.', 0.5), ('x2', None, 1.0)]
    """
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(source)
    except Exception as err:  # pyarrow raises ArrowInvalid/OSError for damaged files
        yield Record("file", None, f"unreadable Parquet file: {err}"), 1.0
        return
    by_lower = {name.lower(): name for name in pf.schema_arrow.names}
    text_names = (text_field,) if text_field else TEXT_FIELDS
    text_col = next((by_lower[n.lower()] for n in text_names if n.lower() in by_lower), None)
    if text_col is None:
        yield Record("file", None, f"no text column (tried {', '.join(text_names)})"), 1.0
        return
    id_names = (id_field,) if id_field else ID_FIELDS
    id_col = next((by_lower[n.lower()] for n in id_names if n.lower() in by_lower), None)
    title_col = next((by_lower[n] for n in TITLE_FIELDS if n in by_lower), None)
    columns = [c for c in dict.fromkeys((id_col, title_col, text_col)) if c is not None]
    total = max(1, pf.metadata.num_rows)
    n = 0
    try:
        for batch in pf.iter_batches(batch_size=batch_rows, columns=columns):
            for row in batch.to_pylist():
                n += 1
                text = row[text_col]
                if text is None:
                    why = f"no text (column {text_col!r} is null)"
                    yield Record(_row_key(row, id_col, n), None, why), n / total
                    continue
                obj = {"text": text}
                if title_col is not None and title_col != text_col:
                    obj["title"] = row[title_col]
                if id_col is not None:
                    obj["id"] = row[id_col]
                yield record_from_object(obj, str(n), text_field="text", id_field="id"), n / total
    except Exception as err:  # a damaged row group ends the file with an error record
        yield Record(str(n + 1), None, f"unreadable Parquet from row {n + 1} on: {err}"), 1.0


def _row_key(row: Mapping[str, Any], id_col: str | None, n: int) -> str:
    rid = row.get(id_col) if id_col is not None else None
    return str(rid).strip() if rid is not None and str(rid).strip() else str(n)
