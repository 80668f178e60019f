"""Walk the inputs of a scan read-only: which files it reads, under which document ids, in which order.

A folder is walked recursively in name order (hidden entries and files with another ending passed
over; a file with no ending, or a saved server page such as ``article.php?id=7``, is read when its
first bytes show a format: a TREC collection, an HTML page); ids are POSIX paths relative to the
scan root (see :func:`list_inputs`). Symlink policy: a link inside the scanned folder is read where
it points (a linked folder inside it is not walked twice); a link pointing outside it needs
``follow_symlinks``; broken and looping links, and folders that cannot be listed, become
:class:`~dedup.types.Skipped` entries with a reason.

Example:
    >>> import tempfile, pathlib
    >>> from dedup.io.walk import list_inputs
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "sub").mkdir()
    >>> _ = (folder / "sub" / "b.txt").write_text("x"); _ = (folder / ".a.txt").write_text("x")
    >>> [doc_id for doc_id, _ in list_inputs(folder)[1]]
    ['sub/b.txt']
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from dedup.errors import InputError
from dedup.io.decode import SNIFF_BYTES
from dedup.io.formats import SUPPORTED_EXTENSIONS, is_read_by_content, name_by_content, reads_by_name
from dedup.types import Skipped

__all__ = ["OUTSIDE_REASON", "is_inside", "list_inputs", "os_reason"]

OUTSIDE_REASON = "symlink points outside the scanned folder (pass follow_symlinks=True to read it)"


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
        follow_symlinks: Read symlinks pointing outside the scanned folder (see
            :func:`dedup.io.read.iter_documents`).
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
            return root, list(_walk_folder(root, follow_symlinks, exts, skipped))
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
            found = list(_walk_folder(path, follow_symlinks, exts, skipped, prefix=rel + "/", real_root=root))
        else:
            found = [(rel, path)]
        for doc_id, file in found:
            if doc_id not in seen:
                seen.add(doc_id)
                files.append((doc_id, file))
    return root, files


def _walk_folder(
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
            skipped.append(Skipped(str(folder), os_reason(err, is_link=folder.is_symlink())))
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
            skipped.append(Skipped(str(folder), os_reason(err, is_link=False)))
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
                    if is_inside(target, real_root):
                        skipped.append(
                            Skipped(str(path), "symlink to a folder inside the scanned folder (read there)")
                        )
                        continue
                    if not follow_symlinks:
                        skipped.append(Skipped(str(path), OUTSIDE_REASON))
                        continue
                stack.append((path, rel + "/"))
                continue
            if exts is not None and not reads_by_name(entry.name, exts):
                if not _read_by_content(path, entry.name, exts):
                    continue
            yield rel, path


def _read_by_content(path: Path, name: str, exts: tuple[str, ...]) -> bool:
    """Whether a file that no ending of its name tells the format of is read for what its first bytes
    hold (:func:`dedup.io.formats.name_by_content`: a TREC collection, an HTML page), that format's
    ending being one of ``exts``; False when it cannot be read, which leaves it passed over like any
    other file."""
    if not is_read_by_content(name):
        return False
    try:
        with open(path, "rb") as fh:
            as_name = name_by_content(name, fh.read(SNIFF_BYTES))
    except OSError:
        return False
    return as_name is not None and reads_by_name(as_name, exts)


def is_inside(target: str, real_root: str) -> bool:
    """Whether the resolved path ``target`` is ``real_root`` itself or lies under it.

    Both must already be resolved (``os.path.realpath``).

    Example:
        >>> is_inside("/data/news/a.txt", "/data/news"), is_inside("/data/newsroom", "/data/news")
        (True, False)
    """
    return target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)


def os_reason(err: OSError, *, is_link: bool) -> str:
    """Why a path could not be read, in words, for a :class:`~dedup.types.Skipped` entry.

    Example:
        >>> os_reason(FileNotFoundError(2, "No such file"), is_link=True)
        'broken symlink (target does not exist)'
    """
    if err.errno == errno.ELOOP:
        return "symlink loop"
    if isinstance(err, FileNotFoundError):
        return "broken symlink (target does not exist)" if is_link else "file vanished during the scan"
    if isinstance(err, PermissionError):
        return "permission denied"
    if isinstance(err, IsADirectoryError):
        return "is a folder, not a file"
    return f"could not read: {err.strerror or err.__class__.__name__}"
