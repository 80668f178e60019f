"""(a) and (c) on a GPU machine: its GPU encoder against its CPU encoders, and a scan on each.

Two steps, because the GPU machine has no access to the data this one holds:

``prepare --out DIR`` (here) writes ``DIR/archive/*.txt``, a synthetic archive of ``--n-docs``
documents built from the WMT22-24 corpus (``models/wmt_documents.py`` output; nothing reads
../shared/eval): seeded stories, each as one to three translations (``models.archives.story_versions``),
reworked like archive pages (``models.rework``); and ``DIR/sentences.json``, the distinct sentences
a scan of it encodes.

``run --data DIR --out FILE`` (on the GPU machine, with the built model under ``$DEDUP_HOME``)
measures, in one run on one machine:

* sentences/s of the GPU encoder (``load_encoder(device="cuda")``: the fp32 model cast to bf16,
  batches of 256 sentences / 32,768 padded tokens), fed 256 sentences per call as a scan's
  embedding cache feeds it; the same cast model in batches of 1,024 / 131,072 tokens; the fp32 model
  on the GPU; and on ``--cpu-n`` of the sentences the CPU encoders of the same machine (the default
  ``onnx-int8-batched`` and torch fp32, all its cores);
* cosine of the GPU vectors to CPU fp32 (min, mean, count < 0.99), and how many of ``--dep-n``
  sentences give identical bytes alone and inside the run's batches;
* a scan of the archive (embedding cache off) with ``device="cuda"`` and with the CPU default: seconds
  per stage, the links (confidence >= 0.5) each finds, and the largest confidence difference on
  pairs both report;
* hours for 1M articles, from the measured rates and the archive's sentences per article.

``--device cpu`` runs the same steps with the bf16 cast made on the CPU (a dry run of the script).

Run:
    .venv/bin/python -m benchmarks.bench_gpu prepare --out .gpu/data [--n-docs 1000]
    python -m benchmarks.bench_gpu run --data .gpu/data --out benchmarks/results/gpu.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
WMT = Path("/work/data/wmt/wmt-docs.jsonl.gz")
CHUNK = 256  # sentences per encoder call in a scan (the embedding cache's chunk)


class _Null:
    """Encoder stand-in for reading an archive's sentences without encoding them."""

    name, dim = "null", 384

    def encode(self, sentences, *, batch_size: int = 32) -> np.ndarray:  # noqa: ANN001
        return np.zeros((len(sentences), self.dim), dtype=np.float32)


