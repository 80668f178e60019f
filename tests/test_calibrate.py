from __future__ import annotations

import json

import numpy as np
import pytest

from dedup.errors import InvalidParameterError, ModelError
from dedup.scoring.calibration import (
    ARTICLE_FEATURES,
    Calibrator,
    ConfidenceModel,
    load_confidence_model,
    save_confidence_model,
)
from dedup.types import PairFeatures


def _features(coverage: float, cosine: float = 0.7, level: float = 1.0) -> PairFeatures:
    """Two 10-sentence documents, ``coverage`` of each aligned to the other (at translation level)."""
    return PairFeatures(
        coverage_a=coverage,
        coverage_b=coverage,
        n_aligned=round(10 * coverage),
        mean_cosine=cosine,
        mean_margin=1.5,
        length_ratio=0.9,
        shingle_jaccard=0.05,
        doc_cosine=0.5,
        same_language=False,
        n_sentences_a=10,
        n_sentences_b=10,
        mean_level=level if coverage else 0.0,
    )


def test_shipped_calibration_loads_and_is_monotone_in_coverage():
    model = load_confidence_model()
    probs = [model.article_confidence(_features(c)) for c in np.linspace(0, 1, 11)]
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert probs == sorted(probs)
    assert probs[0] < 0.2 and probs[-1] > 0.9


def test_shipped_story_model_is_monotone_in_document_similarity():
    model = load_confidence_model()
    probs = []
    for doc_cosine in np.linspace(-0.2, 1.0, 7):
        f = _features(0.1)
        probs.append(model.story_confidence(PairFeatures(**{**f.to_dict(), "doc_cosine": float(doc_cosine)})))
    assert probs == sorted(probs)


def test_round_trip_through_json(tmp_path):
    model = load_confidence_model()
    path = tmp_path / "cal.json"
    save_confidence_model(model, path, note="test")
    again = load_confidence_model(path)
    f = _features(0.6)
    assert again.article_confidence(f) == pytest.approx(model.article_confidence(f), abs=1e-6)
    assert json.loads(path.read_text())["note"] == "test"


def test_missing_or_wrong_version_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        load_confidence_model(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 99}))
    with pytest.raises(ModelError, match="version"):
        load_confidence_model(bad)


def test_calibrator_fit_learns_direction_and_validates():
    rng = np.random.default_rng(0)
    x = rng.random((200, 1))
    y = (x[:, 0] + rng.normal(0, 0.1, 200) > 0.5).astype(int)
    cal = Calibrator(feature_names=("coverage_max",)).fit(x, y)
    assert cal.coef_[0] > 0
    with pytest.raises(InvalidParameterError, match="not fitted"):
        Calibrator().predict_proba(np.zeros((1, len(ARTICLE_FEATURES))))
    with pytest.raises(InvalidParameterError, match="C must be"):
        Calibrator(C=0).fit(x, y)
    assert isinstance(ConfidenceModel(article=cal, story=cal).to_dict()["article"]["coef"], list)
