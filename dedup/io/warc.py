"""Web archives: the ``response`` and ``resource`` records holding HTML or plain text, streamed.

WARC files (``.warc``, ``.warc.gz``) are read with FastWARC, and the ARC files web archives wrote
before WARC (1996-2009: ``.arc``, ``.arc.gz``, which FastWARC does not read) with warcio. Both
read one record at a time from an already open binary stream (never a path);
:mod:`dedup.io.read_records` turns each record into a :class:`~dedup.types.Document` or a
:class:`~dedup.types.Skipped`.

Example:
    >>> import io
    >>> from dedup.io.warc import iter_warc_records
    >>> body = b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nHello."
    >>> head = (b"WARC/1.0\\r\\nWARC-Type: response\\r\\nWARC-Record-ID: <urn:uuid:1>\\r\\n"
    ...         b"Content-Type: application/http; msgtype=response\\r\\n"
    ...         b"Content-Length: " + str(len(body)).encode() + b"\\r\\n\\r\\n")
    >>> stream = io.BytesIO(head + body + b"\\r\\n\\r\\n")
    >>> [(r.record_id, r.kind, r.payload) for r in iter_warc_records(stream)]
    [('urn:uuid:1', 'text', b'Hello.')]
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import IO

__all__ = ["WarcItem", "iter_arc_records", "iter_warc_records"]

# Content types read from WARC records; the first group is HTML.
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/plain",)
# Caption tracks a video player fetched, read as caption files of that format (dedup.io.subtitles);
# a plain-text response is one too when its URL's path ends in the format's ending.
_CAPTION_TYPES = {
    "text/vtt": "vtt",
    "application/x-subrip": "srt",
    "application/srt": "srt",
    "text/srt": "srt",
}


@dataclass(frozen=True, slots=True)
class WarcItem:
    """One ``response`` (or ``resource``) record of a WARC file.

    Attributes:
        record_id: The WARC-Record-ID without its angle brackets (``urn:uuid:...``).
        url: WARC-Target-URI ("" when missing).
        date: WARC-Date as written (ISO 8601, "" when missing).
        payload: The HTTP body (de-chunked and decompressed), at most the requested bytes; None
            when the record is not used.
        kind: ``html``, ``text``, or a caption format (``vtt``, ``srt``) for a usable payload.
        charset: Charset from the HTTP Content-Type, or None.
        error: Why the record is not used (non-HTML content, an error status, ...), or None.
    """

    record_id: str
    url: str = ""
    date: str = ""
    payload: bytes | None = None
    kind: str = ""
    charset: str | None = None
    error: str | None = None


def iter_warc_records(stream: IO[bytes], *, max_bytes: int = 4 << 20) -> Iterator[WarcItem]:
    """The ``response`` and ``resource`` records of a WARC stream (``.warc`` or ``.warc.gz``), streamed.

    Uses FastWARC (``fastwarc``); the stream is read once, one record at a time. Request,
    metadata, warcinfo and revisit records are not articles and are passed over silently.
    A response whose HTTP status is not 2xx, or whose content type is neither HTML, plain text nor
    WebVTT or SubRip captions, comes back with ``error`` set.

    Args:
        stream: An open binary file (gzip members are detected).
        max_bytes: At most this many payload bytes are kept per record (the rest is skipped).

    Yields:
        One :class:`WarcItem` per response/resource record, in file order.
    """
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    kinds = WarcRecordType.response | WarcRecordType.resource
    for rec in ArchiveIterator(stream, record_types=kinds, parse_http=True, auto_decode="all"):
        record_id = (rec.record_id or "").strip().strip("<>")
        url = (rec.headers.get("WARC-Target-URI") or "").strip().strip("<>")
        date = (rec.headers.get("WARC-Date") or "").strip()
        item = WarcItem(record_id=record_id, url=url, date=date)
        if rec.record_type == WarcRecordType.response:
            if not rec.is_http:
                yield replace(item, error="not an HTTP response record")
                continue
            status = rec.http_headers.status_code
            if status is None or not 200 <= status < 300:
                phrase = rec.http_headers.status_line or str(status)
                yield replace(item, error=f"HTTP error or redirect response ({phrase})")
                continue
            content_type = rec.http_content_type or ""
            charset = rec.http_charset
        else:
            content_type = rec.headers.get("Content-Type") or ""
            charset = _charset_of(content_type)
        yield _with_payload(item, content_type, charset, rec.reader, max_bytes)


def iter_arc_records(stream: IO[bytes], *, max_bytes: int = 4 << 20) -> Iterator[WarcItem]:
    """The HTTP response records of an ARC file (``.arc`` or ``.arc.gz``), streamed, as WARC items.

    Uses warcio (``warcio``). An ARC record has no id of its own: ``record_id`` is its byte offset
    in the file (in the compressed file for ``.arc.gz``), the address a CDX index gives it;
    ``date`` is its archive date in ISO 8601. The file's header record is passed over; a record
    whose status is not 2xx, or whose content is not HTML, plain text or captions, comes back with
    ``error`` set, as in :func:`iter_warc_records`. A stream that does not open with an ARC file
    header (a ``filedesc://`` record) yields nothing. Version 1 is read (the Internet Archive's and
    Heritrix's crawlers wrote it); a version 2 file raises ``ValueError``.

    Example:
        >>> import io
        >>> def record(url, content):
        ...     return b"%s 127.0.0.1 19961104142103 text/plain %d\\n%s\\n" % (url, len(content), content)
        >>> fields = b"URL IP-address Archive-date Content-type Archive-length"
        >>> head = record(b"filedesc://x.arc", b"1 0 Example\\n" + fields + b"\\n")
        >>> http = b"HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n"
        >>> page = record(b"http://example.com/", http + b"Hello.")
        >>> [(r.record_id, r.url, r.date, r.payload) for r in iter_arc_records(io.BytesIO(head + page))]
        [('125', 'http://example.com/', '1996-11-04T14:21:03Z', b'Hello.')]
    """
    from warcio.archiveiterator import ArchiveIterator

    class QuietArchiveIterator(ArchiveIterator):
        INC_RECORD = ""  # warcio writes this warning on a damaged record to stderr; nothing is printed

    if _arc_version(stream) == "2":
        raise ValueError("ARC version 2 (Alexa's record layout) is not read; version 1 is")
    records = QuietArchiveIterator(stream)
    for n, rec in enumerate(records):
        if n == 0 and rec.rec_type != "arc_header":
            return  # an ARC file opens with its filedesc:// record: this is not one
        if rec.rec_type != "response":  # the file's own header record
            continue
        headers = rec.rec_headers
        item = WarcItem(
            record_id="",
            url=(headers.get_header("uri") or "").strip(),
            date=_iso_date(headers.get_header("archive-date") or ""),
        )
        http = rec.http_headers
        status = (http.get_statuscode() or "") if http is not None else "200"
        if not status.isdigit():
            item = replace(item, error="HTTP response without a status line")
        elif not 200 <= int(status) < 300:
            item = replace(item, error=f"HTTP error or redirect response ({http.protocol} {http.statusline})")
        else:  # the HTTP Content-Type, else (a dns: record, no HTTP headers) the header line's
            http_type = http.get_header("Content-Type") if http is not None else None
            content_type = http_type or headers.get_header("content-type") or ""
            item = _with_payload(
                item, content_type, _charset_of(content_type), rec.content_stream(), max_bytes
            )
        # The offset is known once the record is read (warcio reads it to its end to tell it).
        yield replace(item, record_id=str(records.get_record_offset()))


def _arc_version(stream: IO[bytes]) -> str:
    """The version number an ARC file's header record gives ("1", "2"; "" if none), read ahead in
    ``stream`` (gzip-framed or not), which is left where it was."""
    start = stream.tell()
    try:
        head = stream.read(2)
        stream.seek(start)
        text = gzip.GzipFile(fileobj=stream) if head == b"\x1f\x8b" else stream
        first, version = text.readline(4096), text.readline(256)
    except (OSError, EOFError):
        return ""
    finally:
        stream.seek(start)
    return version.split(b" ", 1)[0].decode("ascii", "replace") if first.startswith(b"filedesc://") else ""


def _with_payload(
    item: WarcItem, content_type: str, charset: str | None, body: IO[bytes], max_bytes: int
) -> WarcItem:
    """The item with its kind and first ``max_bytes`` of payload, or with why it is not used."""
    content_type = content_type.split(";")[0].strip().lower()
    if content_type in _HTML_TYPES:
        kind = "html"
    elif content_type in _CAPTION_TYPES:
        kind = _CAPTION_TYPES[content_type]
    elif content_type in _TEXT_TYPES:
        path = item.url.split("?", 1)[0].split("#", 1)[0].lower()
        kind = next((k for k in ("vtt", "srt") if path.endswith(f".{k}")), "text")
    else:
        return replace(item, error=f"not HTML or plain text ({content_type or 'no content type'})")
    try:
        payload = body.read(max_bytes)
    except Exception as err:  # a damaged or truncated body
        return replace(item, error=f"unreadable record body: {err}")
    return replace(item, payload=payload, kind=kind, charset=charset)


def _charset_of(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, lower case, or None."""
    m = re.search(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)", content_type, re.IGNORECASE)
    return m.group(1).lower() if m else None


def _iso_date(archive_date: str) -> str:
    """An ARC archive date (``YYYYMMDDhhmmss``) in ISO 8601, UTC; anything else as written.

    Example:
        >>> _iso_date("19961104142103"), _iso_date("1996")
        ('1996-11-04T14:21:03Z', '1996')
    """
    d = archive_date.strip()
    if len(d) != 14 or not d.isdigit():
        return d
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}Z"
