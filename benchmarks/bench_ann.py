"""Pick the ANN library for document candidates: usearch vs faiss-cpu (HNSW and IVF) vs exact search.

100k synthetic L2-normalised 384-d vectors, two kinds: uniform random (the hard case for any ANN) and
clustered (news-like: 20k stories of 1-9 near-copies/translations each, cosine ~0.8-0.95 to their
centre). Measures build + query time for the top-k neighbours of every vector, recall@k against exact
search on a seeded sample of queries, and the recall of planted pairs (members of one story) among
candidates, which is what the scan needs. Results: benchmarks/results/ann.json.

Run: .venv/bin/python benchmarks/bench_ann.py [--n 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

DIM, TOP_K = 384, 20


def _norm(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def datasets(n: int, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rand = _norm(rng.standard_normal((n, DIM)).astype(np.float32))
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(rng.choice([1, 1, 1, 2, 2, 3, 5, 9])))
    sizes[-1] -= sum(sizes) - n
    centres = _norm(rng.standard_normal((len(sizes), DIM)).astype(np.float32))
    owner = np.repeat(np.arange(len(sizes)), sizes)
    noise = rng.uniform(0.35, 0.75, size=(n, 1)).astype(np.float32)
    clustered = _norm(centres[owner] + noise * _norm(rng.standard_normal((n, DIM)).astype(np.float32)))
    perm = rng.permutation(n)
    return {"random": (rand, np.arange(n)), "clustered": (clustered[perm], owner[perm])}


def exact_topk(x: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    out = np.empty((len(queries), k), dtype=np.int64)
    for s in range(0, len(queries), 512):
        q = queries[s : s + 512]
        sims = x[q] @ x.T
        sims[np.arange(len(q)), q] = -np.inf
        part = np.argpartition(-sims, k, axis=1)[:, :k]
        out[s : s + 512] = part
    return out


def run_usearch(x: np.ndarray, k: int) -> tuple[np.ndarray, float, float]:
    from usearch.index import Index

    t = time.perf_counter()
    index = Index(ndim=x.shape[1], metric="ip", dtype="f32", connectivity=16, expansion_add=128,
                  expansion_search=64)
    index.add(np.arange(len(x)), x, threads=os.cpu_count() or 1)
    build = time.perf_counter() - t
    t = time.perf_counter()
    res = index.search(x, k + 1, threads=os.cpu_count() or 1)
    query = time.perf_counter() - t
    return np.asarray(res.keys, dtype=np.int64), build, query


def run_faiss_hnsw(x: np.ndarray, k: int) -> tuple[np.ndarray, float, float]:
    import faiss

    t = time.perf_counter()
    index = faiss.IndexHNSWFlat(x.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.add(x)
    build = time.perf_counter() - t
    index.hnsw.efSearch = 64
    t = time.perf_counter()
    _, ids = index.search(x, k + 1)
    return ids.astype(np.int64), build, time.perf_counter() - t


def run_faiss_ivf(x: np.ndarray, k: int) -> tuple[np.ndarray, float, float]:
    import faiss

    t = time.perf_counter()
    nlist = int(4 * np.sqrt(len(x)))
    quant = faiss.IndexFlatIP(x.shape[1])
    index = faiss.IndexIVFFlat(quant, x.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    index.train(x[np.random.default_rng(0).choice(len(x), min(len(x), 50 * nlist), replace=False)])
    index.add(x)
    build = time.perf_counter() - t
    index.nprobe = 16
    t = time.perf_counter()
    _, ids = index.search(x, k + 1)
    return ids.astype(np.int64), build, time.perf_counter() - t


def run_exact_chunked(x: np.ndarray, k: int) -> tuple[np.ndarray, float, float]:
    from dedup.search.exact import top_k_neighbours

    t = time.perf_counter()
    idx, _ = top_k_neighbours(x, top_k=k, chunk_size=1024)
    return idx, 0.0, time.perf_counter() - t


def _drop_self(ids: np.ndarray, k: int) -> np.ndarray:
    out = np.full((len(ids), k), -1, dtype=np.int64)
    for i, row in enumerate(ids):
        row = [j for j in row if j != i and j >= 0][:k]
        out[i, : len(row)] = row
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--exact", action="store_true", help="also time dedup's exact chunked search")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    results: dict[str, dict] = {}
    runners = {"usearch-hnsw": run_usearch, "faiss-hnsw": run_faiss_hnsw, "faiss-ivf": run_faiss_ivf}
    if args.exact:
        runners["exact-chunked"] = run_exact_chunked
    for name, (x, owner) in datasets(args.n, rng).items():
        sample = rng.choice(len(x), args.sample, replace=False)
        truth = exact_topk(x, sample, TOP_K)
        # planted pairs: members of one story, from the sample's point of view
        by_owner: dict[int, list[int]] = {}
        for i, o in enumerate(owner):
            by_owner.setdefault(int(o), []).append(i)
        for lib, fn in runners.items():
            ids, build, query = fn(x, TOP_K)
            ids = _drop_self(ids, TOP_K)
            hit = sum(len(set(ids[q]) & set(truth[s])) for s, q in enumerate(sample))
            planted = found = 0
            for q in sample:
                mates = [m for m in by_owner[int(owner[q])] if m != q]
                planted += len(mates)
                found += len(set(mates) & set(ids[q]))
            results[f"{name}/{lib}"] = {
                "n": len(x), "build_s": round(build, 2), "query_s": round(query, 2),
                f"recall_at_{TOP_K}": round(hit / (len(sample) * TOP_K), 4),
                "planted_pair_recall": round(found / planted, 4) if planted else None,
            }
            print(name, lib, results[f"{name}/{lib}"], flush=True)
    out = Path(__file__).parent / "results" / "ann.json"
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"| data/library | build s | query s | recall@{TOP_K} | planted-pair recall |")
    print("|---|---|---|---|---|")
    for key, r in results.items():
        recall, planted = r[f"recall_at_{TOP_K}"], r["planted_pair_recall"]
        print(f"| {key} | {r['build_s']} | {r['query_s']} | {recall} | {planted} |")


if __name__ == "__main__":
    main()
