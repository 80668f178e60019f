"""Lead tier on vs off on two synthetic archives where ~80 % of the articles have no partner.

Archives are built from the WMT22-24 documents (``models/wmt_documents.py`` output, default
/work/data/wmt/wmt-docs.jsonl.gz), reworked like archive pages by ``models/rework.py``, from the
*validation* stories of ``models/archives.py`` (``--split train`` builds them from training stories
instead, to choose the gate's cuts; nothing reads ../shared/eval):

* ``realistic``: the paired stories (a source and one to three translations, sometimes a second
  translation into one language) come from one test set and domain; the unpaired articles (one
  version of a story each, four times as many) from the *other* test sets and domains.
* ``hard``: the unpaired articles come from the same test set and domain as the paired ones
  (topped up from the same test set when that domain runs out), with the same boilerplate pools.

For each archive: a full scan (tier off) and a scan with ``lead_tier=True``, embedding cache off and
the encoder wrapped to count the sentences it is really asked to encode. "True links" are the full
scan's links (confidence >= 0.5) between versions of one story; "lost" are those the tiered scan
does not link. The curve replays the gate's decisions over its main knob (the lead alignment
level) and the shared-names cut without re-encoding: sentences that would be encoded (leads + the
rest of kept documents) against the full scan's true links that lose an endpoint.

``--min-sentences N`` builds the archives from stories whose every version has at least N sentences
(full-length articles instead of the corpus's mix of briefs and articles).

Results: benchmarks/results/lead_tier.json (``--split train``: lead_tier-train.json; ``--min-sentences
N`` adds ``-minN``). Run:
    .venv/bin/python -m benchmarks.bench_lead_tier [--split train] [--min-sentences N] [realistic] [hard]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.archives import SEED, is_validation, read_stories, story_domain, story_versions
from models.rework import rework

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
WMT = Path("/work/data/wmt/wmt-docs.jsonl.gz")
N_PAIRED_STORIES = 24
UNPAIRED_PER_PAIRED_DOC = 4
LEVELS = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 99.0]
N_LEADS = [3, 2]
SHARED = [2, 3, 4, None]


class Counting:
    """Wraps the encoder and counts the sentences (and characters) it is asked to encode."""

    def __init__(self, encoder) -> None:  # noqa: ANN001
        from dedup.encoders.cache import encoder_identity

        self.encoder, self.name = encoder, encoder_identity(encoder)
        self.sentences = self.chars = 0

    def __getattr__(self, attr: str):  # noqa: ANN204
        return getattr(self.encoder, attr)

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        self.sentences += len(sentences)
        self.chars += sum(len(s) for s in sentences)
        return self.encoder.encode(sentences, batch_size=batch_size)


class _Null:
    name = "null"

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        return np.zeros((len(sentences), 1), dtype=np.float32)


def build(
    stories: dict[str, list[dict]], kind: str, rng: random.Random
) -> tuple[dict[str, str], dict[str, str]]:
    """(texts, story of each document) of one archive."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key in stories:
        groups[(key.split(":", 1)[0], story_domain(stories[key]))].append(key)
    for keys in groups.values():
        rng.shuffle(keys)
    home = max(groups, key=lambda g: len(groups[g]))
    headlines = [stories[k][0]["segments"][0] for k in groups[home]]
    docs: list[tuple[str, str, dict]] = []
    used = 0
    for key in groups[home]:
        if used >= N_PAIRED_STORIES:
            break
        versions = next(
            (v for _ in range(8) if len(v := story_versions(stories[key], rng, rarity)) > 1), None
        )
        if versions:
            docs += [("p", key, v) for v in versions]
            used += 1
    paired_keys = {k for _, k, _ in docs}
    if kind == "hard":
        same_year = [k for g, ks in groups.items() if g[0] == home[0] and g != home for k in ks]
        pool = [k for k in groups[home] if k not in paired_keys] + same_year
    else:
        pool = [k for g, ks in groups.items() if g != home for k in ks]
        rng.shuffle(pool)
    for key in pool[: UNPAIRED_PER_PAIRED_DOC * len(docs)]:
        docs.append(("u", key, rng.choice(stories[key])))
    texts, story = {}, {}
    for n, (_, key, version) in enumerate(docs):
        doc_id = f"{n:04d}-{version['lang']}"
        texts[doc_id] = rework(version["segments"], rng, lang=version["lang"], teasers=headlines)
        story[doc_id] = key
    return texts, story


rarity: dict[str, float] = defaultdict(lambda: 1.0)


def linked(result) -> set[tuple[str, str]]:  # noqa: ANN001
    return {tuple(sorted((p.doc_a, p.doc_b))) for p in result.pairs if p.confidence >= 0.5}  # type: ignore[misc]


