"""Exclusive per-folder locks for writers (an archive index, a scan output folder).

A writer holds an advisory ``flock`` on a small file inside the folder for as long as it changes
that folder. The kernel drops the lock when the process ends, however it ends (Ctrl-C, ``kill
-9``, a crash), so a lock is never left stale. The holder writes its process id, what it is doing
and since when into the lock file, so a second writer can say whom it waits for. Locks are
advisory and rely on ``flock`` (POSIX); they work between processes on one machine and on local
file systems.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with folder_lock(Path(folder), operation="index add") as holder:
    ...         holder.operation, holder.pid == os.getpid()
    ...         try:
    ...             with folder_lock(Path(folder), operation="index add", wait=False):
    ...                 pass
    ...         except FolderLockedError as err:
    ...             err.holder.pid == os.getpid()
    ('index add', True)
    True
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from dedup.errors import DedupError

logger = logging.getLogger(__name__)

LOCK_FILE = ".dedup.lock"


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds (or last held) a folder lock, as written in its lock file.

    Attributes:
        pid: Process id of the holder; None when the lock file was not written yet.
        operation: What it is doing, e.g. ``"index add"``.
        since: When it took the lock (ISO 8601, UTC).
    """

    pid: int | None = None
    operation: str | None = None
    since: str | None = None

    def describe(self) -> str:
        """One phrase naming the holder, e.g. ``process 4711 (index add, since 2026-01-01T10:00:00Z)``."""
        who = f"process {self.pid}" if self.pid is not None else "another process"
        what = ", ".join(x for x in (self.operation, f"since {self.since}" if self.since else None) if x)
        return f"{who} ({what})" if what else who


class FolderLockedError(DedupError):
    """Another process holds the folder's lock and the caller asked not to wait."""

    def __init__(self, message: str, holder: LockHolder) -> None:
        super().__init__(message)
        self.holder = holder


WaitCallback = Callable[[Path, LockHolder], None]


def _read_holder(path: Path) -> LockHolder:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return LockHolder()
    pid = data.get("pid")
    return LockHolder(pid=pid if isinstance(pid, int) else None, operation=data.get("operation"),
                      since=data.get("since"))


def _holder_of(path: Path) -> LockHolder:
    """The holder recorded in the lock file; waits briefly for a holder that is still writing it."""
    for _ in range(20):
        holder = _read_holder(path)
        if holder.pid is not None:
            return holder
        time.sleep(0.05)
    return holder


@contextmanager
def folder_lock(
    folder: Path,
    *,
    operation: str,
    wait: bool = True,
    on_wait: WaitCallback | None = None,
) -> Iterator[LockHolder]:
    """Hold the exclusive writer lock of ``folder`` (which must exist) for the ``with`` block.

    Args:
        folder: The folder to lock; the lock file ``.dedup.lock`` is created in it.
        operation: What the holder does, shown to anyone who waits (e.g. ``"index add"``).
        wait: If True, block until the lock is free; if False, raise at once when it is taken.
        on_wait: Called once, with the folder and the current holder, before blocking.

    Yields:
        This process as the holder.

    Raises:
        FolderLockedError: If ``wait`` is False and another process holds the lock.
        OSError: If the lock file cannot be created (e.g. a read-only folder).
    """
    path = Path(folder) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder_of(path)
            if not wait:
                raise FolderLockedError(
                    f"{folder} is locked by {holder.describe()}. Wait for it to finish, or run again "
                    "without --no-wait to wait for it.", holder) from None
            logger.info("waiting for %s to release %s", holder.describe(), folder)
            if on_wait is not None:
                on_wait(Path(folder), holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        me = LockHolder(pid=os.getpid(), operation=operation,
                        since=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": me.pid, "operation": me.operation, "since": me.since}).encode(), 0)
        checkpoint(f"locked:{operation}")
        yield me
    finally:
        os.close(fd)  # closing the descriptor releases the lock


_hook: Callable[[str], None] | None = None


def checkpoint(name: str) -> None:
    """Mark a named point in a writer's progress (``locked:<operation>``, ``staged``).

    Does nothing unless a test has set the private ``_hook``: the process tests pause a writer at
    such a point so that a second process or a signal arrives there deterministically.
    """
    if _hook is not None:
        _hook(name)
