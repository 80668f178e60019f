"""PDF files (press releases, print pages): the text layer as one article, its wrapped lines rejoined.

:func:`pdf_text` reads the text layer with pypdf, page by page until ``max_chars`` characters, and
:func:`dedup.text.reflow.reflow` turns the layout's lines back into paragraphs, since dedup splits
sentences within a line and never across one: a line is joined to the next unless it ends a sentence
or is a short line of its own (a headline, a byline); a word hyphenated at a line end is rejoined;
CJK lines are joined without a space. A scanned PDF has no text layer, and dedup does no OCR: such a
file is listed as skipped. Multi-column print pages come out in pypdf's reading order, which can
interleave columns.

Example:
    >>> print(reflow("Snow closed the pass on Monday and\\ncrews hope to reopen it soon."))
    Snow closed the pass on Monday and crews hope to reopen it soon.
"""

from __future__ import annotations

from typing import BinaryIO

from dedup.io.library_logs import caught_logs
from dedup.text.reflow import reflow

__all__ = ["PDF_EXTENSIONS", "pdf_text"]

PDF_EXTENSIONS = (".pdf",)


def pdf_text(source: BinaryIO, *, max_chars: int) -> tuple[str | None, str]:
    """The text layer of a PDF as paragraphs: ``(text, "")`` or ``(None, why)``.

    Args:
        source: The file, as a seekable binary stream.
        max_chars: Pages are read until the text reaches this many characters.
    """
    from pypdf import PdfReader

    pages: list[str] = []
    total = 0
    with caught_logs(["pypdf"], "PDF reader") as messages:  # pypdf logs what it repairs
        try:
            reader = PdfReader(source, strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                return None, "encrypted PDF (a password is needed)"
            for page in reader.pages:
                text = reflow(page.extract_text() or "")
                pages.append(text)
                total += len(text)
                if total >= max_chars:
                    break
        except Exception as err:  # noqa: BLE001  pypdf raises many types on damaged files
            said = f" (reader: {'; '.join(dict.fromkeys(messages))})" if messages else ""
            return None, f"unreadable PDF: {err}{said}"
    text = "\n".join(p for p in pages if p.strip())
    if not text.strip():
        return None, "PDF without a text layer (a scan? dedup does no OCR)"
    return text, ""
