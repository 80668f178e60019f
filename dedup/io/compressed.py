"""Compressed inputs: ``.gz``, ``.bz2``, ``.xz`` and ``.zst`` files read as the file inside, streamed.

Archive dumps are often a compressed JSON Lines or CSV file (``news-2024.jsonl.gz``,
``crawl.jsonl.zst``); a scan reads them as their inner format without unpacking them to disk.
:func:`split_compression` tells the inner name from the suffix, :func:`open_decompressed` opens an
already open file descriptor for reading through the right decompressor (Python's own ``gzip``,
``bz2`` and ``lzma``; ``zstandard`` for Zstandard, whose frames are checked to be complete, so a
file cut short is an error as it is for the others), and :data:`DECOMPRESSION_ERRORS` are what
damaged data raises while it is read.

Example:
    >>> split_compression("Archive/News.JSONL.gz")
    ('archive/news.jsonl', '.gz')
    >>> split_compression("story.txt")
    ('story.txt', '')
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import zstandard

__all__ = ["COMPRESSION_SUFFIXES", "DECOMPRESSION_ERRORS", "open_decompressed", "split_compression"]

COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")
"""File name suffixes read through a decompressor (gzip, bzip2, xz/LZMA, Zstandard)."""

DECOMPRESSION_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    lzma.LZMAError,
    zlib.error,
    zstandard.ZstdError,
)
"""What reading damaged or truncated compressed data raises (``gzip.BadGzipFile`` is an OSError)."""


def split_compression(name: str) -> tuple[str, str]:
    """``(inner name, compression suffix)`` of a file name, both lower-case; the suffix is "" if none.

    Example:
        >>> split_compression("feed.csv.bz2")
        ('feed.csv', '.bz2')
    """
    lowered = name.lower()
    for suffix in COMPRESSION_SUFFIXES:
        if lowered.endswith(suffix):
            return lowered[: -len(suffix)], suffix
    return lowered, ""


@contextmanager
def open_decompressed(fd: int, suffix: str) -> Iterator[BinaryIO]:
    """The file ``fd`` (open for reading) as a binary stream of its decompressed bytes, from its start.

    ``suffix`` is one of :data:`COMPRESSION_SUFFIXES`, or "" for the bytes as they are. ``fd`` is
    left open, and its position is where the decompressor has read to (for progress).

    Example:
        >>> import gzip, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "a.txt.gz")
        >>> with gzip.open(path, "wb") as fh:
        ...     _ = fh.write(b"Hello.")
        >>> fd = os.open(path, os.O_RDONLY)
        >>> with open_decompressed(fd, ".gz") as stream:
        ...     stream.read()
        b'Hello.'
        >>> os.close(fd)
    """
    os.lseek(fd, 0, os.SEEK_SET)
    raw = open(fd, "rb", closefd=False)  # noqa: SIM115 (closed below, fd stays open)
    try:
        if suffix == ".gz":
            stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        elif suffix == ".bz2":
            stream = bz2.BZ2File(raw, mode="rb")  # type: ignore[assignment]
        elif suffix == ".xz":
            stream = lzma.LZMAFile(raw, mode="rb")  # type: ignore[assignment]
        elif suffix == ".zst":
            stream = io.BufferedReader(ZstdReader(raw), buffer_size=1 << 16)  # type: ignore[assignment]
        elif suffix == "":
            stream = raw
        else:
            raise ValueError(f"unknown compression suffix {suffix!r}")
        try:
            yield stream
        finally:
            if stream is not raw:
                stream.close()
    finally:
        raw.close()


class ZstdReader(io.RawIOBase):
    """Zstandard frames of ``raw`` (a binary stream), decompressed one after another.

    Unlike ``zstandard``'s own stream reader, which ends quietly where its input ends, a file that
    ends inside a frame raises :class:`EOFError`, as ``gzip`` does for a file cut short.

    Example:
        >>> data = zstandard.ZstdCompressor().compress(b"one ") + zstandard.ZstdCompressor().compress(b"two")
        >>> io.BufferedReader(ZstdReader(io.BytesIO(data))).read()
        b'one two'
        >>> io.BufferedReader(ZstdReader(io.BytesIO(data[:-3]))).read()
        Traceback (most recent call last):
        ...
        EOFError: Zstandard data ended inside a frame (the file was cut short)
    """

    def __init__(self, raw: BinaryIO, chunk_size: int = 1 << 16) -> None:
        super().__init__()
        self._raw = raw
        self._chunk_size = chunk_size
        self._context = zstandard.ZstdDecompressor()
        self._frame = self._context.decompressobj()
        self._in_frame = False
        self._out = memoryview(b"")
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not len(self._out) and not self._done:
            chunk = self._raw.read(self._chunk_size)
            if not chunk:
                if self._in_frame:
                    raise EOFError("Zstandard data ended inside a frame (the file was cut short)")
                self._done = True
                break
            self._out = memoryview(self._decompress(chunk))
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _decompress(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            self._in_frame = True
            out.append(self._frame.decompress(chunk))
            if not self._frame.eof:
                break
            chunk = self._frame.unused_data  # the next frame starts here
            self._frame = self._context.decompressobj()
            self._in_frame = False
        return b"".join(out)
