"""Speed and scale benchmarks: every number is a ratio or a measurement taken in this one run.

(a) end-to-end ``dedup.runners.local.scan`` of dev-hard (cache off) vs raw ``SentenceTransformer.encode`` of
    the same distinct sentences; (b) warm re-run (embedding cache filled) vs cold run; (c) dedup's
    candidate search (exact chunked, and faiss HNSW) vs ``util.paraphrase_mining_embeddings`` on the
    same document vectors (time, recall of gold pairs); (d) time and peak RSS of a scan of 1k and 10k
    synthetic documents with the HashingEncoder (each size in its own process); (e) encoder variants:
    fp32 vs torch dynamic int8 (sentences/s, min cosine vs fp32) on ~500 dev-hard sentences.

Results: benchmarks/results/speed.json; a markdown summary is printed.
Run: .venv/bin/python benchmarks/bench_speed.py [--skip-model] [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEV_HARD = ROOT.parent / "shared" / "eval" / "dev-hard"
OUT = ROOT / "benchmarks" / "results" / "speed.json"


def _sentences(folder: Path, config) -> list[str]:  # noqa: ANN001
    from dedup.io.read import read_documents
    from dedup.text.boilerplate import strip_boilerplate
    from dedup.text.segment import split_sentences

    docs, _ = read_documents(folder, max_chars=config.max_chars)
    texts = [c.text for c in strip_boilerplate([d.text for d in docs])]
    flat = [
        s
        for t in texts
        for s in split_sentences(t, min_chars=config.min_sentence_chars)[: config.max_sentences]
    ]
    return list(dict.fromkeys(flat))


def _gold_pairs(folder: Path) -> set[tuple[str, str]]:
    with open(folder / "gold.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    groups: dict[str, list[str]] = {}
    for r in rows:
        groups.setdefault(r["group_id"], []).append(r["doc_id"] + ".txt")
    return {tuple(sorted(p)) for m in groups.values() for p in combinations(m, 2)}


def bench_model(results: dict, parts: str = "abce", repeat: int = 1) -> None:
    import torch
    from sentence_transformers import util

    from dedup.config import ScanConfig
    from dedup.encoders.base import QUERY_PREFIX
    from dedup.encoders.loading import load_encoder
    from dedup.encoders.torch_encoder import load_model
    from dedup.runners.local import scan
    from dedup.runners.prepare import prepare
    from dedup.search.ann import ann_available, ann_top_k_neighbours
    from dedup.search.exact import candidate_pairs

    model = load_model()
    encoder = load_encoder()  # the scan's default encoder (onnx-int8-batched)
    docs = DEV_HARD / "docs"
    config = ScanConfig(use_cache=False)
    sentences = _sentences(docs, config)
    model.encode([QUERY_PREFIX + s for s in sentences[:64]], batch_size=32)  # warm up
    encoder.encode(sentences[:64])

    # (a) end-to-end scan (default encoder) vs raw SentenceTransformer.encode and vs the default
    # encoder's own encode of the same sentences, alternated `repeat` times (best of each)
    scan_times, raw_times, raw_default_times, stages = [], [], [], {}
    for _ in range(repeat if "a" in parts else 0):
        t = time.perf_counter()
        stages = scan(docs, config=config, encoder=encoder).stats["seconds"]
        scan_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.encode([QUERY_PREFIX + s for s in sentences], batch_size=32, normalize_embeddings=True)
        raw_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        encoder.encode(sentences)
        raw_default_times.append(time.perf_counter() - t)
    if scan_times:
        scan_s, raw_s, raw_default_s = min(scan_times), min(raw_times), min(raw_default_times)
        results["a_scan_vs_raw_encode"] = {
            "docs": len(list(docs.iterdir())), "distinct_sentences": len(sentences), "repeats": repeat,
            "encoder": encoder.name.split(":")[0], "scan_s": round(scan_s, 2),
            "raw_encode_s": round(raw_s, 2), "ratio": round(scan_s / raw_s, 3),
            "raw_default_encoder_s": round(raw_default_s, 2),
            "ratio_vs_default_encoder": round(scan_s / raw_default_s, 3),
            "scan_seconds_by_stage": stages, "target": "<= 1.3",
            "note": "raw_encode_s: SentenceTransformer.encode (torch fp32, batch 32); "
            "raw_default_encoder_s: the scan's own encoder called directly on the same distinct sentences",
        }
        print(results["a_scan_vs_raw_encode"], flush=True)
    if parts == "a":
        return

    # (b) cold vs warm with the cache
    with tempfile.TemporaryDirectory() as tmp:
        cached = replace(config, use_cache=True, cache_dir=tmp)
        t = time.perf_counter()
        cold = scan(docs, config=cached, encoder=encoder)
        cold_s = time.perf_counter() - t
        t = time.perf_counter()
        warm = scan(docs, config=cached, encoder=encoder)
        warm_s = time.perf_counter() - t
    same = [p.to_dict() for p in cold.pairs] == [p.to_dict() for p in warm.pairs]
    results["b_warm_vs_cold"] = {
        "cold_s": round(cold_s, 2), "warm_s": round(warm_s, 2), "speedup": round(cold_s / warm_s, 1),
        "warm_seconds_by_stage": warm.stats["seconds"], "same_pairs": same, "target": ">= 20",
    }
    print(results["b_warm_vs_cold"], flush=True)
    if "c" not in parts and "e" not in parts:
        return

    # (c) candidate search on the same document vectors
    prepared = prepare(docs, config=config, model=model)
    ids = [d.doc_id for d in prepared.documents]
    vecs = prepared.corpus.doc_vectors
    gold = _gold_pairs(DEV_HARD)

    def recall(pairs: set[tuple[int, int]]) -> float:
        named = {tuple(sorted((ids[i], ids[j]))) for i, j in pairs}
        return round(len(named & gold) / len(gold), 4)

    row = {}
    for top_k in (5, 20):
        t = time.perf_counter()
        ours = set(candidate_pairs(vecs, top_k=top_k))
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        mined = util.paraphrase_mining_embeddings(torch.from_numpy(vecs), top_k=top_k, max_pairs=10**9)
        st_s = time.perf_counter() - t
        theirs = {(min(i, j), max(i, j)) for _, i, j in mined}
        row[f"top_{top_k}"] = {
            "dedup_exact_s": round(ours_s, 4), "dedup_exact_recall": recall(ours), "dedup_pairs": len(ours),
            "paraphrase_mining_s": round(st_s, 4), "paraphrase_mining_recall": recall(theirs),
            "paraphrase_mining_pairs": len(theirs),
        }
        if ann_available():
            t = time.perf_counter()
            idx, _ = ann_top_k_neighbours(vecs, top_k=top_k)
            ann_s = time.perf_counter() - t
            ann = {(min(i, int(j)), max(i, int(j))) for i, r in enumerate(idx) for j in r if j >= 0}
            row[f"top_{top_k}"] |= {"dedup_ann_s": round(ann_s, 4), "dedup_ann_recall": recall(ann)}
    row["gold_pairs"] = len(gold)
    results["c_candidates_vs_paraphrase_mining"] = row
    print(row, flush=True)

    # (e) encoder variants
    sample = sentences[:500]
    texts = [QUERY_PREFIX + s for s in sample]
    variants = {"fp32": model}
    qmodel = torch.quantization.quantize_dynamic(load_model(), {torch.nn.Linear}, dtype=torch.qint8)
    variants["torch_dynamic_int8"] = qmodel
    ref = None
    rows = {}
    for name, m in variants.items():
        m.encode(texts[:32], batch_size=32)
        t = time.perf_counter()
        emb = m.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        secs = time.perf_counter() - t
        ref = emb if ref is None else ref
        cos = np.sum(emb * ref, axis=1)
        rows[name] = {
            "sent_per_s": round(len(texts) / secs, 1),
            "min_cos_vs_fp32": round(float(cos.min()), 4),
            "mean_cos_vs_fp32": round(float(cos.mean()), 4),
        }
    try:
        import onnxruntime  # noqa: F401

        rows["onnxruntime_int8"] = "installed from PyPI; export + quantisation not run here (see model-notes)"
    except ImportError:
        rows["onnxruntime_int8"] = "onnxruntime not installed"
    results["e_encoder_variants"] = rows
    print(rows, flush=True)


def _synthetic(n_docs: int, seed: int = 0) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    words = [f"w{k}" for k in range(5000)]
    texts: dict[str, str] = {}
    for k in range(n_docs):
        if k and rng.random() < 0.2:  # 20 % copies of an earlier document with one new sentence
            src = texts[f"d{int(rng.integers(0, k)):06d}"]
            texts[f"d{k:06d}"] = src + f"\nUpdated at {k} with one new sentence about item {k}."
            continue
        sents = [" ".join(rng.choice(words, size=int(rng.integers(6, 16)))).capitalize() + "."
                 for _ in range(int(rng.integers(4, 12)))]
        texts[f"d{k:06d}"] = "\n".join(sents)
    return texts


def _peak_rss_mib() -> float:
    """Peak RSS of this process: VmHWM (reset by exec, unlike ru_maxrss, which a child inherits)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_child(n_docs: int) -> None:
    """Run in a child process: scan n_docs synthetic documents, print JSON with time and peak RSS."""
    from dedup.config import ScanConfig
    from dedup.encoders.base import HashingEncoder
    from dedup.runners.local import scan

    texts = _synthetic(n_docs)
    t = time.perf_counter()
    result = scan(texts, config=ScanConfig(use_cache=False), encoder=HashingEncoder(dim=384))
    secs = time.perf_counter() - t
    peak = _peak_rss_mib()
    print(json.dumps({"n_docs": n_docs, "seconds": round(secs, 1), "peak_rss_mib": round(peak),
                      "n_sentences": result.stats["n_sentences"], "stage_seconds": result.stats["seconds"]}))


