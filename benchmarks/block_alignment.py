"""Does aligning sentence blocks (1-2, 2-1) separate true pairs from false ones better than 1:1?

Archives rework sentences: a sub-editor merges two into one, a splitter cuts one in two. A
block alignment lets a sentence of one article match two adjacent sentences of the other (their
summed, re-normalised vectors). This measures, on the calibration's *training* archives (never the
evaluation sets), how well coverage separates true from false pairs with 1:1 units only and with
1:1 plus 2-sentence blocks on both sides: ROC AUC over every document pair of the archives, and
the median coverage of true pairs and of false pairs that reach any coverage. Both variants use
the shipped background and cosine levels and the scan's alignment level, without the margin (a
block has no neighbourhood term), so they differ only in the units.

Run: ``python -m benchmarks.block_alignment --wmt-docs DATA/wmt-docs.jsonl.gz`` (needs the WMT
corpus of ``models/wmt_documents.py``) -> ``benchmarks/results/block_alignment.json``.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from dedup.config import ScanConfig
from dedup.encoders.loading import load_encoder
from dedup.scoring.background import load_background
from dedup.scoring.calibration import load_confidence_model
from models import archives as recipe

ROOT = Path(__file__).resolve().parent.parent


def _blocks(rows: np.ndarray) -> np.ndarray:
    """The document's sentences and its adjacent two-sentence blocks, L2-normalised."""
    if len(rows) < 2:
        return rows
    pairs = rows[:-1] + rows[1:]
    pairs /= np.maximum(np.linalg.norm(pairs, axis=1, keepdims=True), 1e-12)
    return np.vstack([rows, pairs])


def coverage(a: np.ndarray, b: np.ndarray, threshold: float, *, blocks: bool) -> float:
    """Smaller share of either side's sentences whose best unit on the other side reaches ``threshold``."""
    if not len(a) or not len(b):
        return 0.0
    units_a, units_b = (_blocks(a), _blocks(b)) if blocks else (a, b)
    cov_a = float(np.mean((a @ units_b.T).max(axis=1) >= threshold))
    cov_b = float(np.mean((b @ units_a.T).max(axis=1) >= threshold))
    return min(cov_a, cov_b)


def main(argv: list[str] | None = None) -> None:
    from sklearn.metrics import roc_auc_score

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wmt-docs", type=Path, required=True)
    parser.add_argument("--archives", type=int, default=8, help="Training archives measured.")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "block_alignment.json")
    args = parser.parse_args(argv)
    stories = recipe.read_stories(args.wmt_docs)
    train_keys, _ = recipe.split_stories(stories, recipe.MAX_STORIES)
    archives = recipe.build_archives(stories, train_keys, random.Random(recipe.SEED + 1))[: args.archives]
    model = load_confidence_model()
    background = load_background()
    config = ScanConfig()
    encoder = load_encoder()
    labels: list[bool] = []
    scores: dict[str, list[float]] = {"1:1": [], "1:1 + 2-blocks": []}
    for archive in archives:
        corpus = recipe.archive_corpus(recipe.embed_archive(archive, config, encoder), background)
        for i in range(corpus.n_docs):
            for j in range(i + 1, corpus.n_docs):
                threshold = model.reference.cosine_at(model.min_level, corpus.langs[i], corpus.langs[j])
                a, b = corpus.embeddings[corpus.rows(i)], corpus.embeddings[corpus.rows(j)]
                labels.append(archive[i].story == archive[j].story)
                scores["1:1"].append(coverage(a, b, threshold, blocks=False))
                scores["1:1 + 2-blocks"].append(coverage(a, b, threshold, blocks=True))
    y = np.array(labels)
    result: dict[str, object] = {"archives": len(archives), "pairs": len(y), "true_pairs": int(y.sum())}
    for name, values in scores.items():
        v = np.array(values)
        result[name] = {
            "roc_auc": round(float(roc_auc_score(y, v)), 4),
            "median_coverage_true": round(float(np.median(v[y])), 4),
            "median_coverage_false_with_any": round(float(np.median(v[~y & (v > 0)])), 4)
            if np.any(~y & (v > 0))
            else None,
            "false_pairs_with_any": int(np.sum(~y & (v > 0))),
        }
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
