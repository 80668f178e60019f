"""``dedup report``: a scan output folder as one self-contained HTML page; the page ``scan --html`` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dedup.cli.console import err_console
from dedup.cli.options import inputs_of
from dedup.cli.session import setup_logging
from dedup.config import ScanConfig
from dedup.types import ScanResult


def report(
    ctx: typer.Context,
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
    from dedup.io.scan_files import read_scan_output

    setup_logging(ctx, False)
    path = html or out / "report.html"
    result, root = read_scan_output(out)
    inputs = _scanned_inputs(out, root)
    if inputs is None or not all(p.exists() for p in inputs):
        where = "not recorded (scan.json missing)" if root is None else "gone"
        err_console.print(f"articles not shown side by side: scanned paths {where}", highlight=False)
        inputs = None
    write_html_report(result, None if inputs is None else inputs_of(inputs), path)
    err_console.print(f"wrote the HTML report to {path}", highlight=False)
    typer.echo(str(path))


def write_html_report(result: ScanResult, inputs: Path | list[Path] | None, path: Path) -> None:
    """Render the HTML report, with the articles read again from ``inputs`` when they are there."""
    from dedup.io.atomic import write_text_atomic
    from dedup.io.read import read_documents
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


def _scanned_inputs(out: Path, root: Path | None) -> list[Path] | None:
    """The paths a scan output folder records in scan.json (``inputs``, else its ``root``)."""
    try:
        meta = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    if isinstance(meta.get("inputs"), list):
        return [Path(p) for p in meta["inputs"]]
    return None if root is None else [root]
