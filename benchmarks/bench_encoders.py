"""(a) Encoders side by side in one run: dedup's, the sentence-transformers ONNX int8 peer, torch fp32.

On the same dev-hard sentences (``--n``, a seeded sample of the distinct sentences that
``split_sentences`` gives for ../shared/eval/dev-hard/docs), in one run; the encoders take turns on
each block of ``--block`` sentences (order rotating) and their times are summed, because the machine
is shared and its load changes by the second (the 1-minute load average is recorded):

* ``onnx-int8`` (dedup's default: int8 dynamic, one sentence per call);
* ``onnx-int8-batched`` (int8 with calibrated static activation scales, batched;
  :mod:`dedup.encoders.onnx_batched`), given each block in one call (a scan's embedding cache hands
  it at most 256 sentences at a time);
* ``torch`` (fp32 sentence-transformers, batch 32, token-sorted: the reference vectors);
* ``peer``: sentence-transformers ``backend="onnx"`` + its ``export_dynamic_quantized_onnx_model(...,
  "avx512_vnni")``, built from our own model folder and run in its own venv by
  ``benchmarks/peer_worker.py`` (``--peer-python``; see that file for the venv), ``encode(batch_size=32)``.

For each: sentences/s, speed relative to the peer and to torch fp32 (summed times, and the median
over blocks of the per-block ratio), cosine to torch fp32 (min, mean,
count < 0.99); for ``onnx-int8-batched`` how many of ``--dep-n`` sentences give identical bytes alone
and inside the full run's batches. With ``--bitext``: top-1 retrieval on ../shared/eval/bitext/*.tsv
(both directions, mean over languages) for torch fp32 and dedup's encoders.

Results: benchmarks/results/encoders.json.
Run: .venv/bin/python -m benchmarks.bench_encoders [--n 2000] [--rounds 2] [--block 250] [--bitext]
     [--peer-python .venv-peer/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEV_HARD = ROOT.parent / "shared" / "eval" / "dev-hard"
BITEXT = ROOT.parent / "shared" / "eval" / "bitext"
OUT = ROOT / "benchmarks" / "results" / "encoders.json"


class Peer:
    """The peer's worker process (another venv); ``encode`` returns (vectors, seconds)."""

    def __init__(self, python: str, model_dir: Path, work: Path, sentences: list[str]) -> None:
        self.work = work
        (work / "sentences.json").write_text(json.dumps(sentences), encoding="utf-8")
        self.proc = subprocess.Popen(
            [python, str(ROOT / "benchmarks" / "peer_worker.py"), str(model_dir), str(work),
             str(work / "sentences.json")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "OMP_NUM_THREADS": str(len(os.sched_getaffinity(0)))},
        )
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"peer worker did not start (said {line!r}); see benchmarks/peer_worker.py")

    def encode(self, start: int, stop: int) -> tuple[np.ndarray, float]:
        self.proc.stdin.write(f"run {start} {stop}\n")
        self.proc.stdin.flush()
        seconds = json.loads(self.proc.stdout.readline())["seconds"]
        return np.load(self.work / "peer.npy"), seconds

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _sentences(n: int, seed: int = 0) -> list[str]:
    from benchmarks.bench_speed import _sentences as dev_hard_sentences
    from dedup.config import ScanConfig

    every = dev_hard_sentences(DEV_HARD / "docs", ScanConfig())
    if n and n < len(every):
        pick = np.random.default_rng(seed).choice(len(every), n, replace=False)
        every = [every[i] for i in sorted(pick)]
    return every


def _chunked(encoder, size: int):  # noqa: ANN001, ANN202
    def encode(sentences: list[str]) -> np.ndarray:
        parts = [encoder.encode(sentences[k : k + size]) for k in range(0, len(sentences), size)]
        return np.concatenate(parts)

    return encode


