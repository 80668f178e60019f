"""Bytes to text: encoding detection, decoding, HTML extraction, whitespace normalisation, a length cap.

:func:`decode_bytes` tries a BOM, strict UTF-8, BOM-less UTF-16, Western European cp1252 and
charset-normalizer, and says why when the bytes are not text; :func:`normalize_text` makes line
ends, spaces and invisible characters uniform; :func:`bytes_to_text` does both (and extracts an
HTML page's article text) for one file or record, cut at ``max_chars``.

Example:
    >>> from dedup.io.decode import bytes_to_text
    >>> bytes_to_text("<p>Blåbær</p><p>og  fløte.</p>".encode("cp1252"), html=True, max_chars=100)
    ('Blåbær\\nog fløte.', '')
    >>> bytes_to_text(b"\\x00\\x01" * 5000, html=False, max_chars=100)
    (None, 'binary file (NUL bytes)')
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from collections.abc import Callable

from dedup.io.html_text import extract_html_with_log, html_charset

__all__ = [
    "SNIFF_BYTES",
    "byte_cap",
    "bytes_to_text",
    "cap_text",
    "decode_bytes",
    "normalize_text",
    "normalize_whitespace",
    "repair_mojibake",
    "try_decode",
]

logger = logging.getLogger(__name__)

# Bytes looked at to tell text from binary before reading a whole file.
SNIFF_BYTES = 8192
# Share of NUL bytes in the first 8 KB tolerated before a file counts as binary.
_MAX_NUL_SHARE = 0.01
# Share of control characters (other than whitespace) tolerated in decoded text.
_MAX_CONTROL_SHARE = 0.10
# A legacy 8-bit file whose cp1252 reading has more non-ASCII letters than this share
# is probably in another code page (cp1251, cp1253, ...): ask charset-normalizer.
_MAX_NON_ASCII_LETTER_SHARE = 0.35
# HTML carries markup, scripts and styles: read up to this many times the text byte cap.
_HTML_BYTE_FACTOR = 10
# Invisible characters removed outright (zero-width space, word joiner, BOM, soft hyphen,
# bidi marks and embeddings). ZWJ/ZWNJ stay: they change shaping in Indic and Persian text.
_INVISIBLE = re.compile(
    "[\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069]"
)
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028]")
# Unicode category Cc (C0, DEL, C1 controls) except \n and \t; and category Zs except the space.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ODD_SPACE = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Runs of spaces/tabs that are not already one space (a lone space needs no replacing: faster).
_SPACE_RUN = re.compile(r"[ \t]{2,}|\t")
_BLANK_RUN = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """Repair mojibake (:func:`repair_mojibake`), then make whitespace and invisible characters
    uniform (:func:`normalize_whitespace`), keeping lines and paragraphs, until neither changes the
    text (idempotent). Every reader does this.

    Example:
        >>> normalize_text("BokmÃ¥l og nynorsk â€“ to\\r\\n\\r\\n\\r\\nskriftsprÃ¥k.  ")
        'Bokmål og nynorsk – to\\n\\nskriftspråk.'
    """
    text = normalize_whitespace(repair_mojibake(text))
    for _ in range(8):  # whitespace made uniform can complete a mojibake pattern ("Â\\t" to "Â ")
        repaired = repair_mojibake(text)
        if repaired == text:
            break
        text = normalize_whitespace(repaired)
    return text


def repair_mojibake(text: str) -> str:
    """Repair text that was UTF-8 read in a single-byte code page and saved again, with ftfy.

    ``BokmÃ¥l`` becomes ``Bokmål`` and ``Ð¨Ñ‚Ð¾Ñ€Ð¼`` ``Шторм`` (UTF-8 read as Windows-1252, Latin-1
    or DOS code page 437, in any script; as Windows-1251, in Cyrillic), and Windows-1252 punctuation
    stored as C1 control characters (``\\x96`` for an en dash) becomes that punctuation. ftfy's
    ``fix_encoding`` changes only text whose repair it can tell is one: plain text of any script,
    and ASCII, is returned as it is.

    Example:
        >>> repair_mojibake("Ð¨Ñ‚Ð¾Ñ€Ð¼ Ð½Ð° Ð¿Ð¾Ð±ÐµÑ€ÐµÐ¶ÑŒÐµ"), repair_mojibake("Oslo \\x96 Bergen")
        ('Шторм на побережье', 'Oslo – Bergen')
    """
    if text.isascii():
        return text
    from ftfy import fix_encoding  # imported on the first non-ASCII text (60 ms)

    return fix_encoding(text)


def normalize_whitespace(text: str) -> str:
    """Normalise whitespace and invisible characters, keeping lines and paragraphs.

    Line endings become ``\\n`` (``\\u2029`` becomes a paragraph break); NUL and other
    control characters except ``\\n``/``\\t`` are dropped, as are zero-width and bidi
    marks; the text is NFC-normalised; non-breaking and other odd spaces become a
    space; runs of spaces/tabs collapse to one space; each line is stripped; three or
    more newlines collapse to one blank line. Idempotent.

    Args:
        text: Any string.

    Returns:
        The normalised text, stripped; paragraphs separated by exactly one blank line.

    Example:
        >>> normalize_whitespace("Title\\r\\n\\r\\n\\r\\n  Body\\u00a0 text\\x00 here.\\tEnd ")
        'Title\\n\\nBody text here. End'
    """
    text = text.replace("\u2029", "\n\n")
    if not text.isascii() or any(ch in text for ch in "\r\x0b\x0c\x1c\x1d\x1e"):
        text = _LINE_BREAKS.sub("\n", text)  # most texts have none of these: skip the scan
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _ODD_SPACE.sub(" ", text)
    if "\t" in text or "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_RUN.sub("\n\n", text)
    return text.strip()


def decode_bytes(data: bytes, *, final: bool = True) -> tuple[str | None, str]:
    """Decode raw file bytes, never raising.

    Order: BOM (UTF-8, UTF-32, UTF-16), strict UTF-8, BOM-less UTF-16 (NUL pattern),
    cp1252 when its reading looks like Western European text, charset-normalizer
    (imported lazily, if installed), else cp1252/latin-1.

    Args:
        data: The bytes (possibly only the head of a file).
        final: False when ``data`` was cut from a longer file, so that a multi-byte
            character cut at the end is dropped instead of failing the decode.

    Returns:
        ``(text, encoding)``; ``text`` is None when the bytes are not text, and then
        ``encoding`` holds the reason.

    Example:
        >>> decode_bytes("Blåbær".encode("latin-1"))
        ('Blåbær', 'cp1252')
        >>> decode_bytes(b"\\xef\\xbb\\xbfhi")
        ('hi', 'utf-8-sig')
    """
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            text = try_decode(data[len(bom) :], enc, final)
            return (text, enc) if text is not None else (None, f"invalid {enc.upper()} despite its BOM")
    head = data[:SNIFF_BYTES]
    n_nul = head.count(0)
    if head and n_nul / len(head) > _MAX_NUL_SHARE:
        enc16 = _bomless_utf16(head)
        text = try_decode(data, enc16, final) if enc16 else None
        if text is not None and not _mostly_control(text):
            return text, enc16 or ""
        return None, "binary file (NUL bytes)"
    text = try_decode(data, "utf-8", final)
    if text is not None:
        return (text, "utf-8") if not _mostly_control(text) else (None, "binary file (control characters)")
    western = try_decode(data, "cp1252", True)
    if western is not None and looks_western(western):
        return western, "cp1252"
    guessed = _charset_normalizer_guess(data)
    if guessed is not None:
        return guessed
    for enc in ("cp1252", "latin-1"):
        text = try_decode(data, enc, True)
        if text is not None and not _mostly_control(text):
            return text, enc
    return None, "binary or undecodable file (mostly control characters in every encoding tried)"


def bytes_to_text(
    data: bytes,
    *,
    html: bool,
    max_chars: int,
    charset: str | None = None,
    final: bool = True,
    reader: Callable[[str], tuple[str | None, str]] | None = None,
) -> tuple[str | None, str]:
    """Decoded, extracted, normalised and capped text of one file or record, never raising.

    Args:
        data: The bytes (possibly only the head of a longer file).
        html: Extract the page's article text (:func:`dedup.io.html_text.extract_html`).
        reader: Reads the article text out of a text format's decoded text, ``(text, "")`` or
            ``(None, why)``: a caption file's spoken text, a Markdown page's text
            (:func:`dedup.io.formats.text_reader`).
        max_chars: The text is cut to at most this many characters (:func:`cap_text`).
        charset: The declared charset (an HTTP header's), tried first; for HTML, else the page's
            ``<meta charset>``.
        final: False when ``data`` was cut from a longer file (see :func:`decode_bytes`).

    Returns:
        ``(text, "")``, or ``(None, reason)`` when there is no usable text.
    """
    declared = (charset or html_charset(data)) if html else charset
    text = try_decode(data, declared, final) if declared and declared != "utf-8" else None
    if text is None:
        text, why = decode_bytes(data, final=final)
        if text is None:
            return None, why
    if html:
        text, messages = extract_html_with_log(text)
        if not text.strip():
            said = f" (extractor: {'; '.join(dict.fromkeys(messages))})" if messages else ""
            return None, f"HTML page without article or visible text{said}"
    if reader is not None:
        article, why = reader(text)
        if article is None:
            return None, why
        text = article
    text = cap_text(normalize_text(text), max_chars)
    if not text:
        return None, "no text after extraction" if html else "whitespace-only file"
    return text, ""


def byte_cap(max_chars: int, *, html: bool) -> int:
    """Bytes read from a file (or a WARC record) to get ``max_chars`` characters of its text.

    Four bytes per character (the longest UTF-8 and UTF-32 character), ten times that for HTML.

    Example:
        >>> byte_cap(1000, html=False), byte_cap(1000, html=True)
        (4004, 40040)
    """
    return (4 * max_chars + 4) * (_HTML_BYTE_FACTOR if html else 1)


def cap_text(text: str, max_chars: int) -> str:
    """Cut ``text`` to at most ``max_chars`` characters: at the last line break before the limit,
    else the last space, else at the limit (a break in the first half does not count).

    Example:
        >>> cap_text("One two.\\nThree four five.", 12)
        'One two.'
    """
    if len(text) <= max_chars:
        return text
    cut = text.rfind("\n", 0, max_chars + 1)
    if cut < max_chars // 2:
        cut = text.rfind(" ", 0, max_chars + 1)
    if cut < max_chars // 2:
        cut = max_chars
    return text[:cut].rstrip()


def try_decode(data: bytes, encoding: str, final: bool) -> str | None:
    """``data`` decoded strictly as ``encoding``, or None (undecodable, or an unknown encoding).

    Example:
        >>> try_decode(b"\\xe6", "utf-8", True) is None, try_decode(b"\\xe6", "cp1252", True)
        (True, 'æ')
    """
    try:
        return codecs.getincrementaldecoder(encoding)(errors="strict").decode(data, final=final)
    except (UnicodeDecodeError, LookupError):
        return None


def _bomless_utf16(head: bytes) -> str | None:
    """Guess UTF-16 without a BOM from where the NUL bytes sit (ASCII-heavy text only)."""
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    half = len(head) / 2
    if odd > 0.3 * half and even < 0.02 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.02 * half:
        return "utf-16-be"
    return None


def _mostly_control(text: str) -> bool:
    sample = text[:SNIFF_BYTES]
    if not sample:
        return False
    bad = sum(
        1 for ch in sample if (unicodedata.category(ch) in ("Cc", "Co", "Cs") and ch not in "\n\r\t\f\v")
    )
    bad += sample.count("\ufffd")
    return bad / len(sample) > _MAX_CONTROL_SHARE


def looks_western(text: str) -> bool:
    """Whether ``text`` reads as Western European text: not mostly control characters, and few of
    its letters outside ASCII (what a single-byte file read in the wrong code page is not).

    Example:
        >>> looks_western("Blåbær og jordbær"), looks_western("Êîìïàíèÿ ïðåäëàãàåò")
        (True, False)
    """
    if _mostly_control(text):
        return False
    letters = [ch for ch in text[: 4 * SNIFF_BYTES] if ch.isalpha()]
    if not letters:
        return True
    non_ascii = sum(1 for ch in letters if ord(ch) > 127)
    return non_ascii / len(letters) <= _MAX_NON_ASCII_LETTER_SHARE


def _charset_normalizer_guess(data: bytes) -> tuple[str, str] | None:
    try:
        import charset_normalizer
    except ImportError:
        return None
    try:
        best = charset_normalizer.from_bytes(data).best()
    except Exception:  # a third-party guesser must never fail a scan
        logger.debug("charset-normalizer failed", exc_info=True)
        return None
    if best is None:
        return None
    text = str(best)
    if _mostly_control(text):
        return None
    return text, str(best.encoding)
