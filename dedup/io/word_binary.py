"""Word 97-2003 documents (``.doc``): the binary format of a decade of newsroom archives.

A ``.doc`` file is an OLE2 compound file (read with olefile). Its text lies in the
``WordDocument`` stream in pieces, and the piece table (the ``Clx`` in the ``0Table`` or ``1Table``
stream, located by the file information block) says where each piece is and how it is stored:
8-bit (Windows-1252) or UTF-16. Only the main document is read: its first ``ccpText`` characters,
not the footnotes, headers, comments and text boxes that follow them.

Word's control characters become text: a paragraph mark or a table cell's end ends a line, a
manual line break is a space, a non-breaking hyphen a hyphen; an optional hyphen, pictures and
footnote marks go. A field (a hyperlink, a page number, a date) keeps its shown result and loses
its code (``HYPERLINK "https://..."``).

Example:
    >>> from dedup.io.word_binary import doc_text_from_characters
    >>> doc_text_from_characters('Ferry\\rCOVID\\x1e19 cases \\x13 HYPERLINK "https://x" \\x14fell\\x15.\\r')
    'Ferry\\nCOVID-19 cases fell.'
"""

from __future__ import annotations

import re
import struct
from typing import BinaryIO

__all__ = ["DOC_EXTENSIONS", "doc_text", "doc_text_from_characters"]

DOC_EXTENSIONS = (".doc",)

_WORD_IDENT = 0xA5EC
_FLAGS = 0x0A  # FibBase flags: fEncrypted 0x0100, fWhichTblStm 0x0200
_CCP_TEXT = 0x4C  # FibRgLw97.ccpText: characters of the main document
_FC_CLX = 0x1A2  # FibRgFcLcb97.fcClx / lcbClx: the piece table in the table stream
_COMPRESSED = 0x40000000  # FcCompressed.fCompressed: the piece is 8-bit, at fc / 2

# Word's control characters in the text stream, as text.
_CONTROLS = str.maketrans(
    {
        "\r": "\n",  # paragraph mark
        "\x07": "\n",  # end of a table cell or row
        "\x0c": "\n",  # page or section break
        "\x0b": " ",  # manual line break (a space, as in .docx)
        "\t": " ",
        "\x1e": "-",  # non-breaking hyphen
        "\x1f": None,  # optional hyphen
        "\xa0": " ",
    }
)
_OTHER_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")  # pictures (\x01, \x08), footnote marks ...


def doc_text(stream: BinaryIO, *, max_chars: int) -> tuple[str | None, str]:
    """The main text of a Word 97-2003 ``.doc`` file: ``(text, "")``, or ``(None, why)``.

    Args:
        stream: The file, as a seekable binary stream.
        max_chars: At most this many characters are read.
    """
    import olefile

    head = stream.read(8)
    stream.seek(0)
    if head != olefile.MAGIC:
        return None, "not a Word 97-2003 .doc file (no OLE2 compound file header)"
    try:
        with olefile.OleFileIO(stream) as ole:
            if not ole.exists("WordDocument"):
                return None, "not a Word .doc file (an OLE2 file without a WordDocument stream)"
            word = ole.openstream("WordDocument").read()
            if len(word) < _FC_CLX + 8 or _u16(word, 0) != _WORD_IDENT:
                return None, "Word 6/95 or older .doc file (not read)"
            flags = _u16(word, _FLAGS)
            if flags & 0x0100:
                return None, "encrypted .doc file (dedup asks for no password)"
            table_name = "1Table" if flags & 0x0200 else "0Table"
            if not ole.exists(table_name):
                return None, f"damaged .doc file (no {table_name} stream)"
            table = ole.openstream(table_name).read()
    except (OSError, ValueError, struct.error) as err:  # olefile raises OSError for a broken file
        return None, f"unreadable .doc file: {err}"
    try:
        characters = _main_text(word, table, min(_u32(word, _CCP_TEXT), max_chars))
    except struct.error:  # a piece table that runs past its stream
        characters = None
    if characters is None:
        return None, "damaged .doc file (unreadable piece table)"
    text = doc_text_from_characters(characters)
    return (text, "") if text else (None, ".doc file without text")


def doc_text_from_characters(characters: str) -> str:
    """Text from the characters of a ``.doc`` text stream (see the module docstring)."""
    return "\n".join(
        " ".join(line.split())
        for line in _OTHER_CONTROLS.sub("", _field_results(characters).translate(_CONTROLS)).split("\n")
        if line.strip()
    )


def _main_text(word: bytes, table: bytes, n_chars: int) -> str | None:
    """The first ``n_chars`` characters of the document, read piece by piece; None if the piece table
    cannot be read."""
    fc_clx, lcb_clx = _u32(word, _FC_CLX), _u32(word, _FC_CLX + 4)
    clx = table[fc_clx : fc_clx + lcb_clx]
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc: formatting, skipped
        at += 3 + _u16(clx, at + 1)
    if at + 5 > len(clx) or clx[at] != 0x02:
        return None
    plc = clx[at + 5 : at + 5 + _u32(clx, at + 1)]
    n_pieces = (len(plc) - 4) // 12
    if n_pieces < 1:
        return None
    cps = struct.unpack_from(f"<{n_pieces + 1}I", plc)
    pieces: list[str] = []
    for k in range(n_pieces):
        start, end = cps[k], min(cps[k + 1], n_chars)
        if start >= end:
            break
        fc = _u32(plc, 4 * (n_pieces + 1) + 8 * k + 2)
        count = end - start
        if fc & _COMPRESSED:
            offset = (fc & ~_COMPRESSED) // 2
            pieces.append(word[offset : offset + count].decode("cp1252", errors="replace"))
        else:
            pieces.append(word[fc : fc + 2 * count].decode("utf-16-le", errors="replace"))
    return "".join(pieces)


def _field_results(text: str) -> str:
    """``text`` with each field (``\\x13`` code ``\\x14`` result ``\\x15``, nested) replaced by its
    result; a field without a result goes."""
    out: list[str] = []
    stack: list[bool] = []  # per open field: whether its result has begun
    for ch in text:
        if ch == "\x13":
            stack.append(False)
        elif ch == "\x14" and stack:
            stack[-1] = True
        elif ch == "\x15" and stack:
            stack.pop()
        elif all(stack):
            out.append(ch)
    return "".join(out)


def _u16(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<H", data, at)[0])


def _u32(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<I", data, at)[0])
