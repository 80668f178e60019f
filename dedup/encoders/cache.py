"""On-disk sentence-embedding cache, so a re-run embeds only sentences it has not seen.

Vectors are keyed by (model identity, sha256 of the normalised sentence): NFC, whitespace runs
collapsed to one space, stripped. :class:`CachedEncoder` wraps any :class:`~dedup.encoders.base.Encoder`,
looks every sentence up, encodes only the misses (longest first, in chunks) and writes each chunk
in one transaction.

Why SQLite (stdlib ``sqlite3``) rather than a memory-mapped array plus a key index:

* **Interruption.** Each chunk is one transaction in WAL mode. Ctrl-C (or a crash, or a killed
  process) between or during chunks leaves every committed chunk readable and nothing half
  written; a re-run encodes only what is missing. An array file would need its own journal.
* **Corruption is detectable.** A file that is not a database, a damaged page or a wrong schema
  raises ``sqlite3.DatabaseError``; the cache then warns (``CacheWarning``), deletes the file and
  starts empty. It never fails a scan. :meth:`EmbeddingCache.verify` runs ``PRAGMA quick_check``.
* **Concurrency.** Several processes may share one cache (WAL readers do not block the writer;
  writers wait up to ``timeout`` seconds).
* **Speed is not the bottleneck.** Looking keys up costs a few microseconds per sentence, against
  about 7 ms to encode one with the e5 model on 2 cores, so a warm run is dominated by reading and
  scoring, not by the cache (see ``benchmarks/bench_speed.py``).

Vectors are stored as float32 (exactly what the encoder returned, so cached and fresh runs give
identical output): about 1.6 KB per distinct 384-d sentence, i.e. ~1.6 GB per million sentences.

The same file holds a second table, ``preprocessed``: per-document language and sentences, keyed by
a preprocessing version and the cleaned text's sha256 (see :mod:`dedup.text.preprocess`).

Example:
    >>> import tempfile
    >>> from dedup.encoders.base import HashingEncoder
    >>> from dedup.encoders.cache import CachedEncoder, EmbeddingCache
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     cached = CachedEncoder(HashingEncoder(dim=8), EmbeddingCache(tmp))
    ...     first = cached.encode(["A storm hit the coast.", "Schools are closed."])
    ...     again = cached.encode(["A storm  hit the coast."])  # same after normalisation
    ...     cached.cache.close()
    >>> (cached.misses, cached.hits), bool((first[0] == again[0]).all())
    ((2, 1), True)
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.build.paths import default_home
from dedup.encoders.identity import encoder_identity
from dedup.errors import DedupError

logger = logging.getLogger(__name__)

CACHE_FILE = "embeddings-v1.sqlite3"
_SCHEMA_VERSION = 1
_LOOKUP_CHUNK = 900  # keys per SELECT ... IN (...), below SQLite's oldest variable limit
_WS = re.compile(r"\s+")


class CacheWarning(UserWarning):
    """The embedding cache was unusable (corrupt, wrong schema) and has been rebuilt."""


def default_cache_dir() -> Path:
    """Return ``<DEDUP_HOME>/cache`` (see :func:`dedup.build.paths.default_home`).

    Example:
        >>> default_cache_dir().name
        'cache'
    """
    return default_home() / "cache"


def normalise_sentence(text: str) -> str:
    """The text that is hashed and encoded: NFC, whitespace runs as one space, stripped.

    Example:
        >>> normalise_sentence("  Storm\\n hits\\tthe coast. ")
        'Storm hits the coast.'
    """
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def sentence_key(text: str) -> bytes:
    """sha256 digest (32 bytes) of the normalised sentence."""
    return hashlib.sha256(normalise_sentence(text).encode("utf-8")).digest()


class EmbeddingCache:
    """A SQLite store of float32 vectors keyed by (model identity, sentence key).

    Opening never fails on a damaged file: it warns with :class:`CacheWarning`, deletes the
    file and starts empty. Any ``sqlite3.DatabaseError`` while reading or writing does the same,
    except misuse (``ProgrammingError``, re-raised) and a lock held past ``timeout`` by another
    process (:class:`~dedup.errors.DedupError`): neither means the file is damaged. One instance may
    be used from several threads (calls are serialised), as Ray actors do.

    Args:
        directory: Folder of the cache file (created if needed).
        timeout: Seconds to wait for another process's write lock.
    """

    def __init__(self, directory: str | Path, *, timeout: float = 60.0) -> None:
        self.directory = Path(directory)
        self.path = self.directory / CACHE_FILE
        self.timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._model_ids: dict[str, int] = {}
        self._lock = threading.RLock()
        self.rebuilt = False
        self._open()

    # -------------------------------------------------------------------------------- lifecycle

    def _connect(self) -> sqlite3.Connection:
        self.directory.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: a Ray actor (or any caller) may open the cache in one thread and use
        # it from another; self._lock serialises every use of the connection.
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS models "
                    "(id INTEGER PRIMARY KEY, identity TEXT UNIQUE NOT NULL, dim INTEGER NOT NULL)"
                )
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS vectors (model INTEGER NOT NULL, key BLOB NOT NULL, "
                    "vec BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID"
                )
                conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
                conn.execute("COMMIT")
            elif version != _SCHEMA_VERSION or not {"models", "vectors"} <= tables:
                raise sqlite3.DatabaseError(f"unexpected schema (version {version}, tables {sorted(tables)})")
            if "preprocessed" not in tables:  # added after v1 files existed: create it on open
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS preprocessed (version TEXT NOT NULL, key BLOB NOT NULL, "
                    "value BLOB NOT NULL, PRIMARY KEY (version, key)) WITHOUT ROWID"
                )
        except BaseException:
            conn.close()
            raise
        return conn

    def _open(self) -> None:
        try:
            self._conn = self._connect()
        except (sqlite3.DatabaseError, OSError) as err:
            self._rebuild(err)

    def _rebuild(self, err: BaseException) -> None:
        if isinstance(err, sqlite3.ProgrammingError):  # misuse of the connection, not a damaged file
            raise err
        if getattr(err, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            raise DedupError(
                f"the embedding cache at {self.path} stayed locked by another process for "
                f"{self.timeout:.0f} s. Retry, pass another cache_dir, or disable the cache "
                "(use_cache=False)."
            ) from err
        warnings.warn(
            f"embedding cache at {self.path} is unreadable ({err}); deleting it and starting empty.",
            CacheWarning,
            stacklevel=3,
        )
        self._close()
        self._model_ids.clear()
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass
        self.rebuilt = True
        try:
            self._conn = self._connect()
        except (sqlite3.DatabaseError, OSError) as err2:
            raise DedupError(
                f"cannot create the embedding cache at {self.path}: {err2}. "
                "Pass another cache_dir or disable the cache (use_cache=False)."
            ) from err2

    def close(self) -> None:
        """Close the connection (committed data stays on disk)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def verify(self) -> bool:
        """Run ``PRAGMA quick_check`` (reads every page); True when the file is sound."""
        try:
            with self._lock:
                return self._db().execute("PRAGMA quick_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            return False

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    # -------------------------------------------------------------------------------- data

    def _model_id(self, identity: str, dim: int | None) -> int | None:
        if identity in self._model_ids:
            return self._model_ids[identity]
        db = self._db()
        row = db.execute("SELECT id, dim FROM models WHERE identity = ?", (identity,)).fetchone()
        if row is None and dim is not None:
            db.execute("INSERT OR IGNORE INTO models (identity, dim) VALUES (?, ?)", (identity, dim))
            row = db.execute("SELECT id, dim FROM models WHERE identity = ?", (identity,)).fetchone()
        if row is None:
            return None
        self._model_ids[identity] = int(row[0])
        return int(row[0])

    def get(self, identity: str, keys: Sequence[bytes]) -> dict[bytes, npt.NDArray[np.float32]]:
        """Vectors found for ``keys`` under ``identity`` (missing keys are absent).

        A stored vector of unexpected length counts as missing.
        """
        with self._lock:
            try:
                return self._get(identity, keys)
            except sqlite3.DatabaseError as err:
                self._rebuild(err)
                return {}

    def _get(self, identity: str, keys: Sequence[bytes]) -> dict[bytes, npt.NDArray[np.float32]]:
        model = self._model_id(identity, None)
        if model is None or not keys:
            return {}
        dim = self._db().execute("SELECT dim FROM models WHERE id = ?", (model,)).fetchone()[0]
        found: dict[bytes, npt.NDArray[np.float32]] = {}
        db = self._db()
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, blob in db.execute(
                f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({marks})", (model, *chunk)
            ):
                if len(blob) == 4 * dim:
                    found[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, identity: str, keys: Sequence[bytes], vectors: npt.NDArray[np.float32]) -> None:
        """Store ``vectors`` (one row per key) in one transaction; all or nothing."""
        if len(keys) != len(vectors):
            raise ValueError(f"one vector per key. Got {len(keys)} keys and {len(vectors)} vectors.")
        if not keys:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            try:
                model = self._model_id(identity, int(vectors.shape[1]))
            except sqlite3.DatabaseError as err:
                self._rebuild(err)
                return
            self._write(
                "INSERT OR REPLACE INTO vectors (model, key, vec) VALUES (?, ?, ?)",
                [(model, k, v.tobytes()) for k, v in zip(keys, vectors, strict=True)],
            )

    def _write(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Run ``sql`` over ``rows`` in one transaction (all or nothing); a corrupt file is rebuilt."""
        with self._lock:
            try:
                db = self._db()
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany(sql, rows)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.DatabaseError as err:
                self._rebuild(err)

    def get_preprocessed(self, version: str, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """Stored per-document preprocessing results for ``keys`` under ``version`` (missing are absent).

        Args:
            version: Identifies the preprocessing code and its parameters (see :mod:`dedup.text.preprocess`).
            keys: Document keys (sha256 digests).

        Returns:
            ``{key: value}`` for the keys found; values are opaque bytes.
        """
        with self._lock:
            try:
                db = self._db()
                found: dict[bytes, bytes] = {}
                for start in range(0, len(keys), _LOOKUP_CHUNK):
                    chunk = keys[start : start + _LOOKUP_CHUNK]
                    marks = ",".join("?" * len(chunk))
                    for key, value in db.execute(
                        f"SELECT key, value FROM preprocessed WHERE version = ? AND key IN ({marks})",
                        (version, *chunk),
                    ):
                        found[bytes(key)] = bytes(value)
                return found
            except sqlite3.DatabaseError as err:
                self._rebuild(err)
                return {}

    def put_preprocessed(self, version: str, items: Sequence[tuple[bytes, bytes]]) -> None:
        """Store ``(key, value)`` preprocessing results under ``version`` in one transaction."""
        if not items:
            return
        self._write(
            "INSERT OR REPLACE INTO preprocessed (version, key, value) VALUES (?, ?, ?)",
            [(version, k, v) for k, v in items],
        )

    def stats(self) -> dict[str, Any]:
        """Rows per model identity and the file size in bytes."""
        with self._lock:
            rows = self._db().execute(
                "SELECT m.identity, count(v.key) FROM models m LEFT JOIN vectors v ON v.model = m.id "
                "GROUP BY m.id"
            ).fetchall()
        size = sum(p.stat().st_size for p in self.directory.glob(CACHE_FILE + "*"))
        return {"models": dict(rows), "bytes": size}


class CachedEncoder:
    """An :class:`~dedup.encoders.base.Encoder` that answers from an :class:`EmbeddingCache` first.

    Misses are encoded longest first in chunks of ``chunk_size`` sentences (so each chunk has
    little padding), and each chunk is written in one transaction before the next starts: an
    interrupted run keeps every finished chunk.

    Args:
        encoder: The encoder to call for misses.
        cache: Where vectors are stored.
        identity: Model identity in the cache key; defaults to ``encoder.name``. Two encoders that
            can return different vectors must never share an identity.
        chunk_size: Misses per encoder call and per transaction (>= 1).

    Attributes:
        hits: Sentences answered from the cache so far.
        misses: Sentences encoded so far.
    """

    def __init__(
        self, encoder: Any, cache: EmbeddingCache, *, identity: str | None = None, chunk_size: int = 256
    ) -> None:
        self.encoder = encoder
        self.cache = cache
        self.identity = identity or encoder.name
        self.chunk_size = chunk_size
        self.name = f"cached:{self.identity}"
        self.hits = 0
        self.misses = 0

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        """Embeddings of ``sentences`` (normalised first), shape (n, dim), in input order."""
        texts = [normalise_sentence(s) for s in sentences]
        keys = [hashlib.sha256(t.encode("utf-8")).digest() for t in texts]
        found = self.cache.get(self.identity, list(dict.fromkeys(keys)))
        todo: dict[bytes, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in found:
                todo.setdefault(k, t)
        self.hits += len(texts) - sum(1 for k in keys if k in todo)
        order = sorted(todo, key=lambda k: -len(todo[k]))
        for start in range(0, len(order), self.chunk_size):
            chunk = order[start : start + self.chunk_size]
            vecs = np.asarray(
                self.encoder.encode([todo[k] for k in chunk], batch_size=batch_size), dtype=np.float32
            )
            self.cache.put(self.identity, chunk, vecs)
            found.update(zip(chunk, vecs, strict=True))
            self.misses += len(chunk)
        if not texts:
            return np.asarray(self.encoder.encode([], batch_size=batch_size), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)


@contextmanager
def maybe_cached(
    encoder: Any, *, cache_dir: str | Path | None = None, enabled: bool = True
) -> Iterator[Any]:
    """Yield ``encoder`` wrapped in a :class:`CachedEncoder` (or unchanged when disabled/unknown).

    The cache identity is :func:`dedup.encoders.identity.encoder_identity`; an encoder without one
    is not cached.

    Args:
        encoder: The encoder of the scan.
        cache_dir: Cache folder; None means :func:`default_cache_dir`.
        enabled: False yields ``encoder`` unchanged.
    """
    identity = encoder_identity(encoder) if enabled else None
    if identity is None:
        if enabled:
            logger.info("embedding cache off: the encoder has no stable identity")
        yield encoder
        return
    cache = EmbeddingCache(default_cache_dir() if cache_dir is None else cache_dir)
    cached = CachedEncoder(encoder, cache, identity=identity)
    try:
        yield cached
    finally:
        cache.close()
        logger.info("embedding cache %s: %d hits, %d encoded", cache.path, cached.hits, cached.misses)

