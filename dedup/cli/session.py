"""The global options of one ``dedup`` run (``-v``, ``--log-file``) and the logging they set up.

The options live in the typer context of the run (``ctx.meta``, shared by a command and the
groups above it), so two runs in one process, as in tests with ``CliRunner``, never share them.
A command that logs takes ``ctx: typer.Context`` (not an option) and calls :func:`setup_logging`.

Example:
    >>> ctx = typer.Context(typer.core.TyperCommand("dedup"))
    >>> run_options(ctx).verbose = True
    >>> run_options(ctx)
    RunOptions(verbose=True, log_file=None)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import typer

from dedup.cli.console import err_console

_KEY = "dedup.run_options"


@dataclass
class RunOptions:
    """``dedup -v`` / a command's own ``-v`` (full tracebacks, info logging) and ``dedup --log-file``."""

    verbose: bool = False
    log_file: Path | None = None


def run_options(ctx: typer.Context) -> RunOptions:
    """The options of the run ``ctx`` belongs to, made on first use."""
    return ctx.meta.setdefault(_KEY, RunOptions())


def setup_logging(ctx: typer.Context, verbose: bool) -> None:
    """Log to stderr (info with ``verbose`` or ``dedup -v``, else warnings) and to ``--log-file`` (info).

    Raises:
        typer.BadParameter: If the log file cannot be opened (exit 2, naming ``--log-file``).
    """
    from rich.logging import RichHandler

    run = run_options(ctx)
    run.verbose = run.verbose or verbose
    handlers: list[logging.Handler] = [RichHandler(console=err_console, show_path=False)]
    handlers[0].setLevel(logging.INFO if run.verbose else logging.WARNING)
    if run.log_file is not None:
        try:
            file_handler = logging.FileHandler(run.log_file, encoding="utf-8")
        except OSError as err:
            raise typer.BadParameter(
                f"cannot write to {run.log_file}: {err.strerror or err}.", param_hint="--log-file"
            ) from err
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        file_handler.setLevel(logging.INFO)
        handlers.append(file_handler)
    logging.basicConfig(
        level=logging.INFO if run.verbose or run.log_file is not None else logging.WARNING,
        format="%(message)s",
        handlers=handlers,
        force=True,
    )
