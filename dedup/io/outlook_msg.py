"""Outlook messages (``.msg``): press releases and wire copy as an Outlook user saves them.

A ``.msg`` file is an OLE2 compound file (read with olefile) holding the message's MAPI properties,
one stream each (``__substg1.0_<tag><type>``), and its fixed-size ones in ``__properties_version1.0``
([MS-OXMSG]). Its article is, as for an ``.eml`` message (:func:`dedup.io.email_messages.mail_article`),
the subject and then the body: the plain-text body (``PR_BODY``), else the HTML one (``PR_HTML``),
else the compressed RTF one (``PR_RTF_COMPRESSED``, [MS-OXRTFCP], read as an ``.rtf`` file is).
Attachments and embedded messages are left out. Its key is its Internet Message-ID and its date when
it was sent (``PR_CLIENT_SUBMIT_TIME``, else delivered), in UTC. Strings stored 8-bit are decoded in
the message's code page.

Example (compressed RTF as [MS-OXRTFCP] gives it):
    >>> decompress_rtf(bytes.fromhex("2d0000002b0000004c5a4675f1c5c7a703000a007263706731323542320af320"
    ...                              "68656c090020627705b06c647d0a800fa0"))
    b'{\\\\rtf1\\\\ansi\\\\ansicpg1252\\\\pard hello world}\\r\\n'
"""

from __future__ import annotations

import codecs
import io
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

from dedup.io.email_messages import EmailArticle, mail_article
from dedup.io.rtf import rtf_text

__all__ = ["MSG_EXTENSIONS", "decompress_rtf", "msg_article"]

MSG_EXTENSIONS = (".msg",)

# MAPI property ids ([MS-OXPROPS]) and types
_SUBJECT, _BODY, _HTML, _RTF_COMPRESSED, _MESSAGE_ID = 0x0037, 0x1000, 0x1013, 0x1009, 0x1035
_SUBMIT_TIME, _DELIVERY_TIME, _INTERNET_CODEPAGE, _MESSAGE_CODEPAGE = 0x0039, 0x0E06, 0x3FDE, 0x3FFD
_UNICODE, _STRING8, _BINARY, _LONG, _SYSTIME = 0x001F, 0x001E, 0x0102, 0x0003, 0x0040
_TOP_HEADER = 32  # bytes before the property entries in a message's __properties_version1.0
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

# The dictionary compressed RTF starts from ([MS-OXRTFCP] 2.1.3.1.1)
_RTF_PREBUF = (
    b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
    b"\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
    b"\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"
)
_LZFU, _MELA = 0x75465A4C, 0x414C454D  # compressed, and stored uncompressed


def msg_article(raw: bytes) -> EmailArticle:
    """The article of an Outlook ``.msg`` file's bytes (see the module docstring).

    A file that is not an Outlook message (another compound file, or no compound file at all) gives
    an article without text and the reason.
    """
    import olefile

    if not olefile.isOleFile(io.BytesIO(raw)):
        return EmailArticle("1", None, error="not an Outlook message (no OLE2 compound file)")
    try:
        with olefile.OleFileIO(io.BytesIO(raw)) as ole:
            return _article(ole)
    except (OSError, ValueError, struct.error, IndexError) as err:  # olefile raises these on damage
        return EmailArticle("1", None, error=f"damaged Outlook message: {err}")


