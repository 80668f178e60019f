"""The opt-in ``onnx-int8-batched`` encoder: static int8 rewrite, calibration, padded batches, identity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, pre_tokenizers

from dedup.build.onnx_batched_export import (
    PAD_MULTIPLE,
    ActivationScale,
    batched_model_name,
    layer_norms_as_instance_norms,
    quantise_static,
    read_activation_scales,
)
from dedup.encoders.identity import encoder_identity
from dedup.encoders.loading import load_encoder
from dedup.encoders.onnx_batched import BatchedOnnxEncoder, padded_length
from dedup.encoders.torch_encoder import SentenceTransformerEncoder
from dedup.errors import ModelError
from models.calibrate_activations import calibration_sentences, choose_scale

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


def _rewrite(
    tmp_path: Path, scales: list[ActivationScale]
) -> tuple[ort.InferenceSession, ort.InferenceSession]:
    _tiny_linear(tmp_path / "fp32.onnx", np.random.default_rng(0))
    assert quantise_static(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", scales) == 1
    return (ort.InferenceSession(str(tmp_path / "int8.onnx"), providers=["CPUExecutionProvider"]),
            ort.InferenceSession(str(tmp_path / "fp32.onnx"), providers=["CPUExecutionProvider"]))


def test_static_rewrite_is_close_to_fp32_with_an_outlier_channel_and_rows_independent(tmp_path: Path) -> None:
    sink = ActivationScale(width=16, scale=3.0 / 127, outliers=(5,), factors=(64.0,))
    session, fp32 = _rewrite(tmp_path, [sink])
    ops = [n.op_type for n in onnx.load(str(tmp_path / "int8.onnx")).graph.node]
    assert "MatMul" not in ops and "MatMulIntegerToFloat" in ops and "QuantizeLinear" in ops
    x = np.random.default_rng(1).normal(size=(3, 5, 16)).astype(np.float32)
    x[..., 5] *= 60.0  # a sink feature far beyond the int8 range: shrunk by its factor, not clipped
    got, ref = session.run(None, {"x": x})[0], fp32.run(None, {"x": x})[0]
    assert np.abs(got - ref).max() <= 0.03 * np.abs(ref).max()
    x[1] *= 1000.0  # a wild batchmate changes nothing in the other rows
    again = session.run(None, {"x": x})[0]
    assert again[0].tobytes() == got[0].tobytes() and again[2].tobytes() == got[2].tobytes()
    alone = session.run(None, {"x": x[:1, :2]})[0]
    assert alone.tobytes() == got[:1, :2].tobytes()


def test_without_its_outlier_factor_the_rewrite_clips_the_channel(tmp_path: Path) -> None:
    session, fp32 = _rewrite(tmp_path, [ActivationScale(width=16, scale=3.0 / 127)])
    assert "Mul" not in [n.op_type for n in onnx.load(str(tmp_path / "int8.onnx")).graph.node]
    x = np.random.default_rng(1).normal(size=(1, 4, 16)).astype(np.float32)
    x[..., 5] = 60.0
    got, ref = session.run(None, {"x": x})[0], fp32.run(None, {"x": x})[0]
    assert np.abs(got - ref).max() > 0.1 * np.abs(ref).max()


def test_scales_that_do_not_match_the_graph_are_refused(tmp_path: Path) -> None:
    _tiny_linear(tmp_path / "fp32.onnx", np.random.default_rng(0))
    with pytest.raises(ModelError, match="quantisable activations"):
        quantise_static(tmp_path / "fp32.onnx", tmp_path / "a.onnx", [])
    with pytest.raises(ModelError, match="width"):
        quantise_static(tmp_path / "fp32.onnx", tmp_path / "b.onnx", [ActivationScale(width=8, scale=0.1)])
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelError, match="calibrate_activations"):
        read_activation_scales(tmp_path / "bad.json")


def _skip_layer_norm(path: Path, *, extra_output: bool = False) -> None:
    rng = np.random.default_rng(2)
    inits = [numpy_helper.from_array(rng.normal(size=8).astype(np.float32), name)
             for name in ("gamma", "beta", "bias")]
    outputs = ["y", "", "", "sum"] if extra_output else ["y"]
    node = helper.make_node("SkipLayerNormalization", ["x", "skip", "gamma", "beta", "bias"], outputs,
                            domain="com.microsoft", epsilon=1e-12)
    graph_outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs if o]
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["b", "s", 8]) for n in ("x", "skip")]
    graph = helper.make_graph([node], "sln", inputs, graph_outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    onnx.save(model, str(path))


def test_layer_norm_rewrite_gives_the_fused_values_row_by_row(tmp_path: Path) -> None:
    _skip_layer_norm(tmp_path / "fused.onnx")
    assert layer_norms_as_instance_norms(tmp_path / "fused.onnx", tmp_path / "rows.onnx") == 1
    ops = [n.op_type for n in onnx.load(str(tmp_path / "rows.onnx")).graph.node]
    assert "SkipLayerNormalization" not in ops and "InstanceNormalization" in ops
    fused, rows = (ort.InferenceSession(str(tmp_path / f), providers=["CPUExecutionProvider"])
                   for f in ("fused.onnx", "rows.onnx"))
    rng = np.random.default_rng(3)
    feed = {"x": (rng.normal(size=(3, 5, 8)) * 4).astype(np.float32),
            "skip": rng.normal(size=(3, 5, 8)).astype(np.float32)}
    got, ref = rows.run(None, feed)[0], fused.run(None, feed)[0]
    assert np.abs(got - ref).max() < 1e-4
    alone = rows.run(None, {k: v[1:2, :3] for k, v in feed.items()})[0]
    assert alone.tobytes() == got[1:2, :3].tobytes()
    _skip_layer_norm(tmp_path / "sum.onnx", extra_output=True)
    with pytest.raises(ModelError, match="outputs besides"):
        layer_norms_as_instance_norms(tmp_path / "sum.onnx", tmp_path / "x.onnx")


def test_shipped_scales_cover_every_layer_with_few_outliers() -> None:
    scales = read_activation_scales()
    assert len(scales) == 48 and {a.width for a in scales} == {384, 1536}
    assert all(a.scale > 0 and len(a.outliers) <= 4 for a in scales)
    assert all(np.all(a.channel_factors() >= 1) for a in scales)
    with pytest.raises(ValueError):
        ActivationScale(width=4, scale=0.1, outliers=(1,))


def test_calibration_finds_sink_channels_and_ignores_ordinary_ones() -> None:
    rng = np.random.default_rng(0)
    rows = np.abs(rng.normal(size=(2000, 32)))
    assert choose_scale(rows).outliers == ()
    rows[::40, 7] = 50.0
    rows[::40, 20] = 30.0
    act = choose_scale(rows)
    assert act.outliers == (7, 20) and act.width == 32
    assert act.scale * 127 < 5.0  # the scale follows the ordinary channels, not the sinks
    assert act.factors[0] * act.scale * 127 == pytest.approx(50.0, rel=1e-3)
    assert act.factors[1] * act.scale * 127 == pytest.approx(30.0, rel=1e-3)
    stories = {"s1": [{"segments": [f"a{i}" for i in range(5)]}], "s2": [{"segments": ["b0", "b1"]}]}
    picked = calibration_sentences(stories, ["s1", "s2"], 4)
    assert len(picked) == 4 and picked == calibration_sentences(stories, ["s1", "s2"], 4)


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
    assert enc.name == load_encoder(lazy=True).name != load_encoder("onnx-int8", lazy=True).name
    assert load_encoder("onnx-int8-batched", lazy=True).name == enc.name
