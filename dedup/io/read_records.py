"""Record files to documents: one :class:`~dedup.types.Document` or :class:`~dedup.types.Skipped` per
JSON object, CSV/TSV row, Parquet row or WARC response record, streamed from an open file.

RSS/Atom feeds, NITF and NewsML-G2 files (:mod:`dedup.io.news_xml`) give one article per item,
entry or news item. JSON, JSON Lines, CSV/TSV and news XML files may be gzip-, bzip2-, xz-
or Zstandard-compressed (``news.jsonl.gz``); they are read through the decompressor
(:mod:`dedup.io.compressed`). Ids are ``<file>#<key>``: the record's id field, else its 1-based
line, item or row number (a WARC record's WARC-Record-ID); a repeated key gets ``~<n>``. Only
``.json`` files are read whole (up to 100 times ``max_chars`` characters); JSON Lines and CSV/TSV
are read line by line (lines longer than 8 times ``max_chars`` skipped), news XML one item at a
time, Parquet one record batch at a time and WARC one record at a time.

Example:
    >>> import os, tempfile
    >>> from dedup.io.read_records import iter_record_file
    >>> path = os.path.join(tempfile.mkdtemp(), "news.jsonl")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write('{"id": "x", "text": "Hello."}\\n{"id": "x", "text": " "}\\n')
    >>> fd = os.open(path, os.O_RDONLY)
    >>> [(type(r).__name__, getattr(r, "doc_id", "")) for r in iter_record_file(fd, path, "news.jsonl")]
    [('Document', 'news.jsonl#x'), ('Skipped', '')]
    >>> os.close(fd)
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from dedup.io import formats
from dedup.io.compressed import DECOMPRESSION_ERRORS, open_decompressed, split_compression
from dedup.io.decode import SNIFF_BYTES, byte_cap, bytes_to_text, cap_text, decode_bytes, normalize_text
from dedup.io.email_messages import (
    MAX_MESSAGE_BYTES,
    EmailArticle,
    emlx_article,
    iter_mbox_articles,
    message_article,
    web_page_article,
)
from dedup.io.hashing import sha256_bytes, text_sha256
from dedup.io.html_text import markup_to_text
from dedup.io.news_xml import XmlArticle, iter_xml_articles
from dedup.io.outlook_msg import MSG_EXTENSIONS, msg_article
from dedup.io.progress import ByteMeter, format_bytes
from dedup.io.records import (
    Record,
    iter_csv_records,
    iter_json_lines,
    iter_json_records,
    iter_parquet_records,
)
from dedup.io.sgml_docs import iter_sgml_articles
from dedup.io.warc import iter_arc_records, iter_warc_records
from dedup.io.webarchive import WEBARCHIVE_EXTENSIONS, webarchive_article
from dedup.types import Document, Skipped

__all__ = ["RECORD_FILE_EXTENSIONS", "iter_record_file", "read_start"]

logger = logging.getLogger(__name__)

RECORD_FILE_EXTENSIONS = (
    formats.RECORD_EXTENSIONS
    + formats.PARQUET_EXTENSIONS
    + formats.WARC_EXTENSIONS
    + formats.NEWS_XML_EXTENSIONS
    + formats.SGML_EXTENSIONS
    + formats.MIME_EXTENSIONS
    + tuple(
        ext
        for ext in formats.COMPRESSED_EXTENSIONS
        if ext.startswith(
            formats.RECORD_EXTENSIONS
            + formats.NEWS_XML_EXTENSIONS
            + formats.SGML_EXTENSIONS
            + formats.MIME_EXTENSIONS
        )
    )
)
# A .json file is parsed whole: at most this many times max_chars characters (JSON Lines stream).
_JSON_CHAR_FACTOR = 100


def iter_record_file(
    fd: int,
    where: str,
    rel: str,
    *,
    max_chars: int = 200_000,
    text_field: str | None = None,
    id_field: str | None = None,
    meter: ByteMeter | None = None,
    name: str | None = None,
) -> Iterator[Document | Skipped]:
    """One Document per record of a JSON, JSON Lines, CSV, TSV, Parquet or WARC file, streamed.

    Args:
        fd: The file, open for reading at its start; the format is told by ``name``'s ending
            (one of ``RECORD_FILE_EXTENSIONS``).
        where: The file's path, for ``Document.path`` and skipped entries.
        rel: The file's document id; records are ``rel#key``.
        max_chars: Texts are cut to this many characters.
        text_field: Field or column holding the text (see :func:`dedup.io.records.record_from_object`);
            not used for WARC.
        id_field: Field or column holding the record id; not used for WARC.
        meter: Told the position in the file as reading advances.
        name: The file's name; default ``where`` (a member of a bundle is read from a temporary
            file, and ``where`` names it inside its bundle).

    Yields:
        Documents, and Skipped entries for unusable records (``file#key``) or files. A WARC
        record's ``Document.url`` and ``Document.date`` are its target URI and WARC-Date, and
        ``sha256`` the digest of its payload; a record's is the digest of its text.
    """
    name = (name or where).lower()
    reader = _RecordFile(where, name, rel, max_chars, text_field, id_field, meter or ByteMeter(None, 0))
    if name.endswith(formats.PARQUET_EXTENSIONS):
        yield from _parquet_documents(fd, reader)
    elif name.endswith(formats.WARC_EXTENSIONS):
        yield from _warc_documents(fd, reader)
    elif split_compression(name)[0].endswith(formats.NEWS_XML_EXTENSIONS):
        yield from _streamed_articles(fd, reader, iter_xml_articles, "no items or entries (an empty feed)")
    elif split_compression(name)[0].endswith(formats.SGML_EXTENSIONS):
        yield from _streamed_articles(fd, reader, iter_sgml_articles, "no <DOC> element")
    elif split_compression(name)[0].endswith(formats.MIME_EXTENSIONS):
        yield from _mime_documents(fd, reader)
    else:
        yield from _json_csv_documents(fd, reader)


@dataclass
class _RecordFile:
    """One record file being read: where it is, the options, and the ids handed out so far."""

    where: str
    name: str  # lower-case; its ending tells the format
    rel: str
    max_chars: int
    text_field: str | None
    id_field: str | None
    meter: ByteMeter
    seen: set[str] = field(default_factory=set)

    def doc_id(self, key: str, n: int) -> str:
        """Unique ``file#key`` id: a repeated key gets ``~n`` (its position in the file)."""
        doc_id = f"{self.rel}#{key}"
        if doc_id in self.seen:
            doc_id = f"{self.rel}#{key}~{n}"
        self.seen.add(doc_id)
        return doc_id

    def result(self, record: Record, n: int) -> Document | Skipped:
        """The document of the ``n``-th record, or why it is skipped; a text in HTML (a CMS export's
        body) is read as its text (:func:`dedup.io.html_text.markup_to_text`)."""
        doc_id = self.doc_id(record.key, n)
        if record.text is None:
            return Skipped(f"{self.where}#{record.key}", record.error or "no text")
        text = cap_text(normalize_text(markup_to_text(record.text)), self.max_chars)
        if not text:
            return Skipped(f"{self.where}#{record.key}", "empty or whitespace-only text")
        return Document(doc_id=doc_id, text=text, path=self.where, sha256=text_sha256(record.text))


def read_start(fd: int, where: str, compression: str, n: int) -> bytes | Skipped:
    """The first ``n`` (decompressed) bytes of the file, or why compressed data cannot be read."""
    try:
        with open_decompressed(fd, compression) as stream:
            return stream.read(n)
    except DECOMPRESSION_ERRORS as err:
        if not compression:
            raise
        return Skipped(where, f"unreadable {compression} data: {err}")


def _json_csv_documents(fd: int, reader: _RecordFile) -> Iterator[Document | Skipped]:
    """One Document per JSON object / CSV or TSV row; streamed except for ``.json`` (size-capped).

    A compressed file (``.jsonl.gz``, ``.csv.bz2`` ...) is read through its decompressor; damaged
    compressed data ends the file with a Skipped entry after the records read before it.
    """
    where = reader.where
    name, compression = split_compression(reader.name)
    head = read_start(fd, where, compression, 4 * SNIFF_BYTES)
    if isinstance(head, Skipped):
        yield head
        return
    if not head:
        yield Skipped(where, "empty file")
        return
    sniff, encoding = decode_bytes(head, final=False)
    if sniff is None:
        yield Skipped(where, encoding)
        return
    yielded = 0
    with (
        open_decompressed(fd, compression) as stream,
        io.TextIOWrapper(stream, encoding=encoding or "utf-8", errors="replace", newline="") as fh,
    ):
        try:
            for item in _decoded_records(fh, name, reader, fd):
                yielded += 1
                yield item
        except DECOMPRESSION_ERRORS as err:
            if not compression:
                raise
            yield Skipped(where, f"unreadable {compression} data after {yielded} records: {err}")
            return
    if not yielded:
        yield Skipped(where, "no records (no objects or data rows)")


def _decoded_records(fh: TextIO, name: str, reader: _RecordFile, fd: int) -> Iterator[Document | Skipped]:
    """The documents of the decoded record file ``fh``; ``name`` (lower-case, without a compression
    suffix) tells its format, ``fd`` is the file under it (its position is the progress)."""
    where = reader.where
    fields = {"text_field": reader.text_field, "id_field": reader.id_field}
    line_cap = 8 * reader.max_chars + 64
    pending: list[Document | Skipped] = []  # overlong lines, reported in order
    if name.endswith(".json"):
        limit = _JSON_CHAR_FACTOR * reader.max_chars
        data = fh.read(limit + 1)
        if len(data) > limit:
            yield Skipped(
                where, f"JSON file over {limit} characters; write it as JSON Lines (.jsonl) to stream it"
            )
            return
        records: Iterable[Record] = iter_json_records(data.lstrip("\ufeff"), lines=None, **fields)
    elif name.endswith((".csv", ".tsv")):
        records = iter_csv_records(
            _bounded_lines(fh, line_cap, where, pending),
            delimiter="\t" if name.endswith(".tsv") else ",",
            max_field_chars=line_cap,
            **fields,
        )
    else:
        records = iter_json_lines(_bounded_lines(fh, line_cap, where, pending), **fields)
    for n, record in enumerate(records, start=1):
        if pending:
            yield from pending
            pending.clear()
        yield reader.result(record, n)
        if n % 256 == 0:
            reader.meter.at(os.lseek(fd, 0, os.SEEK_CUR))
    yield from pending


def _streamed_articles(
    fd: int,
    reader: _RecordFile,
    parse: Callable[[BinaryIO], Iterator[XmlArticle]],
    empty: str,
) -> Iterator[Document | Skipped]:
    """One Document per article of a news XML file (feed items, NITF, NewsML-G2) or SGML collection
    (``<DOC>`` elements), read by ``parse`` from the decompressed stream; ``empty`` is the reason
    given for a file without any."""
    compression = split_compression(reader.name)[1]
    if (skipped := _empty_start(fd, reader, compression)) is not None:
        yield skipped
        return
    with open_decompressed(fd, compression) as stream:
        yield from _article_documents(fd, reader, parse(stream), compression, unit="articles", empty=empty)


def _mime_documents(fd: int, reader: _RecordFile) -> Iterator[Document | Skipped]:
    """An ``.eml``, ``.emlx`` or Outlook ``.msg`` message or a saved page (MHTML, Safari's
    ``.webarchive``) as one Document named as the file; an mbox's messages, one Document each
    (``box.mbox#<Message-ID>``), streamed."""
    where = reader.where
    inner, compression = split_compression(reader.name)
    if (skipped := _empty_start(fd, reader, compression)) is not None:
        yield skipped
        return
    with open_decompressed(fd, compression) as stream:
        if inner.endswith(".mbox"):
            yield from _article_documents(
                fd, reader, iter_mbox_articles(stream), compression, unit="messages"
            )
            return
        try:
            raw = stream.read(MAX_MESSAGE_BYTES + 1)
        except DECOMPRESSION_ERRORS as err:
            if not compression:
                raise
            yield Skipped(where, f"unreadable {compression} data: {err}")
            return
    if len(raw) > MAX_MESSAGE_BYTES:
        yield Skipped(where, f"over the {format_bytes(MAX_MESSAGE_BYTES)} read (attachments?)")
        return
    if inner.endswith(".eml"):
        article = message_article(raw, 1)
    elif inner.endswith(".emlx"):
        article = emlx_article(raw)
    elif inner.endswith(MSG_EXTENSIONS):
        article = msg_article(raw)
    elif inner.endswith(WEBARCHIVE_EXTENSIONS):
        article = webarchive_article(raw)
    else:
        article = web_page_article(raw)
    if article.text is None:
        yield Skipped(where, article.error or "no text")
        return
    text = cap_text(normalize_text(article.text), reader.max_chars)
    yield Document(reader.rel, text, path=where, sha256=sha256_bytes(raw), url=article.url, date=article.date)


def _empty_start(fd: int, reader: _RecordFile, compression: str) -> Skipped | None:
    """Why the file cannot be read from its start (damaged compressed data, or empty), or None."""
    head = read_start(fd, reader.where, compression, SNIFF_BYTES)
    if isinstance(head, Skipped):
        return head
    return Skipped(reader.where, "empty file") if not head.strip() else None


def _article_documents(
    fd: int,
    reader: _RecordFile,
    articles: Iterator[XmlArticle | EmailArticle],
    compression: str,
    *,
    unit: str,
    empty: str = "",
) -> Iterator[Document | Skipped]:
    """One Document per article of a news XML file or mailbox, streamed from its reader ``articles``.

    An article keyed ``file`` without text is the file's own error and ends it; damaged compressed
    data ends the file after the ``unit`` (articles, messages) read before it; ``empty`` is the reason
    given for a file without any.
    """
    where = reader.where
    n = 0
    try:
        for n, article in enumerate(articles, start=1):
            if n % 64 == 0:
                reader.meter.at(os.lseek(fd, 0, os.SEEK_CUR))
            if article.key == "file" and article.text is None:
                yield Skipped(where, article.error or "unreadable file")
                return
            if article.text is None:
                yield Skipped(f"{where}#{article.key}", article.error or "no text")
                continue
            yield Document(
                doc_id=reader.doc_id(article.key, n),
                text=cap_text(normalize_text(article.text), reader.max_chars),
                path=where,
                sha256=text_sha256(article.text),
                url=article.url,
                date=article.date,
            )
    except DECOMPRESSION_ERRORS as err:
        if not compression:
            raise
        yield Skipped(where, f"unreadable {compression} data after {n} {unit}: {err}")
        return
    if n == 0 and empty:
        yield Skipped(where, empty)


def _parquet_documents(fd: int, reader: _RecordFile) -> Iterator[Document | Skipped]:
    """One Document per Parquet row, read one record batch at a time."""
    where = reader.where
    size = os.fstat(fd).st_size
    if size == 0:
        yield Skipped(where, "empty file")
        return
    n = 0
    with open(fd, "rb", closefd=False) as fh:
        rows = iter_parquet_records(fh, text_field=reader.text_field, id_field=reader.id_field)
        for n, (record, share) in enumerate(rows, start=1):
            if record.key == "file" and record.text is None:
                yield Skipped(where, record.error or "unreadable Parquet file")
                return
            yield reader.result(record, n)
            reader.meter.at(int(share * size))
    if n == 0:
        yield Skipped(where, "no records (no rows)")


def _warc_documents(fd: int, reader: _RecordFile) -> Iterator[Document | Skipped]:
    """One Document per HTML/plain-text response record of a WARC (or ARC) file, streamed."""
    where = reader.where
    max_bytes = byte_cap(reader.max_chars, html=True)
    arc = reader.name.endswith(formats.ARC_EXTENSIONS)
    records = iter_arc_records if arc else iter_warc_records
    n = 0
    with open(fd, "rb", closefd=False) as fh:
        try:
            for n, item in enumerate(records(fh, max_bytes=max_bytes), start=1):
                reader.meter.at(os.lseek(fd, 0, os.SEEK_CUR))
                key = item.record_id or str(n)
                if item.error is not None or item.payload is None:
                    yield Skipped(f"{where}#{key}", item.error or "no payload")
                    continue
                if not item.payload.strip():
                    yield Skipped(f"{where}#{key}", "empty response body")
                    continue
                text, why = bytes_to_text(
                    item.payload,
                    html=item.kind == "html",
                    reader=formats.caption_reader(f".{item.kind}"),
                    charset=item.charset,
                    final=len(item.payload) < max_bytes,
                    max_chars=reader.max_chars,
                )
                if text is None:
                    yield Skipped(f"{where}#{key}", why)
                    continue
                yield Document(
                    doc_id=reader.doc_id(key, n),
                    text=text,
                    path=where,
                    sha256=sha256_bytes(item.payload),
                    url=item.url,
                    date=item.date,
                )
        except Exception as err:  # a damaged archive: what was read so far stays
            logger.debug("WARC read failed in %s", where, exc_info=True)
            yield Skipped(where, f"unreadable {'ARC' if arc else 'WARC'} after {n} records: {err}")
            return
    if n == 0:
        yield Skipped(where, f"no response or resource records (not {'an ARC' if arc else 'a WARC'} file?)")


def _bounded_lines(fh: TextIO, line_cap: int, where: str, skipped: list[Document | Skipped]) -> Iterator[str]:
    """Yield lines of at most ``line_cap`` characters; longer lines are reported and skipped."""
    n = 0
    while True:
        line = fh.readline(line_cap)
        if not line:
            return
        n += 1
        if len(line) >= line_cap and not line.endswith(("\n", "\r")):
            while (rest := fh.readline(line_cap)) and not rest.endswith(("\n", "\r")):
                pass
            skipped.append(Skipped(f"{where}#{n}", f"line {n} longer than {line_cap} characters, not read"))
            yield "\n"  # keep line numbers of later records right
            continue
        yield line
