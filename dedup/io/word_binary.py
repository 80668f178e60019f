"""Word 6.0 to Word 2003 documents (``.doc``): the binary format of fifteen years of newsroom archives.

A ``.doc`` file is an OLE2 compound file (read with olefile). Its text lies in the
``WordDocument`` stream. Word 97-2003 stores it in pieces, and the piece table (the ``Clx`` in the
``0Table`` or ``1Table`` stream, located by the file information block) says where each piece is
and how it is stored: 8-bit (Windows-1252) or UTF-16. Word 6.0 and Word 95 store it 8-bit, in one
run from ``fcMin`` or, after a fast save, in pieces listed by a piece table in the ``WordDocument``
stream itself; its code page is Windows-1252 unless that reading is not Western text, and then the
first code page its font table names (Windows-1251 for a font of the Cyrillic character set ...).
Only the main document is read: its first ``ccpText`` characters, not the footnotes, headers,
comments and text boxes that follow them.

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
from collections.abc import Callable
from typing import BinaryIO

from dedup.io.decode import looks_western

__all__ = ["DOC_EXTENSIONS", "doc_text", "doc_text_from_characters"]

DOC_EXTENSIONS = (".doc",)

_WORD_IDENT = 0xA5EC
_FLAGS = 0x0A  # FibBase flags: fComplex 0x0004, fEncrypted 0x0100, fWhichTblStm 0x0200
_CCP_TEXT = 0x4C  # FibRgLw97.ccpText: characters of the main document
_FC_CLX = 0x1A2  # FibRgFcLcb97.fcClx / lcbClx: the piece table in the table stream
_COMPRESSED = 0x40000000  # FcCompressed.fCompressed: the piece is 8-bit, at fc / 2

# Word 6.0 and Word 95 (nFib 0x65-0x68): one stream, 8-bit text
_WORD6_IDENT = 0xA5DC
_WORD6_FC_MIN = 0x18  # fcMin / fcMac: where the text runs when the file is not fast-saved
_WORD6_CCP_TEXT = 0x34
_WORD6_FONTS = 0xD0  # fcSttbfffn / lcbSttbfffn: the font table
_WORD6_FC_CLX = 0x160  # fcClx / lcbClx: the piece table of a fast-saved file
_COMPLEX = 0x0004
# A font's character set (its FFN's chs) and the code page its text is stored in
_CHARSET_CODE_PAGES = {
    77: "mac_roman",
    128: "cp932",
    129: "cp949",
    134: "cp936",
    136: "cp950",
    161: "cp1253",
    162: "cp1254",
    163: "cp1258",
    177: "cp1255",
    178: "cp1256",
    186: "cp1257",
    204: "cp1251",
    222: "cp874",
    238: "cp1250",
}
_DOUBLE_BYTE = ("cp932", "cp949", "cp936", "cp950")

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
    """The main text of a Word 6.0-2003 ``.doc`` file: ``(text, "")``, or ``(None, why)``.

    Args:
        stream: The file, as a seekable binary stream.
        max_chars: At most this many characters are read.
    """
    import olefile

    head = stream.read(8)
    stream.seek(0)
    if head != olefile.MAGIC:
        return None, "not a Word .doc file (no OLE2 compound file header)"
    try:
        with olefile.OleFileIO(stream) as ole:
            if not ole.exists("WordDocument"):
                return None, "not a Word .doc file (an OLE2 file without a WordDocument stream)"
            word = ole.openstream("WordDocument").read()
            ident = _u16(word, 0) if len(word) >= _FC_CLX + 8 else None
            if ident not in (_WORD_IDENT, _WORD6_IDENT):
                return None, "Word 2 or older .doc file (not read)"
            flags = _u16(word, _FLAGS)
            if flags & 0x0100:
                return None, "encrypted .doc file (dedup asks for no password)"
            if ident == _WORD6_IDENT:
                return _finished(_word6_characters(word, max_chars))
            table_name = "1Table" if flags & 0x0200 else "0Table"
            if not ole.exists(table_name):
                return None, f"damaged .doc file (no {table_name} stream)"
            table = ole.openstream(table_name).read()
    except (OSError, ValueError, struct.error) as err:  # olefile raises OSError for a broken file
        return None, f"unreadable .doc file: {err}"
    fc_clx, lcb_clx = _u32(word, _FC_CLX), _u32(word, _FC_CLX + 4)
    try:
        characters = _read_pieces(
            table[fc_clx : fc_clx + lcb_clx], min(_u32(word, _CCP_TEXT), max_chars), _word97_piece(word)
        )
    except struct.error:  # a piece table that runs past its stream
        characters = None
    return _finished(characters)


def _finished(characters: str | None) -> tuple[str | None, str]:
    """``doc_text``'s answer for the main text's characters (None: the piece table was unreadable)."""
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


def _read_pieces(clx: bytes, n_chars: int, read_piece: Callable[[int, int], str]) -> str | None:
    """The first ``n_chars`` characters of a document, read piece by piece as its ``Clx`` (formatting
    records, then the piece table) lists them; ``read_piece(fc, count)`` reads ``count`` characters
    stored at ``fc``. None if the piece table cannot be read."""
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
        pieces.append(read_piece(_u32(plc, 4 * (n_pieces + 1) + 8 * k + 2), end - start))
    return "".join(pieces)


def _word97_piece(word: bytes) -> Callable[[int, int], str]:
    """Reads a Word 97-2003 piece: 8-bit (Windows-1252) at fc / 2 when compressed, else UTF-16."""

    def read(fc: int, count: int) -> str:
        if fc & _COMPRESSED:
            offset = (fc & ~_COMPRESSED) // 2
            return word[offset : offset + count].decode("cp1252", errors="replace")
        return word[fc : fc + 2 * count].decode("utf-16-le", errors="replace")

    return read


def _word6_characters(word: bytes, max_chars: int) -> str | None:
    """The main text's characters of a Word 6.0 or Word 95 file (see the module docstring)."""
    n_chars = min(_u32(word, _WORD6_CCP_TEXT), max_chars)
    fc_min, fc_mac = _u32(word, _WORD6_FC_MIN), _u32(word, _WORD6_FC_MIN + 4)
    code_page = _word6_code_page(word, word[fc_min:fc_mac])
    width = 2 if code_page in _DOUBLE_BYTE else 1

    def read(fc: int, count: int) -> str:
        return word[fc : fc + width * count].decode(code_page, errors="replace")[:count]

    if not _u16(word, _FLAGS) & _COMPLEX:
        return read(fc_min, n_chars)
    fc_clx, lcb_clx = _u32(word, _WORD6_FC_CLX), _u32(word, _WORD6_FC_CLX + 4)
    try:
        return _read_pieces(word[fc_clx : fc_clx + lcb_clx], n_chars, read)
    except struct.error:
        return None


def _word6_code_page(word: bytes, text: bytes) -> str:
    """Windows-1252 when ``text`` reads as Western text in it, else the first code page of a
    character set the file's font table names (Windows-1252 if none)."""
    if looks_western(text.decode("cp1252", errors="replace")):
        return "cp1252"
    at, length = _u32(word, _WORD6_FONTS), _u32(word, _WORD6_FONTS + 4)
    fonts = word[at : at + length]
    pos = 2  # after the table's length
    while pos + 5 < len(fonts):  # each FFN: its length - 1, flags, weight (2), character set, ...
        if fonts[pos + 4] in _CHARSET_CODE_PAGES:
            return _CHARSET_CODE_PAGES[fonts[pos + 4]]
        pos += fonts[pos] + 1
    return "cp1252"


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
