"""The shipped calibration on several draws of the WMT22-24 validation archives, pooled.

``models/calibrate.py`` reports on one draw of the validation archives (``models/archives.py``:
which versions of each story go in, how each is reworked). A script family there holds 20-250 true
pairs, and another draw of the same stories moves its figures by several points. This builds the
validation archives ``--draws`` times from the same 559 stories (draw 0 is the calibration's own;
draw k > 0 seeds the recipe with ``f"{SEED}:validation-draw:{k}"``), scores each with the shipped
background, cosine levels and article model, clusters each archive as a scan would, and reports
pairwise precision / recall by script family for every draw and for all draws pooled (each archive
clustered on its own, the pairs counted together), with the range over the draws; and, per
language, the pooled pairs with it: cross-language precision / recall, ECE, and how many pairs got
0.1-0.9 with their mean confidence and share true (``models.calibrate.middle_band``). The draws share
their stories, so pooled pairs are not independent: the pool averages out the draw, not the
stories. Nothing reads ../shared/eval, and nothing is fitted.

Results: benchmarks/results/validation_draws.json. Run:
    .venv/bin/python -m benchmarks.validation_draws [--wmt-docs /work/data/wmt/wmt-docs.jsonl.gz] [--draws 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models import calibrate as C
from models.archives import (
    MAX_STORIES,
    OTHER_FACTS_SHARE,
    SEED,
    ArchiveDoc,
    archive_corpus,
    build_archives,
    embed_archive,
    read_stories,
    split_stories,
)

if TYPE_CHECKING:
    from dedup.config import ScanConfig
    from dedup.encoders.base import Encoder
    from dedup.scoring.background import Background
    from dedup.scoring.corpus import Corpus
    from dedup.scoring.cosine_reference import CosineReference

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "validation_draws.json"
WMT = Path("/work/data/wmt/wmt-docs.jsonl.gz")


def draw_random(k: int) -> random.Random:
    """The recipe's random source for validation draw ``k`` (0: the one the calibration reports on)."""
    return random.Random(SEED + 2) if k == 0 else random.Random(f"{SEED}:validation-draw:{k}")


def validation_draw(
    stories: dict[str, list[dict]], validation_keys: list[str], k: int
) -> list[list[ArchiveDoc]]:
    """Draw ``k`` of the validation archives of ``validation_keys`` (:func:`draw_random`)."""
    return build_archives(stories, validation_keys, draw_random(k), other_facts_share=OTHER_FACTS_SHARE)


def draw_count(text: str) -> int:
    """``--draws``: a whole number of draws, at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return int(text)


def draws_parser(description: str, out: Path) -> argparse.ArgumentParser:
    """The options every benchmark over validation draws has: ``--wmt-docs``, ``--draws``, ``--out``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--wmt-docs", type=Path, default=WMT)
    parser.add_argument(
        "--draws", type=draw_count, default=5, help="Draws of the validation archives (>= 1)."
    )
    parser.add_argument("--out", type=Path, default=out)
    return parser


def refit_parser(description: str, out: Path) -> argparse.ArgumentParser:
    """:func:`draws_parser` with what a benchmark that refits needs too: ``--ud-root``, ``--udhr``."""
    parser = draws_parser(description, out)
    parser.add_argument("--ud-root", type=Path, required=True, help="As models.calibrate --ud-root.")
    parser.add_argument("--udhr", type=Path, required=True, help="As models.calibrate --udhr.")
    return parser


@dataclass
class ShippedLevelRefit:
    """A refit on the training archives at the shipped alignment level, with every pair of the
    training archives kept (``info["scored_rows"]``), and what it was made from."""

    stories: dict[str, list[dict]]
    validation_keys: list[str]
    config: ScanConfig
    encoder: Encoder
    inputs: C.TrainingInputs
    background: Background
    reference: CosineReference
    level: float
    info: dict


def refit_at_shipped_level(args: argparse.Namespace) -> ShippedLevelRefit:
    """Read the stories of ``args.wmt_docs``, gather the training inputs (with ``args.ud_root`` and
    ``args.udhr``) and refit at the shipped level, keeping the scored training rows: the start of
    every benchmark that fits candidate article models on the shipped features' training pairs."""
    from dedup.config import ScanConfig
    from dedup.encoders.loading import load_encoder
    from dedup.scoring.calibration import load_confidence_model

    stories = read_stories(args.wmt_docs)
    train_keys, validation_keys = split_stories(stories, MAX_STORIES)
    config = ScanConfig()
    encoder = load_encoder(config.encoder)
    inputs = C.training_inputs(stories, train_keys, config, encoder, ud_root=args.ud_root, udhr=args.udhr)
    background, reference, level, _, _, info = C.fit_inputs(
        inputs, config, min_level=load_confidence_model().min_level, keep_rows=True
    )
    return ShippedLevelRefit(
        stories, validation_keys, config, encoder, inputs, background, reference, level, info
    )


