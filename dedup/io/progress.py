"""Reading progress in bytes over all input files, reported at most once per 4 MiB.

Example:
    >>> from dedup.io.progress import ByteMeter
    >>> calls = []
    >>> meter = ByteMeter(lambda done, total: calls.append((done, total)), total=10 << 20)
    >>> meter.at(5 << 20); meter.at(6 << 20); meter.next_file(10 << 20)
    >>> calls
    [(5242880, 10485760), (10485760, 10485760)]
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ByteMeter", "ByteProgress", "format_bytes"]

ByteProgress = Callable[[int, int], None]
"""``(bytes_read, bytes_total)`` over all input files, called as reading advances."""

# Report reading progress at most once per this many bytes of a file.
_PROGRESS_STEP = 4 << 20


class ByteMeter:
    """Turns positions within files into ``(bytes_read, bytes_total)`` progress calls, throttled."""

    def __init__(self, progress: ByteProgress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.before = 0  # bytes of the files already finished
        self.position = 0  # within the current file
        self.reported = -1

    def at(self, position: int) -> None:
        """The reader is at byte ``position`` of the current file."""
        self.position = position
        self.report()

    def next_file(self, size: int) -> None:
        """The current file, of ``size`` bytes, is done."""
        self.before += size
        self.position = 0
        self.report()

    def report(self, *, force: bool = False) -> None:
        """Call ``progress`` if 4 MiB more were read since the last call, at the end, or when forced."""
        if self.progress is None:
            return
        done = min(self.before + self.position, self.total)
        if force or done - self.reported >= _PROGRESS_STEP or (done == self.total and done != self.reported):
            self.reported = done
            self.progress(done, self.total)


def format_bytes(n_bytes: int) -> str:
    """A size for people: bytes below 1 KiB, else KiB, MiB or GiB with one decimal.

    Example:
        >>> format_bytes(512), format_bytes(3 * 1024 * 1024), format_bytes(5 << 40)
        ('512 B', '3.0 MiB', '5120.0 GiB')
    """
    size = float(n_bytes)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
