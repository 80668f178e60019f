"""Read articles from a folder, a list of files or a ``{doc_id: text}`` dict.

Formats (by file name ending, case-insensitive): ``.txt`` and ``.md`` are read as
they are; ``.html``/``.htm`` give their main article text (see
:func:`dedup.formats.extract_html`); ``.jsonl``/``.ndjson``, ``.json``, ``.csv`` and
``.tsv`` give one article per object or row, with ``doc_id`` ``<file>#<id>`` (the
record's id field) or ``<file>#<n>`` (its 1-based line, item or data-row number).

Reading only: inputs are opened read-only and never modified. A file that cannot
be used (empty, binary, undecodable, unreadable, a broken or looping symlink, a
symlink leaving the scanned folder, a file that vanished mid-run) becomes a
:class:`~dedup.types.Skipped` with a human-readable reason; only caller mistakes
(a missing folder, an empty list, a bad parameter) raise.

Example:
    >>> from dedup.ingest import read_documents
    >>> docs, skipped = read_documents({"b": "Hello  world.\\r\\n", "a": "Hei\\u00a0verden.", "c": " "})
    >>> [(d.doc_id, d.text) for d in docs]
    [('a', 'Hei verden.'), ('b', 'Hello world.')]
    >>> skipped[0].reason
    'empty or whitespace-only text'
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

from .errors import InputError, InvalidParameterError
from .formats import (
    HTML_EXTENSIONS,
    RECORD_EXTENSIONS,
    SUPPORTED_EXTENSIONS,
    Record,
    extract_html,
    html_charset,
    iter_csv_records,
    iter_json_lines,
    iter_json_records,
)
from .types import Document, Skipped

__all__ = ["read_documents", "normalize_text", "sha256_bytes", "sha256_file", "decode_bytes"]

logger = logging.getLogger(__name__)

_SNIFF_BYTES = 8192
_CHUNK = 1 << 20
# Share of NUL bytes in the first 8 KB tolerated before a file counts as binary.
_MAX_NUL_SHARE = 0.01
# Share of control characters (other than whitespace) tolerated in decoded text.
_MAX_CONTROL_SHARE = 0.10
# A legacy 8-bit file whose cp1252 reading has more non-ASCII letters than this share
# is probably in another code page (cp1251, cp1253, ...): ask charset-normalizer.
_MAX_NON_ASCII_LETTER_SHARE = 0.35
# HTML carries markup, scripts and styles: read up to this many times the text byte cap.
_HTML_BYTE_FACTOR = 10
# A .json file is parsed whole: at most this many times max_chars characters (JSON Lines stream).
_JSON_CHAR_FACTOR = 100

# Invisible characters removed outright (zero-width space, word joiner, BOM, soft hyphen,
# bidi marks and embeddings). ZWJ/ZWNJ stay: they change shaping in Indic and Persian text.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    None,
)
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028]")
_SPACE_RUN = re.compile(r"[ \t]+")
_BLANK_RUN = re.compile(r"\n{3,}")


def sha256_bytes(data: bytes) -> str:
    """Return the hex SHA-256 digest of ``data``.

    Args:
        data: Raw bytes.

    Returns:
        64 lowercase hex characters.

    Example:
        >>> sha256_bytes(b"")[:16]
        'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Return the hex SHA-256 digest of a file's bytes, read in 1 MiB chunks (any size).

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile() as f:
        ...     sha256_file(f.name)[:16]
        'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def normalize_text(text: str) -> str:
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
        >>> normalize_text("Title\\r\\n\\r\\n\\r\\n  Body\\u00a0 text\\x00 here.\\tEnd ")
        'Title\\n\\nBody text here. End'
    """
    text = text.replace("\u2029", "\n\n")
    text = _LINE_BREAKS.sub("\n", text)
    text = text.translate(_INVISIBLE)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if ch != " " and unicodedata.category(ch) == "Zs" else ch for ch in text)
    text = _SPACE_RUN.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
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
            text = _try_decode(data[len(bom) :], enc, final)
            return (text, enc) if text is not None else (None, f"invalid {enc.upper()} despite its BOM")
    head = data[:_SNIFF_BYTES]
    n_nul = head.count(0)
    if head and n_nul / len(head) > _MAX_NUL_SHARE:
        enc16 = _bomless_utf16(head)
        text = _try_decode(data, enc16, final) if enc16 else None
        if text is not None and not _mostly_control(text):
            return text, enc16 or ""
        return None, "binary file (NUL bytes)"
    text = _try_decode(data, "utf-8", final)
    if text is not None:
        return (text, "utf-8") if not _mostly_control(text) else (None, "binary file (control characters)")
    western = _try_decode(data, "cp1252", True)
    if western is not None and _looks_western(western):
        return western, "cp1252"
    guessed = _charset_normalizer_guess(data)
    if guessed is not None:
        return guessed
    for enc in ("cp1252", "latin-1"):
        text = _try_decode(data, enc, True)
        if text is not None and not _mostly_control(text):
            return text, enc
    return None, "binary or undecodable file (mostly control characters in every encoding tried)"


def read_documents(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Mapping[str, str | bytes],
    *,
    max_chars: int = 200_000,
    follow_symlinks: bool = False,
    extensions: Iterable[str] | None = SUPPORTED_EXTENSIONS,
    text_field: str | None = None,
    id_field: str | None = None,
) -> tuple[list[Document], list[Skipped]]:
    """Read and normalise documents; unusable inputs are reported, not raised.

    Args:
        inputs: A folder (walked recursively; hidden entries and files whose
            extension is not listed are ignored), a list of file paths, or a
            ``{doc_id: text}`` mapping (in memory; values may also be bytes).
        max_chars: Longer texts are cut to at most this many characters, at the last
            line break before the limit (else the last space); >= 1.
        follow_symlinks: Read symlinks whose target lies outside the scanned folder
            (for a list: outside the paths' common parent). Links inside it are
            always read; broken and looping links are always skipped.
        extensions: File name endings read from a folder (case-insensitive); None
            reads every file (as plain text unless its ending names a format). Not
            applied to an explicit list of paths.
        text_field: Field or column holding the article text in JSON/CSV/TSV files;
            None tries ``text``, ``body``, ``content``, ``article``, ``maintext``,
            ``full_text`` (case-insensitive). A ``title``/``headline`` field is put first.
        id_field: Field or column holding the record id; None tries ``id``,
            ``doc_id``, ``_id``, ``uuid``, ``guid``, else the line or row number is used.

    Returns:
        ``(documents, skipped)``. Documents are sorted by ``doc_id``: for a folder
        the POSIX path relative to it, for a list the path relative to the files'
        common parent, for a mapping its key. ``sha256`` is the digest of the raw
        file bytes (of the UTF-8 text for a mapping). Skipped entries are sorted
        by path.

    Raises:
        InputError: If the folder is missing or not a folder, or the list is empty.
        InvalidParameterError: If ``max_chars`` is not an int >= 1, or a mapping has
            a non-string key or value.

    Example:
        >>> docs, skipped = read_documents({"x": "One.\\n\\n\\n\\nTwo."})
        >>> docs[0].text
        'One.\\n\\nTwo.'
    """
    if not isinstance(max_chars, int) or isinstance(max_chars, bool) or max_chars < 1:
        raise InvalidParameterError(f"max_chars must be an int >= 1. Got {max_chars!r}.")
    exts = None if extensions is None else tuple(e.lower() for e in extensions)
    if isinstance(inputs, Mapping):
        docs, skipped = _read_mapping(inputs, max_chars)
    elif isinstance(inputs, (str, os.PathLike)):
        root = resolve_folder(inputs)
        docs, skipped = [], []
        for rel, path in _walk(root, follow_symlinks, exts, skipped):
            _add(_read_file(path, rel, root, max_chars, follow_symlinks, text_field, id_field), docs, skipped)
    else:
        paths = [Path(p).expanduser().absolute() for p in inputs]
        if not paths:
            raise InputError("the list of input files is empty. Pass at least one file path.")
        root = Path(os.path.commonpath([str(p.parent) for p in paths]))
        docs, skipped = [], []
        seen: set[str] = set()
        for path in paths:
            rel = path.relative_to(root).as_posix()
            if rel in seen:
                continue
            seen.add(rel)
            _add(_read_file(path, rel, root, max_chars, follow_symlinks, text_field, id_field), docs, skipped)
    docs.sort(key=lambda d: d.doc_id)
    skipped.sort(key=lambda s: (s.path, s.reason))
    logger.info("ingest: %d documents read, %d skipped", len(docs), len(skipped))
    return docs, skipped


def _add(results: list[Document | Skipped], docs: list[Document], skipped: list[Skipped]) -> None:
    for result in results:
        if isinstance(result, Document):
            docs.append(result)
        else:
            skipped.append(result)


def _read_mapping(inputs: Mapping[str, str | bytes], max_chars: int) -> tuple[list[Document], list[Skipped]]:
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for doc_id, value in inputs.items():
        if not isinstance(doc_id, str):
            raise InvalidParameterError(f"document ids must be str. Got {doc_id!r}.")
        if isinstance(value, (bytes, bytearray)):
            raw = bytes(value)
            decoded, why = decode_bytes(raw)
            if decoded is None:
                skipped.append(Skipped(doc_id, why))
                continue
        elif isinstance(value, str):
            decoded, raw = value, value.encode("utf-8", errors="surrogatepass")
        else:
            got = type(value).__name__
            raise InvalidParameterError(f"text of {doc_id!r} must be str or bytes. Got {got}.")
        text = _cap(normalize_text(decoded), max_chars)
        if not text:
            skipped.append(Skipped(doc_id, "empty or whitespace-only text"))
            continue
        docs.append(Document(doc_id=doc_id, text=text, path=None, sha256=sha256_bytes(raw)))
    return docs, skipped


def _walk(
    root: Path, follow_symlinks: bool, exts: tuple[str, ...] | None, skipped: list[Skipped]
) -> Iterator[tuple[str, Path]]:
    """Yield ``(doc_id, path)`` of candidate files under ``root``; folder problems go to ``skipped``."""
    real_root = os.path.realpath(root)
    visited: set[tuple[int, int]] = set()
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            st = os.stat(folder)
        except OSError as err:
            skipped.append(Skipped(str(folder), _os_reason(err, is_link=folder.is_symlink())))
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:
            skipped.append(Skipped(str(folder), "symlink loop (folder already scanned)"))
            continue
        visited.add(key)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except FileNotFoundError:
            skipped.append(Skipped(str(folder), "folder vanished during the scan"))
            continue
        except OSError as err:
            skipped.append(Skipped(str(folder), _os_reason(err, is_link=False)))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            rel = f"{prefix}{entry.name}"
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False  # looping link: reported when read as a file
            if is_dir:
                if entry.is_symlink():
                    target = os.path.realpath(path)
                    if _inside(target, real_root):
                        skipped.append(
                            Skipped(str(path), "symlink to a folder inside the scanned folder (read there)")
                        )
                        continue
                    if not follow_symlinks:
                        skipped.append(Skipped(str(path), _OUTSIDE))
                        continue
                stack.append((path, rel + "/"))
                continue
            if exts is not None and not entry.name.lower().endswith(exts):
                continue
            yield rel, path


_OUTSIDE = "symlink points outside the scanned folder (pass follow_symlinks=True to read it)"


def _inside(target: str, real_root: str) -> bool:
    return target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)


def _os_reason(err: OSError, *, is_link: bool) -> str:
    if err.errno == errno.ELOOP:
        return "symlink loop"
    if isinstance(err, FileNotFoundError):
        return "broken symlink (target does not exist)" if is_link else "file vanished during the scan"
    if isinstance(err, PermissionError):
        return "permission denied"
    if isinstance(err, IsADirectoryError):
        return "is a folder, not a file"
    return f"could not read: {err.strerror or err.__class__.__name__}"


def _read_file(
    path: Path,
    doc_id: str,
    root: Path,
    max_chars: int,
    follow_symlinks: bool,
    text_field: str | None = None,
    id_field: str | None = None,
) -> list[Document | Skipped]:
    """Read one file: a list with one Document (or several, for record files) and/or Skipped entries."""
    where = str(path)
    try:
        lst = os.lstat(path)
    except OSError as err:
        return [Skipped(where, _os_reason(err, is_link=False))]
    is_link = stat.S_ISLNK(lst.st_mode)
    if is_link:
        try:
            os.stat(path)
        except OSError as err:
            return [Skipped(where, _os_reason(err, is_link=True))]
        if not follow_symlinks and not _inside(os.path.realpath(path), os.path.realpath(root)):
            return [Skipped(where, _OUTSIDE)]
    name = path.name.lower()
    is_html = name.endswith(HTML_EXTENSIONS)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
                return [Skipped(where, f"{what}, not read")]
            if name.endswith(RECORD_EXTENSIONS):
                return _read_records(fd, where, doc_id, name, max_chars, text_field, id_field)
            byte_cap = (4 * max_chars + 4) * (_HTML_BYTE_FACTOR if is_html else 1)
            head, digest, why = _read_capped(fd, byte_cap)
        finally:
            os.close(fd)
    except OSError as err:
        return [Skipped(where, _os_reason(err, is_link=is_link))]
    if why:
        return [Skipped(where, why)]
    truncated = len(head) >= byte_cap
    declared = html_charset(head) if is_html else None
    text = _try_decode(head, declared, not truncated) if declared and declared != "utf-8" else None
    if text is None:
        text, why = decode_bytes(head, final=not truncated)
        if text is None:
            return [Skipped(where, why)]
    if is_html:
        text = extract_html(text)
        if not text.strip():
            return [Skipped(where, "HTML page without visible text")]
    text = _cap(normalize_text(text), max_chars)
    if not text:
        return [Skipped(where, "whitespace-only file")]
    return [Document(doc_id=doc_id, text=text, path=where, sha256=digest)]


def _read_capped(fd: int, byte_cap: int) -> tuple[bytes, str, str]:
    """Read up to ``byte_cap`` bytes, hashing the whole file; stop early on binary content.

    Returns ``(head, sha256 hex, reason)``; ``reason`` is non-empty when the file is
    unusable (empty, binary), and then the rest of the file is not read.
    """
    digest = hashlib.sha256()
    head = bytearray()
    checked = False
    while chunk := os.read(fd, _CHUNK):
        digest.update(chunk)
        if len(head) < byte_cap:
            head += chunk[: byte_cap - len(head)]
        if not checked and len(head) >= _SNIFF_BYTES:
            checked = True
            sniff, why = decode_bytes(bytes(head[: 4 * _SNIFF_BYTES]), final=False)
            if sniff is None:
                return b"", "", why
    if not head:
        return b"", "", "empty file"
    return bytes(head), digest.hexdigest(), ""


def _read_records(
    fd: int,
    where: str,
    rel: str,
    name: str,
    max_chars: int,
    text_field: str | None,
    id_field: str | None,
) -> list[Document | Skipped]:
    """One Document per JSON object / CSV row; streamed except for ``.json`` (size-capped)."""
    head = os.read(fd, 4 * _SNIFF_BYTES)
    if not head:
        return [Skipped(where, "empty file")]
    sniff, encoding = decode_bytes(head, final=False)
    if sniff is None:
        return [Skipped(where, encoding)]
    os.lseek(fd, 0, os.SEEK_SET)
    line_cap = 8 * max_chars + 64
    out: list[Document | Skipped] = []
    with open(fd, encoding=encoding or "utf-8", errors="replace", newline="", closefd=False) as fh:
        if name.endswith(".json"):
            limit = _JSON_CHAR_FACTOR * max_chars
            data = fh.read(limit + 1)
            if len(data) > limit:
                return [
                    Skipped(
                        where,
                        f"JSON file over {limit} characters; write it as JSON Lines (.jsonl) to stream it",
                    )
                ]
            records: Iterable[Record] = iter_json_records(
                data.lstrip("\ufeff"), lines=None, text_field=text_field, id_field=id_field
            )
        elif name.endswith((".csv", ".tsv")):
            records = iter_csv_records(
                _bounded_lines(fh, line_cap, where, out),
                delimiter="\t" if name.endswith(".tsv") else ",",
                text_field=text_field,
                id_field=id_field,
                max_field_chars=line_cap,
            )
        else:
            records = iter_json_lines(
                _bounded_lines(fh, line_cap, where, out), text_field=text_field, id_field=id_field
            )
        seen: set[str] = set()
        for n, record in enumerate(records, start=1):
            doc_id = f"{rel}#{record.key}"
            if doc_id in seen:
                doc_id = f"{rel}#{record.key}~{n}"
            seen.add(doc_id)
            if record.text is None:
                out.append(Skipped(f"{where}#{record.key}", record.error or "no text"))
                continue
            text = _cap(normalize_text(record.text), max_chars)
            if not text:
                out.append(Skipped(f"{where}#{record.key}", "empty or whitespace-only text"))
                continue
            raw = record.text.encode("utf-8", errors="surrogatepass")
            out.append(Document(doc_id=doc_id, text=text, path=where, sha256=sha256_bytes(raw)))
    if not out:
        out.append(Skipped(where, "no records (no objects or data rows)"))
    return out


def _bounded_lines(fh: TextIO, line_cap: int, where: str, skipped: list[Document | Skipped]) -> Iterator[str]:
    """Yield lines of at most ``line_cap`` characters; longer lines are reported and skipped."""
    n = 0
    while True:
        line = fh.readline(line_cap)
        if not line:
            return
        n += 1
        if len(line) >= line_cap and not line.endswith(("\n", "\r")):
            while (rest := fh.readline(line_cap)) and not rest.endswith(("\n", "\r")):
                pass
            skipped.append(Skipped(f"{where}#{n}", f"line {n} longer than {line_cap} characters, not read"))
            yield "\n"  # keep line numbers of later records right
            continue
        yield line


def resolve_folder(folder: str | os.PathLike[str]) -> Path:
    """The absolute path of an input folder, checked.

    Raises:
        InputError: If it does not exist or is not a folder.
    """
    root = Path(folder).expanduser()
    if not root.exists():
        raise InputError(f"input folder {str(root)!r} does not exist. Pass an existing folder.")
    if not root.is_dir():
        raise InputError(
            f"input {str(root)!r} is not a folder. Pass a folder, or a list of file paths for single files."
        )
    return root.absolute()


def _cap(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text.rfind("\n", 0, max_chars + 1)
    if cut < max_chars // 2:
        cut = text.rfind(" ", 0, max_chars + 1)
    if cut < max_chars // 2:
        cut = max_chars
    return text[:cut].rstrip()


def _try_decode(data: bytes, encoding: str, final: bool) -> str | None:
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
    sample = text[:_SNIFF_BYTES]
    if not sample:
        return False
    bad = sum(
        1 for ch in sample if (unicodedata.category(ch) in ("Cc", "Co", "Cs") and ch not in "\n\r\t\f\v")
    )
    bad += sample.count("\ufffd")
    return bad / len(sample) > _MAX_CONTROL_SHARE


def _looks_western(text: str) -> bool:
    if _mostly_control(text):
        return False
    letters = [ch for ch in text[: 4 * _SNIFF_BYTES] if ch.isalpha()]
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