def _article(ole: Any) -> EmailArticle:
    fixed = _fixed_properties(ole)
    if not any(name.startswith("__substg1.0_") for name in _stream_names(ole)) and not fixed:
        return EmailArticle("1", None, error="not an Outlook message (no MAPI properties)")
    codepage = _codec(fixed.get(_INTERNET_CODEPAGE) or fixed.get(_MESSAGE_CODEPAGE) or 1252)
    key = (_string(ole, _MESSAGE_ID, codepage) or "").strip().strip("<>").strip() or "1"
    sent = fixed.get(_SUBMIT_TIME) or fixed.get(_DELIVERY_TIME)
    date = (_FILETIME_EPOCH + timedelta(microseconds=sent // 10)).isoformat() if sent else ""
    subject = _string(ole, _SUBJECT, codepage) or ""
    body = _string(ole, _BODY, codepage)
    if body and body.strip():
        return mail_article(key, date, subject, body, html=False)
    html = _string(ole, _HTML, codepage)
    if html is None and (data := _binary(ole, _HTML)) is not None:
        html = data.decode(codepage, errors="replace").rstrip("\0")
    if html and html.strip():
        return mail_article(key, date, subject, html, html=True)
    if (compressed := _binary(ole, _RTF_COMPRESSED)) is not None:
        rtf = decompress_rtf(compressed)
        text, _ = rtf_text(io.BytesIO(rtf), max_bytes=len(rtf)) if rtf else (None, "")
        if text:
            return mail_article(key, date, subject, text, html=False)
    return mail_article(key, date, subject, "", html=False)


def decompress_rtf(data: bytes) -> bytes:
    """The RTF of a ``PR_RTF_COMPRESSED`` property ([MS-OXRTFCP]): LZ77 over a 4 KiB ring that starts
    with a fixed RTF prefix. b"" when the data is not compressed RTF; data that breaks off gives
    what was decompressed before the break."""
    if len(data) < 16:
        return b""
    size, raw_size, kind = struct.unpack_from("<III", data)
    if kind == _MELA:
        return data[16 : 16 + raw_size]
    if kind != _LZFU:
        return b""
    ring = bytearray(4096)
    ring[: len(_RTF_PREBUF)] = _RTF_PREBUF
    write = len(_RTF_PREBUF)
    out = bytearray()
    pos, end = 16, min(len(data), size + 4)
    while pos < end:
        flags = data[pos]
        pos += 1
        for bit in range(8):
            if pos >= end:
                break
            if flags >> bit & 1:  # a reference: 12-bit ring offset, 4-bit length - 2
                if pos + 2 > end:
                    return b""
                word = data[pos] << 8 | data[pos + 1]
                pos += 2
                offset, length = word >> 4, (word & 0xF) + 2
                if offset == write:  # the end marker
                    return bytes(out[:raw_size])
                for k in range(length):
                    byte = ring[(offset + k) % 4096]
                    out.append(byte)
                    ring[write] = byte
                    write = (write + 1) % 4096
            else:
                out.append(data[pos])
                ring[write] = data[pos]
                write = (write + 1) % 4096
                pos += 1
    return bytes(out[:raw_size])


def _stream_names(ole: Any) -> list[str]:
    return ["/".join(parts) for parts in ole.listdir(streams=True, storages=False)]


def _read(ole: Any, name: str) -> bytes | None:
    return ole.openstream(name).read() if ole.exists(name) else None


def _string(ole: Any, prop: int, codepage: str) -> str | None:
    """A string property of the message (not of its attachments), or None when it has none."""
    if (data := _read(ole, f"__substg1.0_{prop:04X}{_UNICODE:04X}")) is not None:
        return data.decode("utf-16-le", errors="replace").rstrip("\0")
    if (data := _read(ole, f"__substg1.0_{prop:04X}{_STRING8:04X}")) is not None:
        return data.decode(codepage, errors="replace").rstrip("\0")
    return None


def _binary(ole: Any, prop: int) -> bytes | None:
    return _read(ole, f"__substg1.0_{prop:04X}{_BINARY:04X}")


def _fixed_properties(ole: Any) -> dict[int, int]:
    """The message's integer and time properties (id -> value) from ``__properties_version1.0``."""
    data = _read(ole, "__properties_version1.0") or b""
    out: dict[int, int] = {}
    for at in range(_TOP_HEADER, len(data) - 15, 16):
        tag, _flags, value = struct.unpack_from("<IIQ", data, at)
        kind, prop = tag & 0xFFFF, tag >> 16
        if kind == _LONG:
            out[prop] = value & 0xFFFFFFFF
        elif kind == _SYSTIME:
            out[prop] = value
    return out


def _codec(codepage: int) -> str:
    """The Python codec of a Windows code page number (Windows-1252 when Python has none)."""
    name = {65001: "utf-8", 20127: "ascii", 1200: "utf-16-le"}.get(codepage)
    if name is None and 28591 <= codepage <= 28605:
        name = f"iso8859_{codepage - 28590}"
    for candidate in (name, f"cp{codepage}"):
        if candidate:
            try:
                return codecs.lookup(candidate).name
            except LookupError:
                pass
    return "cp1252"
