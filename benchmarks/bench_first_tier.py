"""First tier on vs off: sentences encoded, time, candidate recall.

Datasets (read in place, nothing downloaded):

* ``dev-hard``: ../shared/eval/dev-hard (241 docs, 95 gold groups).
* ``archive80``: a synthetic archive where ~80 % of the articles are unique: all dev-hard documents
  (its story groups and distractors) plus 200 real SemEval-2022 articles (../shared/eval/semeval8-dev/texts)
  plus pseudo-articles of 6 consecutive non-English bitext sentences (../shared/eval/bitext). Gold is
  dev-hard's; every other article is its own singleton.

For each dataset: one full scan (first tier off) and one scan with the first tier on, both with the
embedding cache off, timed end to end (model loading excluded). The first tier's decisions are also
evaluated at a range of cosine cuts without re-encoding: share of documents and sentences kept,
recall of the full pipeline's linked pairs, and the gold ("true") pairs the full pipeline links that
the first tier would lose, as a share of all gold pairs (the bar: < 1 %).

Results: benchmarks/results/first_tier.json. Run:
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_first_tier.py
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
OUT = ROOT / "benchmarks" / "results" / "first_tier.json"
CUTS = [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6]


class _NullEncoder:
    """Zero vectors: lets the benchmark run the pipeline's reading/splitting without encoding."""

    name = "null"

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        return np.zeros((len(sentences), 1), dtype=np.float32)


