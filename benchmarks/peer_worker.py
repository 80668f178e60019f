"""The sentence-transformers ONNX int8 peer, run by ``benchmarks/bench_encoders.py`` in its own venv.

Needs ``sentence-transformers[onnx]`` (optimum-onnx), which pins transformers < 4.58 while dedup runs
on transformers 5, so it lives in a separate venv: ``python -m venv .venv-peer &&
.venv-peer/bin/pip install torch==2.13.0 'sentence-transformers[onnx]>=5,<6' onnxruntime==1.32.0``
(the ``peer`` extra in pyproject.toml; torch from the same wheel as the main venv; measured with
sentence-transformers 5.7.0, transformers 4.57.6, optimum-onnx 0.1.0). It imports nothing from
dedup. Built from our own model folder, never from a hub (``HF_HUB_OFFLINE=1``): the folder is
copied (weights linked), loaded with ``backend="onnx"`` (optimum's export), and quantised with
``export_dynamic_quantized_onnx_model(model, "avx512_vnni", folder)``, exactly what the
sentence-transformers documentation shows a user.

Protocol: ``peer_worker.py MODEL_DIR WORK_DIR SENTENCES_JSON``; prints ``ready`` once loaded, then
for each ``run START STOP`` line on stdin encodes those sentences (``query: `` prefix,
``batch_size=32``, normalised), writes the vectors to ``WORK_DIR/peer.npy`` and prints ``{"seconds": ...}``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

QUANTISED = "onnx/model_qint8_avx512_vnni.onnx"


def build(model_dir: Path, work: Path) -> Path:
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    folder = work / "peer-model"
    if (folder / QUANTISED).exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(model_dir, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").symlink_to(model_dir / "model.safetensors")
    model = SentenceTransformer(str(folder), backend="onnx", device="cpu", local_files_only=True)
    model.save_pretrained(str(folder))
    export_dynamic_quantized_onnx_model(model, "avx512_vnni", str(folder))
    return folder


def main() -> None:
    import numpy as np
    from sentence_transformers import SentenceTransformer

    model_dir, work, sentences_file = (Path(a) for a in sys.argv[1:4])
    folder = build(model_dir, work)
    model = SentenceTransformer(str(folder), backend="onnx", device="cpu", local_files_only=True,
                                model_kwargs={"file_name": QUANTISED})
    texts = ["query: " + s for s in json.loads(sentences_file.read_text(encoding="utf-8"))]
    model.encode(texts[:32], batch_size=32)  # warm-up
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.split()
        if not command or command[0] != "run":
            break
        start, stop = (int(command[1]), int(command[2])) if command[1:] else (0, len(texts))
        t = time.perf_counter()
        vecs = model.encode(texts[start:stop], batch_size=32, normalize_embeddings=True,
                            convert_to_numpy=True)
        seconds = time.perf_counter() - t
        np.save(work / "peer.npy", vecs.astype(np.float32))
        print(json.dumps({"seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
