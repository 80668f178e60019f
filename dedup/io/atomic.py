"""Atomic file writes: write a temp file beside the target, then ``os.replace`` it into place.

Readers never see a half-written file, and a failed or interrupted write leaves the old file (or
none) and no temp file behind. New files get the permissions ``open()`` would give them (0666 minus
the umask), not the owner-only mode of :func:`tempfile.mkstemp`; new folders likewise get 0777
minus the umask (:func:`make_temp_dir`), not the 0700 of :func:`tempfile.mkdtemp`.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = Path(folder) / "groups.jsonl"
    ...     write_text_atomic(out, '{"group_id": "g00001"}\\n')
    ...     print(out.read_text(), end="")
    ...     sorted(p.name for p in Path(folder).iterdir())
    {"group_id": "g00001"}
    ['groups.jsonl']
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dedup.errors import OutputError


@contextmanager
def atomic_path(path: Path | str, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield an empty temp file beside ``path``; on a clean exit it replaces ``path``.

    On an exception (including KeyboardInterrupt) the temp file is removed and ``path`` is left as
    it was. The parent folder must exist.

    Args:
        path: The file to write.
        suffix: Ending of the temp file's name (some writers choose a format by it, e.g. ``.png``).

    Raises:
        OSError: If the temp file cannot be created or renamed.
    """
    path = Path(path)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}{suffix}"
        try:  # O_EXCL: never reuse a name; mode 0o666 is narrowed by the umask, as with open()
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, creating its folder.

    Raises:
        OutputError: If the folder cannot be created or the file cannot be written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot write to {path.parent}: {err.strerror or err}.") from err
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}.") from err


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` as UTF-8 with ``\\n`` line ends to ``path`` atomically, creating its folder.

    Raises:
        OutputError: If the folder cannot be created or the file cannot be written.
    """
    write_bytes_atomic(path, text.encode("utf-8"))


def make_temp_dir(parent: Path | str, *, prefix: str) -> Path:
    """Create a new, uniquely named folder ``parent/<prefix><random>`` with the user's umask.

    Unlike :func:`tempfile.mkdtemp` (always 0700), the folder gets 0777 minus the umask, like any
    folder ``mkdir`` makes, so a staged folder renamed into place has the mode of other outputs.

    Args:
        parent: An existing folder (a staged folder must be on the same file system as its target).
        prefix: Start of the new folder's name, e.g. ``".staging-"``.

    Returns:
        The new, empty folder.

    Raises:
        OSError: If the folder cannot be created.

    Example:
        >>> import stat, tempfile
        >>> with tempfile.TemporaryDirectory() as parent:
        ...     old = os.umask(0o022)
        ...     try:
        ...         folder = make_temp_dir(parent, prefix=".staging-")
        ...     finally:
        ...         _ = os.umask(old)
        ...     folder.name.startswith(".staging-"), oct(stat.S_IMODE(folder.stat().st_mode))
        (True, '0o755')
    """
    while True:
        path = Path(parent) / f"{prefix}{secrets.token_hex(6)}"
        try:
            os.mkdir(path, 0o777)
            return path
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


@contextmanager
def staging_dir(parent: Path | str, *, prefix: str) -> Iterator[Path]:
    """Yield a new folder from :func:`make_temp_dir`; whatever is left of it afterwards is removed.

    Move what should survive out of it (``os.replace``) inside the ``with`` block. On any exit,
    including KeyboardInterrupt, the folder and what remains in it are deleted.
    """
    path = make_temp_dir(parent, prefix=prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM during a short commit (a few renames); they arrive right after.

    A Ctrl-C therefore lands either before the commit or after it, never in the middle. Only the
    main thread can block signals this way; elsewhere (and where ``pthread_sigmask`` does not
    exist) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextmanager
def staged_folder(final: Path | str, *, stale_after: float | None = None) -> Iterator[Path]:
    """Yield a new, empty folder beside ``final`` to build ``final`` in; what is left of it is removed.

    The folder is ``<parent>/.tmp-<final name>-<random>`` (:func:`staging_dir`; the parent is created).
    Install it with :func:`install_folder` inside the ``with`` block. When ``stale_after`` is given,
    leftovers of killed builds of ``final`` (``.tmp-<name>-*`` and ``.old-<name>-*`` beside it) older
    than that many seconds are removed first.

    Raises:
        OSError: If the parent or the folder cannot be created.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as parent:
        ...     final = Path(parent) / "model"
        ...     with staged_folder(final) as tmp:
        ...         _ = (tmp / "weights.bin").write_bytes(b"w")
        ...         _ = install_folder(tmp, final)
        ...     sorted(p.name for p in Path(parent).iterdir()), (final / "weights.bin").read_bytes()
        (['model'], b'w')
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    if stale_after is not None:
        now = time.time()
        leftovers = [*final.parent.glob(f".tmp-{final.name}-*"), *final.parent.glob(f".old-{final.name}-*")]
        for leftover in leftovers:
            try:
                if now - leftover.stat().st_mtime > stale_after:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                pass
    with staging_dir(final.parent, prefix=f".tmp-{final.name}-") as tmp:
        yield tmp


def install_folder(
    staged: Path | str, final: Path | str, *, keep: Callable[[Path], bool] | None = None
) -> bool:
    """Rename the folder ``staged`` to ``final``, coping with a folder already there (a concurrent builder).

    A folder already at ``final`` is kept when ``keep(final)`` is true (``staged`` is then left for its
    :func:`staged_folder` to remove); otherwise it is moved aside, ``staged`` takes its place and the old
    one is deleted. Readers see the old folder or the new one, never a half-written one.

    Args:
        staged: The finished folder (on the same file system as ``final``).
        final: Where it belongs.
        keep: Whether an existing ``final`` is good enough to keep; None replaces it.

    Returns:
        True when ``staged`` was installed, False when an existing folder was kept.

    Raises:
        OSError: If the folder cannot be renamed.
    """
    staged, final = Path(staged), Path(final)
    try:
        os.replace(staged, final)
        return True
    except OSError:
        if not final.exists():
            raise
    if keep is not None and keep(final):
        return False
    with staging_dir(final.parent, prefix=f".old-{final.name}-") as old:
        os.replace(final, old / final.name)
        os.replace(staged, final)
    return True
