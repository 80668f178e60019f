"""Thai sentence boundaries against the Thai UD treebanks, with and without the continuation rule.

Thai writes no sentence terminator: a space ends a sentence, and also sets clauses and list items
apart. :func:`dedup.text.segment.split_sentences` takes a space between two long runs of Thai letters
for a boundary unless the second run opens with a word that goes on with the sentence (``และ``
and, ``เพื่อ`` to, ``ที่`` that ...; ``segment._THAI_CONTINUATIONS``, chosen on the TUD treebank).
Here each treebank's sentences are joined five at a time with a space, as Thai text runs, split
again, and the boundaries found are compared with the treebank's: TUD is where the words were
chosen, PUD (the Parallel UD news and Wikipedia sentences) is held out.

Results: benchmarks/results/thai_segmentation.json. Run (treebanks as ``UD_Thai-TUD`` and
``UD_Thai-PUD`` or ``UniversalDependencies+UD_Thai-...`` folders under ``--ud-root``):
    .venv/bin/python -m benchmarks.thai_segmentation --ud-root /work/.mirror
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import dedup.text.segment as segment
from models.ud_sentences import conllu_texts, treebank_folder

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "thai_segmentation.json"
GROUP = 5  # sentences a text
WITHOUT_RULE = re.compile(rf"(?<={segment._SPACE_ENDED}{{6}})\s+(?={segment._SPACE_ENDED}{{12}})")


def treebank_sentences(root: Path, name: str) -> list[str]:
    """The ``# text`` lines of a treebank, in file order."""
    folder = treebank_folder(root, name)
    if folder is None:
        raise SystemExit(f"{name} not found under {root}")
    return [
        line.removeprefix("# text = ").strip()
        for text in conllu_texts(folder)
        for line in text.splitlines()
        if line.startswith("# text = ")
    ]


def boundary_figures(sentences: list[str]) -> dict[str, float | int]:
    """Boundary precision, recall and F1 of split_sentences on the sentences joined GROUP at a time."""
    found = right = gold = units = 0
    for k in range(0, len(sentences) - GROUP + 1, GROUP):
        group = sentences[k : k + GROUP]
        text = " ".join(group)
        truth, at = set(), 0
        for sentence in group[:-1]:
            at += len(sentence)
            truth.add(at)
            at += 1
        out = segment.split_sentences(text, min_chars=1, max_chars=len(text) + 1)
        cuts, at = set(), 0
        for unit in out[:-1]:
            at = text.index(unit, at) + len(unit)
            cuts.add(at)
        found += len(cuts)
        right += len(cuts & truth)
        gold += len(truth)
        units += len(out)
    precision, recall = right / found, right / gold
    return {
        "sentences": (len(sentences) // GROUP) * GROUP,
        "units": units,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(2 * precision * recall / (precision + recall), 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ud-root", type=Path, required=True, help="Folder holding the Thai treebanks.")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    shipped = segment._SPACE_ENDED_RE
    results: dict[str, dict[str, object]] = {}
    for name in ("UD_Thai-TUD", "UD_Thai-PUD"):
        sentences = treebank_sentences(args.ud_root, name)
        segment._SPACE_ENDED_RE = WITHOUT_RULE
        without = boundary_figures(sentences)
        segment._SPACE_ENDED_RE = shipped
        results[name] = {"with the continuation rule": boundary_figures(sentences), "without": without}
        print(name, json.dumps(results[name]))
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
