"""``dedup eval``, ``eval-pairs`` and ``eval-bitext``: metrics on labelled data, a table or ``--json``.

Each is a thin shell over ``dedup.evaluation.assess`` (``evaluate_gold_dir``, ``evaluate_rated_pairs``,
``evaluate_bitext``), which returns the metrics as a dict.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dedup.cli.options import EncoderKind, EncoderOption
from dedup.cli.session import setup_logging
from dedup.config import ScanConfig

JsonOption = Annotated[bool, typer.Option("--json", help="Print all metrics as one JSON object.")]


def eval_gold(
    ctx: typer.Context,
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
    as_json: JsonOption = False,
    encoder: EncoderOption = EncoderKind.ONNX_INT8_BATCHED,
) -> None:
    """Scan GOLD_DIR/docs and score the groups against GOLD_DIR/gold.tsv (pairwise, B-cubed, ARI, ECE)."""
    from dedup.evaluation.assess import evaluate_gold_dir

    setup_logging(ctx, False)
    metrics = evaluate_gold_dir(
        gold_dir,
        config=replace(ScanConfig(), threshold=threshold, encoder=encoder.value),
        encoder=_load_encoder(encoder),
        out_dir=out,
    )
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


def eval_pairs(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Argument(exists=True, file_okay=False, help="A folder with pairs.tsv and texts/."),
    ],
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="Same-story decision threshold.")] = 0.5,
    as_json: JsonOption = False,
    encoder: EncoderOption = EncoderKind.ONNX_INT8_BATCHED,
) -> None:
    """Score rated article pairs: Pearson r of the story confidence with 4 - overall.

    Also the accuracy at the threshold, on a folder such as semeval8-dev. A table on a terminal,
    JSON with --json.
    """
    from dedup.evaluation.assess import evaluate_rated_pairs

    setup_logging(ctx, False)
    metrics = evaluate_rated_pairs(folder, encoder=_load_encoder(encoder), threshold=threshold)
    _print_metrics(metrics, f"dedup eval-pairs {folder.name}", as_json=as_json)


def eval_bitext(
    ctx: typer.Context,
    tsv: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="<lang>-eng.tsv files (src, eng).")
    ],
    as_json: JsonOption = False,
    encoder: EncoderOption = EncoderKind.ONNX_INT8_BATCHED,
) -> None:
    """Sentence retrieval top-1 accuracy in both directions per bitext file (embedding health check).

    A table on a terminal, JSON with --json.
    """
    from dedup.evaluation.assess import evaluate_bitext

    setup_logging(ctx, False)
    metrics = evaluate_bitext(tsv, encoder=_load_encoder(encoder))
    _print_metrics(metrics, "dedup eval-bitext", as_json=as_json, ensure_ascii=True)


def _load_encoder(kind: EncoderKind):  # noqa: ANN202 (an Encoder; dedup.build.model is imported when called)
    from dedup.encoders.loading import load_encoder

    return load_encoder(kind.value)


def _print_metrics(metrics: dict[str, Any], title: str, *, as_json: bool, ensure_ascii: bool = False) -> None:
    """One JSON object (``--json``) or a table of ``a.b.c  value`` rows on stdout."""
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=ensure_ascii, sort_keys=True))
    else:
        Console().print(_flat_table(metrics, title))


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
        floor = (metrics.get("calibration") or {}).get("ece_if_calibrated")
        if floor is not None:
            table.add_row("ECE a calibrated model shows on these pairs", f"{floor:.4f}")
    return table


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
