"""News collections in the SGML ``<DOC>`` layout of LDC and TREC: Gigaword, TDT, TREC and CLEF
newspaper collections, one file holding many articles.

Each ``<DOC>`` element is one article::

    <DOC id="AFP_ENG_20090101.0001" type="story" >
    <HEADLINE>
    Storm hits the coast
    </HEADLINE>
    <DATELINE>PARIS, Jan 1, 2009 (AFP)</DATELINE>
    <TEXT>
    <P>
    Thousands of homes lost power on Thursday as the storm
    reached the coast.
    </P>
    </TEXT>
    </DOC>

The key is the ``id`` attribute (Gigaword), else ``<DOCNO>`` or ``<DOCID>`` (TREC, TDT, CLEF), else
the article's position. The text is the headline (``<HEADLINE>``, ``<HL>``, ``<HEAD>`` or
``<TITLE>``) and then the ``<TEXT>`` element's paragraphs: each ``<P>`` (or ``<TURN>`` of a
broadcast transcript) one line, its wrapped lines joined back (:func:`dedup.text.reflow.reflow`);
without ``<P>`` tags, the text is reflowed as wrapped plain text. Other tags are dropped, SGML
entities read (``&amp;``, TREC's ``&hyph;`` and ``&blank;``; an entity nobody defined goes). The
date is ``<DATE_TIME>``, ``<DATETIME>`` or ``<DATE>`` (ISO 8601 where readable), else the
``YYYYMMDD`` in a Gigaword id. The dateline is left out: it is the agency's, not the story's.

The file is read line by line, one ``<DOC>`` at a time, and each article is decoded on its own
(UTF-8, else the encoding guessed for the file's first article that was not UTF-8).

Example:
    >>> import io
    >>> raw = (b'<DOC id="AFP_ENG_20090101.0001" type="story">\\n<HEADLINE>Storm hits</HEADLINE>\\n'
    ...        b'<TEXT>\\n<P>\\nThousands of homes lost\\npower &amp; heat.\\n</P>\\n</TEXT>\\n</DOC>\\n')
    >>> [(a.key, a.text, a.date) for a in iter_sgml_articles(io.BytesIO(raw))]
    [('AFP_ENG_20090101.0001', 'Storm hits\\nThousands of homes lost power & heat.', '2009-01-01')]
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from dedup.io.decode import decode_bytes, try_decode
from dedup.io.news_xml import XmlArticle, iso_date
from dedup.text.reflow import reflow

__all__ = ["MAX_DOC_BYTES", "SGML_EXTENSIONS", "holds_docs", "iter_sgml_articles"]

SGML_EXTENSIONS = (".sgml", ".sgm")
MAX_DOC_BYTES = 16 * 1024 * 1024
"""A ``<DOC>`` longer than this is skipped (a file whose ``</DOC>`` is missing would otherwise be
read whole as one article)."""

_DOC_START = re.compile(rb"<DOC(?=[\s>])", re.IGNORECASE)
_DOC_END = re.compile(rb"</DOC\s*>", re.IGNORECASE)
_OPEN_TAG = re.compile(r"<DOC\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_HEADLINE_TAGS = ("HEADLINE", "HL", "HEAD", "TITLE")
_DATE_TAGS = ("DATE_TIME", "DATETIME", "DATE")
_KEY_TAGS = ("DOCNO", "DOCID")
_BLOCK = re.compile(r"<(?:/?P|/?TURN|BR)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")
_ID_DATE = re.compile(r"_((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:\.|$)")
# Entities of TREC's and CLEF's SGML that HTML does not define; any other unknown one is dropped.
_SGML_ENTITIES = {"hyph": "-", "blank": " ", "bull": "•", "cent": "¢", "deg": "°"}
_ENTITY = re.compile(r"&(\w+);")
# Dates as newspaper collections write them: "January 1, 1989, Sunday, Home Edition" (TREC), "01/04/1998
# 18:30:00" (TDT, month first), "880102" and "19880102" (a DOCNO's or DATE's digits).
_WRITTEN_DATE = re.compile(r"\b([A-Z][a-z]+)\.? (\d{1,2}), (\d{4})\b")
_US_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})\b")


def iter_sgml_articles(stream: BinaryIO) -> Iterator[XmlArticle]:
    """The articles of one SGML ``<DOC>`` collection (see the module docstring), streamed.

    Args:
        stream: The file, as a binary stream.

    Yields:
        One :class:`~dedup.io.news_xml.XmlArticle` per ``<DOC>``; an article over
        :data:`MAX_DOC_BYTES` or without text carries the reason in ``error``.
    """
    encoding: str | None = None
    n = 0
    for chunk, why in _doc_chunks(stream):
        n += 1
        if chunk is None:
            yield XmlArticle(str(n), None, error=why)
            continue
        text = try_decode(chunk, encoding, True) if encoding else None
        if text is None:
            text, used = decode_bytes(chunk)
            if text is None:
                yield XmlArticle(str(n), None, error=f"undecodable <DOC>: {used}")
                continue
            if used not in ("utf-8", "utf-8-sig"):
                encoding = used
        yield _article(text, n)


def holds_docs(head: bytes) -> bool:
    """Whether a file's first bytes hold the start of a ``<DOC>`` (not a ``<DOCNO>``).

    Example:
        >>> holds_docs(b'<DOC id="A1" type="story">'), holds_docs(b"<DOCNO> 1 </DOCNO>"), holds_docs(b"Hi")
        (True, False, False)
    """
    return _DOC_START.search(head) is not None


def _doc_chunks(stream: BinaryIO) -> Iterator[tuple[bytes | None, str]]:
    """``(bytes, "")`` of each ``<DOC>`` … ``</DOC>`` in the stream, or ``(None, why)`` for one over
    MAX_DOC_BYTES or cut off by the end of the file."""
    parts: list[bytes] | None = None
    size = 0
    for line in stream:
        while line:
            if parts is None:
                start = _DOC_START.search(line)
                if start is None:
                    break
                parts, size, line = [], 0, line[start.start() :]
            end = _DOC_END.search(line)
            piece = line if end is None else line[: end.end()]
            size += len(piece)
            if size <= MAX_DOC_BYTES:
                parts.append(piece)
            if end is None:
                break
            if size <= MAX_DOC_BYTES:
                yield b"".join(parts), ""
            else:
                yield None, f"<DOC> over {MAX_DOC_BYTES // 2**20} MiB"
            parts, line = None, line[end.end() :]
    if parts is not None:
        yield None, "the file ends inside a <DOC> (no </DOC>)"


def _article(doc: str, n: int) -> XmlArticle:
    """One ``<DOC>`` element's article."""
    opening = _OPEN_TAG.match(doc)
    attributes = {
        m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
        for m in _ATTRIBUTE.finditer(opening.group(1) if opening else "")
    }
    key = attributes.get("id") or _first_element(doc, _KEY_TAGS) or str(n)
    key = " ".join(key.split())
    headline = " ".join(_plain(_first_element(doc, _HEADLINE_TAGS)).split())
    body = "\n".join(_paragraphs(m.group(1)) for m in _element(doc, "TEXT"))
    date = _date(" ".join(_plain(_first_element(doc, _DATE_TAGS)).split()))
    if not date and (found := _ID_DATE.search(key)):
        date = "-".join(found.groups())
    text = "\n".join(part for part in (headline, body) if part)
    if not body.strip():
        why = "an empty <TEXT>" if re.search(r"<TEXT\b", doc, re.IGNORECASE) else "no <TEXT> element"
        return XmlArticle(key, None, date=date, error=why)
    return XmlArticle(key, text, date=date)


