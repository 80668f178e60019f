"""Calibrate the activation scales of the batched int8 encoder on news sentences of the training corpus.

Writes ``models/activation-scales-v2.json``, which :func:`dedup.build.onnx_batched_export.quantise_static`
reads when it builds ``--encoder onnx-int8-batched``. For each of the 48 distinct inputs of a weight
MatMul in the fused fp32 graph (in graph order), over ``--sentences`` sentences of *training* stories
(``models/archives.py`` split; validation stories and ``../shared/eval`` are never read), one at a time:

* **outlier channels**: while the largest remaining channel's max |x| is more than ``OUTLIER_RATIO``
  times the 99th percentile of the other channels' maxima (at most ``MAX_OUTLIERS``), it is an
  outlier. These are the attention-sink features the model puts on ``<s>`` and ``</s>`` (up to 70
  where other channels stay below 5). Its factor is its max |x| / (127 * scale): divided by it, the
  channel fits the int8 range, and the build multiplies the weight rows that read it by it;
* **scale**: the ``SCALE_PERCENTILE``-th percentile, over tokens, of a token's max |x| over the
  other channels, divided by 127. Rarer larger values are clipped.

Sentences are drawn with a fixed seed, two per document, across every language of the corpus.

Run from the project root (needs the WMT corpus, see ``models/calibrate.py``)::

    .venv/bin/python -m models.calibrate_activations --wmt-docs DATA/wmt-docs.jsonl.gz
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from dedup.build.onnx_batched_export import (
    ACTIVATION_SCALES,
    ACTIVATION_SCALES_VERSION,
    ActivationScale,
    export_fused,
    weight_matmul_inputs,
)
from dedup.encoders.base import QUERY_PREFIX
from models.archives import SEED, read_stories, split_stories

OUTLIER_RATIO = 2.0
MAX_OUTLIERS = 4
SCALE_PERCENTILE = 99.9
N_SENTENCES = 2000
PER_DOCUMENT = 2


def calibration_sentences(
    stories: dict[str, list[dict]], keys: list[str], n: int, seed: int = SEED
) -> list[str]:
    """``n`` sentences of the given stories, ``PER_DOCUMENT`` per document, drawn with ``seed``.

    Example:
        >>> stories = {"a": [{"segments": ["One.", "Two.", "Three."]}], "b": [{"segments": ["Four."]}]}
        >>> sorted(calibration_sentences(stories, ["a", "b"], 3))
        ['Four.', 'One.', 'Two.']
    """
    rng = random.Random(seed)
    docs = [d for k in keys for d in stories[k]]
    rng.shuffle(docs)
    out: list[str] = []
    for doc in docs:
        segs = list(doc["segments"])
        out += rng.sample(segs, min(PER_DOCUMENT, len(segs)))
        if len(out) >= n:
            break
    return out[:n]


def choose_scale(token_rows: np.ndarray) -> ActivationScale:
    """Outlier channels, their factors and the scale from |x| of every calibration token (tokens, channels).

    Example:
        >>> rows = np.abs(np.random.default_rng(0).normal(size=(1000, 16)))
        >>> rows[::50, 3] = 40.0  # one channel with a sink feature
        >>> act = choose_scale(rows)
        >>> act.outliers, act.width, 0.02 < act.scale < 0.04, round(act.factors[0] * act.scale * 127, 3)
        ((3,), 16, True, 40.0)
    """
    channel_max = token_rows.max(axis=0)
    outliers: list[int] = []
    for c in np.argsort(-channel_max, kind="stable")[:MAX_OUTLIERS]:
        rest = np.delete(channel_max, outliers + [int(c)])
        if channel_max[c] <= OUTLIER_RATIO * np.percentile(rest, 99):
            break
        outliers.append(int(c))
    kept = np.ones(token_rows.shape[1], dtype=bool)
    kept[outliers] = False
    scale = round(float(np.percentile(token_rows[:, kept].max(axis=1), SCALE_PERCENTILE)) / 127.0, 8)
    outliers.sort()
    factors = tuple(max(1.0, round(float(channel_max[c]) / (127.0 * scale), 4)) for c in outliers)
    return ActivationScale(width=int(token_rows.shape[1]), scale=scale, outliers=tuple(outliers),
                           factors=factors)


def measure(sentences: list[str], work: Path) -> list[ActivationScale]:
    """Export and fuse the fp32 model into ``work``, run it on ``sentences``, choose every scale."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from dedup.encoders.torch_encoder import load_model

    model = load_model()
    graph_model = onnx.load(str(export_fused(model, work)))
    names = weight_matmul_inputs(graph_model.graph)
    graph_model.graph.output.extend(helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in names)
    onnx.save(graph_model, str(work / "probe.onnx"))
    session = ort.InferenceSession(str(work / "probe.onnx"), providers=["CPUExecutionProvider"])
    tokenizer = model.tokenizer
    rows: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for sentence in sentences:
        ids = np.asarray([tokenizer(QUERY_PREFIX + sentence, truncation=True, max_length=model.max_seq_length)
                          ["input_ids"]], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        feed = {i.name: feed[i.name] for i in session.get_inputs()}
        for name, out in zip(names, session.run(names, feed), strict=True):
            rows[name].append(np.abs(out[0]))
    return [choose_scale(np.concatenate(rows[n])) for n in names]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wmt-docs", type=Path, required=True, help="models/wmt_documents.py output.")
    parser.add_argument("--sentences", type=int, default=N_SENTENCES)
    parser.add_argument("--out", type=Path, default=ACTIVATION_SCALES)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    stories = read_stories(args.wmt_docs)
    train_keys, _ = split_stories(stories, len(stories))
    sentences = calibration_sentences(stories, train_keys, args.sentences)
    with tempfile.TemporaryDirectory() as tmp:
        scales = measure(sentences, Path(tmp))
    report = {
        "version": ACTIVATION_SCALES_VERSION,
        "recipe": {"outlier_ratio": OUTLIER_RATIO, "max_outliers": MAX_OUTLIERS,
                   "scale_percentile": SCALE_PERCENTILE, "sentences": len(sentences),
                   "per_document": PER_DOCUMENT,
                   "seed": SEED, "corpus": "training stories of models/archives.py"},
        "activations": [{"width": a.width, "scale": a.scale, "outliers": list(a.outliers),
                         "factors": list(a.factors)} for a in scales],
    }
    tmp_out = args.out.with_suffix(".tmp")
    rows = ",\n  ".join(json.dumps(a) for a in report.pop("activations"))
    text = json.dumps(report, indent=1)[:-2] + f',\n "activations": [\n  {rows}\n ]\n}}\n'
    json.loads(text)
    tmp_out.write_text(text, encoding="utf-8")
    tmp_out.replace(args.out)
    n_out = sum(len(a.outliers) for a in scales)
    print(f"{len(scales)} activations, {n_out} outlier channels, {len(sentences)} sentences, "
          f"{time.perf_counter() - t0:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
