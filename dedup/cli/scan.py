"""``dedup scan``: find the story groups of PATH... and print them, or write them as files.

The command checks its options before any work (which runner, the ``ScanConfig``, writable
output folders), runs the scan with progress bars on stderr, writes the outputs, then prints.
Every option that shapes the result is named as the keyword of ``dedup.scan``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dedup.cli.console import err_console, say_waiting, scan_with_progress
from dedup.cli.errors import EXIT_USAGE, fail
from dedup.cli.options import (
    DeviceOption,
    EncoderKind,
    EncoderOption,
    PathsArgument,
    ThresholdOption,
    inputs_of,
    root_of,
)
from dedup.cli.report import write_html_report
from dedup.cli.session import setup_logging
from dedup.config import ScanConfig
from dedup.errors import InvalidParameterError
from dedup.io.walk import list_inputs
from dedup.types import ScanResult

SCAN_EPILOG = (
    "PATH may be a folder (ids: paths relative to it), a single file of any supported "
    "format (ids: its name, file#id for records) or several paths (ids relative to their common "
    "parent). Formats: .txt .md .markdown .html .htm .shtml .xhtml (and a site mirror's pages saved "
    "without an ending or as article.php?id=7) .json .jsonl .ndjson .csv .tsv .parquet, "
    ".warc .warc.gz .arc .arc.gz (web archives: one article per HTML or text response), "
    "and .xml .rss .atom .nitf (RSS/Atom feeds, NITF, NewsML, the Reuters corpora: one article per "
    "item), .sgml .sgm "
    "(LDC/TREC collections such as Gigaword, also as shipped: afp_eng_199405.gz, and TREC files "
    "with no ending: LA010189; one article per <DOC>), .eml .emlx .mbox .msg "
    "(e-mail, Apple Mail and Outlook messages: one article per message), .mht .mhtml .webarchive "
    "(saved web pages), .srt "
    ".vtt .sbv .scc .ttml .dfxp (captions: the spoken text), .docx .odt .sxw .doc .rtf .pdf; all "
    "but Parquet, WARC, ARC, .docx, .odt, .sxw, .doc, .rtf and .pdf also gzip-, bzip2-, xz- or "
    "zstd-compressed (news.jsonl.gz, read streamed). Zip and tar bundles (.zip .tar .tar.gz .tgz "
    ".tar.bz2 .tar.xz .tar.zst) are read member by member like a folder (ids: june.zip#2024/a.txt)."
)


class OutFormat(str, Enum):
    """What `dedup scan -o OUT` writes besides the JSONL files."""

    JSONL = "jsonl"
    PARQUET = "parquet"


class Backend(str, Enum):
    """Where `dedup scan` runs: this process, or Ray (local or a cluster; the [ray] extra)."""

    LOCAL = "local"
    RAY = "ray"


def scan(
    ctx: typer.Context,
    paths: PathsArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", file_okay=False, help="Write the results as files into this folder."),
    ] = None,
    out_format: Annotated[
        OutFormat,
        typer.Option("--format", help="With -o: jsonl, or parquet to also write *.parquet tables."),
    ] = OutFormat.JSONL,
    threshold: ThresholdOption = ScanConfig.threshold,
    level: Annotated[
        str,
        typer.Option(help="article (copies, translations) or story (also same event)."),
    ] = ScanConfig.level,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print groups as JSON lines instead of a table.")
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", dir_okay=False, help="Also write a self-contained HTML report."),
    ] = None,
    follow_symlinks: Annotated[
        bool, typer.Option("--follow-symlinks", help="Also read symlinks pointing outside PATH.")
    ] = ScanConfig.follow_symlinks,
    max_chars: Annotated[
        int, typer.Option("--max-chars", min=1000, help="Cut longer documents to this many characters.")
    ] = ScanConfig.max_chars,
    text_field: Annotated[
        str | None,
        typer.Option(
            "--text-field",
            help="Field/column with the text in record files (article.body: a field inside an object).",
        ),
    ] = None,
    id_field: Annotated[
        str | None,
        typer.Option("--id-field", help="Field/column with the record id."),
    ] = None,
    strip_boilerplate: Annotated[
        bool,
        typer.Option(
            "--strip-boilerplate/--keep-boilerplate",
            help="Remove news boilerplate before scoring (default) or score the full text.",
        ),
    ] = ScanConfig.strip_boilerplate,
    first_tier: Annotated[
        bool,
        typer.Option(
            "--first-tier/--no-first-tier",
            help="Sentence-encode only articles a cheap first tier pairs up.",
        ),
    ] = ScanConfig.first_tier,
    lead_tier: Annotated[
        bool,
        typer.Option(
            "--lead-tier/--no-lead-tier",
            help="Encode every article's lead; the rest only of articles whose lead finds a partner.",
        ),
    ] = ScanConfig.lead_tier,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against", exists=True, file_okay=False, help="Check PATH against this archive index."
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Log stage counts, timings and peak memory."),
    ] = False,
    backend: Annotated[
        Backend,
        typer.Option(help="local, or ray (needs the ray extra; same output)."),
    ] = Backend.LOCAL,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Join this Ray cluster (default: a local Ray)."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Ray embedding workers (each loads the model).")
    ] = 2,
    gpus_per_worker: Annotated[
        float,
        typer.Option(
            "--gpus-per-worker",
            min=0.0,
            help="With --backend ray: GPUs each embedding worker asks Ray for (implies --device cuda).",
        ),
    ] = 0.0,
    encoder: EncoderOption = EncoderKind.ONNX_INT8_BATCHED,
    device: DeviceOption = "cpu",
) -> None:
    """Scan the given paths and print their story groups (or write them with -o).

    With -o OUT: pairs.jsonl, groups.jsonl, documents.jsonl, skipped.jsonl and scan.json; with
    --format parquet also pairs.parquet, groups.parquet and documents.parquet. --level story also
    groups different reports of one event. --text-field/--id-field name the text and id fields of
    .json/.jsonl/.csv/.tsv/.parquet files (default: text, body, content, article, maintext,
    full_text; id, doc_id, _id, uuid, guid, else the line or row number). --keep-boilerplate scores
    the full text (read-also lines, bylines, appeals). --first-tier is faster on archives of mostly
    unique articles: the others become singletons without being encoded. --against IDX shows
    archived documents as archive:<id>. --encoder torch uses the fp32 model; cached vectors are
    kept apart per encoder.

    Unusable files and records are skipped and listed (stderr, OUT/skipped.jsonl); the exit code
    is 0. Exit 1 when nothing could be read, 2 for a bad option or path.
    """
    run_scan = _runner(
        backend, against, ray_address, workers, gpus_per_worker, first_tier=first_tier, lead_tier=lead_tier
    )
    setup_logging(ctx, verbose)
    config = _scan_config(
        threshold=threshold,
        level=level,
        max_chars=max_chars,
        follow_symlinks=follow_symlinks,
        text_field=text_field,
        id_field=id_field,
        strip_boilerplate=strip_boilerplate,
        first_tier=first_tier,
        lead_tier=lead_tier,
        encoder=encoder,
        device=device,
    )
    if device != "cpu" and backend is Backend.LOCAL:  # decide now: one warning line, not one per load
        config = replace(config, device=_select_device(device))
    _check_writable(out, html.parent if html is not None else None)
    inputs = inputs_of(paths)
    result = scan_with_progress(run_scan, inputs, config, quiet=as_json or not sys.stderr.isatty())
    _write_outputs(result, paths, out=out, out_format=out_format, html=html)
    _print_result(result, paths, as_json=as_json, table=out is None, peak_memory=verbose)


def _runner(
    backend: Backend,
    against: Path | None,
    ray_address: str | None,
    workers: int,
    gpus_per_worker: float,
    *,
    first_tier: bool,
    lead_tier: bool,
) -> Callable[..., ScanResult]:
    """The function that runs the scan here: local, against an index, or on Ray (usage errors: exit 2)."""
    if backend is Backend.RAY:
        run_scan = _ray_scan(against, ray_address, workers, gpus_per_worker)
    elif gpus_per_worker > 0:
        raise typer.BadParameter("needs --backend ray.", param_hint="--gpus-per-worker")
    elif against is not None:
        from dedup.runners.archive_index import scan_against

        run_scan = partial(scan_against, index=against)
    else:
        from dedup.runners.local import scan as run_scan
    for asked, hint in ((first_tier, "--first-tier"), (lead_tier, "--lead-tier")):
        if asked and (against is not None or backend is Backend.RAY):
            raise typer.BadParameter("is not supported with --against or --backend ray.", param_hint=hint)
    return run_scan


def _ray_scan(
    against: Path | None, ray_address: str | None, workers: int, gpus_per_worker: float = 0.0
) -> Callable[..., ScanResult]:
    """``scan_with_ray`` bound to the options; exit 2 (usage) when Ray is missing."""
    from dedup.runners.ray import RayUnavailableError, require_ray, scan_with_ray

    if against is not None:
        raise typer.BadParameter("is not supported with --backend ray.", param_hint="--against")
    try:
        require_ray()
    except RayUnavailableError as err:
        raise fail(str(err), EXIT_USAGE) from err
    return partial(scan_with_ray, ray_address=ray_address, n_workers=workers, gpus_per_worker=gpus_per_worker)


def _scan_config(*, threshold: float, level: str, encoder: EncoderKind, **options: object) -> ScanConfig:
    """The options as a ``ScanConfig``; a value it refuses is a usage error (exit 2)."""
    try:
        config = replace(ScanConfig(), threshold=threshold, level=level)
    except InvalidParameterError as err:
        raise typer.BadParameter(str(err), param_hint="--level") from err
    try:
        return replace(config, encoder=encoder.value, **options)
    except InvalidParameterError as err:
        raise typer.BadParameter(str(err)) from err


def _select_device(device: str) -> str:
    """``dedup.encoders.device.select_device``, its fallback warning as one ``warning:`` line on stderr."""
    import warnings

    from dedup.encoders.device import DeviceWarning, select_device

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeviceWarning)
        chosen = select_device(device)
    for w in caught:
        if issubclass(w.category, DeviceWarning):
            err_console.print(f"warning: {w.message}", highlight=False, soft_wrap=True)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return chosen


def _check_writable(*folders: Path | None) -> None:
    """Exit 2 before a long scan when a folder cannot receive output files."""
    import tempfile

    for folder in folders:
        if folder is None:
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".dedup-write-check."):
                pass
        except OSError as err:
            why = f"cannot write to {folder}: {err.strerror or err}. Pass a writable --out folder."
            raise fail(why, EXIT_USAGE) from None


def _write_outputs(
    result: ScanResult, paths: list[Path], *, out: Path | None, out_format: OutFormat, html: Path | None
) -> None:
    """The files of ``-o OUT`` and the ``--html`` report, each announced on stderr."""
    inputs = inputs_of(paths)
    if out is not None:
        from dedup.io.scan_files import write_scan

        write_scan(
            result, out, root=root_of(paths), inputs=inputs, format=out_format.value, on_wait=say_waiting
        )
        err_console.print(f"wrote {len(result.pairs)} pairs and {len(result.groups)} groups to {out}")
    if html is not None:
        write_html_report(result, inputs, html)
        err_console.print(f"wrote the HTML report to {html}", highlight=False)


def _passed_over(paths: list[Path]) -> str:
    """``", 3 passed over for their ending (.png 2, .wpd 1); ..."``: the files under ``paths`` that a
    folder walk does not read, counted by ending (most common first), or "" when there are none."""
    every = {path for _, path in list_inputs(paths, extensions=None)[1]}
    read = {path for _, path in list_inputs(paths)[1]}
    endings = Counter(path.suffix.lower() or "no ending" for path in every - read)
    if not endings:
        return ""
    ranked = sorted(endings.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = ", ".join(f"{ending} {n}" for ending, n in ranked)
    return (
        f", {sum(endings.values())} passed over for their ending ({listed}); "
        "`dedup scan --help` lists the formats read"
    )


def _print_result(
    result: ScanResult, paths: list[Path], *, as_json: bool, table: bool, peak_memory: bool
) -> None:
    """Skipped inputs (and the peak memory) on stderr; the groups on stdout as JSON lines or a table.

    Exit 1 when no document could be read.
    """
    for skipped in result.skipped:
        err_console.print(f"skipped {skipped.path}: {skipped.reason}", highlight=False)
    if peak_memory:
        err_console.print(f"peak memory: {_peak_memory_mib():.0f} MiB", highlight=False)
    if not result.documents:
        shown = " ".join(str(p) for p in paths)
        passed_over = _passed_over(paths)
        raise fail(f"no readable documents in {shown} ({len(result.skipped)} inputs skipped{passed_over}).")
    if as_json:
        for group in result.groups:
            typer.echo(json.dumps(group.to_dict(), ensure_ascii=False, sort_keys=True))
    elif table:
        Console().print(_groups_table(result))


def _peak_memory_mib() -> float:
    """Peak resident memory of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


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