def _read_folder(folder: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def _gold_pairs(path: Path) -> set[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    groups: dict[str, list[str]] = {}
    for r in rows:
        groups.setdefault(r["group_id"], []).append(r["doc_id"])
    return {tuple(sorted(p)) for m in groups.values() for p in combinations(m, 2)}  # type: ignore[misc]


def _bitext_articles(per_doc: int = 6) -> dict[str, str]:
    docs: dict[str, str] = {}
    for path in sorted((EVAL / "bitext").glob("*-eng.tsv")):
        with path.open(encoding="utf-8") as handle:
            rows = [r["src"] for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]
        for k in range(0, len(rows) - per_doc + 1, per_doc):
            docs[f"bitext-{path.stem}-{k // per_doc:03d}"] = " ".join(rows[k : k + per_doc])
    return docs


def datasets() -> dict[str, tuple[dict[str, str], set[tuple[str, str]]]]:
    dev_hard = _read_folder(EVAL / "dev-hard" / "docs")
    gold = _gold_pairs(EVAL / "dev-hard" / "gold.tsv")
    semeval = dict(list(_read_folder(EVAL / "semeval8-dev" / "texts").items())[:200])
    archive = {**dev_hard, **{f"semeval-{k}": v for k, v in semeval.items()}, **_bitext_articles()}
    return {"dev-hard": (dev_hard, gold), "archive80": (archive, gold)}


def _linked(result) -> set[tuple[str, str]]:  # noqa: ANN001
    return {tuple(sorted((p.doc_a, p.doc_b))) for p in result.pairs if p.confidence >= 0.5}  # type: ignore[misc]


def _grouped(result) -> set[tuple[str, str]]:  # noqa: ANN001
    return {tuple(sorted(p)) for g in result.groups for p in combinations(g.members, 2)}  # type: ignore[misc]


def run_dataset(name: str, inputs: dict[str, str], gold: set[tuple[str, str]], model, static) -> dict:  # noqa: ANN001
    from dedup.config import ScanConfig
    from dedup.encoders.torch_encoder import SentenceTransformerEncoder
    from dedup.runners.local import scan
    from dedup.runners.prepare import embed_documents
    from dedup.search.first_tier import select_documents

    off = ScanConfig(use_cache=False)
    on = replace(off, first_tier=True)
    e = embed_documents(inputs, config=off, encoder=_NullEncoder())
    ids = [d.doc_id for d in e.documents]
    n_sent = np.array([len(s) for s in e.sentences])
    multi = {d for p in gold for d in p}
    out: dict = {
        "n_docs": len(ids),
        "n_sentences": int(n_sent.sum()),
        "share_unique_docs": round(1 - len(multi & set(ids)) / len(ids), 3),
        "gold_pairs": len(gold),
    }

    t = time.perf_counter()
    tier = select_documents(e.sentences, e.langs, encode=static, texts=e.texts, shingle_size=off.shingle_size)
    out["first_tier_s"] = round(time.perf_counter() - t, 2)

    encoder = SentenceTransformerEncoder(model)
    t = time.perf_counter()
    full = scan(inputs, config=off, encoder=encoder)
    out["full_s"] = round(time.perf_counter() - t, 2)
    full_pairs = _linked(full)
    true_linked = full_pairs & gold
    out["full_linked_pairs"] = len(full_pairs)
    out["full_true_linked_pairs"] = len(true_linked)
    print(f"[{name}] full {out['full_s']} s, {len(full_pairs)} linked", file=sys.stderr)

    curve = []
    for cut in CUTS:
        keep = (tier.nearest >= cut) | tier.shingle_partner
        kept_ids = {d for d, k in zip(ids, keep.tolist(), strict=True) if k}
        lost_true = [p for p in true_linked if not (p[0] in kept_ids and p[1] in kept_ids)]
        n_full_kept = sum(1 for p in full_pairs if p[0] in kept_ids and p[1] in kept_ids)
        curve.append(
            {
                "min_cosine": cut,
                "share_docs_kept": round(float(keep.mean()), 4),
                "share_sentences_encoded": round(float(n_sent[keep].sum() / max(n_sent.sum(), 1)), 4),
                "recall_full_linked_pairs": round(n_full_kept / max(len(full_pairs), 1), 4),
                "lost_true_pairs": len(lost_true),
                "loss_share_of_gold_pairs": round(len(lost_true) / max(len(gold), 1), 4),
            }
        )
    out["curve"] = curve

    class _WithStatic(SentenceTransformerEncoder):
        first_tier_encode = staticmethod(static)

    t = time.perf_counter()
    tiered = scan(inputs, config=on, encoder=_WithStatic(model))
    out["first_tier_on_s"] = round(time.perf_counter() - t, 2)
    tiered_pairs = _linked(tiered)
    ft = tiered.stats.get("first_tier", {})
    out["on"] = {
        "docs_encoded": ft.get("n_docs_encoded"),
        "sentences_encoded": tiered.stats["n_sentences"],
        "share_sentences_encoded": round(tiered.stats["n_sentences"] / max(n_sent.sum(), 1), 4),
        "speedup": round(out["full_s"] / out["first_tier_on_s"], 2),
        "linked_pairs": len(tiered_pairs),
        "recall_full_linked_pairs": round(len(full_pairs & tiered_pairs) / max(len(full_pairs), 1), 4),
        "true_linked_pairs": len(tiered_pairs & gold),
        "true_pairs_lost_vs_full": len(true_linked - tiered_pairs),
        "true_pairs_gained_vs_full": len((tiered_pairs & gold) - true_linked),
        "loss_share_of_gold_pairs": round(len(true_linked - tiered_pairs) / max(len(gold), 1), 4),
        "same_groups": _grouped(full) == _grouped(tiered),
        "seconds_by_stage": tiered.stats["seconds"],
    }
    out["full_seconds_by_stage"] = full.stats["seconds"]
    print(f"[{name}] first tier on {out['first_tier_on_s']} s: {json.dumps(out['on'])}", file=sys.stderr)
    return out


def main() -> None:
    import torch

    from dedup.encoders.torch_encoder import load_model
    from dedup.search.first_tier import MIN_COSINE, load_static_encoder, static_model_dir

    torch.manual_seed(0)
    model = load_model()
    model.encode(["warm up the encoder before anything is timed"] * 64, batch_size=32)
    t = time.perf_counter()
    static = load_static_encoder(build=True)
    static(["warm up"])
    results: dict = {
        "static_model": str(static_model_dir().name),
        "static_load_s": round(time.perf_counter() - t, 2),
        "default_min_cosine": MIN_COSINE,
        "torch_threads": torch.get_num_threads(),
    }
    stamp = static_model_dir() / "dedup-static.json"
    if stamp.is_file():
        results["static_build"] = json.loads(stamp.read_text(encoding="utf-8"))
    only = sys.argv[1:]
    for name, (inputs, gold) in datasets().items():
        if only and name not in only:
            continue
        results[name] = run_dataset(name, inputs, gold, model, static)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