def score_draws(
    refit: ShippedLevelRefit, draws: int, on_corpus: Callable[[int, Corpus], None] | None = None
) -> tuple[list[C.ScoredRow], dict[int, int]]:
    """Every pair of ``draws`` draws of the validation archives scored with the refit's background,
    levels and alignment level, and each archive's document count; archive ids run on across the
    draws, so each archive is clustered alone. ``on_corpus(archive_id, corpus)`` is told each
    archive's corpus."""
    rows: list[C.ScoredRow] = []
    n_docs: dict[int, int] = {}
    for k in range(draws):
        for archive in validation_draw(refit.stories, refit.validation_keys, k):
            n = len(n_docs)
            corpus = archive_corpus(embed_archive(archive, refit.config, refit.encoder), refit.background)
            n_docs[n] = len(archive)
            if on_corpus is not None:
                on_corpus(n, corpus)
            rows += C.score_archive(n, corpus, archive, refit.config, refit.reference, refit.level)
    return rows, n_docs


def main(argv: list[str] | None = None) -> None:
    args = draws_parser(__doc__.splitlines()[0], OUT).parse_args(argv)

    from dedup.config import ScanConfig
    from dedup.encoders.loading import load_encoder
    from dedup.scoring.background import load_background
    from dedup.scoring.calibration import load_confidence_model

    stories = read_stories(args.wmt_docs)
    _, validation_keys = split_stories(stories, MAX_STORIES)
    config = ScanConfig()
    encoder = load_encoder(config.encoder)
    background, model = load_background(), load_confidence_model()
    pooled_rows: list[C.ScoredRow] = []
    pooled_conf: list[np.ndarray] = []
    pooled_docs: dict[int, int] = {}
    by_draw: list[dict] = []
    for k in range(args.draws):
        archives = validation_draw(stories, validation_keys, k)
        offset = len(pooled_docs)  # archive ids stay distinct across draws, so each is clustered alone
        n_docs = {offset + n: len(a) for n, a in enumerate(archives)}
        rows: list[C.ScoredRow] = []
        for n, archive in enumerate(archives):
            corpus = archive_corpus(embed_archive(archive, config, encoder), background)
            rows += C.score_archive(offset + n, corpus, archive, config, model.reference, model.min_level)
        conf = C.confidences(rows, model.article, config)
        figures = C.validate(rows, conf, n_docs, config)
        figures["documents"] = sum(n_docs.values())
        by_draw.append(figures)
        pooled_rows += rows
        pooled_conf.append(conf)
        pooled_docs.update(n_docs)
        print(f"draw {k}: {figures['documents']} documents, all {figures['all']}", file=sys.stderr)
    pooled = C.validate(pooled_rows, np.concatenate(pooled_conf), pooled_docs, config)
    ranges = {
        key: {
            stat: [min(v), max(v)]
            for stat in ("precision", "recall")
            if (v := [d[key][stat] for d in by_draw if key in d and d[key][stat] is not None])
        }
        for key, cell in pooled.items()
        if isinstance(cell, dict) and cell.get("gold_pairs")
    }
    all_conf = np.concatenate(pooled_conf)
    languages = sorted({lang for r in pooled_rows for lang in (r.lang_a, r.lang_b)} - {"en"})
    by_language = {}
    for lang in languages:  # every archive clustered as above; the pairs with the language counted
        figures = C.validate(pooled_rows, all_conf, pooled_docs, config, only_langs=(lang,))
        by_language[lang] = {
            "cross-language": figures.get("cross-language"),
            "ece": figures.get("ece"),
            "ece_pairs": figures.get("ece_pairs"),
            "ece_if_calibrated": figures.get("ece_if_calibrated"),
            "middle_band": C.middle_band(pooled_rows, all_conf, (lang,)),
        }
    results = {
        "draws": args.draws,
        "pooled": pooled,
        "range_over_draws": ranges,
        "by_language": by_language,
        "by_draw": by_draw,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")

    print(f"{'pairs':24s} {'gold':>5s} {'pooled P / R':>15s} {'P over draws':>13s} {'R over draws':>13s}")
    for key, cell in pooled.items():
        if not isinstance(cell, dict) or not cell.get("gold_pairs"):
            continue
        span = ranges.get(key, {})
        p_span = "-".join(f"{x:.3f}" for x in span.get("precision", []))
        r_span = "-".join(f"{x:.3f}" for x in span.get("recall", []))
        precision = "-" if cell["precision"] is None else f"{cell['precision']:.3f}"
        print(
            f"{key:24s} {cell['gold_pairs']:>5d} {precision} / {cell['recall']:.3f} "
            f"{p_span:>13s} {r_span:>13s}"
        )


if __name__ == "__main__":
    main()
