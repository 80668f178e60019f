from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import dedup
import dedup.encoders.loading
from dedup import Detector, ScanConfig, to_frame
from dedup.api import to_records
from dedup.encoders.base import HashingEncoder
from dedup.errors import InvalidParameterError
from dedup.scoring.calibration import ARTICLE_FEATURES

STORY = (
    "Storm Ingrid hit the west coast on Tuesday night with strong winds.\n"
    "Thousands of homes lost power and several ferries were cancelled.\n"
    "The police asked people to stay indoors and away from the sea front."
)
TEXTS = {
    "a.txt": STORY,
    "b.txt": STORY + "\nRead more on our website.",
    "c.txt": "The central bank raised its policy rate by half a point on Thursday.\n"
    "Markets had expected a smaller rise after inflation slowed.",
}


class _FakeModel:
    """Stands in for a SentenceTransformer: encodes with the hashing encoder."""

    def __init__(self) -> None:
        self._enc = HashingEncoder()

    def encode(self, sentences, **kwargs):
        return self._enc.encode(sentences)

    def get_sentence_embedding_dimension(self) -> int:
        return self._enc.dim


def test_import_is_light():
    code = (
        "import sys, dedup; heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'pandas') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_api():
    for name in dedup.__all__:
        assert hasattr(dedup, name), name
    assert dedup.__version__


def test_to_frame_pairs_groups_and_result():
    result = dedup.scan(TEXTS, encoder=HashingEncoder())
    pairs = to_frame(result.pairs)
    assert list(pairs[["doc_a", "doc_b"]].itertuples(index=False, name=None)) == [("a.txt", "b.txt")]
    assert pairs["relation"].tolist()[0] in {"exact", "near_duplicate"}
    assert {"confidence", "n_aligned", "coverage_a", "mean_cosine"} <= set(pairs.columns)
    groups = to_frame(list(result.groups))
    assert groups["n_members"].tolist() == [2, 1]
    assert to_frame(result).equals(pairs)
    assert len(to_frame(result, what="documents")) == 3
    assert to_frame([]).empty
    json.dumps(to_records(result, what="groups"))  # plain JSON
    with pytest.raises(InvalidParameterError, match="what"):
        to_frame(result, what="nope")
    with pytest.raises(InvalidParameterError, match="items"):
        to_frame(result.pairs[0])


def test_detector_reuses_the_model(monkeypatch):
    calls = []

    def fake_load_encoder(kind="?", **kwargs):
        calls.append(kind)
        return HashingEncoder()

    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", fake_load_encoder)
    detector = Detector(threshold=0.5)
    first = detector.find_pairs(TEXTS)
    groups = detector.find_groups(TEXTS)
    detector.scan(TEXTS)
    assert calls == ["onnx-int8-batched"]  # the default encoder, loaded once
    assert [(p.doc_a, p.doc_b) for p in first] == [("a.txt", "b.txt")]
    assert groups[0].members == ("a.txt", "b.txt")
    detector.set_params(config=ScanConfig(encoder="torch"))
    detector.find_pairs(TEXTS)
    assert calls == ["onnx-int8-batched", "torch"]  # config.encoder picks the encoder that is loaded
    detector.set_params(model=_FakeModel())
    detector.find_pairs(TEXTS)
    assert calls == ["onnx-int8-batched", "torch"]  # a given model is used, never loaded


def test_detector_params_follow_sklearn_conventions():
    detector = Detector(threshold=0.9, level="story", encoder=HashingEncoder())
    assert detector.get_params()["threshold"] == 0.9
    assert detector.scan_config().level == "story"
    assert "threshold=0.9" in repr(detector)
    assert detector.set_params(threshold=0.3) is detector and detector.threshold == 0.3
    with pytest.raises(InvalidParameterError, match="unknown parameter"):
        detector.set_params(thresh=0.3)
    with pytest.raises(InvalidParameterError, match="threshold"):
        Detector(threshold=2.0, encoder=HashingEncoder()).find_pairs(TEXTS)


def test_detector_fit_refits_article_confidence():
    rng = np.random.default_rng(0)
    words = "storm coast power ferry police school bank rate market wind rain road train city".split()
    texts, labels = {}, {}
    for k in range(6):
        sentences = [" ".join(rng.choice(words, 9)).capitalize() + "." for _ in range(4)]
        texts[f"s{k}a.txt"] = "\n".join(sentences)
        texts[f"s{k}b.txt"] = "\n".join(sentences[:3] + ["Read more on our site today."])
        # another story quoting two of its sentences: aligned, but a different article
        others = [" ".join(rng.choice(words, 9)).capitalize() + "." for _ in range(4)]
        texts[f"q{k}.txt"] = "\n".join(sentences[:2] + others)
        labels[f"s{k}a"], labels[f"s{k}b"], labels[f"q{k}"] = f"g{k}", f"g{k}", f"q{k}"
    detector = Detector(encoder=HashingEncoder())
    assert detector.fit(texts, labels) is detector
    assert detector.n_training_pairs_ > 6
    assert detector.confidence_model_.article.coef.shape == (len(ARTICLE_FEATURES),)
    pairs = detector.find_pairs(texts)
    linked = {(p.doc_a[:2], p.doc_b[:2]) for p in pairs if p.confidence > 0.5}
    assert linked and linked <= {(f"s{k}", f"s{k}") for k in range(6)}
    with pytest.raises(InvalidParameterError, match="both kinds"):
        Detector(encoder=HashingEncoder()).fit(texts, {d: "one" for d in texts})