def _bitext(encoders: dict) -> dict:  # noqa: ANN001
    from dedup.evaluation.assess import evaluate_bitext

    out = {}
    files = sorted(BITEXT.glob("*-eng.tsv"))
    for name, enc in encoders.items():
        per = evaluate_bitext(files, encoder=enc)
        mean = {d: round(float(np.mean([v[d] for v in per.values()])), 4) for d in ("src2eng", "eng2src")}
        out[name] = {"per_language": per, "mean": mean}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--block", type=int, default=250, help="sentences per turn (and per encode call)")
    ap.add_argument("--dep-n", type=int, default=300)
    ap.add_argument("--bitext", nargs="*", metavar="ENCODER",
                    help="bitext top-1 for these encoders (onnx-int8-batched, onnx-int8, torch fp32; "
                         "none named: all three)")
    ap.add_argument("--peer-python",
                    default=os.environ.get("DEDUP_PEER_PYTHON", str(ROOT / ".venv-peer" / "bin" / "python")))
    args = ap.parse_args()

    from dedup.build.paths import default_home, model_dir
    from dedup.encoders.loading import load_encoder
    from dedup.encoders.torch_encoder import SentenceTransformerEncoder, load_model

    sentences = _sentences(args.n)
    torch_enc = SentenceTransformerEncoder(load_model())
    default = load_encoder("onnx-int8")
    batched = load_encoder("onnx-int8-batched")
    runs = {
        "onnx-int8": lambda s: default.encode(s),
        "onnx-int8-batched": lambda s: batched.encode(s),
        "torch fp32": lambda s: torch_enc.encode(s, batch_size=32),
    }
    for run in runs.values():  # warm-up, as the peer's worker does
        run(sentences[:32])
    work = default_home() / "bench-peer"  # the peer's build is kept here between runs
    work.mkdir(parents=True, exist_ok=True)
    peer = Peer(args.peer_python, model_dir(), work, sentences)
    names = ["peer", *runs]
    # The machine is shared and its load changes by the second, so the encoders take turns on each
    # block of --block sentences (the order rotating), and each one's time is summed over all blocks.
    blocks = [(k, min(k + args.block, len(sentences))) for k in range(0, len(sentences), args.block)]
    seconds = {k: 0.0 for k in names}
    per_block: list[dict[str, float]] = []
    parts: dict[str, list[np.ndarray]] = {k: [] for k in names}
    load = [os.getloadavg()[0]]
    turn = 0
    for r in range(args.rounds):
        for start, stop in blocks:
            per_block.append({})
            for name in names[turn % len(names):] + names[: turn % len(names)]:
                if name == "peer":
                    vecs, took = peer.encode(start, stop)
                else:
                    t = time.perf_counter()
                    vecs = runs[name](sentences[start:stop])
                    took = time.perf_counter() - t
                seconds[name] += took
                per_block[-1][name] = round(took, 3)
                if r == 0:
                    parts[name].append(np.asarray(vecs, dtype=np.float32))
            turn += 1
        rates = ", ".join(f"{k} {len(sentences) * (r + 1) / v:.1f}/s" for k, v in seconds.items())
        print(f"after round {r}: {rates}", flush=True)
    load.append(os.getloadavg()[0])
    peer.close()
    vectors = {k: np.concatenate(v) for k, v in parts.items()}
    n_encoded = len(sentences) * args.rounds

    ref = vectors["torch fp32"]
    result: dict = {"encoders": {}}
    for name in names:
        cos = np.sum(vectors[name] * ref, axis=1)
        result["encoders"][name] = {
            "sentences_per_s": round(n_encoded / seconds[name], 1),
            "speed_vs_peer": round(seconds["peer"] / seconds[name], 3),
            "speed_vs_torch_fp32": round(seconds["torch fp32"] / seconds[name], 3),
            "median_block_speed_vs_peer": round(float(np.median([b["peer"] / b[name] for b in per_block])),
                                                3),
            "min_cos_vs_torch_fp32": round(float(cos.min()), 5),
            "mean_cos_vs_torch_fp32": round(float(cos.mean()), 5),
            "n_below_0_99": int((cos < 0.99).sum()),
        }
    dep = sentences[: args.dep_n]
    alone = np.stack([batched.encode([s])[0] for s in dep])
    in_run = vectors["onnx-int8-batched"][: args.dep_n]
    same = sum(a.tobytes() == b.tobytes() for a, b in zip(alone, in_run, strict=True))
    result["onnx-int8-batched_identical_alone_vs_batched"] = f"{same}/{len(dep)}"
    default_vs_batched = np.sum(vectors["onnx-int8"] * vectors["onnx-int8-batched"], axis=1)
    result["cos_onnx-int8_vs_onnx-int8-batched"] = {"min": round(float(default_vs_batched.min()), 5),
                                                     "mean": round(float(default_vs_batched.mean()), 5)}
    if args.bitext is not None:
        every = {"torch fp32": torch_enc, "onnx-int8": default, "onnx-int8-batched": batched}
        chosen = {k: v for k, v in every.items() if not args.bitext or k in args.bitext}
        result["bitext_top1"] = _bitext(chosen)
    result.update({
        "sentences": len(sentences),
        "mean_tokens": round(float(np.mean([len(e.ids) for e in batched.tokenizer.encode_batch(
            ["query: " + s for s in sentences])])), 1),
        "rounds": args.rounds,
        "block": args.block,
        "timing": "encoders take turns on each block of `block` sentences (one encode call each, order "
                  "rotating), seconds summed over all blocks and rounds; the peer in its own process and "
                  "venv; same machine, same sentences, one run",
        "loadavg_1min_before_after": [round(x, 2) for x in load],
        "machine": {"cores": len(os.sched_getaffinity(0)), "cpu": platform.processor() or platform.machine()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
