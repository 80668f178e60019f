"""Bundles: ``.zip`` and ``.tar`` files (plain or gzip-, bzip2-, xz- or Zstandard-compressed) read as
folders of articles, one member at a time, without unpacking them.

Archives are often handed over as one bundle per month or per source. :func:`iter_bundle_members`
walks a bundle's members in their stored order and gives each regular file as a stream, which the
caller reads before asking for the next (a compressed tar is read front to back in one pass, so
nothing is seeked); :func:`bundle_kind` tells a bundle's name from the others. Member names are
POSIX paths inside the bundle; folders are passed over, and links, encrypted members and members
over :data:`MAX_MEMBER_BYTES` come with the reason they are not read. A damaged or cut-short bundle
raises :class:`BundleError` after the members before the damage.

Example:
    >>> import io, zipfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as zf:
    ...     zf.writestr("2024/storm.txt", "Storm hits the coast.")
    ...     zf.writestr("2024/", "")
    >>> [(m.name, stream.read()) for m, stream in iter_bundle_members(buf, "news.zip")]
    [('2024/storm.txt', b'Storm hits the coast.')]
    >>> bundle_kind("June.TAR.GZ"), bundle_kind("story.txt.gz")
    ('tar', None)
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from dedup.io.compressed import DECOMPRESSION_ERRORS, ZstdReader
from dedup.io.progress import format_bytes

__all__ = [
    "BUNDLE_EXTENSIONS",
    "BUNDLE_READ_ERRORS",
    "MAX_BUNDLE_DEPTH",
    "MAX_MEMBER_BYTES",
    "BundleError",
    "BundleMember",
    "bundle_kind",
    "is_hidden_member",
    "iter_bundle_members",
]

ZIP_EXTENSIONS = (".zip",)
TAR_EXTENSIONS = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst")
BUNDLE_EXTENSIONS = ZIP_EXTENSIONS + TAR_EXTENSIONS
"""File name endings read as bundles of articles."""

MAX_MEMBER_BYTES = 1 << 30
"""A member larger than this (uncompressed) is not read: a bomb, or a file to unpack first."""

MAX_BUNDLE_DEPTH = 3
"""Bundles are read inside bundles (a year's zip of monthly zips) down to this many levels."""

# A zip member compressed more than this many times, and over this size, is not read (a zip bomb).
_BOMB_RATIO = 1000
_BOMB_MIN_BYTES = 64 << 20


BUNDLE_READ_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    tarfile.TarError,
    *DECOMPRESSION_ERRORS,
)
"""What reading a member's stream raises when the bundle is damaged there (a bad CRC, data cut short)."""


class BundleError(Exception):
    """A bundle that cannot be read on (damaged, cut short, or not the format its name says)."""


@dataclass(frozen=True, slots=True)
class BundleMember:
    """One member of a bundle.

    Attributes:
        name: Its POSIX path inside the bundle (no leading ``/``).
        size: Its uncompressed size in bytes, as the bundle records it.
        error: Why it is not read (a link, encrypted, too large), or None.
    """

    name: str
    size: int
    error: str | None = None


def bundle_kind(name: str) -> str | None:
    """``"zip"``, ``"tar"`` or None (not a bundle), from a file name's ending (any case).

    Example:
        >>> bundle_kind("a/Feed-2024.zip"), bundle_kind("x.tgz"), bundle_kind("x.jsonl.gz")
        ('zip', 'tar', None)
    """
    lowered = name.lower()
    if lowered.endswith(ZIP_EXTENSIONS):
        return "zip"
    if lowered.endswith(TAR_EXTENSIONS):
        return "tar"
    return None


