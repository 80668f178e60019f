"""Read articles from a folder, a single file, several paths or a ``{doc_id: text}`` dict.

Formats (by file name ending, case-insensitive): ``.txt`` and ``.md`` are read as
they are; ``.html``/``.htm`` give their main article text (see
:func:`dedup.io.formats.extract_html`); ``.jsonl``/``.ndjson``, ``.json``, ``.csv``,
``.tsv`` and ``.parquet`` give one article per object or row, with ``doc_id``
``<file>#<id>`` (the record's id field) or ``<file>#<n>`` (its 1-based line, item or
data-row number); ``.warc``/``.warc.gz`` give one article per HTML or plain-text
``response`` record, with ``doc_id`` ``<file>#<WARC-Record-ID>`` (``urn:uuid:...``) and
the record's target URI and date in ``Document.url``/``Document.date``.

Every file is streamed: JSON Lines, CSV/TSV and WARC record by record, Parquet one
record batch at a time, so a single multi-GB input is read in bounded memory (only
the documents' texts, cut at ``max_chars``, are kept). :func:`iter_documents` yields
results as they are read; :func:`read_documents` collects and sorts them.

Reading only: inputs are opened read-only and never modified. A file that cannot
be used (empty, binary, undecodable, unreadable, a broken or looping symlink, a
symlink leaving the scanned folder, a file that vanished mid-run) becomes a
:class:`~dedup.types.Skipped` with a human-readable reason; only caller mistakes
(a missing folder, an empty list, a bad parameter) raise.

Example:
    >>> from dedup.io.ingest import read_documents
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

from dedup.errors import InputError, InvalidParameterError
from dedup.io.formats import (
    HTML_EXTENSIONS,
    PARQUET_EXTENSIONS,
    RECORD_EXTENSIONS,
    SUPPORTED_EXTENSIONS,
    WARC_EXTENSIONS,
    Record,
    extract_html_with_log,
    html_charset,
    iter_csv_records,
    iter_json_lines,
    iter_json_records,
    iter_parquet_records,
    iter_warc_records,
)
from dedup.types import Document, Skipped

__all__ = [
    "read_documents",
    "iter_documents",
    "list_inputs",
    "normalize_text",
    "sha256_bytes",
    "sha256_file",
    "decode_bytes",
]

Inputs = str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Mapping[str, str | bytes]
ByteProgress = Callable[[int, int], None]
"""``(bytes_read, bytes_total)`` over all input files, called as reading advances."""

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
_INVISIBLE = re.compile(
    "[\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069]"
)
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028]")
# Unicode category Cc (C0, DEL, C1 controls) except \n and \t; and category Zs except the space.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ODD_SPACE = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Report reading progress at most once per this many bytes of a file.
_PROGRESS_STEP = 4 << 20
# Runs of spaces/tabs that are not already one space (a lone space needs no replacing: faster).
_SPACE_RUN = re.compile(r"[ \t]{2,}|\t")
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
    inputs: Inputs,
    *,
    max_chars: int = 200_000,
    follow_symlinks: bool = False,
    extensions: Iterable[str] | None = SUPPORTED_EXTENSIONS,
    text_field: str | None = None,
    id_field: str | None = None,
    progress: ByteProgress | None = None,
) -> tuple[list[Document], list[Skipped]]:
    """Read and normalise documents; unusable inputs are reported, not raised.

    Args:
        inputs: A folder (walked recursively; hidden entries and files whose
            extension is not listed are ignored), a single file, a list of paths
            (files and folders), or a ``{doc_id: text}`` mapping (in memory; values
            may also be bytes).
        max_chars: Longer texts are cut to at most this many characters, at the last
            line break before the limit (else the last space); >= 1.
        follow_symlinks: Read symlinks whose target lies outside the scanned folder
            (for a file or a list: outside the paths' common parent). Links inside it
            are always read; broken and looping links are always skipped.
        extensions: File name endings read from a folder (case-insensitive); None
            reads every file (as plain text unless its ending names a format). Not
            applied to files named explicitly.
        text_field: Field or column holding the article text in JSON/CSV/TSV/Parquet
            files; None tries ``text``, ``body``, ``content``, ``article``, ``maintext``,
            ``full_text`` (case-insensitive). A ``title``/``headline`` field is put first.
        id_field: Field or column holding the record id; None tries ``id``,
            ``doc_id``, ``_id``, ``uuid``, ``guid``, else the line or row number is used.
        progress: Optional callback ``(bytes_read, bytes_total)`` over all input files.

    Returns:
        ``(documents, skipped)``. Documents are sorted by ``doc_id``: for a folder
        the POSIX path relative to it; for a single file its name; for a list the
        path relative to the paths' common parent (a folder in the list is walked,
        its files named ``folder/...``); for a mapping its key. Records of a file are
        ``file#<id>``. ``sha256`` is the digest of the raw file bytes (of the
        record's text, or a WARC record's payload, for records; of the UTF-8 text
        for a mapping). Skipped entries are sorted by path.

    Raises:
        InputError: If a single input path is missing, or the list is empty.
        InvalidParameterError: If ``max_chars`` is not an int >= 1, or a mapping has
            a non-string key or value.

    Example:
        >>> docs, skipped = read_documents({"x": "One.\\n\\n\\n\\nTwo."})
        >>> docs[0].text
        'One.\\n\\nTwo.'
    """
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for result in iter_documents(
        inputs,
        max_chars=max_chars,
        follow_symlinks=follow_symlinks,
        extensions=extensions,
        text_field=text_field,
        id_field=id_field,
        progress=progress,
    ):
        (docs if isinstance(result, Document) else skipped).append(result)  # type: ignore[arg-type]
    docs.sort(key=lambda d: d.doc_id)
    skipped.sort(key=lambda s: (s.path, s.reason))
    logger.info("ingest: %d documents read, %d skipped", len(docs), len(skipped))
    return docs, skipped


def iter_documents(
    inputs: Inputs,
    *,
    max_chars: int = 200_000,
    follow_symlinks: bool = False,
    extensions: Iterable[str] | None = SUPPORTED_EXTENSIONS,
    text_field: str | None = None,
    id_field: str | None = None,
    progress: ByteProgress | None = None,
) -> Iterator[Document | Skipped]:
    """Yield each :class:`Document` or :class:`Skipped` as it is read, in file order.

    The streaming form of :func:`read_documents` (same arguments, same ids, not sorted):
    memory stays bounded by the largest record or batch, whatever the size of a file.
    Folder problems found while listing the inputs come first.

    Example:
        >>> [type(r).__name__ for r in iter_documents({"a": "Hi.", "b": ""})]
        ['Document', 'Skipped']
    """
    if not isinstance(max_chars, int) or isinstance(max_chars, bool) or max_chars < 1:
        raise InvalidParameterError(f"max_chars must be an int >= 1. Got {max_chars!r}.")
    if isinstance(inputs, Mapping):
        yield from _read_mapping(inputs, max_chars)
        return
    listed: list[Skipped] = []
    root, files = list_inputs(inputs, follow_symlinks=follow_symlinks, extensions=extensions, skipped=listed)
    yield from listed
    meter = _ByteMeter(progress, sum(_size(path) for _rel, path in files))
    for rel, path in files:
        yield from _iter_file(path, rel, root, max_chars, follow_symlinks, text_field, id_field, meter)
        meter.next_file(_size(path))
    meter.report(force=True)


def list_inputs(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    follow_symlinks: bool = False,
    extensions: Iterable[str] | None = SUPPORTED_EXTENSIONS,
    skipped: list[Skipped] | None = None,
) -> tuple[Path, list[tuple[str, Path]]]:
    """The files a scan of ``inputs`` reads, with their document ids, in reading order.

    Args:
        inputs: A folder, a single file, or a list of files and folders.
        follow_symlinks: As for :func:`read_documents`.
        extensions: File name endings read from folders (None: every file).
        skipped: Receives folder problems met while walking (loops, unreadable folders, ...).

    Returns:
        ``(root, [(doc_id, path)])``: ids are POSIX paths relative to ``root``, which is
        the folder itself for a single folder, else the common parent of the paths.

    Raises:
        InputError: If a single path does not exist, or the list is empty.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.txt").write_text("x"); _ = (folder / "b.jsonl").write_text("{}")
        >>> root, files = list_inputs(folder / "b.jsonl")
        >>> root == folder, [rel for rel, _ in files]
        (True, ['b.jsonl'])
        >>> [rel for rel, _ in list_inputs([folder])[1]] == [f"{folder.name}/a.txt", f"{folder.name}/b.jsonl"]
        True
    """
    skipped = skipped if skipped is not None else []
    exts = None if extensions is None else tuple(e.lower() for e in extensions)
    if isinstance(inputs, (str, os.PathLike)):
        path = Path(inputs).expanduser()
        if not path.exists() and not path.is_symlink():
            raise InputError(f"input path {str(path)!r} does not exist. Pass an existing folder or file.")
        if path.is_dir():
            root = path.absolute()
            return root, list(_walk(root, follow_symlinks, exts, skipped))
        path = path.absolute()
        return path.parent, [(path.name, path)]
    paths = [Path(p).expanduser().absolute() for p in inputs]
    if not paths:
        raise InputError("the list of input paths is empty. Pass at least one file or folder.")
    root = Path(os.path.commonpath([str(p.parent) for p in paths]))
    files: list[tuple[str, Path]] = []
    seen: set[str] = set()
    for path in paths:
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            found = list(_walk(path, follow_symlinks, exts, skipped, prefix=rel + "/", real_root=root))
        else:
            found = [(rel, path)]
        for doc_id, file in found:
            if doc_id not in seen:
                seen.add(doc_id)
                files.append((doc_id, file))
    return root, files


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


class _ByteMeter:
    """Turns positions within files into ``(bytes_read, bytes_total)`` progress calls, throttled."""

    def __init__(self, progress: ByteProgress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.before = 0  # bytes of the files already finished
        self.position = 0  # within the current file
        self.reported = -1

    def at(self, position: int) -> None:
        self.position = position
        self.report()

    def next_file(self, size: int) -> None:
        self.before += size
        self.position = 0
        self.report()

    def report(self, *, force: bool = False) -> None:
        if self.progress is None:
            return
        done = min(self.before + self.position, self.total)
        if force or done - self.reported >= _PROGRESS_STEP or (done == self.total and done != self.reported):
            self.reported = done
            self.progress(done, self.total)


def _read_mapping(inputs: Mapping[str, str | bytes], max_chars: int) -> Iterator[Document | Skipped]:
    for doc_id, value in inputs.items():
        if not isinstance(doc_id, str):
            raise InvalidParameterError(f"document ids must be str. Got {doc_id!r}.")
        if isinstance(value, (bytes, bytearray)):
            raw = bytes(value)
            decoded, why = decode_bytes(raw)
            if decoded is None:
                yield Skipped(doc_id, why)
                continue
        elif isinstance(value, str):
            decoded, raw = value, value.encode("utf-8", errors="surrogatepass")
        else:
            got = type(value).__name__
            raise InvalidParameterError(f"text of {doc_id!r} must be str or bytes. Got {got}.")
        text = _cap(normalize_text(decoded), max_chars)
        if not text:
            yield Skipped(doc_id, "empty or whitespace-only text")
            continue
        yield Document(doc_id=doc_id, text=text, path=None, sha256=sha256_bytes(raw))


def _walk(
    root: Path,
    follow_symlinks: bool,
    exts: tuple[str, ...] | None,
    skipped: list[Skipped],
    *,
    prefix: str = "",
    real_root: Path | None = None,
) -> Iterator[tuple[str, Path]]:
    """Yield ``(doc_id, path)`` of candidate files under ``root``; folder problems go to ``skipped``.

    Ids are ``prefix`` + the path relative to ``root``; links pointing outside ``real_root``
    (default ``root``) need ``follow_symlinks``.
    """
    real_root = os.path.realpath(real_root if real_root is not None else root)
    visited: set[tuple[int, int]] = set()
    stack: list[tuple[Path, str]] = [(root, prefix)]
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
    return list(_iter_file(path, doc_id, root, max_chars, follow_symlinks, text_field, id_field))


def _iter_file(
    path: Path,
    doc_id: str,
    root: Path,
    max_chars: int,
    follow_symlinks: bool,
    text_field: str | None = None,
    id_field: str | None = None,
    meter: _ByteMeter | None = None,
) -> Iterator[Document | Skipped]:
    """Read one file: one Document (or one per record, streamed) and/or Skipped entries."""
    where = str(path)
    try:
        lst = os.lstat(path)
    except OSError as err:
        yield Skipped(where, _os_reason(err, is_link=False))
        return
    is_link = stat.S_ISLNK(lst.st_mode)
    if is_link:
        try:
            os.stat(path)
        except OSError as err:
            yield Skipped(where, _os_reason(err, is_link=True))
            return
        if not follow_symlinks and not _inside(os.path.realpath(path), os.path.realpath(root)):
            yield Skipped(where, _OUTSIDE)
            return
    name = path.name.lower()
    is_html = name.endswith(HTML_EXTENSIONS)
    meter = meter or _ByteMeter(None, 0)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        yield Skipped(where, _os_reason(err, is_link=is_link))
        return
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            yield Skipped(where, f"{what}, not read")
            return
        if name.endswith(RECORD_EXTENSIONS):
            yield from _read_records(fd, where, doc_id, name, max_chars, text_field, id_field, meter)
            return
        if name.endswith(PARQUET_EXTENSIONS):
            yield from _read_parquet(fd, where, doc_id, max_chars, text_field, id_field, meter, st.st_size)
            return
        if name.endswith(WARC_EXTENSIONS):
            yield from _read_warc(fd, where, doc_id, max_chars, meter)
            return
        byte_cap = (4 * max_chars + 4) * (_HTML_BYTE_FACTOR if is_html else 1)
        head, digest, why = _read_capped(fd, byte_cap)
    except OSError as err:
        yield Skipped(where, _os_reason(err, is_link=is_link))
        return
    finally:
        os.close(fd)
    if why:
        yield Skipped(where, why)
        return
    truncated = len(head) >= byte_cap
    result = _text_of(head, is_html, None, final=not truncated, max_chars=max_chars)
    if isinstance(result, str) and result.startswith(_NO_TEXT):
        yield Skipped(where, result[len(_NO_TEXT) :])
        return
    yield Document(doc_id=doc_id, text=result, path=where, sha256=digest)


# Prefix marking a reason (not a text) returned by _text_of.
_NO_TEXT = "\x00no-text:"


def _text_of(data: bytes, is_html: bool, charset: str | None, *, final: bool, max_chars: int) -> str:
    """Decoded, extracted, normalised and capped text of one file or record; or _NO_TEXT + reason."""
    declared = (charset or html_charset(data)) if is_html else charset
    text = _try_decode(data, declared, final) if declared and declared != "utf-8" else None
    if text is None:
        text, why = decode_bytes(data, final=final)
        if text is None:
            return _NO_TEXT + why
    if is_html:
        text, messages = extract_html_with_log(text)
        if not text.strip():
            said = f" (extractor: {'; '.join(dict.fromkeys(messages))})" if messages else ""
            return _NO_TEXT + f"HTML page without article or visible text{said}"
    text = _cap(normalize_text(text), max_chars)
    if not text:
        return _NO_TEXT + ("no text after extraction" if is_html else "whitespace-only file")
    return text


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


class _Ids:
    """Unique ``file#key`` ids: a repeated key gets ``~n`` (its position in the file)."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.seen: set[str] = set()

    def __call__(self, key: str, n: int) -> str:
        doc_id = f"{self.rel}#{key}"
        if doc_id in self.seen:
            doc_id = f"{self.rel}#{key}~{n}"
        self.seen.add(doc_id)
        return doc_id


