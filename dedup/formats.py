"""File formats: article text from HTML, and one article per record from JSON, JSON Lines, CSV and TSV.

Pure functions over decoded text (no file access); :mod:`dedup.ingest` opens the
files and turns each result into a :class:`~dedup.types.Document` or a
:class:`~dedup.types.Skipped`.

Example:
    >>> from dedup.formats import iter_json_records
    >>> rows = list(iter_json_records('[{"id": 7, "body": "Hello."}, {"id": 8}]'))
    >>> [(r.key, r.text) for r in rows]
    [('7', 'Hello.'), ('8', None)]
    >>> rows[1].error
    'no text field (tried text, body, content, article, maintext, full_text)'
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TEXT_EXTENSIONS",
    "HTML_EXTENSIONS",
    "RECORD_EXTENSIONS",
    "SUPPORTED_EXTENSIONS",
    "Record",
    "extract_html",
    "html_charset",
    "iter_json_records",
    "iter_csv_records",
    "record_from_object",
]

logger = logging.getLogger(__name__)

TEXT_EXTENSIONS = (".txt", ".md")
HTML_EXTENSIONS = (".html", ".htm")
RECORD_EXTENSIONS = (".jsonl", ".ndjson", ".json", ".csv", ".tsv")
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS + HTML_EXTENSIONS + RECORD_EXTENSIONS

# Field names tried, in order, when the caller names no field (matched case-insensitively).
TEXT_FIELDS = ("text", "body", "content", "article", "maintext", "full_text")
ID_FIELDS = ("id", "doc_id", "_id", "uuid", "guid")
TITLE_FIELDS = ("title", "headline")
# Keys of a JSON object that may hold the list of articles ({"articles": [...]}).
_LIST_KEYS = ("articles", "items", "documents", "docs", "data", "records", "results")

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Tags whose text is never article text (for the fallback extractor).
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "iframe",
    "svg",
    "figure",
    "select",
)
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol br tr table blockquote pre section article main dd dt".split()
)


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


def html_charset(head: bytes) -> str | None:
    """The charset declared in an HTML ``<meta>`` tag, or None.

    Example:
        >>> html_charset(b'<html><head><meta charset="windows-1251">')
        'windows-1251'
    """
    m = _CHARSET_RE.search(head[:4096])
    return m.group(1).decode("ascii", "ignore").lower() if m else None


def extract_html(html: str) -> str:
    """Extract the main article text of an HTML page, offline.

    Uses trafilatura (navigation, scripts, styles, share bars and comments
    dropped; headings and paragraphs kept one per line). When it finds no main
    text (very short pages, fragments) or is not installed, falls back to all
    visible text outside ``script``/``style``/``nav``/``header``/``footer``/``aside``.

    Args:
        html: The decoded page.

    Returns:
        The text, one block per line; empty when the page has no visible text.

    Example:
        >>> extract_html("<html><body><nav>Home</nav><p>Only this.</p><script>x=1</script></body></html>")
        'Only this.'
    """
    if not html.strip():
        return ""
    text = _trafilatura(html)
    if text and text.strip():
        return text
    return _fallback_text(html)


def _trafilatura(html: str) -> str | None:
    try:
        import trafilatura
    except ImportError:  # optional at runtime: the fallback still extracts visible text
        return None
    try:
        return trafilatura.extract(
            html,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            favor_precision=True,
            with_metadata=False,
            deduplicate=False,
        )
    except Exception:  # a third-party extractor must never fail a scan
        logger.debug("trafilatura failed", exc_info=True)
        return None


def _fallback_text(html: str) -> str:
    try:
        import lxml.html
    except ImportError:
        return _strip_tags(html)
    try:
        root = lxml.html.document_fromstring(html)
    except Exception:  # malformed beyond repair (or empty after parsing)
        return _strip_tags(html)
    for el in list(root.iter(*_DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    parts: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _BLOCK_TAGS:
            parts.append("\n")
        if el.text:
            parts.append(el.text)
        if el.tail:
            if el.tag in _BLOCK_TAGS:
                parts.append("\n")
            parts.append(el.tail)
    return "\n".join(line.strip() for line in "".join(parts).splitlines() if line.strip())


def _strip_tags(html: str) -> str:
    html = re.sub(r"(?is)<(script|style|noscript)\b.*?</\1\s*>", " ", html)
    text = re.sub(r"(?s)<[^>]*>", "\n", html)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


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

    Returns:
        The record; a ``title``/``headline`` field, when present and not already the
        text's first line, is put in front of the text.

    Example:
        >>> record_from_object({"ID": 3, "Title": "Storm", "content": "It rained."}, "1")
        Record(key='3', text='Storm\\nIt rained.', error=None)
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
    if not isinstance(text, str):
        return Record(key, None, f"text field is not a string (got {type(text).__name__})")
    title = _first(lowered, TITLE_FIELDS)
    if isinstance(title, str) and title.strip() and not text.lstrip().startswith(title.strip()):
        text = f"{title.strip()}\n{text}"
    return Record(key, text)


def _first(obj: Mapping[str, Any], names: Iterable[str]) -> Any:
    for name in names:
        value = obj.get(name.lower())
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
