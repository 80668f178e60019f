"""Local backend vs Ray backend (2 workers, local Ray) on synthetic folders; time ratio and peak memory.

(a) ``hashing``: N synthetic documents (default 10 000) with the HashingEncoder (cheap, so this measures
    the Ray backend's overhead: starting Ray and actors, moving texts, Parquet shards);
(b) ``model``: M short synthetic English documents (default 1 000) with the real model, cache off (the
    realistic cost: embedding dominates); its per-core rates feed the cluster estimate in ``summary``.

Each run is a child process (its own peak RSS, VmHWM). For Ray the driver's VmHWM misses the workers,
so the system-wide peak of used memory (MemTotal - MemAvailable, sampled every 0.2 s, above the level
before the run) is reported for both backends too. Both backends' pairs/groups are compared byte for byte.

Results: benchmarks/results/ray.json; a markdown summary is printed.
Run: .venv/bin/python benchmarks/bench_ray.py [--docs 10000] [--model-docs 1000] [--skip-model]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "ray.json"

_WORDS = (
    "the a of to in and for on with by at from after before over under about against between during "
    "government minister police court city council storm fire flood election vote party leader bank "
    "market prices rates inflation company workers union strike hospital school students teachers "
    "road bridge train airport power water weather coast river village region country border army "
    "report said says told announced warned confirmed denied expected planned closed opened rose fell "
    "monday tuesday wednesday thursday friday weekend morning night year month week percent million "
    "new old local national public private first last major small large several many thousands people"
).split()


def write_folder(folder: Path, n_docs: int, seed: int = 0) -> None:
    """n_docs news-like documents (4-8 sentences); 20 % are copies of an earlier one plus one sentence."""
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    for k in range(n_docs):
        if k and rng.random() < 0.2:
            texts.append(texts[int(rng.integers(0, k))] + f"\nUpdated on day {k} with one more sentence.")
            continue
        sents = [
            " ".join(rng.choice(_WORDS, size=int(rng.integers(8, 18)))).capitalize() + "."
            for _ in range(int(rng.integers(4, 9)))
        ]
        texts.append("\n".join(sents))
    for k, text in enumerate(texts):
        sub = folder / f"part{k // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"d{k:06d}.txt").write_text(text, encoding="utf-8")


def _mem_used_mib() -> float:
    info = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":", 1)
        info[key] = int(value.split()[0])
    return (info["MemTotal"] - info["MemAvailable"]) / 1024


def _vmhwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(backend: str, folder: str, encoder: str, out: str) -> None:
    """Scan ``folder`` with one backend; print JSON (seconds, memory, stage seconds, output digests)."""
    from dedup.config import ScanConfig
    from dedup.encoders.base import HashingEncoder
    from dedup.io.scan_files import write_scan

    config = ScanConfig(use_cache=False)
    base = _mem_used_mib()
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            peak[0] = max(peak[0], _mem_used_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t = time.perf_counter()
    load_s = 0.0
    if backend.startswith("local"):
        from dedup.runners.local import scan

        if backend == "local-1thread":  # what each Ray worker gets (num_cpus=1 -> 1 torch thread)
            import torch

            torch.set_num_threads(1)

        if encoder == "hashing":
            kwargs = {"encoder": HashingEncoder(dim=384)}
        else:  # loaded here (and timed) so that the embed stage below is encoding only
            from dedup.encoders.torch_encoder import load_model

            kwargs = {"model": load_model()}
            load_s = time.perf_counter() - t
        result = scan(folder, config=config, **kwargs)
    else:
        from dedup.runners.ray import scan_with_ray

        factory = {"encoder_factory": _hashing_384} if encoder == "hashing" else {}
        result = scan_with_ray(folder, config=config, n_workers=2, **factory)
    seconds = time.perf_counter() - t
    stop.set()
    sampler.join()
    write_scan(result, Path(out))
    digests = {
        name: hashlib.sha256((Path(out) / name).read_bytes()).hexdigest()[:16]
        for name in ("pairs.jsonl", "groups.jsonl", "documents.jsonl")
    }
    row = {
        "seconds": round(seconds, 1),
        "load_avg_1min_after": round(os.getloadavg()[0], 1),
        "model_load_s": round(load_s, 1),
        "driver_peak_rss_mib": round(_vmhwm_mib()),
        "system_peak_used_mib_above_start": round(peak[0] - base),
        "n_docs": result.stats["n_docs"],
        "n_sentences": result.stats["n_sentences"],
        "n_pairs": len(result.pairs),
        "stage_seconds": result.stats["seconds"],
        "digests": digests,
    }
    print(json.dumps(row))


def _hashing_384():  # noqa: ANN202  (module-level, so Ray can pickle it by reference)
    from dedup.encoders.base import HashingEncoder

    return HashingEncoder(dim=384)


def compare(folder: Path, encoder: str, timeout: float) -> dict:
    rows = {}
    backends = ("local", "ray") if encoder == "hashing" else ("local", "local-1thread", "ray")
    for backend in backends:
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, __file__, "--child", backend, str(folder), encoder, out]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
            if done.returncode != 0:
                raise RuntimeError(f"{backend} child failed:\n{done.stderr[-3000:]}")
            rows[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        print(backend, encoder, rows[backend], flush=True)
    rows["time_ratio_ray_over_local"] = round(rows["ray"]["seconds"] / rows["local"]["seconds"], 2)
    rows["identical_outputs"] = all(rows[b]["digests"] == rows["local"]["digests"] for b in backends)
    if "local-1thread" in rows:
        rows["time_ratio_ray_over_local_1thread"] = round(
            rows["ray"]["seconds"] / rows["local-1thread"]["seconds"], 2
        )
    return rows


def estimate(results: dict, cores_per_node: int = 32, nodes: int = 32) -> dict:
    """Paper estimate for 1M and 100M articles on ``nodes`` x ``cores_per_node`` from per-core rates.

    Worker side (read, language ID, splitting, embedding) scales with cores: rates come from the
    1-thread local run (one core). Head side is measured in the 10k HashingEncoder run and
    extrapolated: the corpus build's margin denominators (exact k-NN over all sentences) grow with
    n_sentences^2, scoring with the number of candidate pairs (top_k per document), clustering with edges.
    """
    one = results["model"]["local-1thread"]
    st = one["stage_seconds"]
    n_docs, n_sent = one["n_docs"], one["n_sentences"]
    sent_per_doc_here = n_sent / n_docs
    embed_rate = n_sent / st["embed"]  # sentences / s / core
    prep_rate = n_docs / (st["ingest"] + st["langid_segment"])  # documents / s / core
    big = results["hashing"]["ray"]
    hst, h_sent, h_docs = big["stage_seconds"], big["n_sentences"], big["n_docs"]
    a = {
        "nodes": nodes,
        "cores_per_node": cores_per_node,
        "sentences_per_article": 20,
        "token_factor": 1.7,
        "top_k": 20,
    }
    cores = nodes * cores_per_node
    out: dict = {
        "assumptions": a
        | {
            "note": "real news sentences have ~1.7x the tokens of these synthetic ones (embedding cost "
            "~ tokens); read+langid per core measured with boilerplate removal included; head-node "
            "numbers extrapolate this run's single-process stages"
        },
        "measured_per_core": {
            "embed_sentences_per_s": round(embed_rate, 1),
            "read_langid_split_docs_per_s": round(prep_rate, 1),
            "synthetic_sentences_per_doc": round(sent_per_doc_here, 1),
        },
        "measured_head_10k": {k: hst[k] for k in ("corpus", "index", "score", "cluster")}
        | {"n_docs": h_docs, "n_sentences": h_sent},
    }
    for n in (1_000_000, 100_000_000):
        sentences = n * a["sentences_per_article"]
        embed_h = sentences * a["token_factor"] / (embed_rate * cores) / 3600
        prep_h = n / (prep_rate * cores) / 3600
        out[f"articles_{n:_}"] = {
            "workers_wall_hours": round(embed_h + prep_h, 2),
            "articles_per_s_cluster": round(n / ((embed_h + prep_h) * 3600)),
            "embeddings_gb_float32_384d": round(sentences * 384 * 4 / 1e9, 1),
            "head_corpus_knn_hours_exact_single_process": round(
                hst["corpus"] * (sentences / h_sent) ** 2 / 3600
            ),
            "head_score_hours_single_process": round(hst["score"] * (n / h_docs) / 3600, 1),
            "head_score_hours_partitioned_over_cluster": round(hst["score"] * (n / h_docs) / cores / 3600, 3),
            "candidate_pairs": n * a["top_k"],
        }
    return out


def summary(results: dict) -> str:
    lines = ["| run | backend | seconds | driver peak RSS MiB | system peak used MiB | same output |"]
    lines.append("|---|---|---|---|---|---|")
    for key in ("hashing", "model"):
        r = results.get(key)
        if not r:
            continue
        for backend in ("local", "local-1thread", "ray"):
            if backend in r:
                b = r[backend]
                lines.append(
                    f"| {key}: {b['n_docs']} docs, {b['n_sentences']} sentences | {backend} | "
                    f"{b['seconds']} | "
                    f"{b['driver_peak_rss_mib']} | {b['system_peak_used_mib_above_start']} | "
                    f"{r['identical_outputs']} |"
                )
    est = results.get("cluster_estimate")
    if est:
        lines.append("")
        lines.append(json.dumps(est, indent=1, sort_keys=True))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--model-docs", type=int, default=1_000)
    parser.add_argument("--skip-model", action="store_true")
    parser.add_argument("--skip-hashing", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--child", nargs=4, metavar=("BACKEND", "FOLDER", "ENCODER", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_hashing:
            folder = Path(tmp) / "hashing"
            write_folder(folder, args.docs)
            results["hashing"] = compare(folder, "hashing", args.timeout)
        if not args.skip_model:
            folder = Path(tmp) / "model"
            write_folder(folder, args.model_docs, seed=1)
            results["model"] = compare(folder, "model", args.timeout)
    if "model" in results and "local-1thread" in results["model"] and "hashing" in results:
        results["cluster_estimate"] = estimate(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(summary(results))


if __name__ == "__main__":
    main()
