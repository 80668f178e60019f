"""The default int8 ONNX encoder and its build (fast: stand-in session; model: the real build)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from typer.testing import CliRunner

import dedup
import dedup.encoders.loading
from dedup.build.derived import ONNX_STAMP_FILE
from dedup.build.onnx_export import (
    ONNX_FILE,
    QUANTISATION,
    onnx_model_dir,
    onnx_model_name,
    onnx_problem,
    verify_onnx_model,
    write_onnx_stamp,
)
from dedup.build.paths import MODEL_NAME, model_dir
from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from dedup.encoders.cache import CachedEncoder, EmbeddingCache
from dedup.encoders.identity import encoder_identity
from dedup.encoders.lazy import LazyEncoder
from dedup.encoders.loading import load_encoder, resolve_encoder
from dedup.encoders.onnx import OnnxEncoder, load_onnx_encoder
from dedup.encoders.torch_encoder import SentenceTransformerEncoder
from dedup.errors import IndexMismatchError, InvalidParameterError, ModelError
from dedup.runners.archive_index import build_index, scan_against
from dedup.runners.local import scan

SENTENCES = [
    "The storm left thousands of homes without power on Monday night.",
    "Stormen gjorde tusenvis av hjem strømløse mandag kveld.",
    "Der Sturm hinterließ am Montagabend Tausende Haushalte ohne Strom.",
    "Шторм оставил без электричества тысячи домов в понедельник вечером.",
    "嵐により月曜日の夜、数千世帯が停電した。",
    "La tempête a privé des milliers de foyers d'électricité lundi soir.",
    "العاصفة تركت آلاف المنازل بلا كهرباء مساء الاثنين.",
    "Schools stay closed.",
]


# ----------------------------------------------------------------------------- fast: stand-ins


class _Output:
    name = "last_hidden_state"
    shape = ["batch", "seq", 6]


class _Input:
    def __init__(self, name: str) -> None:
        self.name = name


class _FakeSession:
    """last_hidden_state[t] = one-hot of (token id mod 6), plus the batch mean (so batching would show)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, np.ndarray]] = []

    def get_inputs(self) -> list[_Input]:
        return [_Input("input_ids"), _Input("attention_mask"), _Input("token_type_ids")]

    def get_outputs(self) -> list[_Output]:
        return [_Output()]

    def run(self, names: list[str], feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.calls.append(feed)
        hidden = np.eye(6, dtype=np.float32)[feed["input_ids"] % 6]
        return [hidden + hidden.mean(axis=(0, 1), keepdims=True)]


def _tokenizer() -> Tokenizer:
    vocab = {w: i for i, w in enumerate(["<s>", "</s>", "[UNK]", "query:", "storm", "coast", "power"])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 1)]
    )
    return tok


def test_one_sentence_per_call_with_prefix_and_mask() -> None:
    session = _FakeSession()
    enc = OnnxEncoder(session, _tokenizer(), name="fake")
    vecs = enc.encode(["storm coast", "power"], batch_size=32)
    assert vecs.shape == (2, 6) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0)
    assert [c["input_ids"].tolist() for c in session.calls] == [[[0, 3, 4, 5, 1]], [[0, 3, 6, 1]]]
    for call in session.calls:
        assert call["attention_mask"].tolist() == [[1] * call["input_ids"].shape[1]]
        assert not call["token_type_ids"].any()


def test_vectors_do_not_depend_on_neighbours_or_order() -> None:
    enc = OnnxEncoder(_FakeSession(), _tokenizer(), name="fake")
    texts = ["storm coast", "power", "storm storm storm coast power"]
    together = enc.encode(texts, batch_size=3)
    reverse = enc.encode(texts[::-1], batch_size=2)
    for k, text in enumerate(texts):
        alone = enc.encode([text])[0]
        assert np.array_equal(alone, together[k])
        assert np.array_equal(alone, reverse[len(texts) - 1 - k])


def test_truncates_to_max_seq_length_keeping_the_end_token() -> None:
    session = _FakeSession()
    enc = OnnxEncoder(session, _tokenizer(), name="fake", max_seq_length=5)
    enc.encode(["storm " * 20])
    ids = session.calls[0]["input_ids"][0].tolist()
    assert len(ids) == 5 and ids[0] == 0 and ids[-1] == 1


def test_empty_input_has_the_model_dimension() -> None:
    assert OnnxEncoder(_FakeSession(), _tokenizer(), name="fake").encode([]).shape == (0, 6)


