"""Record files: one article per object or row of JSON, JSON Lines, CSV, TSV and Parquet; and the
file name endings a scan reads (each text, HTML, subtitle, record, news XML and MIME ending also
gzip-, bzip2-, xz- or Zstandard-compressed; zip and tar bundles of any of them,
:mod:`dedup.io.bundles`).

Functions over decoded text or an already open binary stream (they never open a path);
:mod:`dedup.io.read_records` opens the files and turns each :class:`Record` into a
:class:`~dedup.types.Document` or a :class:`~dedup.types.Skipped`. Parquet is read with pyarrow one
record batch at a time (only the text, id and title columns). HTML pages are in
:mod:`dedup.io.html_text`, WARC files in :mod:`dedup.io.warc`.

Example:
    >>> from dedup.io.formats import iter_json_records
    >>> rows = list(iter_json_records('[{"id": 7, "body": "Hello."}, {"id": 8}]'))
    >>> [(r.key, r.text) for r in rows]
    [('7', 'Hello.'), ('8', None)]
    >>> rows[1].error
    'no text field (tried text, body, content, article, maintext, full_text)'
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from dedup.io.bundles import BUNDLE_EXTENSIONS
from dedup.io.compressed import COMPRESSION_SUFFIXES, split_compression
from dedup.io.email_messages import EMAIL_EXTENSIONS, MHTML_EXTENSIONS
from dedup.io.markdown_text import MARKDOWN_EXTENSIONS, markdown_text
from dedup.io.office import OFFICE_EXTENSIONS, office_text
from dedup.io.outlook_msg import MSG_EXTENSIONS
from dedup.io.pdf import PDF_EXTENSIONS, pdf_text
from dedup.io.rtf import RTF_EXTENSIONS, rtf_text
from dedup.io.scc import SCC_EXTENSIONS, scc_text
from dedup.io.sgml_docs import SGML_EXTENSIONS, holds_docs
from dedup.io.subtitles import SUBTITLE_EXTENSIONS, subtitle_text
from dedup.io.word_binary import DOC_EXTENSIONS, doc_text

__all__ = [
    "TEXT_EXTENSIONS",
    "HTML_EXTENSIONS",
    "RECORD_EXTENSIONS",
    "PARQUET_EXTENSIONS",
    "WARC_EXTENSIONS",
    "NEWS_XML_EXTENSIONS",
    "SGML_EXTENSIONS",
    "EMAIL_EXTENSIONS",
    "MHTML_EXTENSIONS",
    "MIME_EXTENSIONS",
    "OFFICE_EXTENSIONS",
    "PDF_EXTENSIONS",
    "RTF_EXTENSIONS",
    "CAPTION_EXTENSIONS",
    "BINARY_EXTENSIONS",
    "BUNDLE_EXTENSIONS",
    "COMPRESSED_EXTENSIONS",
    "SUPPORTED_EXTENSIONS",
    "Record",
    "binary_text",
    "caption_reader",
    "text_reader",
    "is_bare_compressed",
    "has_no_format_ending",
    "is_read_by_content",
    "is_server_page",
    "name_by_content",
    "reads_by_name",
    "iter_parquet_records",
    "iter_json_records",
    "iter_json_lines",
    "iter_csv_records",
    "record_from_object",
]

# Plain text, and Markdown read as the text it renders (front matter, markup and images left out:
# dedup.io.markdown_text)
TEXT_EXTENSIONS = (".txt",) + MARKDOWN_EXTENSIONS
HTML_EXTENSIONS = (".html", ".htm", ".shtml", ".xhtml", ".xht")
# Pages saved under their server script's name (read as HTML when they hold it: name_by_content)
SERVER_PAGE_ENDINGS = (".php", ".asp", ".aspx", ".jsp", ".jspx", ".cfm", ".cgi")
_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
# Broadcast captions read as text: SubRip, WebVTT (dedup.io.subtitles) and Scenarist (dedup.io.scc)
CAPTION_EXTENSIONS = SUBTITLE_EXTENSIONS + SCC_EXTENSIONS
RECORD_EXTENSIONS = (".jsonl", ".ndjson", ".json", ".csv", ".tsv")
PARQUET_EXTENSIONS = (".parquet",)
WARC_EXTENSIONS = (".warc", ".warc.gz")
# RSS/Atom feeds, NITF, NewsML (G2 and 1.x), the Reuters corpora (RCV1/RCV2) and TTML captions
# (dedup.io.news_xml; the root element tells which)
NEWS_XML_EXTENSIONS = (".xml", ".rss", ".atom", ".nitf", ".ttml", ".dfxp")
# LDC and TREC news collections, one article per <DOC> (Gigaword, TDT, TREC, CLEF): dedup.io.sgml_docs
# (SGML_EXTENSIONS, imported above: .sgml, .sgm)
# One message (.eml) or a mailbox of them (.mbox), and web pages saved as MIME (.mht, .mhtml):
# dedup.io.email_messages; Outlook messages (.msg): dedup.io.outlook_msg
MIME_EXTENSIONS = EMAIL_EXTENSIONS + MHTML_EXTENSIONS + MSG_EXTENSIONS
# One article per file, read by a parser of its own (word-processor zips, RTF, PDF): binary_text
BINARY_EXTENSIONS = OFFICE_EXTENSIONS + DOC_EXTENSIONS + RTF_EXTENSIONS + PDF_EXTENSIONS
# Any of these compressed with gzip, bzip2, xz or Zstandard (news.jsonl.gz) is read as the file
# inside, streamed (dedup.io.compressed); Parquet compresses its own pages and .warc.gz is WARC's own
# gzip framing.
_COMPRESSIBLE = TEXT_EXTENSIONS + HTML_EXTENSIONS + CAPTION_EXTENSIONS + RECORD_EXTENSIONS
COMPRESSED_EXTENSIONS = tuple(
    ext + suffix
    for ext in _COMPRESSIBLE + NEWS_XML_EXTENSIONS + SGML_EXTENSIONS + MIME_EXTENSIONS
    for suffix in COMPRESSION_SUFFIXES
)
SUPPORTED_EXTENSIONS = (
    TEXT_EXTENSIONS
    + HTML_EXTENSIONS
    + CAPTION_EXTENSIONS
    + RECORD_EXTENSIONS
    + PARQUET_EXTENSIONS
    + WARC_EXTENSIONS
    + NEWS_XML_EXTENSIONS
    + SGML_EXTENSIONS
    + MIME_EXTENSIONS
    + BINARY_EXTENSIONS
    + COMPRESSED_EXTENSIONS
    + BUNDLE_EXTENSIONS
)
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


def binary_text(stream: BinaryIO, name: str, *, max_chars: int, max_xml_bytes: int) -> tuple[str | None, str]:
    """The text of a ``.docx``, ``.odt``, ``.doc``, ``.rtf`` or ``.pdf`` file (``name``'s ending tells
    which):
    ``(text, "")`` or ``(None, why)``.

    Args:
        stream: The file, as a seekable binary stream.
        name: Its file name (one of :data:`BINARY_EXTENSIONS`).
        max_chars: A PDF's pages are read until its text reaches this many characters, a ``.doc``
            file's text up to this many.
        max_xml_bytes: At most this many bytes of a word-processor file's document XML, or of an RTF
            file, are read.
    """
    lowered = name.lower()
    if lowered.endswith(PDF_EXTENSIONS):
        return pdf_text(stream, max_chars=max_chars)
    if lowered.endswith(RTF_EXTENSIONS):
        return rtf_text(stream, max_bytes=max_xml_bytes)
    if lowered.endswith(DOC_EXTENSIONS):
        return doc_text(stream, max_chars=max_chars)
    ending = next(e for e in OFFICE_EXTENSIONS if lowered.endswith(e))
    return office_text(stream, ending, max_bytes=max_xml_bytes)


def caption_reader(name: str) -> Callable[[str], tuple[str | None, str]] | None:
    """The reader of a caption file's decoded text by its name's ending (``.srt``/``.vtt``: SubRip
    and WebVTT, ``.scc``: Scenarist), or None for any other file.

    Example:
        >>> caption_reader("evening.srt").__name__, caption_reader("news.txt") is None
        ('subtitle_text', True)
    """
    lowered = name.lower()
    if lowered.endswith(SUBTITLE_EXTENSIONS):
        return subtitle_text
    if lowered.endswith(SCC_EXTENSIONS):
        return scc_text
    return None


def is_bare_compressed(name: str) -> bool:
    """Whether ``name`` is a compressed file with no ending inside (``afp_eng_199405.gz``), the way LDC
    ships Gigaword: such a file is read as an SGML collection (:mod:`dedup.io.sgml_docs`) when it
    holds one, else as compressed text.

    Example:
        >>> [is_bare_compressed(name) for name in ("afp_eng_199405.gz", "news.jsonl.gz", "notes")]
        [True, False, False]
    """
    inner, compression = split_compression(name.rsplit("/", 1)[-1])
    return bool(compression and inner) and "." not in inner


def has_no_format_ending(name: str) -> bool:
    """Whether the file ``name`` has no ending that names a format: none at all (TREC's
    ``LA010189``, a page a site mirror saved from ``/news/storm-hits-coast``) or only digits
    (``FR940104.0``). Such a file is read by its content (:func:`name_by_content`).

    Example:
        >>> [has_no_format_ending(name) for name in ("LA010189", "docs/FR940104.0", "a.txt", "a.gz")]
        [True, True, False, False]
    """
    base = name.rsplit("/", 1)[-1]
    stem, dot, ending = base.rpartition(".")
    return bool(base) and (not dot or (bool(stem) and ending.isdigit()))


def is_server_page(name: str) -> bool:
    """Whether ``name`` is a page a site mirror (wget, HTTrack) saved under its server script's name,
    with or without the query (``article.php?id=7``, ``story.aspx``): read as HTML when it holds HTML
    (:func:`name_by_content`).

    Example:
        >>> [is_server_page(name) for name in ("article.php?id=7", "news/story.ASPX", "a.html")]
        [True, True, False]
    """
    return name.rsplit("/", 1)[-1].split("?", 1)[0].lower().endswith(SERVER_PAGE_ENDINGS)


def is_read_by_content(name: str) -> bool:
    """Whether the file ``name`` is read when its content says what it is (:func:`name_by_content`):
    it has no format ending, or is a saved server page."""
    return has_no_format_ending(name) or is_server_page(name)


def name_by_content(name: str, head: bytes) -> str | None:
    """The name under which a file :func:`is_read_by_content` is read, from its first bytes (up to
    8 KiB): ``name.sgml`` for an SGML ``<DOC>`` collection (:func:`dedup.io.sgml_docs.holds_docs`,
    TREC ships them without an ending), ``name.html`` for an HTML page; None for anything else, which
    a folder walk passes over.

    Example:
        >>> name_by_content("LA010189", b"<DOC>\\n<DOCNO> LA010189-0001 </DOCNO>")
        'LA010189.sgml'
        >>> name_by_content("article.php?id=7", b"<!DOCTYPE html><html>"), name_by_content("notes", b"Hi")
        ('article.php?id=7.html', None)
    """
    if not is_read_by_content(name):
        return None
    if has_no_format_ending(name) and holds_docs(head):
        return f"{name}.sgml"
    if _HTML_START.search(head):
        return f"{name}.html"
    return None


def reads_by_name(name: str, extensions: tuple[str, ...] = SUPPORTED_EXTENSIONS) -> bool:
    """Whether a folder walk or a bundle reads the file ``name``: its ending is one of ``extensions``,
    or it is a compressed file with no ending inside (:func:`is_bare_compressed`) and SGML
    collections are among ``extensions``.

    Example:
        >>> [reads_by_name(name) for name in ("a.txt", "afp_eng_199405.gz", "photo.png")]
        [True, True, False]
    """
    return name.lower().endswith(extensions) or (".sgml.gz" in extensions and is_bare_compressed(name))


def text_reader(name: str) -> Callable[[str], tuple[str | None, str]] | None:
    """The reader of a text format's decoded text by its name's ending: a caption file's
    (:func:`caption_reader`) or a Markdown file's (:func:`dedup.io.markdown_text.markdown_text`);
    None for plain text and any other file.

    Example:
        >>> text_reader("post.md").__name__, text_reader("evening.srt").__name__, text_reader("a.txt")
        ('markdown_text', 'subtitle_text', None)
    """
    if name.lower().endswith(MARKDOWN_EXTENSIONS):
        return markdown_text
    return caption_reader(name)


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
