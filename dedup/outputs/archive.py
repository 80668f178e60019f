"""The archive manifest on disk, and copies of the kept files; the inputs are never modified.

:func:`write_manifest` writes ``manifest.csv`` and ``manifest.jsonl`` atomically and byte-identically
for the same rows (from :func:`dedup.outputs.archive_policy.build_manifest`, which decides the roles);
:func:`copy_kept` copies (or hard-links) the kept files into a separate folder and checks every copy's
SHA-256 against the digest the scan took.

Example:
    >>> import tempfile
    >>> from dedup.outputs.archive import write_manifest
    >>> from dedup.outputs.archive_policy import ManifestRow
    >>> row = ManifestRow("a.txt", "ab", "en", "g00001", "keep", "a.txt", 0.9, "canonical")
    >>> [p.name for p in write_manifest([row], tempfile.mkdtemp())]
    ['manifest.csv', 'manifest.jsonl']
"""

from __future__ import annotations

import csv
import io
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from dedup.errors import InvalidParameterError, OutputError
from dedup.io.atomic import atomic_path, write_text_atomic
from dedup.io.hashing import sha256_file
from dedup.io.scan_files import jsonl_text
from dedup.io.walk import is_inside
from dedup.outputs.archive_policy import KEPT_ROLES, ManifestRow

__all__ = [
    "MANIFEST_FILES",
    "CopyResult",
    "check_outside",
    "container_file",
    "copy_kept",
    "files_with_dropped_records",
    "manifest_csv",
    "write_manifest",
]

logger = logging.getLogger(__name__)

MANIFEST_FILES = ("manifest.csv", "manifest.jsonl")


@dataclass(frozen=True)
class CopyResult:
    """Outcome of :func:`copy_kept`.

    Attributes:
        copied: Paths copied (or linked) and verified.
        failed: ``(path, reason)`` of copies that failed or did not match the scan's checksum; a bad
            copy is removed from the destination.
    """

    copied: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.failed


def manifest_csv(rows: Iterable[ManifestRow]) -> str:
    """The manifest as CSV text: a header, then one row per file; ``\\n`` line ends, minimal quoting.

    Example:
        >>> row = ManifestRow("a.txt", "ab", "en", "g00001", "keep", "a.txt", 0.9, "x, y")
        >>> print(manifest_csv([row]), end="")
        path,sha256,lang,group_id,role,canonical,confidence,reason
        a.txt,ab,en,g00001,keep,a.txt,0.9,"x, y"
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([f.name for f in fields(ManifestRow)])
    for row in rows:
        writer.writerow([getattr(row, f.name) for f in fields(ManifestRow)])
    return buf.getvalue()


def write_manifest(rows: Sequence[ManifestRow], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``manifest.csv`` and ``manifest.jsonl`` into ``out_dir``, each atomically.

    Returns:
        The two paths written.

    Raises:
        OutputError: If ``out_dir`` cannot be created or written.
    """
    out = Path(out_dir)
    csv_path, jsonl_path = (out / name for name in MANIFEST_FILES)
    write_text_atomic(csv_path, manifest_csv(rows))
    write_text_atomic(jsonl_path, jsonl_text(r.to_dict() for r in rows))
    return [csv_path, jsonl_path]


def check_outside(root: str | os.PathLike[str], target: str | os.PathLike[str], *, name: str) -> None:
    """Refuse an output location inside (or equal to) the scanned folder, which is never written.

    Raises:
        InvalidParameterError: If ``target`` resolves to ``root`` or a path under it.

    Example:
        >>> check_outside("/data/news", "/data/news/out", name="out")
        Traceback (most recent call last):
        ...
        dedup.errors.InvalidParameterError: out must be outside the scanned folder /data/news, \
which is never written. Got /data/news/out.
    """
    if is_inside(os.path.realpath(target), os.path.realpath(root)):
        raise InvalidParameterError(
            f"{name} must be outside the scanned folder {os.fspath(root)}, which is never written. "
            f"Got {os.fspath(target)}."
        )


