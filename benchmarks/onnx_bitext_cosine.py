"""Held-out check of the ORT int8 variant chosen on dev-hard: cosine vs torch fp32 on bitext sentences.

The variant (dynamic int8 on MatMuls, layer 4's FFN output left fp32, one sentence per call) was
picked on dev-hard by ``benchmarks/bench_onnx.py``; this encodes 150 seeded pairs per language of
``../shared/eval/bitext`` (both sides, 1,800 sentences) with it and with the model as built, and
prints min / mean cosine and the count below 0.99 per language.

Run: .venv/bin/python -m benchmarks.onnx_bitext_cosine --onnx FILE, where FILE is the default encoder's
``model-int8.onnx`` (``dedup model build``; see ``dedup.build.onnx_export.onnx_model_dir``) or the
``int8_dynamic_mm_excl_l4ffn.onnx`` that ``bench_onnx.py --work-dir WORK_DIR`` writes.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from dedup.encoders.onnx import open_onnx_encoder

BITEXT = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "bitext"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", type=Path, required=True)
    ap.add_argument("--per-language", type=int, default=150)
    args = ap.parse_args()

    from dedup.build.paths import model_dir
    from dedup.encoders.torch_encoder import SentenceTransformerEncoder, load_model

    model = load_model()
    fp32 = SentenceTransformerEncoder(model)
    int8 = open_onnx_encoder(args.onnx, model_dir(), name="ort-int8")
    rng = np.random.default_rng(0)
    every = []
    for tsv in sorted(BITEXT.glob("*.tsv")):
        with open(tsv, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        pick = rng.choice(len(rows), size=min(args.per_language, len(rows)), replace=False)
        sentences = [rows[i]["src"] for i in pick] + [rows[i]["eng"] for i in pick]
        cos = np.sum(fp32.encode(sentences) * int8.encode(sentences), axis=1)
        every.append(cos)
        print(
            f"{tsv.stem}: {len(cos)} sentences, min {cos.min():.4f}, mean {cos.mean():.4f}, "
            f"below 0.99: {int((cos < 0.99).sum())}"
        )
    cos = np.concatenate(every)
    print(f"all: {len(cos)} sentences, min {cos.min():.4f}, below 0.99: {int((cos < 0.99).sum())}")


if __name__ == "__main__":
    main()
