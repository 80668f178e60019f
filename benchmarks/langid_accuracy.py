"""Language-identification accuracy on the shared bitext dev sets: langdetect alone vs dedup.

Reads ``../shared/eval/bitext/<lang>-eng.tsv`` in place (header ``src<TAB>eng``, split on
the tab, no quoting) and reports, per language:

* ``sentence``: one sentence at a time, no prior;
* ``document``: pseudo-documents of 10 consecutive sentences joined by spaces;
* ``sentence+prior``: each sentence with the detected pseudo-document language as
  prior (:meth:`LanguageDetector.detect_sentences`; dedup only).

"langdetect alone" is langdetect's top guess with the same profiles and seed, ``no``
mapped to ``nb``. The English side of the Norwegian file is scored as a control.
Results go to ``benchmarks/results/langid.json``; a table goes to stdout.

Usage, from the project root: ``python -m benchmarks.langid_accuracy [--bitext DIR] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from dedup.langid import LanguageDetector, to_iso639_1

ROOT = Path(__file__).resolve().parent.parent
BITEXT = ROOT.parent / "shared" / "eval" / "bitext"
DOC_SIZE = 10


def read_bitext(path: Path) -> tuple[list[str], list[str]]:
    """Return the (src, eng) columns of one bitext file."""
    src, eng = [], []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != ["src", "eng"]:
            raise ValueError(f"{path}: unexpected header {header!r}")
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2:
                src.append(parts[0])
                eng.append(parts[1])
    return src, eng


def langdetect_alone(detector: LanguageDetector, text: str) -> str:
    probs = detector.probabilities(text)
    return to_iso639_1(max(probs, key=probs.__getitem__)) if probs else "und"


def evaluate(sentences: list[str], gold: str, detector: LanguageDetector) -> dict[str, object]:
    docs = [sentences[i : i + DOC_SIZE] for i in range(0, len(sentences), DOC_SIZE)]
    sent_ld = [langdetect_alone(detector, s) for s in sentences]
    sent_ours = [detector.detect(s) for s in sentences]
    doc_ld = [langdetect_alone(detector, " ".join(d)) for d in docs]
    doc_ours = [detector.detect(" ".join(d)) for d in docs]
    prior = [lang for d, dl in zip(docs, doc_ours, strict=True) for lang in detector.detect_sentences(d, dl)]

    def acc(pred: list[str]) -> float:
        return round(sum(p == gold for p in pred) / len(pred), 4)

    return {
        "gold": gold,
        "n_sentences": len(sentences),
        "n_documents": len(docs),
        "sentence": {"langdetect": acc(sent_ld), "dedup": acc(sent_ours)},
        "document": {"langdetect": acc(doc_ld), "dedup": acc(doc_ours)},
        "sentence_prior": {"dedup": acc(prior)},
        "confusion_sentence": {
            "langdetect": dict(Counter(sent_ld).most_common(6)),
            "dedup": dict(Counter(sent_ours).most_common(6)),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bitext", type=Path, default=BITEXT)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "langid.json")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    detector = LanguageDetector(seed=args.seed)
    results: dict[str, dict[str, object]] = {}
    t0 = time.perf_counter()
    files = sorted(args.bitext.glob("*-eng.tsv"))
    if not files:
        raise SystemExit(f"no *-eng.tsv files in {args.bitext}")
    for path in files:
        code3 = path.name.split("-")[0]
        src, eng = read_bitext(path)
        results[code3] = evaluate(src, to_iso639_1(code3), detector)
        if code3 == "nob":
            results["eng"] = evaluate(eng, "en", detector)
    seconds = round(time.perf_counter() - t0, 1)

    nordic = [c for c in ("nob", "nno", "dan", "swe") if c in results]
    summary = {
        level: {
            tool: round(sum(results[c][level][tool] for c in nordic) / len(nordic), 4)
            for tool in ("langdetect", "dedup")
        }
        for level in ("sentence", "document")
    }
    summary["sentence_prior"] = {
        "dedup": round(sum(results[c]["sentence_prior"]["dedup"] for c in nordic) / len(nordic), 4)
    }
    payload = {
        "dataset": "shared/eval/bitext (Tatoeba via LASER, first 500 pairs per language)",
        "doc_size": DOC_SIZE,
        "seed": args.seed,
        "seconds": seconds,
        "nordic_mean": summary,
        "languages": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(args.out)

    print(f"{'lang':<6}{'sent ld':>9}{'sent dedup':>12}{'doc ld':>9}{'doc dedup':>11}{'sent+prior':>12}")
    rows = [*results.items(), ("nordic", {**summary, "sentence_prior": summary["sentence_prior"]})]
    for code, r in rows:
        s, d, p = r["sentence"], r["document"], r["sentence_prior"]
        print(
            f"{code:<6}{s['langdetect']:>9.3f}{s['dedup']:>12.3f}{d['langdetect']:>9.3f}"
            f"{d['dedup']:>11.3f}{p['dedup']:>12.3f}"
        )
    print(f"({seconds} s; written to {args.out})")


if __name__ == "__main__":
    main()
