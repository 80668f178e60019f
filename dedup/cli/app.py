"""The ``dedup`` command line: the typer app, its global options, and one module per command.

Results go to stdout; messages and progress go to stderr. Every command runs inside one error
handler (:class:`dedup.cli.errors.DedupGroup`), so no traceback reaches the user: a
``DedupError`` becomes one ``error: ...`` line and exit 1 (3 for the model), an OS error (disk
full, permission denied) one line and exit 1, Ctrl-C exit 130, SIGTERM exit 143, and any other
exception (a bug) one line naming where it happened and exit 70. ``dedup -v COMMAND`` (or a
command's own ``-v``) prints the full traceback too; ``dedup --log-file FILE COMMAND`` appends
it, and the run's log, to FILE.

Every option of ``dedup scan`` that shapes the result is named as the keyword of
``dedup.scan``/``find_pairs``/``find_groups`` (``--level`` is ``level=``,
``--keep-boilerplate`` is ``strip_boilerplate=False``). Help is plain click formatting
(``rich_markup_mode=None``): readable at 80 columns, one-line option help, the long
explanation in each command's docstring.

Example:
    >>> from typer.testing import CliRunner
    >>> CliRunner().invoke(app, ["index", "--help"]).output.splitlines()[0]
    'Usage: dedup index [OPTIONS] COMMAND [ARGS]...'
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dedup.cli.archive import ARCHIVE_EPILOG, archive
from dedup.cli.errors import DedupGroup
from dedup.cli.eval import eval_bitext, eval_gold, eval_pairs
from dedup.cli.index import index_app
from dedup.cli.model import model_app
from dedup.cli.report import report
from dedup.cli.scan import SCAN_EPILOG, scan
from dedup.cli.session import run_options

app = typer.Typer(
    name="dedup",
    help="Find copies, near-duplicates and translations among news articles, and group them into stories.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=DedupGroup,
    rich_markup_mode=None,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Log more, and print the full traceback when a command fails."),
    ] = False,
    log_file: Annotated[
        Path | None,
        typer.Option(
            "--log-file",
            dir_okay=False,
            help="Append the log (info level) and the traceback of any failure to this file.",
        ),
    ] = None,
) -> None:
    run = run_options(ctx)
    run.verbose = verbose
    run.log_file = log_file


# in the order `dedup --help` lists them (the groups come after the commands)
app.command(epilog=SCAN_EPILOG)(scan)
app.command()(report)
app.command(epilog=ARCHIVE_EPILOG)(archive)
app.command("eval")(eval_gold)
app.command("eval-pairs")(eval_pairs)
app.command("eval-bitext")(eval_bitext)
app.add_typer(model_app, name="model")
app.add_typer(index_app, name="index")
