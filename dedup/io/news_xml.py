"""News XML: RSS and Atom feeds (one article per item or entry), NITF, NewsML and the Reuters corpora
(newsroom archives), ALTO pages (digitised newspapers), TTML captions (broadcast archives).

:func:`iter_xml_articles` tells the format by the root element, whatever the file is called:
``<rss>`` (RSS 2.0) and ``<rdf:RDF>`` (RSS 1.0) give one article per ``<item>``, Atom's ``<feed>``
one per ``<entry>``, ``<nitf>`` one article, NewsML-G2's ``<newsMessage>`` one per ``<newsItem>`` (a
lone ``<newsItem>`` one), NewsML 1.x's ``<NewsML>`` one per ``<NewsItem>`` (agencies' archives of
the 2000s), the Reuters corpora's ``<newsitem>`` (RCV1, RCV2) one, an ALTO page (``<alto>``, the OCR
of a digitised newspaper page) one, its text blocks as paragraphs, and TTML's ``<tt>`` (EBU-TT,
DFXP, IMSC: the XML captions broadcasters archive) one article, its spoken text: each ``<p>`` is a
cue, its ``<br/>`` breaks display lines, and the cues are joined into paragraphs as SRT and WebVTT
cues are (:mod:`dedup.io.subtitles`). An article's text is its headline, then its body as
paragraphs: an item's ``content:encoded`` or ``description`` (HTML, escaped or not), an entry's
``content`` or ``summary``, NITF's ``body.content``, a news item's ``contentSet`` (inline NITF,
XHTML or text), a NewsML 1.x item's first text ``DataContent``, a Reuters item's ``<text>``. Its key
is its guid / id / NITF doc-id / NewsML identifier / Reuters itemid (else its link, else its
position) and its date the publication date, as ISO 8601 where it can be read.

The parser (:mod:`dedup.io.xml_parse`) never resolves entities, never fetches a DTD or anything
else over the network, and refuses oversized trees (lxml's default against deep nesting).

Example:
    >>> feed = (b'<rss version="2.0"><channel><item><title>Storm</title><guid>a1</guid>'
    ...         b'<pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate>'
    ...         b'<description>&lt;p&gt;It rained.&lt;/p&gt;&lt;p&gt;Roads shut.&lt;/p&gt;</description>'
    ...         b'</item></channel></rss>')
    >>> [(a.key, a.text, a.date) for a in iter_xml_articles(feed)]
    [('a1', 'Storm\\nIt rained.\\nRoads shut.', '2025-06-10T04:00:00+00:00')]
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO

from dedup.io.html_text import visible_text
from dedup.io.subtitles import Cue, cues_text, timed_cue, ttml_seconds
from dedup.io.xml_parse import iterparse, local_name

__all__ = ["XmlArticle", "iso_date", "iter_xml_articles"]

_BODY_BLOCKS = ("hl1", "hl2", "p", "block")


@dataclass(frozen=True, slots=True)
class XmlArticle:
    """One article of a news XML file.

    Attributes:
        key: Its guid, id or doc-id, else its link, else its 1-based position in the file.
        text: Headline and body as lines; None when unusable.
        url: Its link, or "".
        date: Its publication date (ISO 8601 where readable, else as written), or "".
        error: Why it is unusable, or None.
    """

    key: str
    text: str | None
    url: str = ""
    date: str = ""
    error: str | None = None


_UNITS = {
    "rss": "item",
    "RDF": "item",
    "feed": "entry",
    "newsMessage": "newsItem",
    "newsItem": None,
    "NewsML": "NewsItem",
    "NewsItem": None,
    "newsitem": None,
    "nitf": None,
    "tt": None,
    "alto": None,
}
"""Root element -> the element that is one article (None: the whole document is one)."""


def iter_xml_articles(source: bytes | BinaryIO) -> Iterator[XmlArticle]:
    """The articles of one RSS, Atom, NITF, NewsML or Reuters corpus document (see the module
    docstring), streamed.

    Each item, entry or news item is parsed as it ends and then dropped, so a feed or a WordPress
    export of any size is read in the memory of one article.

    Args:
        source: The file's bytes, or a binary stream of them.

    Yields:
        One :class:`XmlArticle` per item, entry or news item. A file whose root is none of these
        yields one article with an error, keyed ``file``, and so does XML that breaks off (after
        the articles read before the break).
    """
    from lxml import etree

    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    events = iterparse(stream, ("start", "end"))
    kind: str | None = None
    unit: str | None = None
    n = 0
    try:
        for event, el in events:
            if kind is None:  # the first event starts the root
                kind = local_name(el)
                if kind not in _UNITS:
                    yield XmlArticle(
                        "file",
                        None,
                        error="XML that is not an RSS or Atom feed, NITF, NewsML, ALTO or TTML "
                        f"(root <{kind}>)",
                    )
                    return
                unit = _UNITS[kind]
                continue
            if event != "end":
                continue
            if unit is not None and local_name(el) == unit:
                n += 1
                yield _PARSERS[unit](el, n)
                el.clear()
                while el.getprevious() is not None:  # parsed siblings: drop them too
                    del el.getparent()[0]
            elif unit is None and el.getparent() is None:  # the root ends: it is the article
                n += 1
                yield _ROOT_PARSERS[kind](el, n)
    except etree.XMLSyntaxError as err:
        where = f" after {n} articles" if n else ""
        yield XmlArticle("file", None, error=f"not well-formed XML{where}: {err}")


def _child(el: Any, name: str) -> Any:
    return next((c for c in el if local_name(c) == name), None)


def _text(el: Any) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


def _markup_text(el: Any) -> str:
    """Visible text of an element holding HTML, escaped (``&lt;p&gt;``) or as child elements."""
    from lxml import etree

    if el is None:
        return ""
    if len(el):
        return visible_text(etree.tostring(el, encoding="unicode", with_tail=False))
    return visible_text(el.text or "")


def _article(key: str, n: int, headline: str, body: str, url: str, date: str) -> XmlArticle:
    key = key.strip() or url.strip() or str(n)
    lines = [line.strip() for line in f"{headline}\n{body}".splitlines() if line.strip()]
    if len(lines) > 1 and lines[0] == lines[1]:  # a body that repeats its headline
        del lines[1]
    text = "\n".join(lines)
    if not text:
        return XmlArticle(key, None, url.strip(), date, error="no headline or body text")
    return XmlArticle(key, text, url.strip(), date)


def _feed_item(el: Any, n: int) -> XmlArticle:
    post_type = _text(_child(el, "post_type"))  # a WordPress export (WXR) holds attachments, menus ...
    if post_type and post_type not in ("post", "page"):
        key = _text(_child(el, "guid")) or _text(_child(el, "link")) or str(n)
        return XmlArticle(key, None, error=f"WordPress {post_type} item, not an article")
    body = _markup_text(_child(el, "encoded")) or _markup_text(_child(el, "description"))  # content:encoded
    date = _child(el, "pubDate") if _child(el, "pubDate") is not None else _child(el, "date")  # dc:date
    about = next((v for k, v in el.attrib.items() if k.endswith("about")), "")  # RSS 1.0 rdf:about
    link = _text(_child(el, "link")) or about
    return _article(_text(_child(el, "guid")) or about, n, _text(_child(el, "title")), body, link,
                    iso_date(_text(date)))  # fmt: skip


def _atom_entry(el: Any, n: int) -> XmlArticle:
    links = [c for c in el if local_name(c) == "link"]
    link = next((c for c in links if c.get("rel", "alternate") == "alternate"), links[0] if links else None)
    body = _child(el, "content") if _child(el, "content") is not None else _child(el, "summary")
    date = _child(el, "published") if _child(el, "published") is not None else _child(el, "updated")
    return _article(_text(_child(el, "id")), n, _text(_child(el, "title")), _markup_text(body),
                    link.get("href", "") if link is not None else "", iso_date(_text(date)))  # fmt: skip


def _nitf(el: Any, n: int) -> XmlArticle:
    doc_id = next((d.get("id-string", "") for d in el.iter() if local_name(d) == "doc-id"), "")
    issue = next((d.get("norm", "") for d in el.iter() if local_name(d) == "date.issue"), "")
    headline = next((_text(d) for d in el.iter() if local_name(d) == "hl1"), "")
    if not headline:
        headline = _text(next((d for d in el.iter() if local_name(d) == "title"), None))
    content = next((d for d in el.iter() if local_name(d) == "body.content"), None)
    return _article(doc_id, n, headline, _blocks_text(content), "", iso_date(issue))


def _news_item(el: Any, n: int) -> XmlArticle:
    meta = _child(el, "contentMeta")
    headline = _text(_child(meta, "headline")) if meta is not None else ""
    created = next((_text(d) for d in el.iter() if local_name(d) in ("contentCreated", "firstCreated")), "")
    content_set = _child(el, "contentSet")
    body = ""
    if content_set is not None:
        for content in content_set:
            nitf = next((d for d in content.iter() if local_name(d) == "nitf"), None)
            if nitf is not None:
                inner = _nitf(nitf, n)
                headline = headline or (inner.text or "").split("\n", 1)[0]
                body = inner.text or ""
            elif local_name(content) == "inlineXML":
                html_body = next((d for d in content.iter() if local_name(d) == "body"), content)
                body = _markup_text(html_body)
            else:  # inlineData: plain text
                body = _text(content)
            if body.strip():
                break
    return _article(el.get("guid", ""), n, headline, body, "", iso_date(created))


def _newsml1_item(el: Any, n: int) -> XmlArticle:
    """A NewsML 1.x ``<NewsItem>``: its first ``HeadLine``, then the text of its first text
    ``<DataContent>`` (inline NITF, XHTML or plain text; photos and their captions are other
    components); keyed by its ``PublicIdentifier`` (else ``NewsItemId``), dated by ``FirstCreated``
    (else the identifier's ``DateId``)."""
    names = ("HeadLine", "PublicIdentifier", "NewsItemId", "FirstCreated", "DateId")
    found = {name: _text(next((d for d in el.iter() if local_name(d) == name), None)) for name in names}
    body = ""
    for data in (d for d in el.iter() if local_name(d) == "DataContent"):
        nitf = next((d for d in data.iter() if local_name(d) == "nitf"), None)
        if nitf is not None:
            content = next((d for d in nitf.iter() if local_name(d) == "body.content"), None)
            body = _blocks_text(content)
        elif len(data):
            body = _markup_text(next((d for d in data.iter() if local_name(d) == "body"), data))
        else:
            body = _text(data)
        if body.strip():
            break
    key = found["PublicIdentifier"] or found["NewsItemId"]
    return _article(key, n, found["HeadLine"], body, "", iso_date(found["FirstCreated"] or found["DateId"]))


def _rcv_item(el: Any, n: int) -> XmlArticle:
    """A Reuters corpus ``<newsitem>`` (RCV1, and RCV2 in 13 languages): its ``<headline>`` (else
    ``<title>``), then the ``<p>`` paragraphs of its ``<text>``; byline, dateline, copyright and
    topic codes left out. Keyed by ``itemid``, dated by ``date``."""
    headline = _text(_child(el, "headline")) or _text(_child(el, "title"))
    return _article(el.get("itemid", ""), n, headline, _blocks_text(_child(el, "text")), "",
                    iso_date(el.get("date", "")))  # fmt: skip


_PARSERS = {"item": _feed_item, "entry": _atom_entry, "newsItem": _news_item, "NewsItem": _newsml1_item}


def _ttml(el: Any, n: int) -> XmlArticle:
    """A TTML document's captions as one article (see the module docstring); its key is the root's
    ``xml:id`` where it has one."""
    frame_rate = _float_attribute(el, "frameRate", 30.0)
    tick_rate = _float_attribute(el, "tickRate", frame_rate if _attribute(el, "frameRate") else 1.0)
    cues: list[Cue] = []
    body = _child(el, "body")
    for p in body.iter() if body is not None else ():
        if local_name(p) != "p":
            continue
        offset = sum(_ttml_time(a, "begin", frame_rate, tick_rate) for a in p.iterancestors())
        start = offset + _ttml_time(p, "begin", frame_rate, tick_rate)
        duration = _ttml_time(p, "dur", frame_rate, tick_rate)
        end = start + duration if duration else offset + _ttml_time(p, "end", frame_rate, tick_rate)
        for br in p.iter():
            if local_name(br) == "br":
                br.tail = _LINE_BREAK + (br.tail or "")
        cues.append(timed_cue(start, max(end, start), "".join(p.itertext()).split(_LINE_BREAK)))
    cues = [cue for cue in cues if cue.lines]
    key = _attribute(el, "id")
    if not cues:
        return XmlArticle(key or str(n), None, error="no captions in the TTML body (no <p> with text)")
    return _article(key, n, "", cues_text(cues), "", "")


def _alto(el: Any, n: int) -> XmlArticle:
    """An ALTO page (the OCR of a digitised newspaper page, as national libraries and Chronicling
    America publish it) as one article: each ``TextBlock`` a paragraph, its ``TextLine`` words
    (``String/@CONTENT``) joined with spaces, a word hyphenated across two lines read whole (its
    ``SUBS_CONTENT``, else its two parts without the ``HYP`` hyphen). Keyed by the scanned image's
    file name (without its folders)."""
    blocks: list[str] = []
    for block in (d for d in el.iter() if local_name(d) == "TextBlock"):
        words: list[str] = []
        joined = False  # the last word holds a hyphenated word whole (its SUBS_CONTENT)
        split = False  # the last word ended at a hyphen (HYP): the next word goes on with it
        for item in (d for d in block.iter() if local_name(d) in ("String", "HYP")):
            if local_name(item) == "HYP":
                split = bool(words) and not joined
                continue
            content, kind = item.get("CONTENT", ""), item.get("SUBS_TYPE", "")
            if kind == "HypPart2" and joined:
                pass  # already read whole
            elif split and words:
                words[-1] += content
            else:
                whole = item.get("SUBS_CONTENT", "") if kind == "HypPart1" else ""
                words.append(whole or content)
            joined = kind == "HypPart1" and bool(item.get("SUBS_CONTENT"))
            split = False
        if text := " ".join(w for w in words if w.strip()):
            blocks.append(text)
    image = next((_text(d) for d in el.iter() if local_name(d) == "fileName"), "")
    image = image.replace("\\", "/").rsplit("/", 1)[-1]  # its name, without the scanner's folders
    if not blocks:
        return XmlArticle(image or str(n), None, error="no text in the ALTO page (no TextBlock words)")
    return _article(image, n, "", "\n".join(blocks), "", "")


_ROOT_PARSERS = {
    "nitf": _nitf,
    "newsItem": _news_item,
    "NewsItem": _newsml1_item,
    "newsitem": _rcv_item,
    "tt": _ttml,
    "alto": _alto,
}
_LINE_BREAK = "\u2028"  # stands for <br/> while a paragraph's text is read (its own newlines are spaces)


def _attribute(el: Any, name: str) -> str:
    """An attribute by its local name, whatever its namespace (``ttp:frameRate``, ``xml:id``)."""
    return next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == name), "")


