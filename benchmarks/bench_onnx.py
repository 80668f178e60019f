"""(e) Encoder variants: ONNX Runtime fp32 and dynamic int8 against the model as built (torch fp32).

Exports the BertModel under ``dedup.model.load_model()`` with ``torch.onnx.export`` (dynamic batch
and sequence axes), quantises it with ``onnxruntime.quantization.quantize_dynamic`` (int8 weights,
per channel), and on ~500 dev-hard sentences (``split_sentences`` of ../shared/eval/dev-hard/docs)
measures sentences/s (batches of 32, sorted by length, as the scan does) and cosine vs torch fp32;
then plugs each ONNX variant into ``dedup.pipeline.scan`` as an :class:`dedup.embed.Encoder` and
scores dev-hard pairwise F1 against gold. Nothing is adopted: results go to
``benchmarks/results/speed.json`` under ``e_encoder_variants``.

Run: .venv/bin/python benchmarks/bench_onnx.py [--no-f1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
DEV_HARD = ROOT.parent / "shared" / "eval" / "dev-hard"
OUT = ROOT / "benchmarks" / "results" / "speed.json"


class OrtEncoder:
    """A :class:`dedup.embed.Encoder` over an ONNX BertModel: mean pooling, L2 normalisation."""

    def __init__(
        self, path: Path, tokenizer: Any, *, name: str, prefix: str = "query: ", threads: int = 2
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


def export(model: Any, folder: Path) -> tuple[Path, Path]:
    """Write ``fp32.onnx`` and ``int8.onnx`` (dynamic, per-channel) of the model's BertModel."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    bert = model[0].auto_model.eval()

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                return_dict=False,
            )[0]

    enc = model.tokenizer(["query: a short example sentence."], return_tensors="pt")
    args = (
        enc["input_ids"],
        enc["attention_mask"],
        enc.get("token_type_ids", torch.zeros_like(enc["input_ids"])),
    )
    fp32 = folder / "fp32.onnx"
    axes = {0: "batch", 1: "seq"}
    torch.onnx.export(
        Wrapped(),
        args,
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            "input_ids": axes,
            "attention_mask": axes,
            "token_type_ids": axes,
            "last_hidden_state": axes,
        },
        opset_version=17,
        dynamo=False,
    )
    int8 = folder / "int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    return fp32, int8


def dev_hard_f1(encoder: Any, *, use_cache: bool = False) -> float:
    from dedup.config import ScanConfig
    from dedup.evaluate import read_gold, score_grouping
    from dedup.pipeline import scan

    result = scan(DEV_HARD / "docs", config=ScanConfig(use_cache=use_cache), encoder=encoder)
    gold = read_gold(DEV_HARD / "gold.tsv", hard_negatives=DEV_HARD / "hard_negatives.tsv")
    return round(float(score_grouping(gold, result.groups).pairwise.f1), 4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-f1", action="store_true", help="skip the dev-hard scans")
    ap.add_argument("--n", type=int, default=500, help="sentences timed")
    args = ap.parse_args()

    from dedup.config import ScanConfig
    from dedup.embed import SentenceTransformerEncoder
    from dedup.model import load_model

    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_speed import _sentences

    model = load_model()
    sentences = _sentences(DEV_HARD / "docs", ScanConfig())[: args.n]
    torch_fp32 = SentenceTransformerEncoder(model)
    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        fp32_path, int8_path = export(model, Path(tmp))
        export_s = time.perf_counter() - t
        variants = {
            "torch_fp32": torch_fp32,
            "onnxruntime_fp32": OrtEncoder(fp32_path, model.tokenizer, name="ort-fp32"),
            "onnxruntime_int8": OrtEncoder(int8_path, model.tokenizer, name="ort-int8-dynamic-per-channel"),
        }
        sizes = {"onnxruntime_fp32": fp32_path.stat().st_size, "onnxruntime_int8": int8_path.stat().st_size}
        ref = None
        for name, enc in variants.items():
            enc.encode(sentences[:32])  # warm up
            t = time.perf_counter()
            emb = enc.encode(sentences)
            secs = time.perf_counter() - t
            ref = emb if ref is None else ref
            cos = np.sum(emb * ref, axis=1)
            rows[name] = {
                "sent_per_s": round(len(sentences) / secs, 1),
                "min_cos_vs_fp32": round(float(cos.min()), 4),
                "mean_cos_vs_fp32": round(float(cos.mean()), 4),
                "n_sentences": len(sentences),
            }
            if name in sizes:
                rows[name]["file_mib"] = round(sizes[name] / 2**20, 1)
            print(name, rows[name], flush=True)
        rows["onnx_export_and_quantise_s"] = round(export_s, 1)
        if not args.no_f1:
            for name in ("onnxruntime_int8", "torch_fp32"):
                t = time.perf_counter()
                # torch fp32 through the default embedding cache (identical vectors, already filled)
                rows[name]["dev_hard_pairwise_f1"] = dev_hard_f1(
                    variants[name], use_cache=name == "torch_fp32"
                )
                rows[name]["dev_hard_scan_s"] = round(time.perf_counter() - t, 1)
                print(name, rows[name], flush=True)
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    e = results.setdefault("e_encoder_variants", {})
    e.pop("onnxruntime_int8", None)
    e.update({k: v for k, v in rows.items() if k != "torch_fp32"})
    e["torch_fp32_same_run"] = rows["torch_fp32"]
    e["onnx_note"] = (
        "benchmarks/bench_onnx.py: ONNX Runtime measured in one run with torch fp32 "
        "(torch_fp32_same_run); nothing adopted by default"
    )
    OUT.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
