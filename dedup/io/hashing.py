"""SHA-256 digests of bytes, of files and of texts, as hex strings.

``documents.jsonl`` records each document's digest: of the raw file bytes for a file, of the
UTF-8 text for a record or an in-memory text (:func:`text_sha256`).

Example:
    >>> from dedup.io.hashing import sha256_bytes, text_sha256
    >>> text_sha256("Blåbær") == sha256_bytes("Blåbær".encode("utf-8"))
    True
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["sha256_bytes", "sha256_file", "text_sha256"]

_CHUNK = 1 << 20


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
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def text_sha256(text: str) -> str:
    """Return the hex SHA-256 digest of ``text`` encoded as UTF-8.

    Lone surrogates (from a JSON ``"\\ud800"`` escape, say) are encoded as they stand instead of
    failing, so every Python string has a digest.

    Example:
        >>> text_sha256("")[:16]
        'e3b0c44298fc1c14'
        >>> len(text_sha256("\\ud800"))
        64
    """
    return sha256_bytes(text.encode("utf-8", errors="surrogatepass"))
