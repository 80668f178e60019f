"""ANN vs exact search inside the scan: what the approximate steps lose, on synthetic archives.

The scan uses two approximate searches above a size threshold (``dedup.search.ann``): faiss HNSW for the
document candidates (``ScanConfig.ann_above``, 250k documents) and for the margin's neighbourhood
term (``ScanConfig.knn_ann_above``, 50k sentences). This script builds one corpus per size with the
scan's own settings (HashingEncoder vectors, no model) and measures, against exact search on the
same corpus, whatever the thresholds (the document HNSW is measured at every size):

- document candidates: pairs found, the share of exact candidate pairs the ANN finds, recall of the
  archive's true pairs (planted copies and rewrites) in each candidate set;
- linked pairs (article confidence >= threshold) when the union of both candidate sets is scored:
  links reachable from exact candidates that ANN candidates miss (the loss the issue bounds at 1 %);
- margin neighbourhood term: exact values for a seeded sample of sentences vs the HNSW values
  (mean / max absolute difference, share within 1e-6); up to ``--exact-knn-max`` sentences, also
  every row exact, and the scan's links (its own candidates, HNSW margins) compared with the links
  of an all-exact scan (exact candidates, exact margins), pairs scored during clustering included.

The archive: 70 % unique documents of random word sentences, and 30 % derived from one of them:
near-copies (one sentence added), rewrites (40 % of sentences dropped, 20 % of words replaced) and
condensed versions (first three sentences plus a boilerplate line). Seeded; same input, same numbers.

Results: benchmarks/results/ann_recall.json.
Run: .venv/bin/python benchmarks/bench_ann_recall.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import inspect
import json
import time
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "ann_recall.json"
WORDS = [f"w{k}" for k in range(5000)]


def _sentence(rng: np.random.Generator) -> str:
    return " ".join(rng.choice(WORDS, size=int(rng.integers(6, 16)))).capitalize() + "."


def synthetic_archive(n_docs: int, seed: int = 0) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """``{doc_id: text}`` and the true pairs (every two documents derived from one original)."""
    rng = np.random.default_rng(seed)
    texts: dict[str, str] = {}
    originals: list[list[str]] = []
    family: dict[int, list[str]] = {}
    for k in range(n_docs):
        doc_id = f"d{k:06d}"
        if originals and rng.random() < 0.3:
            src = int(rng.integers(0, len(originals)))
            sents = originals[src]
            kind = rng.random()
            if kind < 1 / 3:  # near-copy: one sentence added
                derived = [*sents, f"Updated at {k} with one new sentence about item {k}."]
            elif kind < 2 / 3:  # rewrite: drop 40 % of sentences, replace 20 % of words
                keep = [s for s in sents if rng.random() >= 0.4] or sents[:1]
                derived = [
                    " ".join(w if rng.random() >= 0.2 else str(rng.choice(WORDS)) for w in s.split())
                    for s in keep
                ]
            else:  # condensed, with boilerplate
                derived = [*sents[:3], "Subscribe to our newsletter for more news like this."]
            texts[doc_id] = "\n".join(derived)
            family[src].append(doc_id)
            continue
        sents = [_sentence(rng) for _ in range(int(rng.integers(4, 12)))]
        family[len(originals)] = [doc_id]
        originals.append(sents)
        texts[doc_id] = "\n".join(sents)
    true_pairs = {tuple(sorted(p)) for members in family.values() for p in combinations(members, 2)}
    return texts, true_pairs


def _linked(result, threshold: float) -> set[tuple[str, str]]:  # noqa: ANN001
    return {(p.doc_a, p.doc_b) for p in result.pairs if p.confidence >= threshold}


def measure(n_docs: int, *, top_k: int, sample: int, exact_knn_max: int, seed: int = 0) -> dict:
    from dedup.config import ScanConfig
    from dedup.encoders.base import HashingEncoder
    from dedup.runners.prepare import prepare
    from dedup.runners.stages import score_candidates
    from dedup.scoring.calibration import load_confidence_model
    from dedup.search.ann import ann_top_k_neighbours
    from dedup.search.exact import knn_mean_similarity, pairs_from_neighbours, top_k_neighbours

    texts, true_pairs = synthetic_archive(n_docs, seed=seed)
    config = ScanConfig(use_cache=False, top_k=top_k)
    row: dict = {"n_docs": n_docs, "true_pairs": len(true_pairs), "top_k": top_k}
    t = time.perf_counter()
    prepared = prepare(texts, config=config, encoder=HashingEncoder(dim=384))
    corpus, documents = prepared.corpus, prepared.documents
    ids = [d.doc_id for d in documents]
    row["n_sentences"] = int(corpus.offsets[-1])
    row["prepare_s"] = round(time.perf_counter() - t, 1)
    row["knn_from"] = "hnsw" if row["n_sentences"] > config.knn_ann_above else "exact"

    # document candidates, both ways, on the same document vectors
    t = time.perf_counter()
    exact_neighbours = top_k_neighbours(corpus.doc_vectors, top_k=top_k)[0]
    exact = set(pairs_from_neighbours(exact_neighbours))
    row["exact_candidates_s"] = round(time.perf_counter() - t, 1)
    defaults = inspect.signature(ann_top_k_neighbours).parameters
    row["ann_settings"] = {k: defaults[k].default for k in ("m", "ef_construction", "ef_search")}
    row["ann_above"] = config.ann_above
    t = time.perf_counter()
    ann = set(pairs_from_neighbours(ann_top_k_neighbours(corpus.doc_vectors, top_k=top_k)[0]))
    row["ann_candidates_s"] = round(time.perf_counter() - t, 1)

    def named(pairs: set[tuple[int, int]]) -> set[tuple[str, str]]:
        return {tuple(sorted((ids[i], ids[j]))) for i, j in pairs}

    row["candidates"] = {
        "exact_pairs": len(exact),
        "ann_pairs": len(ann),
        "ann_share_of_exact_pairs": round(len(exact & ann) / len(exact), 5),
        "exact_true_pair_recall": round(len(named(exact) & true_pairs) / len(true_pairs), 5),
        "ann_true_pair_recall": round(len(named(ann) & true_pairs) / len(true_pairs), 5),
    }

    # links: score the union once, then ask which links each candidate set reaches
    model = load_confidence_model()
    t = time.perf_counter()
    union = sorted(exact | ann)
    result = score_candidates(documents, corpus, union, config=config, confidence_model=model)
    row["score_union_s"] = round(time.perf_counter() - t, 1)
    linked = _linked(result, config.threshold)
    from_exact, from_ann = linked & named(exact), linked & named(ann)
    position = {doc_id: k for k, doc_id in enumerate(ids)}
    lost_rank = [  # where each lost link sits in the exact neighbour lists (0 = nearest), best of both
        min(int(np.nonzero(exact_neighbours[a] == b)[0][0]) if b in exact_neighbours[a] else top_k,
            int(np.nonzero(exact_neighbours[b] == a)[0][0]) if a in exact_neighbours[b] else top_k)
        for a, b in ((position[x], position[y]) for x, y in from_exact - from_ann)
    ]
    row["links"] = {
        "from_exact_candidates": len(from_exact),
        "from_ann_candidates": len(from_ann),
        "lost_by_ann": len(from_exact - from_ann),
        "loss_share": round(len(from_exact - from_ann) / max(len(from_exact), 1), 5),
        "true_pairs_linked_exact": len(from_exact & true_pairs),
        "true_pairs_linked_ann": len(from_ann & true_pairs),
        "lost_exact_rank_histogram": np.bincount(lost_rank, minlength=top_k).tolist() if lost_rank else [],
    }

    # the margin's neighbourhood term: exact values for sampled rows
    owners = np.repeat(np.arange(len(corpus.sentences)), np.diff(corpus.offsets))
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(row["n_sentences"], size=min(sample, row["n_sentences"]), replace=False))
    exact_rows = knn_mean_similarity(corpus.embeddings, owners, k=config.margin_k, skip=4, rows=rows)
    diff = np.abs(exact_rows - corpus.knn[rows])
    row["knn_sample"] = {
        "rows": len(rows),
        "mean_abs_diff": float(f"{diff.mean():.3g}"),
        "max_abs_diff": float(f"{diff.max():.3g}"),
        "share_within_1e-6": round(float((diff <= 1e-6).mean()), 5),
    }
    if row["knn_from"] == "hnsw" and row["n_sentences"] <= exact_knn_max:
        t = time.perf_counter()
        exact_knn = knn_mean_similarity(corpus.embeddings, owners, k=config.margin_k, skip=4)
        row["knn_all_exact_s"] = round(time.perf_counter() - t, 1)
        exact_corpus = replace(corpus, knn=exact_knn)
        all_exact = score_candidates(
            documents, exact_corpus, sorted(exact), config=config, confidence_model=model
        )
        linked_exact = _linked(all_exact, config.threshold)
        scan_candidates = sorted(ann if n_docs > config.ann_above else exact)
        scan = score_candidates(documents, corpus, scan_candidates, config=config, confidence_model=model)
        scan_default = _linked(scan, config.threshold)
        row["links_all_exact_vs_scan"] = {
            "all_exact": len(linked_exact),
            "scan_default": len(scan_default),
            "lost_by_scan": len(linked_exact - scan_default),
            "gained_by_scan": len(scan_default - linked_exact),
        }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--top-k", type=int, default=20)
    ap.add_argument("--sample", type=int, default=2000, help="sentences with an exact margin term")
    ap.add_argument("--exact-knn-max", type=int, default=100_000, help="all margins exact up to this many")
    args = ap.parse_args()
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    for n in args.sizes:
        results[str(n)] = measure(n, top_k=args.top_k, sample=args.sample, exact_knn_max=args.exact_knn_max)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