def test_unknown_encoder_kind_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="must be one of onnx-int8-batched, onnx-int8, torch"):
        ScanConfig(encoder="tfidf")
    with pytest.raises(InvalidParameterError, match="encoder"):
        load_encoder("tfidf")
    assert ScanConfig().encoder == "onnx-int8-batched"


def test_resolve_encoder_keeps_a_callers_model_and_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    monkeypatch.setattr(dedup.encoders.loading, "load_encoder",
                        lambda kind="?", **k: loaded.append(kind))
    own = HashingEncoder()
    assert resolve_encoder(own, object()) is own
    model = object()
    adapter = resolve_encoder(None, model, kind="onnx-int8")
    assert isinstance(adapter, SentenceTransformerEncoder) and adapter.model is model
    resolve_encoder(kind="torch")
    resolve_encoder()
    assert loaded == ["torch", "onnx-int8-batched"]


_TEXTS = {"a.txt": "A storm hit the coast on Monday.\nThousands lost power overnight.",
          "b.txt": "A storm hit the coast on Monday.\nThousands lost power overnight.\nSchools closed.",
          "c.txt": "The central bank raised rates.\nMarkets fell sharply."}


def test_a_scan_served_by_the_cache_never_opens_the_encoder(tmp_path: Path) -> None:
    opened: list[int] = []

    def open_encoder() -> HashingEncoder:
        opened.append(1)
        return HashingEncoder()

    config = ScanConfig(cache_dir=tmp_path)
    lazy = LazyEncoder(open_encoder, name=HashingEncoder().name, dim=256)
    first = scan(_TEXTS, encoder=lazy, config=config)
    assert opened == [1] and lazy.loaded
    name = HashingEncoder().name
    again = scan(_TEXTS, encoder=LazyEncoder(open_encoder, name=name, dim=256), config=config)
    assert opened == [1]
    assert [p.to_dict() for p in again.pairs] == [p.to_dict() for p in first.pairs]
    assert [g.members for g in again.groups] == [g.members for g in first.groups]
    scan({**_TEXTS, "d.txt": "A new sentence nobody has seen."},
         encoder=LazyEncoder(open_encoder, name=HashingEncoder().name, dim=256), config=config)
    assert opened == [1, 1]


def test_a_lazy_encoder_refuses_an_encoder_with_another_identity() -> None:
    lazy = LazyEncoder(lambda: HashingEncoder(dim=8), name="hashing-256-3", dim=256)
    assert lazy.encode([]).shape == (0, 256) and not lazy.loaded
    with pytest.raises(ModelError, match="hashing-8-3"):
        lazy.encode(["A storm."])


def _fake_build(home: Path, weights: str = "ab" * 32) -> Path:
    folder = onnx_model_dir(home)
    folder.mkdir(parents=True)
    (folder / ONNX_FILE).write_bytes(b"not really onnx")
    write_onnx_stamp(folder, weights, seconds=0.0)
    return folder


def test_stamp_checks_recipe_source_weights_and_size(tmp_path: Path) -> None:
    folder = _fake_build(tmp_path)
    assert onnx_problem(folder, "ab" * 32) is None
    assert onnx_problem(folder, "ab" * 32, deep=True) is None
    assert "other fp32 weights" in onnx_problem(folder, "cd" * 32)
    stamp = json.loads((folder / ONNX_STAMP_FILE).read_text())
    assert stamp["quantisation"] == QUANTISATION and stamp["model_name"] == onnx_model_name()
    (folder / ONNX_FILE).write_bytes(b"not really onnX")  # same size, other bytes
    assert onnx_problem(folder, "ab" * 32) is None
    assert "sha256" in onnx_problem(folder, "ab" * 32, deep=True)
    (folder / ONNX_FILE).write_bytes(b"short")
    assert "wrong size" in onnx_problem(folder, "ab" * 32)
    (folder / ONNX_FILE).unlink()
    assert "missing" in onnx_problem(folder, "ab" * 32)
    (folder / ONNX_STAMP_FILE).write_text(json.dumps({**stamp, "quantisation": {"per_channel": False}}))
    assert "another recipe" in onnx_problem(folder, "ab" * 32)
    (folder / ONNX_STAMP_FILE).unlink()
    assert "missing or unreadable" in onnx_problem(folder, "ab" * 32)
    assert onnx_problem(tmp_path / "nowhere", "ab" * 32) == "it does not exist"