def _record_result(record: Record, doc_id: str, where: str, max_chars: int) -> Document | Skipped:
    if record.text is None:
        return Skipped(f"{where}#{record.key}", record.error or "no text")
    text = _cap(normalize_text(record.text), max_chars)
    if not text:
        return Skipped(f"{where}#{record.key}", "empty or whitespace-only text")
    raw = record.text.encode("utf-8", errors="surrogatepass")
    return Document(doc_id=doc_id, text=text, path=where, sha256=sha256_bytes(raw))


def _read_records(
    fd: int,
    where: str,
    rel: str,
    name: str,
    max_chars: int,
    text_field: str | None,
    id_field: str | None,
    meter: _ByteMeter,
) -> Iterator[Document | Skipped]:
    """One Document per JSON object / CSV row; streamed except for ``.json`` (size-capped)."""
    head = os.read(fd, 4 * _SNIFF_BYTES)
    if not head:
        yield Skipped(where, "empty file")
        return
    sniff, encoding = decode_bytes(head, final=False)
    if sniff is None:
        yield Skipped(where, encoding)
        return
    os.lseek(fd, 0, os.SEEK_SET)
    line_cap = 8 * max_chars + 64
    pending: list[Document | Skipped] = []  # overlong lines, reported in order
    n_out = 0
    ids = _Ids(rel)
    with open(fd, encoding=encoding or "utf-8", errors="replace", newline="", closefd=False) as fh:
        if name.endswith(".json"):
            limit = _JSON_CHAR_FACTOR * max_chars
            data = fh.read(limit + 1)
            if len(data) > limit:
                yield Skipped(
                    where, f"JSON file over {limit} characters; write it as JSON Lines (.jsonl) to stream it"
                )
                return
            records: Iterable[Record] = iter_json_records(
                data.lstrip("\ufeff"), lines=None, text_field=text_field, id_field=id_field
            )
        elif name.endswith((".csv", ".tsv")):
            records = iter_csv_records(
                _bounded_lines(fh, line_cap, where, pending),
                delimiter="\t" if name.endswith(".tsv") else ",",
                text_field=text_field,
                id_field=id_field,
                max_field_chars=line_cap,
            )
        else:
            records = iter_json_lines(
                _bounded_lines(fh, line_cap, where, pending), text_field=text_field, id_field=id_field
            )
        for n, record in enumerate(records, start=1):
            if pending:
                yield from pending
                n_out += len(pending)
                pending.clear()
            n_out += 1
            yield _record_result(record, ids(record.key, n), where, max_chars)
            if n % 256 == 0:
                meter.at(os.lseek(fd, 0, os.SEEK_CUR))
        yield from pending
        n_out += len(pending)
    if not n_out:
        yield Skipped(where, "no records (no objects or data rows)")


