"""WARC files: the ``response`` and ``resource`` records holding HTML or plain text, streamed.

Read with FastWARC, one record at a time, from an already open binary stream (never a path);
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

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import IO

__all__ = ["WarcItem", "iter_warc_records"]

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
            raw_type = rec.headers.get("Content-Type") or ""
            content_type = raw_type.split(";")[0].strip().lower()
            m = re.search(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)", raw_type, re.IGNORECASE)
            charset = m.group(1).lower() if m else None
        content_type = content_type.split(";")[0].strip().lower()
        if content_type in _HTML_TYPES:
            kind = "html"
        elif content_type in _CAPTION_TYPES:
            kind = _CAPTION_TYPES[content_type]
        elif content_type in _TEXT_TYPES:
            path = url.split("?", 1)[0].split("#", 1)[0].lower()
            kind = next((k for k in ("vtt", "srt") if path.endswith(f".{k}")), "text")
        else:
            yield replace(item, error=f"not HTML or plain text ({content_type or 'no content type'})")
            continue
        try:
            payload = rec.reader.read(max_bytes)
        except Exception as err:  # a damaged or truncated body
            yield replace(item, error=f"unreadable record body: {err}")
            continue
        yield replace(item, payload=payload, kind=kind, charset=charset)
