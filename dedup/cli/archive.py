"""``dedup archive``: a keep/drop manifest per story group, and optionally a verified copy of the kept files.

A thin shell over ``dedup.outputs.archive``: the options are checked before the scan (the
manifest and the copies go outside the scanned folders), the summary goes to stdout as JSON.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dedup.cli.console import err_console, scan_with_progress
from dedup.cli.errors import fail
from dedup.cli.options import EncoderKind, EncoderOption, PathsArgument, ThresholdOption, inputs_of, root_of
from dedup.cli.session import setup_logging
from dedup.config import ScanConfig
from dedup.errors import InvalidParameterError

if TYPE_CHECKING:
    from dedup.outputs.archive import CopyResult
    from dedup.outputs.archive_policy import ArchivePolicy, ManifestRow

ARCHIVE_EPILOG = (
    "Records (file.jsonl#id, crawl.warc.gz#urn:uuid:...) are named one by one in the "
    "manifest. --copy-to copies whole files: a record file is copied when all its records are kept, "
    "and refused (exit 2, nothing copied) when it also holds dropped ones."
)
_ROLES = ("keep", "duplicate_of", "translation_of", "unique", "skipped")


def archive(
    ctx: typer.Context,
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
    threshold: ThresholdOption = ScanConfig.threshold,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each stage's counts and timings.")
    ] = False,
    encoder: EncoderOption = EncoderKind.ONNX_INT8_BATCHED,
) -> None:
    """Choose one document to keep per story group and write a keep/drop manifest (dry run by default).

    Prints a JSON summary (counts per role) on stdout. --rules orders language, original, complete,
    earliest, path (the default order). --copy-to DEST (outside PATH) copies the kept files plus the
    manifest and verifies every copy's SHA-256 (--link hard-links instead); a failed copy ends with
    exit code 1. PATH is never modified.
    """
    from dedup.outputs.archive import copy_kept, write_manifest
    from dedup.outputs.archive_policy import build_manifest
    from dedup.runners.local import scan as run_scan

    setup_logging(ctx, verbose)
    policy = _policy(rules, prefer_lang)
    if link and copy_to is None:
        raise typer.BadParameter("--link needs --copy-to DEST.", param_hint="--link")
    root = root_of(paths)
    _check_outside(paths, root, out=out, copy_to=copy_to)
    config = replace(ScanConfig(), threshold=threshold, encoder=encoder.value)
    result = scan_with_progress(run_scan, inputs_of(paths), config, quiet=not sys.stderr.isatty())
    rows = build_manifest(result, root, policy=policy)
    write_manifest(rows, out)
    copied = None
    if copy_to is not None:
        try:
            copied = copy_kept(rows, root, copy_to, link=link)
        except InvalidParameterError as err:
            raise typer.BadParameter(f"{err} (manifest written to {out})", param_hint="--copy-to") from err
        write_manifest(rows, copy_to)
    _print_summary(rows, out, copy_to, copied, link=link)


def _policy(rules: str, prefer_lang: list[str] | None) -> ArchivePolicy:
    """``--rules`` and ``--prefer-lang`` as a policy; a bad rule is a usage error naming ``--rules``."""
    from dedup.outputs.archive_policy import ArchivePolicy

    try:
        return ArchivePolicy(
            rules=tuple(r.strip() for r in rules.split(",") if r.strip()),
            prefer_languages=tuple(prefer_lang or ()),
        )
    except InvalidParameterError as err:
        raise typer.BadParameter(str(err), param_hint="--rules") from err


def _check_outside(paths: list[Path], root: Path, *, out: Path, copy_to: Path | None) -> None:
    """The manifest goes anywhere outside the scanned folders; copies go outside their common parent too."""
    from dedup.outputs.archive import check_outside

    checks = [("--out", out, p) for p in paths if p.is_dir()] + [("--copy-to", copy_to, root)]
    for hint, target, scanned in checks:
        if target is not None:
            try:
                check_outside(scanned, target, name=hint)
            except InvalidParameterError as err:
                raise typer.BadParameter(str(err), param_hint=hint) from err


def _print_summary(
    rows: list[ManifestRow], out: Path, copy_to: Path | None, copied: CopyResult | None, *, link: bool
) -> None:
    """Counts per role as JSON on stdout, what was written and copied on stderr; exit 1 if a copy failed."""
    counts = {role: sum(r.role == role for r in rows) for role in _ROLES}
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
        raise fail(f"{len(copied.failed)} kept files did not copy or verify into {copy_to}.")