def test_index_mismatch_names_the_encoder_it_was_built_with(tmp_path: Path) -> None:
    class Named(HashingEncoder):
        def __init__(self, name: str) -> None:
            super().__init__(dim=32)
            self.name = name

    texts = {"a.txt": "A storm hit the coast.\nThousands lost power.", "b.txt": "Rates rose.\nMarkets fell."}
    idx, config = tmp_path / "idx", ScanConfig(use_cache=False)
    build_index(texts, idx, encoder=Named(f"{onnx_model_name()}:0123:bs1"), config=config)
    with pytest.raises(IndexMismatchError, match="--encoder onnx-int8"):
        scan_against(texts, idx, encoder=Named(f"{MODEL_NAME}:r1:4567"), config=config)
    build_index(texts, idx, encoder=Named("hashing"), config=config)
    with pytest.raises(IndexMismatchError, match="Rebuild it with"):
        scan_against(texts, idx, encoder=Named(f"{onnx_model_name()}:0123:bs1"), config=config)


def test_cli_encoder_option_picks_the_encoder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup.cli.app import app

    kinds: list[str] = []

    def fake_load_encoder(kind: str = "?", **kwargs: object) -> HashingEncoder:
        kinds.append(kind)
        return HashingEncoder()

    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", fake_load_encoder)
    (tmp_path / "a.txt").write_text("A storm hit the coast on Monday.\nThousands lost power.")
    runner = CliRunner()
    assert runner.invoke(app, ["scan", str(tmp_path), "--json"]).exit_code == 0
    assert runner.invoke(app, ["scan", str(tmp_path), "--json", "--encoder", "torch"]).exit_code == 0
    assert kinds == ["onnx-int8-batched", "torch"]
    bad = runner.invoke(app, ["scan", str(tmp_path), "--encoder", "tfidf"])
    assert bad.exit_code == 2


def test_missing_build_without_building_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="dedup model build"):
        load_onnx_encoder(tmp_path, build=False)


# ----------------------------------------------------------------------------- model: the real build


