"""The file name endings a scan reads, and which reader each one goes to: text, HTML, captions,
record files (:mod:`dedup.io.records`), WARC, news XML, SGML collections, mail, word-processor files
and PDF (each text, HTML, subtitle, record, news XML and MIME ending also gzip-, bzip2-, xz- or
Zstandard-compressed; zip and tar bundles of any of them, :mod:`dedup.io.bundles`); and the files
read for their content when no ending tells (:func:`name_by_content`).

Example:
    >>> from dedup.io.formats import reads_by_name
    >>> [reads_by_name(name) for name in ("a.txt", "news.jsonl.gz", "photo.png")]
    [True, True, False]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import BinaryIO

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
from dedup.io.webarchive import WEBARCHIVE_EXTENSIONS
from dedup.io.word_binary import DOC_EXTENSIONS, doc_text

__all__ = [
    "TEXT_EXTENSIONS",
    "HTML_EXTENSIONS",
    "RECORD_EXTENSIONS",
    "PARQUET_EXTENSIONS",
    "WARC_EXTENSIONS",
    "ARC_EXTENSIONS",
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
    "binary_text",
    "caption_reader",
    "text_reader",
    "is_bare_compressed",
    "has_no_format_ending",
    "is_read_by_content",
    "is_server_page",
    "name_by_content",
    "reads_by_name",
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
# Web archives, one article per HTML or text response (dedup.io.warc): WARC, and the ARC files web
# archives wrote before it (1996-2009)
ARC_EXTENSIONS = (".arc", ".arc.gz")
WARC_EXTENSIONS = (".warc", ".warc.gz") + ARC_EXTENSIONS
# RSS/Atom feeds, NITF, NewsML (G2 and 1.x), the Reuters corpora (RCV1/RCV2) and TTML captions
# (dedup.io.news_xml; the root element tells which)
NEWS_XML_EXTENSIONS = (".xml", ".rss", ".atom", ".nitf", ".ttml", ".dfxp")
# LDC and TREC news collections, one article per <DOC> (Gigaword, TDT, TREC, CLEF): dedup.io.sgml_docs
# (SGML_EXTENSIONS, imported above: .sgml, .sgm)
# One message (.eml, Apple Mail's .emlx) or a mailbox of them (.mbox), and web pages saved as MIME
# (.mht, .mhtml): dedup.io.email_messages; Outlook messages (.msg): dedup.io.outlook_msg; pages
# Safari saved (.webarchive): dedup.io.webarchive
MIME_EXTENSIONS = EMAIL_EXTENSIONS + MHTML_EXTENSIONS + MSG_EXTENSIONS + WEBARCHIVE_EXTENSIONS
# One article per file, read by a parser of its own (word-processor zips, RTF, PDF): binary_text
BINARY_EXTENSIONS = OFFICE_EXTENSIONS + DOC_EXTENSIONS + RTF_EXTENSIONS + PDF_EXTENSIONS
# Any of these compressed with gzip, bzip2, xz or Zstandard (news.jsonl.gz) is read as the file
# inside, streamed (dedup.io.compressed); Parquet compresses its own pages and .warc.gz and .arc.gz
# are the archives' own gzip framing.
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


def binary_text(stream: BinaryIO, name: str, *, max_chars: int, max_xml_bytes: int) -> tuple[str | None, str]:
    """The text of a ``.docx``, ``.odt``, ``.sxw``, ``.doc``, ``.rtf`` or ``.pdf`` file (``name``'s
    ending tells which): ``(text, "")`` or ``(None, why)``.

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