def is_hidden_member(name: str) -> bool:
    """Whether a member is hidden, as a folder walk passes hidden entries over: a part of its path
    starts with ``.``, or it lies in the ``__MACOSX`` folder of resource forks macOS adds to zips.

    Example:
        >>> [is_hidden_member(n) for n in ("news/.DS_Store", "__MACOSX/news/._a.txt", "news/a.txt")]
        [True, True, False]
    """
    parts = name.split("/")
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def iter_bundle_members(fh: BinaryIO, name: str) -> Iterator[tuple[BundleMember, BinaryIO | None]]:
    """The members of the bundle ``fh`` (named ``name``, whose ending tells the format), in stored order.

    Args:
        fh: The bundle, a binary stream at its start (seekable for a zip).
        name: Its file name (one of :data:`BUNDLE_EXTENSIONS`).

    Yields:
        ``(member, stream)`` per regular file; ``stream`` (None when ``member.error`` says why it is
        not read) gives the member's bytes and is valid only until the next member is asked for.

    Raises:
        BundleError: The bundle is damaged, cut short, or not a zip or tar.
    """
    kind = bundle_kind(name)
    if kind == "zip":
        yield from _zip_members(fh)
    elif kind == "tar":
        yield from _tar_members(fh, zstd=name.lower().endswith((".zst", ".tzst")))
    else:
        raise ValueError(f"not a bundle name: {name!r}")


def _zip_members(fh: BinaryIO) -> Iterator[tuple[BundleMember, BinaryIO | None]]:
    try:
        archive = zipfile.ZipFile(fh)
    except BUNDLE_READ_ERRORS as err:
        raise BundleError(f"unreadable zip: {err}") from err
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            why = _zip_refusal(info)
            if why:
                yield BundleMember(_clean(info.filename), info.file_size, why), None
                continue
            member = BundleMember(_clean(info.filename), info.file_size)
            try:
                with archive.open(info) as stream:
                    yield member, stream  # type: ignore[misc]
            except NotImplementedError as err:  # a compression method zipfile lacks
                yield BundleMember(member.name, member.size, f"zip member not readable: {err}"), None
            except BUNDLE_READ_ERRORS as err:
                raise BundleError(f"unreadable zip member {member.name}: {err}") from err


def _zip_refusal(info: zipfile.ZipInfo) -> str:
    """Why a zip member is not read, or ""."""
    if info.flag_bits & 0x1:
        return "encrypted zip member (dedup asks for no password)"
    if info.file_size > MAX_MEMBER_BYTES:
        return _too_large(info.file_size)
    ratio = info.file_size / max(1, info.compress_size)
    if info.file_size > _BOMB_MIN_BYTES and ratio > _BOMB_RATIO:
        return f"compressed {ratio:.0f}:1, not read (a zip bomb?)"
    return ""


def _tar_members(fh: BinaryIO, *, zstd: bool) -> Iterator[tuple[BundleMember, BinaryIO | None]]:
    source: BinaryIO = io.BufferedReader(ZstdReader(fh), buffer_size=1 << 16) if zstd else fh  # type: ignore[assignment]
    try:
        archive = tarfile.open(fileobj=source, mode="r|" if zstd else "r|*")
    except BUNDLE_READ_ERRORS as err:
        raise BundleError(f"unreadable tar: {err}") from err
    with archive:
        try:
            while (info := archive.next()) is not None:
                archive.members.clear()  # a stream read keeps every header it met; a bundle may hold millions
                if info.isdir():
                    continue
                name = _clean(info.name)
                if info.issym() or info.islnk():
                    why = f"link inside the bundle (to {info.linkname}), not followed"
                    yield BundleMember(name, 0, why), None
                elif not info.isreg():
                    yield BundleMember(name, 0, "not a regular file, not read"), None
                elif info.size > MAX_MEMBER_BYTES:
                    yield BundleMember(name, info.size, _too_large(info.size)), None
                else:
                    yield BundleMember(name, info.size), archive.extractfile(info)  # type: ignore[misc]
        except BUNDLE_READ_ERRORS as err:
            raise BundleError(f"unreadable tar data: {err or type(err).__name__}") from err


def _too_large(size: int) -> str:
    return (
        f"{format_bytes(size)} uncompressed, over the {format_bytes(MAX_MEMBER_BYTES)} read from a bundle "
        "(unpack it to read it)"
    )


def _clean(name: str) -> str:
    """A member name as a relative POSIX path (``./a.txt`` and ``/a.txt`` are ``a.txt``)."""
    return "/".join(part for part in name.replace("\\", "/").split("/") if part not in ("", "."))
