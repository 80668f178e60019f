"""The model forms compared by the article-model-form benchmark (benchmarks/article_model_form.py)."""

from __future__ import annotations

import numpy as np

from benchmarks.article_model_form import model_forms

NAMES = ("coverage_max", "log_number_disagreement", "doc_cosine")


def _pairs(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Toy pairs: true when coverage is high and no figures disagree, whatever the document cosine."""
    rng = np.random.default_rng(0)
    X = np.c_[rng.random(n), rng.integers(0, 2, n), rng.random(n)]
    y = ((X[:, 0] > 0.5) & (X[:, 1] == 0)).astype(int)
    return X, y


def test_every_form_fits_and_gives_probabilities_that_separate_the_labels():
    X, y = _pairs()
    for name, make in model_forms(NAMES, seed=0).items():
        p = make().fit(X, y).predict_proba(X)[:, 1]
        assert p.shape == (len(y),) and np.all((p >= 0) & (p <= 1)), name
        assert p[y == 1].mean() > 0.7 > 0.3 > p[y == 0].mean(), name


def test_the_monotone_form_never_lowers_confidence_as_coverage_rises_or_raises_it_with_disagreement():
    X, y = _pairs()
    y = np.where(np.random.default_rng(1).random(len(y)) < 0.15, 1 - y, y)  # noise the free form follows
    model = model_forms(NAMES, seed=0)["gradient boosting, monotone"]().fit(X, y)
    grid = np.linspace(0, 1, 21)
    for disagreement in (0, 1):
        rows = np.c_[grid, np.full(21, disagreement), np.full(21, 0.5)]
        assert np.all(np.diff(model.predict_proba(rows)[:, 1]) >= 0)
    both = model.predict_proba(np.array([[0.9, 0, 0.5], [0.9, 1, 0.5]]))[:, 1]
    assert both[0] >= both[1]


def test_the_forms_are_seeded():
    X, y = _pairs()
    for name, make in model_forms(NAMES, seed=3).items():
        assert np.array_equal(make().fit(X, y).predict_proba(X), make().fit(X, y).predict_proba(X)), name
