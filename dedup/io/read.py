"""Read articles from a folder, a single file, several paths or a ``{doc_id: text}`` dict.

Formats (by file name ending, case-insensitive): ``.txt`` and ``.md`` are read as they are;
``.html``/``.htm`` give their main article text (see :func:`dedup.io.html_text.extract_html`);
``.srt``, ``.vtt`` and ``.scc`` captions their spoken text (:mod:`dedup.io.subtitles`,
:mod:`dedup.io.scc`); ``.jsonl``/``.ndjson``, ``.json``, ``.csv``, ``.tsv`` and ``.parquet`` give
one article per object or row, with ``doc_id`` ``<file>#<id>`` (the record's id field) or
``<file>#<n>`` (its 1-based line, item or data-row number); ``.warc``/``.warc.gz`` give one article
per HTML or plain-text ``response`` record, with ``doc_id`` ``<file>#<WARC-Record-ID>``
(``urn:uuid:...``) and the record's target URI and date in ``Document.url``/``Document.date``, and
``.arc``/``.arc.gz`` (the web archives before WARC) the same with ``<file>#<byte offset>``;
``.xml``, ``.rss``, ``.atom``, ``.nitf``, ``.ttml`` and ``.dfxp`` give one article per RSS/Atom item
or entry, NITF file, NewsML news item, Reuters corpus item or TTML captions file
(:mod:`dedup.io.news_xml`); ``.eml``, ``.emlx`` and ``.msg`` give one article and ``.mbox`` one per
message, a saved web page (``.mht``/``.mhtml``, ``.webarchive``) its main text
(:mod:`dedup.io.email_messages`, :mod:`dedup.io.outlook_msg`, :mod:`dedup.io.webarchive`); a file
with no ending, or a site mirror's ``article.php?id=7``, is read for what its first bytes show (a
TREC collection, an HTML page: :func:`dedup.io.formats.name_by_content`); ``.docx``, ``.odt``
and ``.sxw`` give their paragraphs (:mod:`dedup.io.office`), ``.rtf`` its text
(:mod:`dedup.io.rtf`), ``.pdf`` its text layer (:mod:`dedup.io.pdf`). Each of these endings but
Parquet, WARC, ARC, the word-processor ones, RTF and PDF may also be compressed with gzip, bzip2,
xz or Zstandard (``news.jsonl.gz``, ``page.html.bz2``): the file is read as the one inside,
streamed, and keeps its own name in ids. Zip
and tar bundles (:mod:`dedup.io.bundles`) are read member by member as the folder they pack, with
ids ``<bundle>#<member path>``.

Every file is streamed: JSON Lines, CSV/TSV and WARC record by record, Parquet one
record batch at a time, so a single multi-GB input is read in bounded memory (only
the documents' texts, cut at ``max_chars``, are kept). :func:`iter_documents` yields
results as they are read; :func:`read_documents` collects and sorts them. Which files
are read, and under which ids, is :func:`dedup.io.walk.list_inputs`; record files are
:mod:`dedup.io.read_records`; bytes become text in :mod:`dedup.io.decode`.

Reading only: inputs are opened read-only and never modified. A file that cannot
be used (empty, binary, undecodable, unreadable, a broken or looping symlink, a
symlink leaving the scanned folder, a file that vanished mid-run) becomes a
:class:`~dedup.types.Skipped` with a human-readable reason; only caller mistakes
(a missing folder, an empty list, a bad parameter) raise.

Example:
    >>> from dedup.io.read import read_documents
    >>> docs, skipped = read_documents({"b": "Hello  world.\\r\\n", "a": "Hei\\u00a0verden.", "c": " "})
    >>> [(d.doc_id, d.text) for d in docs]
    [('a', 'Hei verden.'), ('b', 'Hello world.')]
    >>> skipped[0].reason
    'empty or whitespace-only text'
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dedup.errors import InvalidParameterError
from dedup.io.bundles import (
    BUNDLE_READ_ERRORS,
    MAX_BUNDLE_DEPTH,
    BundleError,
    bundle_kind,
    is_hidden_member,
    iter_bundle_members,
)
from dedup.io.compressed import DECOMPRESSION_ERRORS, open_decompressed, split_compression
from dedup.io.decode import SNIFF_BYTES, byte_cap, bytes_to_text, cap_text, decode_bytes, normalize_text
from dedup.io.formats import (
    BINARY_EXTENSIONS,
    HTML_EXTENSIONS,
    SUPPORTED_EXTENSIONS,
    binary_text,
    caption_reader,
    is_bare_compressed,
    is_read_by_content,
    name_by_content,
    reads_by_name,
    text_reader,
)
from dedup.io.hashing import sha256_bytes, text_sha256
from dedup.io.progress import ByteMeter, ByteProgress
from dedup.io.read_records import RECORD_FILE_EXTENSIONS, iter_record_file, read_start
from dedup.io.sgml_docs import holds_docs
from dedup.io.walk import OUTSIDE_REASON, is_inside, list_inputs, os_reason
from dedup.types import Document, Skipped

__all__ = ["Inputs", "iter_documents", "read_documents", "read_file"]

Inputs = str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Mapping[str, str | bytes]

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


def read_documents(inputs: Inputs, **options: Any) -> tuple[list[Document], list[Skipped]]:
    """Read and normalise documents, sorted; unusable inputs are reported, not raised.

    Args:
        inputs: As for :func:`iter_documents`.
        **options: The keywords of :func:`iter_documents`: ``max_chars``, ``follow_symlinks``,
            ``extensions``, ``text_field``, ``id_field``, ``progress``.

    Returns:
        ``(documents, skipped)``: documents sorted by ``doc_id``, skipped entries by path.

    Raises:
        InputError: If a single input path is missing, or the list is empty.
        InvalidParameterError: If ``max_chars`` is not an int >= 1, or a mapping has
            a non-string key or value.
        TypeError: On a keyword :func:`iter_documents` does not take.

    Example:
        >>> docs, skipped = read_documents({"x": "One.\\n\\n\\n\\nTwo."})
        >>> docs[0].text
        'One.\\n\\nTwo.'
    """
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for result in iter_documents(inputs, **options):
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
    """Yield each :class:`Document` or :class:`Skipped` as it is read, in file order (not sorted).

    Memory stays bounded by the largest record or batch, whatever the size of a file. Folder
    problems found while listing the inputs come first.

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

    Yields:
        Documents and skipped entries. ``doc_id`` is, for a folder, the POSIX path
        relative to it; for a single file its name; for a list the path relative to the
        paths' common parent (a folder in the list is walked, its files named
        ``folder/...``); for a mapping its key. Records of a file are ``file#<id>``.
        ``sha256`` is the digest of the raw file bytes (of the record's text, or a WARC
        record's payload, for records; of the UTF-8 text for a mapping).

    Raises:
        InputError: If a single input path is missing, or the list is empty.
        InvalidParameterError: If ``max_chars`` is not an int >= 1, or a mapping has
            a non-string key or value.

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
    meter = ByteMeter(progress, sum(_size(path) for _rel, path in files))
    for rel, path in files:
        yield from read_file(path, rel, root, max_chars, follow_symlinks, text_field, id_field, meter)
        meter.next_file(_size(path))
    meter.report(force=True)


def read_file(
    path: Path,
    doc_id: str,
    root: Path,
    max_chars: int,
    follow_symlinks: bool,
    text_field: str | None = None,
    id_field: str | None = None,
    meter: ByteMeter | None = None,
) -> Iterator[Document | Skipped]:
    """Read one file: one Document (or one per record, streamed) and/or Skipped entries.

    Args:
        path: The file, as :func:`dedup.io.walk.list_inputs` lists it.
        doc_id: Its document id (records are ``doc_id#key``).
        root: The scan root; a symlink resolving outside it needs ``follow_symlinks``.
        max_chars: Texts are cut to this many characters.
        follow_symlinks: Read a symlink pointing outside ``root``.
        text_field: Field holding the text in record files.
        id_field: Field holding the record id in record files.
        meter: Told the position in the file as reading advances.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.txt").write_text("Hello.")
        >>> [r.text for r in read_file(folder / "a.txt", "a.txt", folder, 100, False)]
        ['Hello.']
    """
    where = str(path)
    try:
        lst = os.lstat(path)
    except OSError as err:
        yield Skipped(where, os_reason(err, is_link=False))
        return
    is_link = stat.S_ISLNK(lst.st_mode)
    if is_link:
        try:
            os.stat(path)
        except OSError as err:
            yield Skipped(where, os_reason(err, is_link=True))
            return
        if not follow_symlinks and not is_inside(os.path.realpath(path), os.path.realpath(root)):
            yield Skipped(where, OUTSIDE_REASON)
            return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        yield Skipped(where, os_reason(err, is_link=is_link))
        return
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            yield Skipped(where, f"{what}, not read")
            return
        reading = _Reading(max_chars, text_field, id_field, meter or ByteMeter(None, 0))
        yield from _read_open_file(fd, where, doc_id, path.name, reading)
    except OSError as err:
        yield Skipped(where, os_reason(err, is_link=is_link))
    finally:
        os.close(fd)


@dataclass(frozen=True)
class _Reading:
    """The options of one read, handed down to the members of bundles."""

    max_chars: int
    text_field: str | None
    id_field: str | None
    meter: ByteMeter
    depth: int = 0  # how many bundles the file lies in


def _read_open_file(
    fd: int, where: str, doc_id: str, name: str, reading: _Reading
) -> Iterator[Document | Skipped]:
    """Read the regular file ``fd`` (``name``'s ending tells its format) from its start.

    Raises:
        OSError: When the file cannot be read.
    """
    name = name.lower()
    os.lseek(fd, 0, os.SEEK_SET)  # a bundle member's temporary file is read right after it is written
    if bundle_kind(name):
        yield from _bundle_documents(fd, where, doc_id, name, reading)
        return
    if name.endswith(BINARY_EXTENSIONS):
        yield _binary_document(fd, where, doc_id, name, reading.max_chars)
        return
    if is_bare_compressed(name) and _holds_sgml_docs(fd, name):  # Gigaword's afp_eng_199405.gz
        inner, compression = split_compression(name)
        name = f"{inner}.sgml{compression}"
    elif (
        not reads_by_name(name)
        and is_read_by_content(name)
        and (as_name := name_by_content(name, _head(fd))) is not None
    ):
        name = as_name  # TREC's LA010189, a mirror's article.php?id=7
    if name.endswith(RECORD_FILE_EXTENSIONS):
        yield from iter_record_file(
            fd,
            where,
            doc_id,
            max_chars=reading.max_chars,
            text_field=reading.text_field,
            id_field=reading.id_field,
            meter=reading.meter,
            name=name,
        )
        return
    inner, compression = split_compression(name)
    is_html = inner.endswith(HTML_EXTENSIONS)
    reader = text_reader(inner)
    # captions spend most of their bytes on timings and cue numbers, as pages do on markup
    max_bytes = byte_cap(reading.max_chars, html=is_html or caption_reader(inner) is not None)
    if compression:
        try:
            with open_decompressed(fd, compression) as stream:
                head, digest, why = _read_capped(stream.read, max_bytes)
        except DECOMPRESSION_ERRORS as err:
            head, digest, why = b"", "", f"unreadable {compression} data: {err}"
    else:
        head, digest, why = _read_capped(lambda n: os.read(fd, n), max_bytes)
    if why:
        yield Skipped(where, why)
        return
    text, why = bytes_to_text(
        head,
        html=is_html,
        reader=reader,
        final=len(head) < max_bytes,
        max_chars=reading.max_chars,
    )
    if text is None:
        yield Skipped(where, why)
        return
    yield Document(doc_id=doc_id, text=text, path=where, sha256=digest)


def _bundle_documents(
    fd: int, where: str, doc_id: str, name: str, reading: _Reading
) -> Iterator[Document | Skipped]:
    """The documents of each member of a zip or tar bundle, read as files in a folder would be.

    A member is copied into an anonymous temporary file (removed when it is closed) and read there
    by the reader its name's ending picks, so ``news.jsonl`` inside ``june.zip`` gives the documents
    ``june.zip#news.jsonl#<id>``. Hidden members and members whose ending names no format are passed
    over, as a folder walk passes them over; a member with no ending, or a saved server page, is read
    when its first bytes show a format (:func:`dedup.io.formats.name_by_content`: a tarball of TREC
    files, a zipped site mirror).
    """
    if reading.depth >= MAX_BUNDLE_DEPTH:
        yield Skipped(where, f"a bundle inside {MAX_BUNDLE_DEPTH} bundles, not read (unpack it first)")
        return
    inner = replace(reading, meter=ByteMeter(None, 0), depth=reading.depth + 1)
    seen: set[str] = set()
    members = read = 0
    current = ""  # the member being copied out, if the bundle breaks off inside it
    with open(fd, "rb", closefd=False) as fh:
        try:
            for member, stream in iter_bundle_members(fh, name):
                key = member.name if member.name not in seen else f"{member.name}~{members + 1}"
                seen.add(key)
                members += 1
                by_name = reads_by_name(member.name)
                if is_hidden_member(member.name) or not (by_name or is_read_by_content(member.name)):
                    continue
                if stream is None:
                    if by_name:
                        read += 1
                        yield Skipped(f"{where}#{key}", member.error or "not read")
                    continue
                with tempfile.TemporaryFile() as tmp:
                    current = key
                    shutil.copyfileobj(stream, tmp, _CHUNK)
                    current = ""
                    tmp.flush()
                    file_name: str | None = member.name.rsplit("/", 1)[-1]
                    if not by_name:  # read under the name its first bytes give it
                        file_name = name_by_content(file_name, _head(tmp.fileno()))
                    if file_name is None:
                        continue  # no format in its name or its first bytes: passed over
                    read += 1
                    yield from _read_open_file(
                        tmp.fileno(), f"{where}#{key}", f"{doc_id}#{key}", file_name, inner
                    )
                reading.meter.at(os.lseek(fd, 0, os.SEEK_CUR))
        except (BundleError, *BUNDLE_READ_ERRORS) as err:
            why = str(err) if isinstance(err, BundleError) else f"unreadable {bundle_kind(name)} data: {err}"
            done = members - 1 if current else members
            read_before = f"after {done} member{'' if done == 1 else 's'}" if done else ""
            cut = f"{current} cut short" if current else ""
            where_it_broke = "; ".join(part for part in (read_before, cut) if part)
            yield Skipped(where, f"{why} ({where_it_broke})" if where_it_broke else why)
            return
    if not members:
        yield Skipped(where, "an empty bundle (no files)")
    elif not read:
        yield Skipped(where, f"no file in the bundle has an ending dedup reads ({members} other files)")


def _head(fd: int) -> bytes:
    """The first SNIFF_BYTES of the file ``fd``, which is left at its start."""
    os.lseek(fd, 0, os.SEEK_SET)
    head = os.read(fd, SNIFF_BYTES)
    os.lseek(fd, 0, os.SEEK_SET)
    return head


def _holds_sgml_docs(fd: int, name: str) -> bool:
    """Whether the compressed file ``fd`` starts (within SNIFF_BYTES) with an SGML ``<DOC>``; ``fd`` is
    left at its start. Damaged data is not: the text reader then reports it."""
    head = read_start(fd, name, split_compression(name)[1], SNIFF_BYTES)
    os.lseek(fd, 0, os.SEEK_SET)
    return isinstance(head, bytes) and holds_docs(head)


def _binary_document(fd: int, where: str, doc_id: str, name: str, max_chars: int) -> Document | Skipped:
    """A ``.docx``, ``.odt``, ``.rtf`` or ``.pdf`` file's text as one Document (hashed as the whole file)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := os.read(fd, _CHUNK):
        digest.update(chunk)
        size += len(chunk)
    if not size:
        return Skipped(where, "empty file")
    with open(fd, "rb", closefd=False) as fh:
        fh.seek(0)
        text, why = binary_text(fh, name, max_chars=max_chars, max_xml_bytes=byte_cap(max_chars, html=True))
    text = cap_text(normalize_text(text), max_chars) if text is not None else None
    if not text:
        return Skipped(where, why or "no text")
    return Document(doc_id=doc_id, text=text, path=where, sha256=digest.hexdigest())


def _read_capped(read: Callable[[int], bytes], max_bytes: int) -> tuple[bytes, str, str]:
    """Read up to ``max_bytes`` bytes with ``read``, hashing the whole file; stop early on binary content.

    A compressed file is hashed as its decompressed bytes, so it is an exact copy of the same
    text stored plain. Returns ``(head, sha256 hex, reason)``; ``reason`` is non-empty when the file
    is unusable (empty, binary), and then the rest of the file is not read.
    """
    digest = hashlib.sha256()
    head = bytearray()
    checked = False
    while chunk := read(_CHUNK):
        digest.update(chunk)
        if len(head) < max_bytes:
            head += chunk[: max_bytes - len(head)]
        if not checked and len(head) >= SNIFF_BYTES:
            checked = True
            sniff, why = decode_bytes(bytes(head[: 4 * SNIFF_BYTES]), final=False)
            if sniff is None:
                return b"", "", why
    if not head:
        return b"", "", "empty file"
    return bytes(head), digest.hexdigest(), ""


def _read_mapping(inputs: Mapping[str, str | bytes], max_chars: int) -> Iterator[Document | Skipped]:
    for doc_id, value in inputs.items():
        if not isinstance(doc_id, str):
            raise InvalidParameterError(f"document ids must be str. Got {doc_id!r}.")
        if isinstance(value, (bytes, bytearray)):
            decoded, why = decode_bytes(bytes(value))
            if decoded is None:
                yield Skipped(doc_id, why)
                continue
            digest = sha256_bytes(bytes(value))
        elif isinstance(value, str):
            decoded, digest = value, text_sha256(value)
        else:
            got = type(value).__name__
            raise InvalidParameterError(f"text of {doc_id!r} must be str or bytes. Got {got}.")
        text = cap_text(normalize_text(decoded), max_chars)
        if not text:
            yield Skipped(doc_id, "empty or whitespace-only text")
            continue
        yield Document(doc_id=doc_id, text=text, path=None, sha256=digest)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