def _float_attribute(el: Any, name: str, default: float) -> float:
    try:
        value = float(_attribute(el, name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


def _ttml_time(el: Any, name: str, frame_rate: float, tick_rate: float) -> float:
    value = _attribute(el, name)
    return (ttml_seconds(value, frame_rate=frame_rate, tick_rate=tick_rate) or 0.0) if value else 0.0


def _blocks_text(el: Any) -> str:
    """Paragraphs of a NITF ``body.content``: one line per ``p``, ``hl2`` or ``block``, a line break
    in the XML source inside one a space."""
    if el is None:
        return ""
    blocks = [d for d in el.iter() if local_name(d) in _BODY_BLOCKS and not any(
        local_name(a) in _BODY_BLOCKS for a in d.iterancestors() if a is not el)]  # fmt: skip
    return "\n".join(" ".join(_text(b).split()) for b in blocks) if blocks else _text(el)


_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?)?")


def iso_date(value: str) -> str:
    """ISO 8601 of an RSS (RFC 822), NITF (``20250610T040000``) or ISO date; as written otherwise.

    Example:
        >>> iso_date("Tue, 10 Jun 2025 04:00:00 +0200"), iso_date("20250610T0400"), iso_date("2025-06-10")
        ('2025-06-10T04:00:00+02:00', '2025-06-10T04:00', '2025-06-10')
    """
    value = value.strip()
    if not value or re.match(r"^\d{4}-\d{2}", value):
        return value
    if m := _COMPACT_DATE.match(value):
        y, mo, d, h, mi = m.group(1, 2, 3, 4, 5)
        return f"{y}-{mo}-{d}" + (f"T{h}:{mi}" if h else "")
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return value
