"""``dedup index build|add|remove|info|verify|repair``: an embedded archive index, kept on disk.

Each command is a thin shell over ``dedup.runners.archive_index``; writers wait for another
writer of the same index (one line says which process) unless ``--no-wait``.

Example:
    >>> from typer.testing import CliRunner
    >>> from dedup.cli.app import app
    >>> "build" in CliRunner().invoke(app, ["index", "--help"]).output
    True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dedup.cli.console import err_console, say_waiting
from dedup.cli.errors import fail
from dedup.cli.options import (
    EncoderKind,
    EncoderOption,
    NoWaitOption,
    PathsArgument,
    VerboseOption,
    inputs_of,
)
from dedup.cli.session import setup_logging
from dedup.config import ScanConfig
from dedup.io.progress import format_bytes

IndexArgument = Annotated[Path, typer.Argument(exists=True, file_okay=False, help="An index folder.")]

index_app = typer.Typer(
    help="Keep an embedded archive index, so new articles are checked without re-embedding it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@index_app.command("build")
def index_build(
    ctx: typer.Context,
    paths: PathsArgument,
    index: Annotated[Path, typer.Option("--index", file_okay=False, help="Index folder to create.")],
    encoder: EncoderOption = EncoderKind.ONNX_INT8_BATCHED,
    no_wait: NoWaitOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Embed PATH... once into a new index (replaces an existing dedup index at that path).

    The old index stays usable until the new one is complete. Another writer of INDEX is waited for.
    """
    from dedup.runners.archive_index import build_index

    setup_logging(ctx, verbose)
    summary = build_index(
        inputs_of(paths),
        index,
        config=ScanConfig(encoder=encoder.value),
        wait=not no_wait,
        on_wait=say_waiting,
    )
    n_docs, n_sentences = summary["n_docs"], summary["n_sentences"]
    err_console.print(f"indexed {n_docs} documents ({n_sentences} sentences) in {index}", highlight=False)


@index_app.command("add")
def index_add(
    ctx: typer.Context,
    index: IndexArgument,
    paths: PathsArgument,
    encoder: EncoderOption = EncoderKind.ONNX_INT8_BATCHED,
    no_wait: NoWaitOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Embed the articles of PATH... and add them to INDEX (an id already there is replaced).

    Another writer of INDEX is waited for (one line says which process), unless --no-wait.
    Interrupted, it leaves INDEX as it was.
    """
    from dedup.runners.archive_index import add_to_index

    setup_logging(ctx, verbose)
    summary = add_to_index(
        index,
        inputs_of(paths),
        config=ScanConfig(encoder=encoder.value),
        wait=not no_wait,
        on_wait=say_waiting,
    )
    err_console.print(f"added {summary['n_docs']} documents to {index}", highlight=False)


@index_app.command("remove")
def index_remove(
    ctx: typer.Context,
    index: IndexArgument,
    doc_ids: Annotated[list[str], typer.Argument(help="Document ids to remove.")],
    no_wait: NoWaitOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Remove documents from INDEX by id (unknown ids are reported and ignored)."""
    from dedup.runners.archive_index import remove_from_index

    setup_logging(ctx, verbose)
    removed = remove_from_index(index, doc_ids, wait=not no_wait, on_wait=say_waiting)
    missing = sorted(set(doc_ids) - set(removed))
    err_console.print(f"removed {len(removed)} documents from {index}", highlight=False)
    if missing:
        err_console.print(f"not in the index: {', '.join(missing)}", highlight=False)


@index_app.command("info")
def index_info_cmd(
    ctx: typer.Context,
    index: IndexArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ids: Annotated[bool, typer.Option("--ids", help="Also list the document ids.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Show what INDEX holds: documents, shards, encoder, size on disk, last change. Reads only."""
    from dedup.io.index_maintenance import index_info

    setup_logging(ctx, verbose)
    info = index_info(index, ids=ids)
    if as_json:
        typer.echo(json.dumps(info.to_dict(), ensure_ascii=False, sort_keys=True))
        return
    encoder = f"--encoder {info.encoder}" if info.encoder else "another model"
    shards = ", ".join(f"{s.name} ({s.n_docs} docs, {format_bytes(s.size_bytes)})" for s in info.shards)
    typer.echo(f"index      {info.index}")
    typer.echo(f"documents  {info.n_docs} ({info.n_sentences} sentences; {info.n_removed} ids removed)")
    typer.echo(f"shards     {len(info.shards)}: {shards}")
    typer.echo(f"encoder    {encoder}: {info.model}, dimension {info.dim}")
    typer.echo(f"size       {format_bytes(info.size_bytes)} on disk")
    typer.echo(f"changed    {info.changed}")
    for doc_id in info.doc_ids or ():
        typer.echo(doc_id)


@index_app.command("verify")
def index_verify(
    ctx: typer.Context,
    index: IndexArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Check every shard of INDEX against its manifest (files, sizes, SHA-256, counts). Reads only.

    Exit 0 when sound; exit 1 when a shard is damaged, each problem on stdout naming the shard.
    """
    from dedup.io.index_maintenance import verify_index

    setup_logging(ctx, verbose)
    report = verify_index(index)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True))
    else:
        for problem in report.problems:
            typer.echo(f"damaged: {problem}")
        if report.ok:
            typer.echo(f"ok: {report.n_shards} shards and {report.n_docs} documents match the manifest")
    if report.unlisted:
        err_console.print(
            f"not in the manifest (staging or leftovers the next writer removes): "
            f"{', '.join(report.unlisted)}",
            highlight=False,
            soft_wrap=True,
        )
    if not report.ok:
        raise fail(
            f"index {index} has {len(report.damaged_shards)} damaged shard(s): "
            f"{', '.join(report.damaged_shards)}. Drop them with `dedup index repair {index}` and "
            f"add their articles again, or rebuild with `dedup index build ARCHIVE --index {index}`."
        )


@index_app.command("repair")
def index_repair(
    ctx: typer.Context,
    index: IndexArgument,
    no_wait: NoWaitOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Drop damaged shards from INDEX so the rest is usable; lists the documents that left the index."""
    from dedup.io.index_maintenance import repair_index

    setup_logging(ctx, verbose)
    repaired = repair_index(index, wait=not no_wait, on_wait=say_waiting)
    dropped, lost = repaired.dropped, repaired.lost_doc_ids
    if not dropped:
        err_console.print(f"nothing to repair: every shard of {index} matches the manifest", highlight=False)
        return
    err_console.print(
        f"dropped {', '.join(dropped)} from {index}; {len(lost)} documents left the index "
        "(listed on stdout; add their articles again with `dedup index add`)",
        highlight=False,
        soft_wrap=True,
    )
    for doc_id in lost:
        typer.echo(doc_id)