def prepare(out: Path, n_docs: int, wmt: Path) -> None:
    """Write ``out/archive/*.txt`` and ``out/sentences.json`` (see the module docstring)."""
    from dedup.config import ScanConfig
    from dedup.runners.prepare import embed_documents
    from models.archives import SEED, read_stories, story_versions
    from models.rework import rework

    rng = random.Random(f"{SEED}-gpu")
    stories = read_stories(wmt)
    keys = sorted(stories)
    rng.shuffle(keys)
    rarity: dict[str, float] = defaultdict(lambda: 1.0)
    texts: dict[str, str] = {}
    for key in keys:
        if len(texts) >= n_docs:
            break
        versions = story_versions(stories[key], rng, rarity)
        for version in versions[: n_docs - len(texts)]:
            texts[f"{len(texts):05d}-{version['lang']}"] = rework(
                version["segments"], rng, lang=version["lang"]
            )
    folder = out / "archive"
    folder.mkdir(parents=True, exist_ok=True)
    for doc_id, text in texts.items():
        (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    embedded = embed_documents(texts, config=ScanConfig(use_cache=False), encoder=_Null())
    sentences = sorted({s for doc in embedded.sentences for s in doc})
    random.Random(f"{SEED}-gpu-sentences").shuffle(sentences)
    (out / "sentences.json").write_text(json.dumps(sentences, ensure_ascii=False), encoding="utf-8")
    print(f"{len(texts)} documents, {len(sentences)} distinct sentences -> {out}", file=sys.stderr)


def _encode_in_chunks(encoder, sentences: list[str]) -> tuple[np.ndarray, float]:  # noqa: ANN001
    t = time.perf_counter()
    vecs = [encoder.encode(sentences[k : k + CHUNK]) for k in range(0, len(sentences), CHUNK)]
    return np.concatenate(vecs), time.perf_counter() - t


def _rate(n: int, seconds: float) -> dict:
    return {"sentences": n, "s": round(seconds, 3), "sentences_per_s": round(n / seconds, 1)}


def _cosines(a: np.ndarray, b: np.ndarray) -> dict:
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {
        "min": round(float(cos.min()), 4),
        "mean": round(float(cos.mean()), 5),
        "below_0.99": int((cos < 0.99).sum()),
    }


def _gpu_encoders(device: str):  # noqa: ANN202
    """(the GPU encoder dedup loads, the same cast model in bigger batches, the fp32 model there)."""
    import torch

    from dedup.encoders.loading import load_encoder
    from dedup.encoders.torch_encoder import SentenceTransformerEncoder, load_model

    if device == "cpu":  # dry run: the same cast, made on the CPU
        model = load_model(device="cpu").to(torch.bfloat16)
        encoder = SentenceTransformerEncoder(model, precision="bf16", batch_size=256, max_tokens=32_768)
    else:
        encoder = load_encoder(device=device)
    big = SentenceTransformerEncoder(
        encoder.model, precision=encoder.precision, batch_size=1024, max_tokens=131_072
    )
    fp32 = SentenceTransformerEncoder(load_model(device=device), batch_size=256, max_tokens=32_768)
    return encoder, big, fp32


def _links(result) -> dict[tuple[str, str], float]:  # noqa: ANN001
    return {tuple(sorted((p.doc_a, p.doc_b))): p.confidence for p in result.pairs}  # type: ignore[misc]


def _scan(folder: Path, device: str) -> tuple[dict, dict[tuple[str, str], float]]:
    from dedup.config import ScanConfig
    from dedup.runners.local import scan

    t = time.perf_counter()
    result = scan(folder, config=ScanConfig(use_cache=False, device=device))
    seconds = time.perf_counter() - t
    timings = {k: round(v, 2) for k, v in result.stats.get("seconds", {}).items()}
    pairs = _links(result)
    return (
        {
            "s": round(seconds, 2),
            "docs": len(result.documents),
            "stage_s": timings,
            "links": sum(c >= 0.5 for c in pairs.values()),
            "groups": len(result.groups),
        },
        pairs,
    )


def run(data: Path, out: Path, device: str, cpu_n: int, dep_n: int) -> dict:
    """Measure (see the module docstring); write the results to ``out`` and return them."""
    import onnxruntime
    import torch

    from dedup.build.hf_folder import build_model
    from dedup.encoders.loading import load_encoder
    from dedup.encoders.torch_encoder import SentenceTransformerEncoder, load_model

    sentences = json.loads((data / "sentences.json").read_text(encoding="utf-8"))

    def save() -> None:  # after each step, so a run cut short keeps what it measured
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        tmp.replace(out)

    n_docs = len(list((data / "archive").glob("*.txt")))
    results: dict = {
        "machine": {
            "device": torch.cuda.get_device_name(0) if device != "cpu" else "cpu (dry run)",
            "cpu_cores": len(os.sched_getaffinity(0)),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "onnxruntime": onnxruntime.__version__,
        },
        "archive": {
            "docs": n_docs,
            "distinct_sentences": len(sentences),
            "sentences_per_doc": round(len(sentences) / n_docs, 2),
        },
    }
    t = time.perf_counter()
    build_model()
    cpu_default = load_encoder()  # builds the int8 ONNX model on first use
    results["build_s"] = round(time.perf_counter() - t, 1)
    save()

    gpu, gpu_big, gpu_fp32 = _gpu_encoders(device)
    results["gpu_encoder"] = {"name": gpu.name, "variant": gpu.variant}
    for encoder in (gpu, gpu_big, gpu_fp32):  # warm-up: kernels, allocator
        encoder.encode(sentences[:512])
    speed: dict = {}
    gpu_vecs, s = _encode_in_chunks(gpu, sentences)
    speed["gpu_bf16_b256"] = _rate(len(sentences), s)
    _, s = _encode_in_chunks(gpu_big, sentences)
    speed["gpu_bf16_b1024_calls256"] = _rate(len(sentences), s)
    t = time.perf_counter()
    gpu_big.encode(sentences)
    speed["gpu_bf16_b1024_one_call"] = _rate(len(sentences), time.perf_counter() - t)
    _, s = _encode_in_chunks(gpu_fp32, sentences)
    speed["gpu_fp32_b256"] = _rate(len(sentences), s)

    sample = sentences[:cpu_n]
    cpu_default.encode(sample[:64])
    default_vecs, s = _encode_in_chunks(cpu_default, sample)
    speed["cpu_onnx_int8_batched"] = _rate(len(sample), s)
    cpu_fp32 = SentenceTransformerEncoder(load_model(device="cpu"))
    cpu_fp32.encode(sample[:64])
    fp32_vecs, s = _encode_in_chunks(cpu_fp32, sample)
    speed["cpu_torch_fp32"] = _rate(len(sample), s)
    base = speed["cpu_onnx_int8_batched"]["sentences_per_s"]
    results["speed"] = speed
    results["speed_vs_cpu_default"] = {k: round(v["sentences_per_s"] / base, 2) for k, v in speed.items()}
    save()

    results["cosine_to_cpu_fp32"] = {
        "gpu_bf16": _cosines(gpu_vecs[:cpu_n], fp32_vecs),
        "cpu_onnx_int8_batched": _cosines(default_vecs, fp32_vecs),
    }
    alone = np.concatenate([gpu.encode([s]) for s in sentences[:dep_n]])
    same = int(sum(np.array_equal(alone[i], gpu_vecs[i]) for i in range(dep_n)))
    results["gpu_batch_independence"] = {
        "sentences": dep_n,
        "identical_bytes": same,
        **_cosines(alone, gpu_vecs[:dep_n]),
    }
    save()

    scan_gpu, pairs_gpu = _scan(data / "archive", device)
    scan_cpu, pairs_cpu = _scan(data / "archive", "cpu")
    linked_gpu = {p for p, c in pairs_gpu.items() if c >= 0.5}
    linked_cpu = {p for p, c in pairs_cpu.items() if c >= 0.5}
    both = pairs_gpu.keys() & pairs_cpu.keys()
    results["scan"] = {
        "gpu": scan_gpu,
        "cpu_default": scan_cpu,
        "speedup": round(scan_cpu["s"] / scan_gpu["s"], 2),
        "links_in_both": len(linked_gpu & linked_cpu),
        "links_gpu_only": len(linked_gpu - linked_cpu),
        "links_cpu_only": len(linked_cpu - linked_gpu),
        "max_confidence_difference": round(
            max((abs(pairs_gpu[p] - pairs_cpu[p]) for p in both), default=0.0), 4
        ),
    }
    per_doc = len(sentences) / n_docs
    results["hours_per_1M_articles"] = {
        "encoder_only": {k: round(1e6 * per_doc / v["sentences_per_s"] / 3600, 2) for k, v in speed.items()},
        "scan_gpu": round(1e6 * scan_gpu["s"] / n_docs / 3600, 2),
        "scan_cpu_default": round(1e6 * scan_cpu["s"] / n_docs / 3600, 2),
        "note": "linear in articles: the scan's candidate search is n^2 but measured small next to encoding"
        " (bench_ann); per-article figures from this archive",
    }
    save()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--n-docs", type=int, default=1000)
    p.add_argument("--wmt-docs", type=Path, default=WMT)
    r = sub.add_parser("run")
    r.add_argument("--data", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--device", default="cuda")
    r.add_argument("--cpu-n", type=int, default=2000)
    r.add_argument("--dep-n", type=int, default=200)
    args = parser.parse_args(argv)
    if args.step == "prepare":
        prepare(args.out, args.n_docs, args.wmt_docs)
    else:
        results = run(args.data, args.out, args.device, args.cpu_n, args.dep_n)
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
