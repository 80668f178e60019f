"""Rich Text Format: ``.rtf`` files (wire copy, press releases and word-processor exports), one article each.

:func:`rtf_text` turns RTF's control words into text with striprtf: paragraphs and line breaks
become lines, ``\\'xx`` escapes are read in the file's own code page (``\\ansicpgNNNN`` or a font's
``\\fcharset``, else Windows-1252) and ``\\uN`` escapes as Unicode; font and colour tables,
pictures, footnotes and the document's info block are left out, and table cells are joined with
``|``.

Example:
    >>> import io
    >>> rtf = rb"{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f0 Arial;}}\\pard Storm\\par Br\\'e5 \\u228?\\par}"
    >>> rtf_text(io.BytesIO(rtf), max_bytes=10_000)
    ('Storm\\nBrå ä', '')
"""

from __future__ import annotations

from typing import BinaryIO

from dedup.text.reflow import join_continued_lines

__all__ = ["RTF_EXTENSIONS", "rtf_text"]

RTF_EXTENSIONS = (".rtf",)


def rtf_text(source: BinaryIO, *, max_bytes: int) -> tuple[str | None, str]:
    """The text of an RTF file, one paragraph per line: ``(text, "")`` or ``(None, why)``.

    Args:
        source: The file, as a binary stream at its start.
        max_bytes: At most this many bytes of the file are read (the text before the cut is kept;
            embedded pictures take most of a large file's bytes).
    """
    from striprtf.striprtf import rtf_to_text

    data = source.read(max_bytes)
    if not data.lstrip().startswith(b"{\\rtf"):
        return None, "not an RTF file (it does not start with {\\rtf)"
    try:
        text = rtf_to_text(data.decode("latin-1"), encoding="cp1252", errors="replace")
    except (ValueError, IndexError) as err:  # control words striprtf cannot read
        return None, f"unreadable RTF: {err}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None, "RTF file without text"
    return join_continued_lines("\n".join(lines)), ""  # a \line inside a sentence