def _date(value: str) -> str:
    """ISO 8601 of a collection's date (:func:`~dedup.io.news_xml.iso_date`, a written-out
    "January 1, 1989", a TDT "01/04/1998"), else as written.

    Example:
        >>> _date("January 1, 1989, Sunday, Home Edition"), _date("01/04/1998 18:30:00"), _date("1998-01-04")
        ('1989-01-01', '1998-01-04', '1998-01-04')
    """
    date = iso_date(value)
    if date != value or not value:
        return date
    if found := _WRITTEN_DATE.search(value):
        try:
            return datetime.strptime(" ".join(found.groups()), "%B %d %Y").date().isoformat()
        except ValueError:
            return value
    if found := _US_DATE.match(value):
        month, day, year = found.groups()
        if 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
            return f"{year}-{month}-{day}"
    return value


def _element(doc: str, tag: str) -> Iterator[re.Match[str]]:
    return re.finditer(rf"<{tag}\b[^>]*>(.*?)</{tag}\s*>", doc, re.IGNORECASE | re.DOTALL)


def _first_element(doc: str, tags: tuple[str, ...]) -> str:
    for tag in tags:
        for match in _element(doc, tag):
            return match.group(1)
    return ""


def _paragraphs(text: str) -> str:
    """A ``<TEXT>`` element's paragraphs, one per line."""
    if _BLOCK.search(text):
        blocks = _BLOCK.split(text)
        return "\n".join(line for block in blocks if (line := reflow(_plain(block))))
    return reflow(_plain(text))


def _plain(markup: str) -> str:
    """``markup`` without tags, with its entities read."""
    text = _TAG.sub(" ", markup)
    text = _ENTITY.sub(lambda m: _SGML_ENTITIES.get(m.group(1).lower(), m.group(0)), text)
    return _ENTITY.sub("", html.unescape(text))
