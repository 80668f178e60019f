"""Effect of boilerplate removal on grouping quality and pair confidences, with the real model.

Scans ``../shared/eval/dev/docs``, ``../shared/eval/dev-hard/docs`` (read in place) and
``seeds/`` twice each, with ``ScanConfig(strip_boilerplate=True)`` and ``False``, and
reports per run:

* pairwise P/R/F1 of the groups (:func:`dedup.evaluation.grouping.score_grouping`);
* mean confidence of the gold (true) pairs, unreported pairs counted as 0;
* number and mean confidence of false linked pairs (not in gold, confidence >= threshold);
* mean confidence of all reported non-gold pairs (only when the config can report every
  scored pair, i.e. has ``report_threshold``).

Seeds gold (no file ships with them): 000 and 001 are one translation group, the rest singletons.
Results go to ``benchmarks/results/boilerplate.json``; a table goes to stdout.

Usage, from the project root: ``python -m benchmarks.boilerplate_effect [--only dev-hard] [--out FILE]``
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import time
from pathlib import Path

from dedup.config import ScanConfig
from dedup.encoders.torch_encoder import load_model
from dedup.evaluation.grouping import score_grouping
from dedup.evaluation.readers import Gold, GoldDoc, normalize_doc_id, read_gold
from dedup.runners.local import scan

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
SEEDS_GOLD = Gold(
    docs={
        "000_c25041f4db78ded7": GoldDoc("s1", "eng", "mt_variant"),
        "001_22857d8c1e2fe89c": GoldDoc("s1", "nob", "original"),
        "002_6518522b25c7a500": GoldDoc("s2", "eng", "distractor"),
        "003_01b372b87bb5dbd6": GoldDoc("s3", "nob", "distractor"),
        "004_5932ebd9f61e31f0": GoldDoc("s4", "eng", "distractor"),
    }
)


def datasets() -> dict[str, tuple[Path, Gold]]:
    return {
        "dev": (EVAL / "dev" / "docs", read_gold(EVAL / "dev" / "gold.tsv")),
        "dev-hard": (EVAL / "dev-hard" / "docs", read_gold(EVAL / "dev-hard" / "gold.tsv")),
        "seeds": (ROOT / "seeds", SEEDS_GOLD),
    }


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def run(folder: Path, gold: Gold, config: ScanConfig, model: object) -> dict[str, object]:
    """Scan ``folder`` once and score it against ``gold``."""
    fields = {f.name for f in dataclasses.fields(ScanConfig)}
    all_pairs = "report_threshold" in fields
    if all_pairs:
        config = dataclasses.replace(config, report_threshold=0.0)
    t = time.perf_counter()
    result = scan(folder, config=config, model=model)
    seconds = time.perf_counter() - t
    groups = {doc_id: g.group_id for g in result.groups for doc_id in g.members}
    report = score_grouping(gold, groups)
    gold_groups = {d: g.group_id for d, g in gold.docs.items()}
    gold_pairs = {
        tuple(sorted(p)) for members in gold.groups().values() for p in itertools.combinations(members, 2)
    }
    conf: dict[tuple[str, str], float] = {}
    for p in result.pairs:
        a, b = sorted((normalize_doc_id(p.doc_a), normalize_doc_id(p.doc_b)))
        if a in gold_groups and b in gold_groups:
            conf[(a, b)] = p.confidence
    true_conf = [conf.get(p, 0.0) for p in gold_pairs]
    false_conf = [c for p, c in conf.items() if p not in gold_pairs]
    false_linked = [c for c in false_conf if c >= config.threshold]
    return {
        "pairwise": report.pairwise.to_dict(),
        "bcubed_f1": round(report.bcubed.f1, 4),
        "gold_pairs": report.gold_pairs,
        "pred_pairs": report.pred_pairs,
        "true_pairs": report.true_pairs,
        "mean_confidence_true_pairs": _mean(true_conf),
        "false_linked_pairs": len(false_linked),
        "mean_confidence_false_linked_pairs": _mean(false_linked),
        "mean_confidence_non_gold_pairs": _mean(false_conf) if all_pairs else None,
        "n_docs": len(result.documents),
        "n_skipped": len(result.skipped),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["dev", "dev-hard", "seeds"], action="append")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "boilerplate.json")
    args = parser.parse_args()
    model = load_model()
    results: dict[str, dict[str, object]] = {}
    for name, (folder, gold) in datasets().items():
        if args.only and name not in args.only:
            continue
        results[name] = {}
        for strip in (False, True):
            key = "strip" if strip else "keep"
            results[name][key] = run(folder, gold, ScanConfig(strip_boilerplate=strip), model)
            r = results[name][key]
            pw = r["pairwise"]
            print(
                f"{name:9s} {key:5s} P={pw['precision']:.3f} R={pw['recall']:.3f} F1={pw['f1']:.3f} "
                f"true-conf={r['mean_confidence_true_pairs']} false-links={r['false_linked_pairs']} "
                f"(conf {r['mean_confidence_false_linked_pairs']}) "
                f"non-gold-conf={r['mean_confidence_non_gold_pairs']} {r['seconds']}s",
                flush=True,
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"config": ScanConfig().to_dict(), "results": results}
    args.out.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
