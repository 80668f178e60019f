"""Log lines of the libraries that read files (trafilatura, pypdf), caught instead of printed.

Those libraries log through :mod:`logging` about the file at hand ("discarding data: None", "EOF
marker not found"). dedup never prints from the library, and a scan reports a bad file once, as a
skipped entry with its reason: :func:`caught_logs` collects the messages while a file is read, so
the caller can put them in that reason.

Example:
    >>> import logging
    >>> with caught_logs(["example.reader"], "example") as messages:
    ...     logging.getLogger("example.reader").warning("odd file")
    >>> messages
    ['odd file']
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

__all__ = ["caught_logs"]

logger = logging.getLogger(__name__)


class _ListHandler(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.into.append(record.getMessage())
        except Exception:  # a malformed log call must not fail a scan
            self.into.append(str(record.msg))


@contextmanager
def caught_logs(names: Iterable[str], label: str) -> Iterator[list[str]]:
    """Collect the WARNING+ messages of the named loggers; nothing propagates meanwhile.

    Each message is logged again at DEBUG level on this module's logger, prefixed with ``label``.
    """
    messages: list[str] = []
    handler = _ListHandler(messages)
    saved = []
    for name in names:
        lg = logging.getLogger(name)
        saved.append((lg, lg.propagate))
        lg.addHandler(handler)
        lg.propagate = False
    try:
        yield messages
    finally:
        for lg, propagate in saved:
            lg.removeHandler(handler)
            lg.propagate = propagate
        for message in messages:
            logger.debug("%s: %s", label, message)
