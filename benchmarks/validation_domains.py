"""The shipped calibration on the WMT22-24 validation archives, by the domain of the pair's documents.

The validation archives (``models/archives.py``: stories never used in fitting, reworked like archive
pages) mix news with customer-service chats, product pages, social posts and speech transcripts.
This scores them with the shipped background, cosine levels and article model (as
``models/calibrate.py`` does for its report), clusters each archive as a scan would, and tabulates
the pairs by :func:`models.archives.coarse_domain` of their two documents (``mixed`` when the two
differ): pairwise precision / recall by script family and ECE, each domain on its own pairs. Nothing
reads ../shared/eval.

Results: benchmarks/results/validation_domains.json. Run:
    .venv/bin/python -m benchmarks.validation_domains [--wmt-docs /work/data/wmt/wmt-docs.jsonl.gz]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

from models import calibrate as C
from models.archives import (
    COARSE_DOMAINS,
    MAX_STORIES,
    OTHER_FACTS_SHARE,
    SEED,
    archive_corpus,
    build_archives,
    coarse_domain,
    embed_archive,
    read_stories,
    split_stories,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "validation_domains.json"
WMT = Path("/work/data/wmt/wmt-docs.jsonl.gz")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wmt-docs", type=Path, default=WMT)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    from dedup.config import ScanConfig
    from dedup.encoders.loading import load_encoder
    from dedup.scoring.background import load_background
    from dedup.scoring.calibration import load_confidence_model

    stories = read_stories(args.wmt_docs)
    _, validation_keys = split_stories(stories, MAX_STORIES)
    archives = build_archives(
        stories, validation_keys, random.Random(SEED + 2), other_facts_share=OTHER_FACTS_SHARE
    )
    config = ScanConfig()
    encoder = load_encoder(config.encoder)
    background, model = load_background(), load_confidence_model()
    rows: list[C.ScoredRow] = []
    for k, archive in enumerate(archives):
        corpus = archive_corpus(embed_archive(archive, config, encoder), background)
        rows += C.score_archive(k, corpus, archive, config, model.reference, model.min_level)
    conf = C.confidences(rows, model.article, config)
    n_docs = {k: len(a) for k, a in enumerate(archives)}

    def domain(r: C.ScoredRow) -> str:
        a, b = coarse_domain(archives[r.archive][r.a]), coarse_domain(archives[r.archive][r.b])
        return a if a == b else "mixed"

    docs = {d: sum(coarse_domain(doc) == d for a in archives for doc in a) for d in COARSE_DOMAINS}
    results: dict = {"documents": docs, "all": C.validate(rows, conf, n_docs, config)}
    for name in (*COARSE_DOMAINS, "mixed"):
        results[name] = C.validate(rows, conf, n_docs, config, keep=lambda r, name=name: domain(r) == name)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")

    print(
        f"{'domain':13s} {'docs':>5s} {'all P / R':>15s} {'cross P / R':>15s} {'same P / R':>15s}"
        f" {'ECE (cal.)':>14s}"
    )
    for name in ("all", *COARSE_DOMAINS, "mixed"):
        v = results[name]

        def pr(key: str, v: dict = v) -> str:
            cell = v.get(key) or {}
            p, r = cell.get("precision"), cell.get("recall")
            return f"{p if p is not None else '-'} / {r if r is not None else '-'}"

        ece = f"{v.get('ece', '-')} ({v.get('ece_if_calibrated', '-')})"
        print(
            f"{name:13s} {docs.get(name, ''):>5} {pr('all'):>15s} {pr('cross-language'):>15s} "
            f"{pr('same-language'):>15s} {ece:>14s}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
