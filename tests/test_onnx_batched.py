"""The opt-in ``onnx-int8-batched`` encoder: per-token int8 rewrite, padded batches, identity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, pre_tokenizers

from dedup.build.onnx_batched_export import PAD_MULTIPLE, batched_model_name, quantise_per_token
from dedup.encoders.identity import encoder_identity
from dedup.encoders.loading import load_encoder
from dedup.encoders.onnx_batched import BatchedOnnxEncoder, padded_length
from dedup.encoders.torch_encoder import SentenceTransformerEncoder

SENTENCES = [
    "The storm left thousands of homes without power on Monday night.",
    "Stormen gjorde tusenvis av hjem strømløse mandag kveld.",
    "Der Sturm hinterließ am Montagabend Tausende Haushalte ohne Strom.",
    "Шторм оставил без электричества тысячи домов в понедельник вечером.",
    "嵐により月曜日の夜、数千世帯が停電した。",
    "La tempête a privé des milliers de foyers d'électricité lundi soir.",
    "العاصفة تركت آلاف المنازل بلا كهرباء مساء الاثنين.",
    "Schools stay closed.",
    "The central bank raised its key interest rate by half a percentage point on Thursday, the largest "
    "increase in more than two decades, citing inflation that has proved more persistent than expected.",
]


def _tiny_linear(path: Path, rng: np.random.Generator) -> None:
    """A graph y = x @ W + b with a weight MatMul, the shape the rewrite targets."""
    w = rng.normal(size=(16, 8)).astype(np.float32)
    b = rng.normal(size=8).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"], name="/dense/MatMul"),
         helper.make_node("Add", ["xw", "b"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", 8])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def test_per_token_rewrite_is_close_to_fp32_and_rows_do_not_affect_each_other(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    _tiny_linear(tmp_path / "fp32.onnx", rng)
    assert quantise_per_token(tmp_path / "fp32.onnx", tmp_path / "int8.onnx") == 1
    ops = [n.op_type for n in onnx.load(str(tmp_path / "int8.onnx")).graph.node]
    assert "MatMul" not in ops and "MatMulIntegerToFloat" in ops and "QuantizeLinear" in ops
    session = ort.InferenceSession(str(tmp_path / "int8.onnx"), providers=["CPUExecutionProvider"])
    fp32 = ort.InferenceSession(str(tmp_path / "fp32.onnx"), providers=["CPUExecutionProvider"])
    x = rng.normal(size=(3, 5, 16)).astype(np.float32)
    x[1] *= 1000.0  # a batchmate with a huge range must not coarsen the others' scales
    got, ref = session.run(None, {"x": x})[0], fp32.run(None, {"x": x})[0]
    assert np.abs(got - ref).max() <= 0.02 * np.abs(ref).max()
    assert np.abs(got[0] - ref[0]).max() <= 0.02 * np.abs(ref[0]).max()
    alone = session.run(None, {"x": x[:1, :2]})[0]
    assert alone.tobytes() == got[:1, :2].tobytes()


def _tokenizer() -> Tokenizer:
    vocab = {"[UNK]": 0, "<pad>": 1, "query:": 2, **{f"w{i}": i + 3 for i in range(20)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return tok


class _RecordingSession:
    """Hidden state = one-hot of the token id; records each call's input shape and mask."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[int, int], np.ndarray]] = []

    def get_inputs(self) -> list:
        return [type("I", (), {"name": n})() for n in ("input_ids", "attention_mask", "token_type_ids")]

    def get_outputs(self) -> list:
        return [type("O", (), {"name": "h", "shape": ["b", "s", 24]})()]

    def run(self, names: list[str], feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.calls.append((feed["input_ids"].shape, feed["attention_mask"]))
        return [np.eye(24, dtype=np.float32)[feed["input_ids"]]]


def test_sentences_are_padded_to_a_multiple_and_batched_by_padded_length() -> None:
    session = _RecordingSession()
    enc = BatchedOnnxEncoder(session, _tokenizer(), name="fake", max_batch=2)
    lengths = [1, 2, 3, 5, 6, 9, 2]  # words; + "query:" = tokens
    sentences = [" ".join(f"w{k}" for k in range(n)) for n in lengths]
    vecs = enc.encode(sentences)
    assert vecs.shape == (7, 24) and np.allclose(np.linalg.norm(vecs, axis=1), 1.0)
    for (batch, width), mask in session.calls:
        assert width % PAD_MULTIPLE == 0 and batch <= 2
        assert all(padded_length(int(m.sum())) == width for m in mask)
    assert [c[0][1] for c in session.calls] == sorted((c[0][1] for c in session.calls), reverse=True)
    assert sorted(int(m.sum()) for _, mask in session.calls for m in mask) == sorted(n + 1 for n in lengths)
    for s, v in zip(sentences, vecs, strict=True):
        assert enc.encode([s])[0].tobytes() == v.tobytes()
    parallel = BatchedOnnxEncoder(_RecordingSession(), _tokenizer(), name="fake", max_batch=2, n_workers=3)
    assert parallel.encode(sentences).tobytes() == vecs.tobytes()
    assert enc.encode([]).shape == (0, 24)


@pytest.mark.model
def test_batched_vectors_are_identical_alone_and_in_a_mixed_batch(real_model) -> None:
    enc = load_encoder("onnx-int8-batched")
    together = enc.encode(SENTENCES + SENTENCES[::-1])
    for k, sentence in enumerate(SENTENCES):
        alone = enc.encode([sentence])[0]
        assert alone.tobytes() == together[k].tobytes() == together[2 * len(SENTENCES) - 1 - k].tobytes()
    ref = SentenceTransformerEncoder(real_model).encode(SENTENCES)
    assert float(np.sum(ref * together[: len(SENTENCES)], axis=1).min()) >= 0.99
    assert enc.name.startswith(batched_model_name() + ":") and encoder_identity(enc) == enc.name
    assert enc.name != load_encoder(lazy=True).name
    assert load_encoder("onnx-int8-batched", lazy=True).name == enc.name