def _read_parquet(
    fd: int,
    where: str,
    rel: str,
    max_chars: int,
    text_field: str | None,
    id_field: str | None,
    meter: _ByteMeter,
    size: int,
) -> Iterator[Document | Skipped]:
    """One Document per Parquet row, read one record batch at a time."""
    if size == 0:
        yield Skipped(where, "empty file")
        return
    ids = _Ids(rel)
    n = 0
    with open(fd, "rb", closefd=False) as fh:
        for n, (record, share) in enumerate(
            iter_parquet_records(fh, text_field=text_field, id_field=id_field), start=1
        ):
            if record.key == "file" and record.text is None:
                yield Skipped(where, record.error or "unreadable Parquet file")
                return
            yield _record_result(record, ids(record.key, n), where, max_chars)
            meter.at(int(share * size))
    if n == 0:
        yield Skipped(where, "no records (no rows)")


def _read_warc(
    fd: int, where: str, rel: str, max_chars: int, meter: _ByteMeter
) -> Iterator[Document | Skipped]:
    """One Document per HTML/plain-text response record of a WARC file, streamed."""
    byte_cap = (4 * max_chars + 4) * _HTML_BYTE_FACTOR
    ids = _Ids(rel)
    n = 0
    with open(fd, "rb", closefd=False) as fh:
        try:
            for n, item in enumerate(iter_warc_records(fh, max_bytes=byte_cap), start=1):
                meter.at(os.lseek(fd, 0, os.SEEK_CUR))
                key = item.record_id or str(n)
                if item.error is not None or item.payload is None:
                    yield Skipped(f"{where}#{key}", item.error or "no payload")
                    continue
                if not item.payload.strip():
                    yield Skipped(f"{where}#{key}", "empty response body")
                    continue
                truncated = len(item.payload) >= byte_cap
                text = _text_of(
                    item.payload, item.kind == "html", item.charset, final=not truncated, max_chars=max_chars
                )
                if text.startswith(_NO_TEXT):
                    yield Skipped(f"{where}#{key}", text[len(_NO_TEXT) :])
                    continue
                yield Document(
                    doc_id=ids(key, n),
                    text=text,
                    path=where,
                    sha256=sha256_bytes(item.payload),
                    url=item.url,
                    date=item.date,
                )
        except Exception as err:  # a damaged archive: what was read so far stays
            logger.debug("WARC read failed in %s", where, exc_info=True)
            yield Skipped(where, f"unreadable WARC after {n} records: {err}")
            return
    if n == 0:
        yield Skipped(where, "no response or resource records (not a WARC file?)")


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