@pytest.fixture()
def home_with_real_fp32(tmp_path: Path) -> Path:
    """A cache folder whose fp32 model is the real one (a symlink); the ONNX build is its own."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / MODEL_NAME).symlink_to(model_dir(), target_is_directory=True)
    return tmp_path


@pytest.mark.model
def test_int8_vectors_stay_within_cosine_0_99_of_torch_fp32(real_single_onnx_encoder, real_model) -> None:
    fp32 = SentenceTransformerEncoder(real_model).encode(SENTENCES)
    int8 = real_single_onnx_encoder.encode(SENTENCES)
    assert int8.shape == fp32.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert float(np.sum(fp32 * int8, axis=1).min()) >= 0.99
    # translations stay closer to each other than to an unrelated sentence
    sims = int8 @ int8.T
    assert sims[0, 1:7].min() > sims[0, 7]


@pytest.mark.model
def test_int8_vectors_are_batch_and_order_independent(real_single_onnx_encoder) -> None:
    together = real_single_onnx_encoder.encode(SENTENCES, batch_size=32)
    reverse = real_single_onnx_encoder.encode(SENTENCES[::-1], batch_size=4)
    n = len(SENTENCES)
    for k in (0, 4, n - 1):
        alone = real_single_onnx_encoder.encode([SENTENCES[k]])[0]
        assert np.array_equal(alone, together[k])
        assert np.array_equal(alone, reverse[n - 1 - k])


@pytest.mark.model
def test_int8_vectors_are_the_same_bytes_however_many_calls_run_at_once(real_single_onnx_encoder) -> None:
    from dataclasses import replace

    parallel = replace(real_single_onnx_encoder, n_workers=3)
    sequential = replace(real_single_onnx_encoder, n_workers=1)
    assert parallel.n_workers == 3 and sequential.n_workers == 1
    assert np.array_equal(parallel.encode(SENTENCES), sequential.encode(SENTENCES))


@pytest.mark.model
def test_tokens_match_sentence_transformers_including_truncation(
    real_single_onnx_encoder, real_model
) -> None:
    long = " ".join(SENTENCES * 30)
    for text in (SENTENCES[3], "  spaces  around ", long):
        ours = real_single_onnx_encoder.tokenizer.encode("query: " + text).ids
        theirs = real_model.tokenizer(["query: " + text], truncation=True, max_length=512)["input_ids"][0]
        assert ours == theirs
    assert len(real_single_onnx_encoder.tokenizer.encode("query: " + long).ids) == 512


@pytest.mark.model
def test_cache_identity_differs_and_cached_vectors_are_exact(
    real_single_onnx_encoder, real_model, tmp_path
) -> None:
    torch_id = encoder_identity(SentenceTransformerEncoder(real_model))
    onnx_id = encoder_identity(real_single_onnx_encoder)
    assert torch_id and onnx_id and torch_id != onnx_id
    stamp = json.loads((onnx_model_dir() / ONNX_STAMP_FILE).read_text())
    assert stamp["files"][ONNX_FILE]["sha256"][:16] in onnx_id and "-onnx-int8-q1" in onnx_id
    cache = EmbeddingCache(tmp_path)
    try:
        cached = CachedEncoder(real_single_onnx_encoder, cache, identity=onnx_id)
        first = cached.encode(SENTENCES[:3])
        again = CachedEncoder(real_single_onnx_encoder, cache, identity=onnx_id).encode(SENTENCES[:3])
        assert np.array_equal(first, again)
        assert np.array_equal(first, real_single_onnx_encoder.encode(SENTENCES[:3]))
        assert cache.get(torch_id, [b"x"]) == {}
        assert set(cache.stats()["models"]) == {onnx_id}
    finally:
        cache.close()


@pytest.mark.model
def test_corrupted_onnx_file_is_refused_then_rebuilt(
    home_with_real_fp32: Path, real_single_onnx_encoder
) -> None:
    home = home_with_real_fp32
    shutil.copytree(onnx_model_dir(), onnx_model_dir(home))
    with open(onnx_model_dir(home) / ONNX_FILE, "r+b") as fh:
        fh.truncate(1 << 20)
    with pytest.raises(ModelError, match="wrong size.*dedup model build --force"):
        verify_onnx_model(home)
    with pytest.raises(ModelError, match="fails verification"):
        load_onnx_encoder(home, build=False)
    rebuilt = load_onnx_encoder(home)  # rebuilds (export + quantisation)
    assert verify_onnx_model(home, deep=True) == onnx_model_dir(home)
    assert (model_dir(home) / "model.safetensors").resolve() == (model_dir() / "model.safetensors").resolve()
    vecs = rebuilt.encode(SENTENCES[:3])
    assert float(np.sum(vecs * real_single_onnx_encoder.encode(SENTENCES[:3]), axis=1).min()) >= 0.999


@pytest.mark.model
def test_default_scan_of_the_seeds_groups_the_translation(real_single_onnx_encoder, seeds_dir) -> None:
    result = scan(seeds_dir, encoder=real_single_onnx_encoder)
    groups = [sorted(m[:3] for m in g.members) for g in result.groups]
    assert ["000", "001"] in groups
    pair = next(p for p in result.pairs if {p.doc_a[:3], p.doc_b[:3]} == {"000", "001"})
    assert pair.relation.value == "translation" and pair.confidence >= 0.9
    assert all("003" not in g for g in groups if len(g) > 1)


@pytest.mark.model
def test_cli_scan_with_either_encoder(seeds_dir) -> None:
    from dedup.cli.app import app

    for argv in ([], ["--encoder", "torch"]):
        result = CliRunner().invoke(app, ["scan", str(seeds_dir), "--json", *argv])
        assert result.exit_code == 0, result.output
        groups = [sorted(m[:3] for m in json.loads(line)["members"]) for line in result.stdout.splitlines()]
        assert ["000", "001"] in groups and ["003"] in groups


@pytest.mark.model
def test_lazy_encoders_have_the_loaded_identity_and_vectors(real_single_onnx_encoder, real_model) -> None:
    lazy = load_encoder("onnx-int8", lazy=True)
    assert isinstance(lazy, LazyEncoder) and not lazy.loaded
    assert lazy.name == real_single_onnx_encoder.name and lazy.dim == 384
    assert lazy.encode(SENTENCES[:3]).tobytes() == real_single_onnx_encoder.encode(SENTENCES[:3]).tobytes()
    lazy_torch = load_encoder("torch", lazy=True)
    assert lazy_torch.name == encoder_identity(SentenceTransformerEncoder(real_model))
    assert not lazy_torch.loaded


@pytest.mark.model
def test_a_warm_cli_scan_does_not_open_the_encoder(seeds_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    import dedup.encoders.onnx
    from dedup.cli.app import app

    cold = CliRunner().invoke(app, ["scan", str(seeds_dir), "--json"])
    assert cold.exit_code == 0, cold.output

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the encoder was opened although every sentence is cached")

    monkeypatch.setattr(dedup.encoders.onnx, "open_onnx_encoder", refuse)
    warm = CliRunner().invoke(app, ["scan", str(seeds_dir), "--json"])
    assert warm.exit_code == 0, warm.output
    assert warm.stdout == cold.stdout