def bench_synthetic(results: dict, sizes: list[int], timeout: float) -> None:
    rows = []
    for n in sizes:
        try:
            cmd = [sys.executable, __file__, "--child", str(n)]
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        except subprocess.TimeoutExpired:
            rows.append({"n_docs": n, "skipped": f"did not finish within {timeout:.0f} s"})
        print(rows[-1], flush=True)
    measured = {r["n_docs"] for r in rows}  # keep earlier rows of sizes not measured in this run
    kept = [r for r in results.get("d_synthetic_scale", []) if r.get("n_docs") not in measured]
    results["d_synthetic_scale"] = sorted(kept + rows, key=lambda r: r["n_docs"])


def own_encoder(a: dict) -> str:
    """The (a) row's second ratio: the scan against its own encoder called directly."""
    if "ratio_vs_default_encoder" not in a:
        return ""
    return (f"; scan / its own encoder called directly {a['scan_s']} s / {a['raw_default_encoder_s']} s = "
            f"{a['ratio_vs_default_encoder']}x")


def summary(results: dict) -> str:
    lines = ["| benchmark | result |", "|---|---|"]
    if a := results.get("a_scan_vs_raw_encode"):
        lines.append(f"| (a) scan / raw encode, dev-hard ({a['distinct_sentences']} sentences) | "
                     f"{a['scan_s']} s / {a['raw_encode_s']} s = **{a['ratio']}x** (target <= 1.3)"
                     + own_encoder(a) + " |")
    if b := results.get("b_warm_vs_cold"):
        lines.append(f"| (b) cold / warm scan | {b['cold_s']} s / {b['warm_s']} s = **{b['speedup']}x** "
                     f"(target >= 20), same pairs: {b['same_pairs']} |")
    if c := results.get("c_candidates_vs_paraphrase_mining"):
        for k in ("top_5", "top_20"):
            r = c[k]
            ann = f", faiss {r['dedup_ann_s']} s recall {r['dedup_ann_recall']}" if "dedup_ann_s" in r else ""
            ours = f"dedup exact {r['dedup_exact_s']} s, recall {r['dedup_exact_recall']}"
            theirs = f"paraphrase_mining {r['paraphrase_mining_s']} s, recall {r['paraphrase_mining_recall']}"
            lines.append(f"| (c) candidates {k}, gold-pair recall | {ours}; {theirs}{ann} |")
    for r in results.get("d_synthetic_scale", []):
        if "skipped" in r:
            lines.append(f"| (d) {r['n_docs']} synthetic docs | {r['skipped']} |")
        else:
            lines.append(f"| (d) {r['n_docs']} synthetic docs ({r['n_sentences']} sentences) | "
                         f"{r['seconds']} s, peak RSS {r['peak_rss_mib']} MiB |")
    for name, r in results.get("e_encoder_variants", {}).items():
        if isinstance(r, dict):
            speed, cos = r["sent_per_s"], r["min_cos_vs_fp32"]
            lines.append(f"| (e) {name} | {speed} sent/s, min cos vs fp32 {cos} |")
        else:
            lines.append(f"| (e) {name} | {r} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--skip-model", action="store_true")
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--parts", default="abce", help="model benchmarks to run: 'a' or 'abce'")
    ap.add_argument("--repeat", type=int, default=1, help="alternations of scan and raw encode in (a)")
    args = ap.parse_args()
    if args.child:
        synthetic_child(args.child)
        return
    results: dict = json.loads(OUT.read_text()) if OUT.exists() else {}  # update what this run measures
    results["machine"] = {"cpus": __import__("os").cpu_count()}
    if not args.skip_model:
        bench_model(results, args.parts, args.repeat)
    if args.sizes:
        bench_synthetic(results, args.sizes, args.timeout)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(summary(results))


if __name__ == "__main__":
    main()
