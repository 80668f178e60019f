"""PDF files (press releases, print pages): the text layer as one article, its wrapped lines rejoined.

:func:`pdf_text` reads the text layer with pypdf, page by page until ``max_chars`` characters, and
:func:`reflow` turns the layout's lines back into paragraphs, since dedup splits sentences within a
line and never across one: a line is joined to the next unless it ends a sentence or is a short
line of its own (a headline, a byline); a word hyphenated at a line end is rejoined; CJK lines are
joined without a space. A scanned PDF has no text layer, and dedup does no OCR: such a file is
listed as skipped. Multi-column print pages come out in pypdf's reading order, which can interleave
columns.

Example:
    >>> page = ("Storm closes the pass\\nSnow closed the pass on Monday and crews\\n"
    ...         "hope to reopen it on Wednesday after-\\nnoon, the agency said.\\n"
    ...         "Traffic was diverted via the valley road.")
    >>> print(reflow(page))
    Storm closes the pass
    Snow closed the pass on Monday and crews hope to reopen it on Wednesday afternoon, the agency said.
    Traffic was diverted via the valley road.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from dedup.io.library_logs import caught_logs

__all__ = ["PDF_EXTENSIONS", "pdf_text", "reflow"]

PDF_EXTENSIONS = (".pdf",)
_SENTENCE_END = re.compile(r"[.!?。！？…:;\"'”’»)\]]$")
_SHORT_LINE = 0.6  # a line under this share of the page's usual line length ends its paragraph


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


def reflow(text: str) -> str:
    """Join a page's wrapped lines into paragraphs (see the module docstring)."""
    lines = [line.strip() for line in text.splitlines()]
    lengths = [len(line) for line in lines if line]
    if not lengths:
        return ""
    usual = sorted(lengths)[int(0.8 * (len(lengths) - 1))]  # most lines of a page run its full width
    out: list[str] = []
    joinable = False
    for line in lines:
        if not line:
            joinable = False
            continue
        if joinable and out:
            prev = out[-1]
            if prev.endswith("-") and line[:1].islower():
                out[-1] = prev[:-1] + line
            elif _is_cjk(prev[-1]) and _is_cjk(line[0]):
                out[-1] = prev + line
            else:
                out[-1] = f"{prev} {line}"
        else:
            out.append(line)
        joinable = not _SENTENCE_END.search(line) and len(line) >= _SHORT_LINE * usual
    return "\n".join(out)


def _is_cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"