def copy_kept(
    rows: Iterable[ManifestRow],
    root: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    link: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> CopyResult:
    """Copy (or hard-link) the kept files (roles ``keep`` and ``unique``) from ``root`` into ``dest``.

    Each file keeps its relative path. A copy goes to a temporary file in the destination folder and
    is renamed into place; then its SHA-256 is compared with the digest the scan recorded, so both a
    damaged copy and a source changed since the scan are caught. Records (``file.jsonl#3``,
    ``crawl.warc.gz#urn:uuid:...``) and members of bundles (``june.zip#2024/storm.txt``, see
    :func:`container_file`): a file whose records are all kept is copied whole, checked
    against the source's digest taken just before copying; records are never rewritten, so when a
    file holds a dropped record (``duplicate_of``/``translation_of``) nothing is copied and
    :class:`InvalidParameterError` names those files (see :func:`files_with_dropped_records`). A file
    that fails is removed from
    ``dest`` and reported; the others are still copied. Nothing under ``root`` is written. Note that a
    hard link shares its data with the original: editing a linked file in ``dest`` edits the original.

    Args:
        rows: The manifest, from :func:`build_manifest`.
        root: The scanned folder.
        dest: Destination folder, outside ``root``; created when missing.
        link: Hard-link instead of copying (same file system only).
        progress: Optional callback ``(stage, done, total)``.

    Returns:
        The verified and the failed paths.

    Raises:
        InvalidParameterError: If ``dest`` is inside ``root``, or a kept record's file also holds
            dropped records.
        OutputError: If ``dest`` cannot be created.
    """
    check_outside(root, dest, name="dest")
    rows = list(rows)
    mixed = files_with_dropped_records(rows, root)
    if mixed:
        listed = ", ".join(f"{name} ({n} dropped)" for name, n in list(mixed.items())[:5])
        more = f" and {len(mixed) - 5} more" if len(mixed) > 5 else ""
        raise InvalidParameterError(
            f"copying needs whole files, but {len(mixed)} record files also hold dropped records: "
            f"{listed}{more}. Records are never rewritten, so nothing was copied; the manifest names "
            "every record's role (keep and unique are kept): filter the records with it."
        )
    root_path, dest_path = Path(root), Path(dest)
    try:
        dest_path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create {dest_path}: {err.strerror or err}.") from err
    targets: dict[str, str | None] = {}  # file -> expected digest (None: the source's, for containers)
    failed: list[tuple[str, str]] = []
    for row in rows:
        if row.role not in KEPT_ROLES or not row.sha256:
            continue
        if (root_path / row.path).is_file():
            targets[row.path] = row.sha256
        elif "#" in row.path and (root_path / (container := container_file(row.path, root_path))).is_file():
            targets.setdefault(container, None)  # a record or bundle member: keep its whole file
        else:
            failed.append((row.path, "not a file under the scanned folder any more"))
    copied: list[str] = []
    verb = "link" if link else "copy"
    for k, (rel, expected) in enumerate(sorted(targets.items())):
        src, dst = root_path / rel, dest_path / rel
        try:
            if expected is None:
                expected = sha256_file(src)
            dst.parent.mkdir(parents=True, exist_ok=True)
            (_link_file if link else _copy_file)(src, dst)
            digest = sha256_file(dst)
        except OSError as err:
            failed.append((rel, f"could not {verb}: {err.strerror or err}"))
            continue
        if digest != expected:
            _remove_bad(dst)
            why = f"checksum mismatch after {verb}: expected {expected}, got {digest}; removed"
            failed.append((rel, why))
        else:
            copied.append(rel)
        if progress is not None:
            progress(verb, k + 1, len(targets))
    logger.info("%s: %d verified, %d failed", verb, len(copied), len(failed))
    return CopyResult(copied=tuple(copied), failed=tuple(sorted(failed)))


def files_with_dropped_records(
    rows: Iterable[ManifestRow], root: str | os.PathLike[str] | None = None
) -> dict[str, int]:
    """Files holding records (``file#id``) or bundle members (``june.zip#a.txt``) of which some are
    dropped as duplicates or translations.

    With ``root``, a path that is itself a file under it (a name containing ``#``) is not a record,
    and the file is found as :func:`container_file` finds it.

    Returns:
        ``file -> number of dropped records``, sorted by file; empty when every record file is kept whole.

    Example:
        >>> rows = [ManifestRow("d.jsonl#1", "x", "en", "g1", "keep", "d.jsonl#1", 1.0, ""),
        ...         ManifestRow("d.jsonl#2", "x", "en", "g1", "duplicate_of", "d.jsonl#1", 1.0, ""),
        ...         ManifestRow("e.jsonl#1", "y", "en", "g2", "unique", "e.jsonl#1", 1.0, "")]
        >>> files_with_dropped_records(rows)
        {'d.jsonl': 1}
    """
    dropped: dict[str, int] = {}
    for row in rows:
        if "#" in row.path and row.role in ("duplicate_of", "translation_of"):
            if root is not None and (Path(root) / row.path).is_file():
                continue
            name = container_file(row.path, root)
            dropped[name] = dropped.get(name, 0) + 1
    return dict(sorted(dropped.items()))


def container_file(path: str, root: str | os.PathLike[str] | None = None) -> str:
    """The file a record or bundle member ``path`` (``news.jsonl#7``, ``june.zip#2024/feed.jsonl#7``)
    lies in: the shortest part before a ``#`` that is a file under ``root`` (file names and record
    ids may hold ``#`` too); without ``root``, or when none is a file, the part before the first ``#``.

    Example:
        >>> container_file("june.zip#2024/feed.jsonl#7")
        'june.zip'
    """
    parts = path.split("#")
    candidates = ["#".join(parts[:k]) for k in range(1, len(parts))] or [path]
    if root is not None:
        for candidate in candidates:
            if (Path(root) / candidate).is_file():
                return candidate
    return candidates[0]


def _copy_file(src: Path, dst: Path) -> None:
    """Copy ``src`` (read-only) to a temp file beside ``dst`` with its timestamps, then rename."""
    with atomic_path(dst) as tmp:
        shutil.copy2(src, tmp)


def _link_file(src: Path, dst: Path) -> None:
    """Hard-link ``dst`` to ``src``; an existing different file at ``dst`` is replaced."""
    if dst.exists() or dst.is_symlink():
        if dst.exists() and os.path.samefile(src, dst):
            return
        dst.unlink()
    os.link(src, dst)


def _remove_bad(dst: Path) -> None:
    try:
        dst.unlink()
    except OSError:  # pragma: no cover - reported through the checksum failure anyway
        logger.warning("could not remove the bad copy %s", dst)
