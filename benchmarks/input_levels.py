"""How close are translation levels read off an input to the levels the calibration measured?

``dedup.scoring.input_levels`` estimates a language pair's translation cosine level from the
input's own candidate pairs, for pairs the shipped reference lacks. This checks the estimator
where the answer is known: on the calibration's *training* archives (never the evaluation sets),
for every language pair the shipped reference measured, the estimate over the archives' document
pairs of that language pair (exhaustive, as in a scan below 200 documents) against the measured
level. Per pair: the estimate pooled over all training archives, and the spread of per-archive
estimates (one archive is what a scan sees); also the script-pair level a scan would fall back to
without it (measured with this pair among the others of its script pair, so for a script with one
language, Japanese, it is that pair's own level).
Same-language pairs are not estimated by a scan and are left out. It also counts, over the
language pairs with *no* true pair in an archive, how many document pairs the estimator took
for translations (its false alarms).

Run: ``python -m benchmarks.input_levels --wmt-docs DATA/wmt-docs.jsonl.gz`` (needs the WMT
corpus of ``models/wmt_documents.py``) -> ``benchmarks/results/input_levels.json``.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from dedup.config import ScanConfig
from dedup.encoders.loading import load_encoder
from dedup.scoring.background import load_background
from dedup.scoring.calibration import load_confidence_model
from dedup.scoring.cosine_reference import pair_key
from dedup.scoring.input_levels import DEFAULT_MIN_EVIDENCE, translation_matches
from models import archives as recipe

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wmt-docs", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "input_levels.json")
    args = parser.parse_args(argv)
    stories = recipe.read_stories(args.wmt_docs)
    train_keys, _ = recipe.split_stories(stories, recipe.MAX_STORIES)
    archives = recipe.build_archives(stories, train_keys, random.Random(recipe.SEED + 1))
    reference = load_confidence_model().reference
    assert reference is not None
    script_only = replace(reference, pairs={})  # what a scan falls back to without the pair's level
    background = load_background()
    config = ScanConfig()
    encoder = load_encoder()
    pooled: dict[str, list[float]] = defaultdict(list)
    per_archive: dict[str, list[float]] = defaultdict(list)
    false_alarms = {"language_pairs_without_true_pairs": 0, "document_pairs": 0, "taken_for_translations": 0}
    for archive in archives:
        corpus = recipe.archive_corpus(recipe.embed_archive(archive, config, encoder), background)
        by_pair: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i in range(corpus.n_docs):
            for j in range(i + 1, corpus.n_docs):
                if corpus.langs[i] != corpus.langs[j]:
                    by_pair[pair_key(corpus.langs[i], corpus.langs[j])].append((i, j))
        for key, pairs in by_pair.items():
            found = translation_matches(corpus, pairs).get(key, [])
            if key in reference.pairs:
                pooled[key] += found
                if len(found) >= DEFAULT_MIN_EVIDENCE:
                    per_archive[key].append(float(np.median(found)))
            if not any(archive[i].story == archive[j].story for i, j in pairs):
                false_alarms["language_pairs_without_true_pairs"] += 1
                false_alarms["document_pairs"] += len(pairs)
                taken = [p for p in pairs if translation_matches(corpus, [p]).get(key)]
                false_alarms["taken_for_translations"] += len(taken)
    rows = {}
    for key in sorted(pooled):
        measured = reference.pairs[key][0]
        lang_a, lang_b = key.split("-")
        estimates = per_archive[key]
        rows[key] = {
            "measured": round(measured, 4),
            "estimate_pooled": round(float(np.median(pooled[key])), 4),
            "sentence_pairs": len(pooled[key]),
            "per_archive_estimates": len(estimates),
            "per_archive_abs_error_median": round(float(np.median(np.abs(np.array(estimates) - measured))), 4)
            if estimates
            else None,
            "per_archive_abs_error_max": round(float(np.max(np.abs(np.array(estimates) - measured))), 4)
            if estimates
            else None,
            "fallback": round(script_only.levels(lang_a, lang_b)[0], 4),
        }
    errors = [abs(r["estimate_pooled"] - r["measured"]) for r in rows.values()]
    fallback_errors = [abs(r["fallback"] - r["measured"]) for r in rows.values()]
    result = {
        "archives": len(archives),
        "pairs": rows,
        "pooled_abs_error_max": round(max(errors), 4),
        "fallback_abs_error_max": round(max(fallback_errors), 4),
        "false_alarms": false_alarms,
    }
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
