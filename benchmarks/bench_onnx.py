"""(e) Encoder variants: torch dynamic int8, ONNX Runtime fp32 / int8 vs the model as built (torch fp32).

Exports the BertModel under ``dedup.encoders.torch_encoder.load_model()`` with ``torch.onnx.export``
(dynamic batch and sequence axes; ``dedup.build.onnx_export.export_onnx_fp32``) and builds these int8
variants with ``onnxruntime.quantization`` (int8 weights, per channel):

* ``ort_int8_dynamic_default``: ``quantize_dynamic`` with default op types (MatMul and embedding Gathers);
* ``ort_int8_dynamic_mm_excl_l4ffn_bs1``: ``quantize_dynamic`` of the weight MatMuls only, with layer 4's
  FFN output projection left in fp32 (the most sensitive MatMul, by per-layer measurement), always run
  one sentence per batch: dynamic quantisation takes one activation scale over the whole batch, so only
  batch size 1 makes a sentence's vector independent of what it is batched with. Since adopted as the
  default encoder: built by ``dedup.build.onnx_export.quantise_int8`` and run by its ``OnnxEncoder``;
* ``ort_int8_static_qdq_excl_ffnout``: ``quantize_static`` (QDQ, MinMax calibration on 200 seeded
  dev-hard sentences, one per batch) of the weight MatMuls, all 12 FFN output projections left in fp32;
  fixed activation scales, so vectors do not depend on batch composition.

On all dev-hard sentences (``split_sentences`` of ../shared/eval/dev-hard/docs, as ``bench_speed``
collects them; ``--n`` keeps the first n) it measures for each variant: sentences/s at the variant's
batch size (length-sorted batches, as the scan does; best of ``--rounds`` rounds over ``--time-n`` evenly
spaced sentences, all variants interleaved in each round, after a warm-up batch), cosine vs torch fp32
(min, 0.1st percentile, mean, count < 0.99), and batch dependence (min cosine and max abs difference
between the same ``--dep-n`` evenly spaced sentences encoded at batch size 1 and at 32, each batch of 32
length-sorted as in the scan). ``torch_fp32`` is timed in the same run, so ``speed_vs_torch_fp32`` is a
same-run ratio; the 1-minute load average before and after the timing rounds is recorded because the
machine is shared. With ``--f1`` the variants that meet the bar (min cosine >= 0.99 and batch
dependence <= 1e-5 max abs) are plugged into ``dedup.runners.local.scan`` as a
:class:`dedup.encoders.base.Encoder` and dev-hard pairwise F1 is scored against gold
(torch fp32 as reference).
Results: ``benchmarks/results/onnx.json``.

Run: .venv/bin/python benchmarks/bench_onnx.py [--n N] [--f1] [--rounds R] [--time-n N] [--dep-n N]
     [--work-dir DIR] [--variants NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.build.onnx_export import L4_FFN_OUT, export_onnx_fp32, quantise_int8
from dedup.encoders.onnx import open_onnx_encoder

ROOT = Path(__file__).resolve().parent.parent
DEV_HARD = ROOT.parent / "shared" / "eval" / "dev-hard"
OUT = ROOT / "benchmarks" / "results" / "onnx.json"
COS_BAR = 0.99
BATCH_DEP_BAR = 1e-5  # max abs difference between a vector encoded at batch size 1 and at 32
THREADS = 2


class OrtEncoder:
    """A batched :class:`dedup.encoders.base.Encoder` over an ONNX BertModel: mean pooling, L2 normalisation.

    For the variants that run in padded batches; the adopted one-sentence-per-call variant uses the
    package's :class:`dedup.encoders.onnx.OnnxEncoder`.
    """

    def __init__(
        self,
        path: Path,
        tokenizer: Any,
        *,
        name: str,
        prefix: str = "query: ",
        threads: int = THREADS,
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = tokenizer
        self.name = name
        self.prefix = prefix

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        texts = [self.prefix + s for s in sentences]
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        lengths = [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]
        order = np.argsort([-n for n in lengths], kind="stable")
        out = np.empty((len(texts), 0), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            enc = self.tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=512, return_tensors="np"
            )
            feed = {k: v.astype(np.int64) for k, v in enc.items() if k in self.inputs}
            if "token_type_ids" in self.inputs and "token_type_ids" not in feed:
                feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
            hidden = self.session.run(None, feed)[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            vecs = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            if out.shape[1] == 0:
                out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
            out[idx] = vecs
        return out


class FixedBatch:
    """Wraps an encoder so every call uses one batch size."""

    def __init__(self, encoder: Any, batch_size: int) -> None:
        self.encoder = encoder
        self.batch_size = batch_size
        self.name = getattr(encoder, "name", "encoder")

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        return self.encoder.encode(sentences, batch_size=self.batch_size)


def _weight_matmuls(fp32: Path) -> list[str]:
    import onnx

    graph = onnx.load(str(fp32), load_external_data=False).graph
    weights = {t.name for t in graph.initializer}
    return [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights]


def quantise_dynamic_default(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)


def quantise_static_excl_ffn_out(
    fp32: Path, out: Path, sentences: Sequence[str], tokenizer: Any, *, n_calib: int = 200, seed: int = 0
) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    calib = random.Random(seed).sample(list(sentences), min(n_calib, len(sentences)))

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(calib)

        def get_next(self) -> dict[str, Any] | None:
            s = next(self.it, None)
            if s is None:
                return None
            e = tokenizer(["query: " + s], truncation=True, max_length=512, return_tensors="np")
            ids = e["input_ids"].astype(np.int64)
            return {
                "input_ids": ids,
                "attention_mask": e["attention_mask"].astype(np.int64),
                "token_type_ids": np.zeros_like(ids),
            }

    ffn_out = [n for n in _weight_matmuls(fp32) if "/output/dense/" in n and "attention" not in n]
    quantize_static(
        str(fp32),
        str(out),
        Reader(),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=ffn_out,
        calibrate_method=CalibrationMethod.MinMax,
        extra_options={"MatMulConstBOnly": True},
    )


def dev_hard_f1(encoder: Any, *, use_cache: bool = False) -> float:
    from dedup.config import ScanConfig
    from dedup.evaluation.grouping import score_grouping
    from dedup.evaluation.readers import read_gold
    from dedup.runners.local import scan

    result = scan(DEV_HARD / "docs", config=ScanConfig(use_cache=use_cache), encoder=encoder)
    gold = read_gold(DEV_HARD / "gold.tsv", hard_negatives=DEV_HARD / "hard_negatives.tsv")
    return round(float(score_grouping(gold, result.groups).pairwise.f1), 4)


def measure(
    encoder: Any, sentences: list[str], batch_size: int, ref: Any, dep: npt.NDArray[np.intp]
) -> tuple[dict[str, Any], Any]:
    """Cosine vs ``ref`` on all ``sentences``; batch dependence on the subset ``dep`` (indices)."""
    emb = encoder.encode(sentences, batch_size=batch_size)
    subset = [sentences[i] for i in dep]
    at1 = emb[dep] if batch_size == 1 else encoder.encode(subset, batch_size=1)
    at32 = encoder.encode(subset, batch_size=32)
    row: dict[str, Any] = {
        "batch_size": batch_size,
        "n_sentences": len(sentences),
        "batch_dep_n_sentences": len(dep),
        "batch_dep_min_cos_bs1_vs_bs32": round(float(np.sum(at1 * at32, axis=1).min()), 7),
        "batch_dep_max_abs_bs1_vs_bs32": float(f"{float(np.abs(at1 - at32).max()):.3g}"),
    }
    if ref is not None:
        cos = np.sum(emb * ref, axis=1)
        row |= {
            "min_cos_vs_fp32": round(float(cos.min()), 4),
            "p0_1_cos_vs_fp32": round(float(np.quantile(cos, 0.001)), 4),
            "mean_cos_vs_fp32": round(float(cos.mean()), 5),
            "n_below_0_99": int((cos < COS_BAR).sum()),
        }
    return row, emb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=0, help="first n dev-hard sentences (0 = all)")
    ap.add_argument("--f1", action="store_true", help="dev-hard scans for variants that meet the bar")
    ap.add_argument("--work-dir", type=Path, help="keep / reuse the .onnx files here (default: a temp dir)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (best of)")
    ap.add_argument("--time-n", type=int, default=1000, help="sentences timed per round (evenly spaced)")
    ap.add_argument(
        "--dep-n", type=int, default=500, help="sentences in the batch-dependence check (0 = all)"
    )
    ap.add_argument("--variants", nargs="*", help="subset of variant names (torch_fp32 always runs)")
    args = ap.parse_args()

    import torch

    from dedup.build.paths import model_dir
    from dedup.config import ScanConfig
    from dedup.encoders.torch_encoder import SentenceTransformerEncoder, load_model

    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_speed import _sentences

    torch.manual_seed(0)
    torch.set_num_threads(THREADS)
    model = load_model()
    sentences = _sentences(DEV_HARD / "docs", ScanConfig())
    all_sentences = sentences
    if args.n:
        sentences = sentences[: args.n]
    tok = model.tokenizer
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        fp32 = work / "fp32.onnx"
        builds: dict[str, Callable[[Path], None]] = {
            "int8_dynamic_default.onnx": lambda p: quantise_dynamic_default(fp32, p),
            "int8_dynamic_mm_excl_l4ffn.onnx": lambda p: quantise_int8(fp32, p),
            "int8_static_qdq_excl_ffnout.onnx": lambda p: quantise_static_excl_ffn_out(
                fp32, p, all_sentences, tok
            ),
        }
        build_s: dict[str, float] = {}
        if not fp32.exists():
            t = time.perf_counter()
            export_onnx_fp32(model, fp32)
            build_s["fp32.onnx"] = round(time.perf_counter() - t, 1)
        for name, build in builds.items():
            if not (work / name).exists():
                t = time.perf_counter()
                build(work / name)
                build_s[name] = round(time.perf_counter() - t, 1)

        def ort(name: str, **kw: Any) -> Any:
            return OrtEncoder(work / name, tok, name=name.removesuffix(".onnx"), **kw)

        # name -> (encoder factory, batch size, onnx file, settings)
        variants: dict[str, tuple[Callable[[], Any], int, str | None, str]] = {
            "torch_fp32": (lambda: SentenceTransformerEncoder(model), 32, None, "the model as built"),
            "torch_dynamic_int8": (
                lambda: SentenceTransformerEncoder(
                    torch.quantization.quantize_dynamic(load_model(), {torch.nn.Linear}, dtype=torch.qint8)
                ),
                32,
                None,
                "torch.quantization.quantize_dynamic({nn.Linear}, qint8)",
            ),
            "ort_fp32": (lambda: ort("fp32.onnx"), 32, "fp32.onnx", "torch.onnx.export opset 17"),
            "ort_int8_dynamic_default": (
                lambda: ort("int8_dynamic_default.onnx"),
                32,
                "int8_dynamic_default.onnx",
                "quantize_dynamic(weight_type=QInt8, per_channel=True); MatMul + Gather",
            ),
            "ort_int8_dynamic_mm_excl_l4ffn_bs1": (
                # the package's encoder (dedup.encoders.onnx), one sentence per call
                lambda: open_onnx_encoder(
                    work / "int8_dynamic_mm_excl_l4ffn.onnx", model_dir(), name="ort-int8", n_threads=THREADS
                ),
                1,
                "int8_dynamic_mm_excl_l4ffn.onnx",
                "quantize_dynamic(weight_type=QInt8, per_channel=True, op_types_to_quantize=['MatMul'], "
                f"nodes_to_exclude=['{L4_FFN_OUT}']); MatMulConstBOnly (default); batch size 1",
            ),
            "ort_int8_static_qdq_excl_ffnout": (
                lambda: ort("int8_static_qdq_excl_ffnout.onnx"),
                32,
                "int8_static_qdq_excl_ffnout.onnx",
                "quantize_static(QDQ, MinMax on 200 dev-hard sentences (seed 0, batch 1), "
                "activations QUInt8, weights QInt8 per channel, op_types_to_quantize=['MatMul'], "
                "MatMulConstBOnly, nodes_to_exclude = the 12 FFN output MatMuls)",
            ),
        }
        wanted = ["torch_fp32", *(args.variants or [v for v in variants if v != "torch_fp32"])]
        n_dep = args.dep_n or len(sentences)
        dep = np.arange(len(sentences))[:: max(1, len(sentences) // n_dep)][:n_dep]
        rows: dict[str, Any] = {}
        encoders: dict[str, Any] = {}
        ref = None
        for name in wanted:
            factory, bs, path, settings = variants[name]
            enc = factory()
            encoders[name] = FixedBatch(enc, bs)
            row, emb = measure(enc, sentences, bs, ref, dep)
            ref = emb if ref is None else ref
            row["settings"] = settings
            if path:
                row["file_mib"] = round((work / path).stat().st_size / 2**20, 1)
            rows[name] = row
            print(name, row, flush=True)
        # timing: every variant once per round, interleaved, best of rounds (the machine is shared)
        step = max(1, len(sentences) // max(1, args.time_n))
        timed = sentences[::step][: args.time_n]
        for name in wanted:
            encoders[name].encode(timed[:32])  # warm up
        times: dict[str, list[float]] = {name: [] for name in wanted}
        load_before = os.getloadavg()
        for _ in range(args.rounds):
            for name in wanted:
                t = time.perf_counter()
                encoders[name].encode(timed)
                times[name].append(round(time.perf_counter() - t, 2))
        load_after = os.getloadavg()
        for name in wanted:
            rows[name] |= {
                "sent_per_s": round(len(timed) / min(times[name]), 1),
                "timed_sentences": len(timed),
                "timing_rounds_s": times[name],
            }
            print(name, rows[name]["sent_per_s"], times[name], flush=True)
        base = rows["torch_fp32"]["sent_per_s"]
        for name, row in rows.items():
            row["speed_vs_torch_fp32"] = round(row["sent_per_s"] / base, 2)
            if name != "torch_fp32":
                row["meets_bar"] = (
                    row["min_cos_vs_fp32"] >= COS_BAR
                    and row["batch_dep_max_abs_bs1_vs_bs32"] <= BATCH_DEP_BAR
                )
        if args.f1:
            for name, row in rows.items():
                if name == "torch_fp32" or row.get("meets_bar"):
                    t = time.perf_counter()
                    # torch fp32 through the default embedding cache (identical vectors)
                    row["dev_hard_pairwise_f1"] = dev_hard_f1(encoders[name], use_cache=name == "torch_fp32")
                    row["dev_hard_scan_s"] = round(time.perf_counter() - t, 1)
                    print(name, "F1", row["dev_hard_pairwise_f1"], flush=True)
    results = {
        "variants": rows,
        "build_s": build_s,
        "bar": {"min_cos_vs_fp32": COS_BAR, "batch_dep_max_abs": BATCH_DEP_BAR},
        "intra_op_threads": THREADS,
        "loadavg_1min_before_after_timing": [round(load_before[0], 2), round(load_after[0], 2)],
        "note": "benchmarks/bench_onnx.py; all ratios from one run; nothing adopted by default",
    }
    OUT.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