def run(kind: str, texts: dict[str, str], story: dict[str, str], encoder, replay_only: bool) -> dict:  # noqa: ANN001
    from dedup.config import ScanConfig
    from dedup.runners.local import scan
    from dedup.runners.prepare import embed_documents
    from dedup.scoring.background import load_background
    from dedup.scoring.calibration import load_confidence_model
    from dedup.search.lead_tier import MIN_LEVEL, MIN_SHARED, select_documents

    off = ScanConfig(use_cache=False)
    e = embed_documents(texts, config=off, encoder=_Null())
    ids = [d.doc_id for d in e.documents]
    n_sent = np.array([len(s) for s in e.sentences])
    sizes = defaultdict(int)
    for d in ids:
        sizes[story[d]] += 1
    out: dict = {
        "n_docs": len(ids),
        "n_sentences": int(n_sent.sum()),
        "share_unpaired_docs": round(sum(sizes[story[d]] == 1 for d in ids) / len(ids), 3),
        "mean_sentences_per_doc": round(float(n_sent.mean()), 2),
    }
    counter = Counting(encoder)
    t = time.perf_counter()
    full = scan(texts, config=off, encoder=counter)
    out["full"] = {"s": round(time.perf_counter() - t, 1), "sentences_encoded": counter.sentences}
    full_links = linked(full)
    true = {p for p in full_links if story[p[0]] == story[p[1]]}
    out["full"] |= {"links": len(full_links), "true_links": len(true)}
    print(f"[{kind}] {json.dumps(out)}", file=sys.stderr)

    counter = Counting(encoder)
    memory: dict[str, np.ndarray] = {}

    def encode(sentences: list[str]) -> np.ndarray:  # leads of 2 sentences reuse those of 3
        todo = list(dict.fromkeys(x for x in sentences if x not in memory))
        if todo:
            memory.update(zip(todo, counter.encode(todo), strict=True))
        return np.stack([memory[x] for x in sentences])

    index = {d: k for k, d in enumerate(ids)}
    curve = []
    for n_lead in N_LEADS:
        t = time.perf_counter()
        tier = select_documents(
            e.sentences,
            e.langs,
            encode=encode,
            texts=e.texts,
            n_lead=n_lead,
            reference=load_confidence_model().reference,
            background=load_background(),
        )
        out[f"lead_select_s_{n_lead}"] = round(time.perf_counter() - t, 1)
        lead_sent = np.array([len(x) for x in tier.leads])
        for shared in SHARED:
            for level in LEVELS:
                keep = tier.keep_at(level, shared)
                encoded = int(lead_sent.sum() + (n_sent - lead_sent)[keep].sum())
                lost = sum(1 for a, b in true if not (keep[index[a]] and keep[index[b]]))
                curve.append(
                    {
                        "n_lead": n_lead,
                        "min_level": level,
                        "min_shared": shared,
                        "share_docs_kept": round(float(keep.mean()), 3),
                        "sentences_encoded": encoded,
                        "saving": round(int(n_sent.sum()) / max(encoded, 1), 2),
                        "true_links_lost": lost,
                        "share_true_links_lost": round(lost / max(len(true), 1), 4),
                    }
                )
    out["curve"] = curve
    if replay_only:
        return out
    counter = Counting(encoder)
    t = time.perf_counter()
    tiered = scan(texts, config=ScanConfig(use_cache=False, lead_tier=True), encoder=counter)
    got = linked(tiered)
    lost = true - got
    out["lead_tier"] = {
        "min_level": MIN_LEVEL,
        "min_shared": MIN_SHARED,
        "s": round(time.perf_counter() - t, 1),
        "sentences_encoded": counter.sentences,
        "saving": round(out["full"]["sentences_encoded"] / max(counter.sentences, 1), 2),
        "docs_encoded": tiered.stats.get("first_tier", {}).get("n_docs_encoded"),
        "links": len(got),
        "true_links": sum(1 for p in got if story[p[0]] == story[p[1]]),
        "true_links_lost": len(lost),
        "share_true_links_lost": round(len(lost) / max(len(true), 1), 4),
        "false_links_gained": len({p for p in got - full_links if story[p[0]] != story[p[1]]}),
    }
    print(f"[{kind}] lead tier: {json.dumps(out['lead_tier'])}", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("validation", "train"), default="validation")
    parser.add_argument("--wmt-docs", type=Path, default=WMT)
    parser.add_argument(
        "--min-sentences", type=int, default=0, help="Only stories this long (every version)."
    )
    parser.add_argument("kinds", nargs="*", default=["realistic", "hard"])
    args = parser.parse_args(argv)
    from dedup.encoders.loading import resolve_encoder

    stories = read_stories(args.wmt_docs)
    want = args.split == "validation"
    stories = {
        k: v
        for k, v in stories.items()
        if is_validation(k) == want and min(len(d["segments"]) for d in v) >= args.min_sentences
    }
    encoder = resolve_encoder(model=None, device="cpu")  # the default encoder
    name = "lead_tier" + ("" if want else "-train")
    name += f"-min{args.min_sentences}" if args.min_sentences else ""
    out_path = ROOT / "benchmarks" / "results" / f"{name}.json"
    results: dict = json.loads(out_path.read_text()) if out_path.is_file() else {}
    results["split"] = args.split
    results["min_sentences"] = args.min_sentences
    for kind in args.kinds:
        texts, story = build(stories, kind, random.Random(f"{SEED}-{kind}"))
        results[kind] = run(kind, texts, story, encoder, replay_only=not want)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
