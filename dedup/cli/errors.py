"""The CLI's one error handler: every failure is one ``error: ...`` line on stderr and an exit code.

:class:`DedupGroup` runs every command inside it, so no traceback reaches the user and no
command catches errors itself: a ``DedupError`` becomes its message and exit 1 (3 for the
model), an OS error (disk full, permission denied) one line naming the file and exit 1, Ctrl-C
exit 130, SIGTERM exit 143, and any other exception (a bug) one line naming where it happened
and exit 70. With ``-v`` the full traceback is printed too; with ``--log-file`` it is appended
there. A command that decides to fail itself raises :func:`fail`.

Example:
    >>> _one_line("disk\\n   full", limit=8)
    'disk fu…'
"""

from __future__ import annotations

import signal
import sys
import threading
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from dedup.cli.console import err_console
from dedup.cli.session import RunOptions, run_options
from dedup.errors import DedupError, ModelError

EXIT_FAILED = 1  # the run could not complete: a DedupError or an OS error
EXIT_USAGE = 2  # a bad option or path (also typer's own usage errors)
EXIT_MODEL = 3
EXIT_BUG = 70  # an unexpected exception (sysexits EX_SOFTWARE)
EXIT_INTERRUPTED = 130  # SIGINT / Ctrl-C
EXIT_TERMINATED = 143  # SIGTERM


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` and temp-file cleanup runs."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated()


def say_error(message: str) -> None:
    """Print ``error: MESSAGE`` on stderr as one line (markup in the message shown as it is)."""
    line = escape(_one_line(message, 2000))
    err_console.print(f"[red]error:[/red] {line}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    """Print ``error: MESSAGE`` and return the exit to raise: ``raise fail("...", EXIT_USAGE)``."""
    say_error(message)
    return typer.Exit(code=code)


def _where(err: BaseException) -> str:
    """``dedup/module.py:LINE (function)`` of the innermost frame in dedup (else the innermost one)."""
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return "an unknown place"
    package = Path(__file__).resolve().parents[1]
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(package)]
    frame = (ours or frames)[-1]
    path = Path(frame.filename).resolve()
    name = f"dedup/{path.relative_to(package).as_posix()}" if ours else path.name
    return f"{name}:{frame.lineno} ({frame.name})"


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _keep_traceback(err: BaseException, run: RunOptions) -> str | None:
    """Print the traceback with -v and append it to --log-file; returns where it was kept."""
    text = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    kept = None
    if run.log_file is not None:
        try:
            with open(run.log_file, "a", encoding="utf-8") as fh:
                stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                fh.write(f"{stamp} dedup {' '.join(sys.argv[1:])}\n{text}\n")
            kept = f"the traceback is in {run.log_file}"
        except OSError as log_err:
            err_console.print(
                f"cannot write the log file {run.log_file}: {log_err.strerror or log_err}", highlight=False
            )
    if run.verbose:
        sys.stderr.write(text)
        kept = kept or "the traceback is above"
    return kept


def _exit_for(err: BaseException, run: RunOptions) -> int:
    """Print one line for ``err`` (no traceback unless asked for) and return the exit code."""
    if isinstance(err, _Terminated):
        say_error(
            "terminated (SIGTERM); every output file and index is complete or as it was "
            "(finished embeddings stay cached, so a rerun resumes)."
        )
        return EXIT_TERMINATED
    if isinstance(err, KeyboardInterrupt):
        say_error(
            "interrupted; every output file and index is complete or as it was "
            "(finished embeddings stay cached, so a rerun resumes)."
        )
        return EXIT_INTERRUPTED
    kept = _keep_traceback(err, run)
    if isinstance(err, DedupError):
        say_error(str(err))
        return EXIT_MODEL if isinstance(err, ModelError) else EXIT_FAILED
    hint = kept or "run again with -v to see the traceback, or --log-file FILE to keep it"
    if isinstance(err, OSError):
        what = err.strerror or type(err).__name__
        target = f" ({err.filename})" if err.filename else ""
        say_error(f"{what}{target}, in {_where(err)}. The command did not complete; {hint}.")
        return EXIT_FAILED
    say_error(
        f"unexpected {type(err).__name__} in {_where(err)}: {_one_line(str(err))}. "
        f"This is a bug in dedup; {hint}."
    )
    return EXIT_BUG


class DedupGroup(TyperGroup):
    """The top-level command group: runs every command inside the one error handler."""

    def invoke(self, ctx: typer.Context) -> Any:
        main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGTERM, _raise_terminated) if main else None
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # a command's own exit code, usage errors: typer reports these itself
        except (Exception, KeyboardInterrupt) as err:
            raise typer.Exit(code=_exit_for(err, run_options(ctx))) from None
        finally:
            if main:
                signal.signal(signal.SIGTERM, old)
