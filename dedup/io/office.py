"""Word-processor files: ``.docx`` (Office Open XML), ``.odt`` (OpenDocument Text) and ``.sxw``
(OpenOffice.org 1.x and StarOffice 6-7 Writer, OpenDocument's forerunner), one article each.

Their text is XML inside a zip file: ``word/document.xml`` (paragraphs ``w:p`` of runs ``w:t``) and
``content.xml`` (headings ``text:h`` and paragraphs ``text:p``, in OpenDocument's namespace or, in
``.sxw``, OpenOffice.org's). :func:`office_text` reads that one
member with the standard library's ``zipfile`` and parses it with lxml, streamed, with entity
expansion and network access off (:mod:`dedup.io.xml_parse`); headers, footers, comments and
tracked deletions are left out.

Example:
    >>> import io, zipfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.openxmlformats.org/'
    ...                'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Storm</w:t></w:r></w:p>'
    ...                '<w:p><w:r><w:t xml:space="preserve">It </w:t></w:r>'
    ...                '<w:r><w:t>rained.</w:t></w:r></w:p>'
    ...                '</w:body></w:document>')
    >>> office_text(buf, ".docx", max_bytes=10_000)
    ('Storm\\nIt rained.', '')
"""

from __future__ import annotations

import zipfile
import zlib
from typing import Any, BinaryIO

from dedup.io.xml_parse import iterparse, local_name

__all__ = ["OFFICE_EXTENSIONS", "office_text"]

OFFICE_EXTENSIONS = (".docx", ".odt", ".sxw")
_MEMBER = {".docx": "word/document.xml", ".odt": "content.xml", ".sxw": "content.xml"}
_PARAGRAPHS = {".docx": ("p",), ".odt": ("p", "h"), ".sxw": ("p", "h")}
# Not the text: deletions, field codes, comments, footnotes and endnotes (OpenDocument's text:note,
# OpenOffice.org 1.x's text:footnote and text:endnote), tracked changes
_SKIPPED = ("del", "delText", "instrText", "annotation", "note", "footnote", "endnote", "tracked-changes")


def office_text(source: BinaryIO, ending: str, *, max_bytes: int) -> tuple[str | None, str]:
    """The paragraphs of a ``.docx``, ``.odt`` or ``.sxw`` file, one per line: ``(text, "")`` or
    ``(None, why)``.

    Args:
        source: The file, as a seekable binary stream.
        ending: ``".docx"``, ``".odt"`` or ``".sxw"``.
        max_bytes: At most this many bytes of the document's XML are read (the paragraphs before
            the cut are kept).
    """
    from lxml import etree

    try:
        with zipfile.ZipFile(source) as archive, archive.open(_MEMBER[ending]) as member:
            paragraphs: list[str] = []
            events = iterparse(_Capped(member, max_bytes), ("end",))
            try:
                for _, el in events:
                    if local_name(el) in _PARAGRAPHS[ending] and not _inside(el, _PARAGRAPHS[ending]):
                        line = _paragraph_text(el, ending).strip()
                        if line:
                            paragraphs.append(line)
                        el.clear()
            except etree.XMLSyntaxError as err:
                if not paragraphs:
                    return None, f"unreadable {ending} document XML: {err}"
    except KeyError:
        return None, f"not a {ending} file (no {_MEMBER[ending]} inside)"
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
        return None, f"not a {ending} file (unreadable zip: {err})"
    if not paragraphs:
        return None, f"{ending} file without text"
    return "\n".join(paragraphs), ""


def _inside(el: Any, names: tuple[str, ...]) -> bool:
    return any(local_name(a) in names for a in el.iterancestors())


def _paragraph_text(paragraph: Any, ending: str) -> str:
    """A paragraph's text; tabs, line breaks and ``text:s`` runs of spaces as spaces, Word's
    non-breaking hyphens as hyphens."""
    parts: list[str] = []
    if ending == ".docx":  # the text is in w:t runs; whitespace between elements is layout
        for el in paragraph.iter():
            name = local_name(el)
            if name == "t" and not _inside(el, _SKIPPED):
                parts.append(el.text or "")
            elif name in ("tab", "br", "cr"):
                parts.append(" ")
            elif name == "noBreakHyphen" and not _inside(el, _SKIPPED):
                parts.append("-")  # Word's non-breaking hyphen (COVID-19, Jean-Pierre) is an element
        return "".join(parts)

    def walk(el: Any) -> None:  # ODT: mixed content, text and tails
        name = local_name(el)
        if name in _SKIPPED:
            parts.append(el.tail or "")
            return
        if name == "s":
            # text:c, the count of spaces, in whichever namespace the file's text elements use
            count = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "c"), "1")
            parts.append(" " * int(count or 1))
        elif name in ("tab", "line-break"):
            parts.append(" ")
        parts.append(el.text or "")
        for child in el:
            walk(child)
        if el is not paragraph:
            parts.append(el.tail or "")

    walk(paragraph)
    return "".join(parts)


class _Capped:
    """A binary stream that ends after ``limit`` bytes of ``raw``."""

    def __init__(self, raw: BinaryIO, limit: int) -> None:
        self._raw = raw
        self._left = limit

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if n is None or n < 0 else min(n, self._left)
        data = self._raw.read(n)
        self._left -= len(data)
        return data
