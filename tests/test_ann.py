"""ANN candidates agree with exact search; the pipeline falls back without faiss."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import dedup.ann
from dedup.ann import ann_available, ann_top_k_neighbours, doc_candidate_pairs
from dedup.config import ScanConfig
from dedup.embed import HashingEncoder
from dedup.index import candidate_pairs, top_k_neighbours
from dedup.pipeline import scan


@pytest.fixture()
def _faiss() -> None:
    # the dev extra installs faiss-cpu; a missing one is a failure, never a skip
    assert ann_available(), "faiss-cpu is not installed: run `pip install -e '.[dev]'`"


needs_faiss = pytest.mark.usefixtures("_faiss")


def _clustered(n: int, dim: int = 48, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n // 3 + 1, dim)).astype(np.float32)
    x = centres[np.arange(n) // 3] + 0.4 * rng.standard_normal((n, dim)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@needs_faiss
@pytest.mark.parametrize("top_k", [1, 5, 17])
def test_ann_neighbours_match_exact_search(top_k: int) -> None:
    x = _clustered(600)
    exact, exact_scores = top_k_neighbours(x, top_k=top_k, chunk_size=7)
    approx, approx_scores = ann_top_k_neighbours(x, top_k=top_k, block_size=97)
    assert approx.shape == exact.shape == (600, top_k)
    recall = np.mean([len(set(a) & set(e)) / top_k for a, e in zip(approx, exact, strict=True)])
    assert recall >= 0.99
    assert np.all(approx != np.arange(600)[:, None])  # never its own neighbour
    assert np.all(np.diff(approx_scores, axis=1) <= 1e-6)  # sorted by decreasing cosine
    assert np.allclose(approx_scores[:, 0], exact_scores[:, 0], atol=1e-5)


@needs_faiss
def test_ann_candidate_pairs_cover_exact_pairs_and_are_deterministic() -> None:
    x = _clustered(500, seed=3)
    exact = set(candidate_pairs(x, top_k=5))
    approx = doc_candidate_pairs(x, top_k=5, ann_above=10)
    assert len(exact & set(approx)) / len(exact) >= 0.99
    assert approx == doc_candidate_pairs(x, top_k=5, ann_above=10)


@needs_faiss
def test_tiny_inputs() -> None:
    one = _clustered(1)
    idx, scores = ann_top_k_neighbours(one, top_k=3)
    assert idx.shape == (1, 0) and scores.shape == (1, 0)
    assert doc_candidate_pairs(_clustered(2), top_k=3, ann_above=0) == [(0, 1)]


def test_without_faiss_falls_back_to_exact_search(monkeypatch: pytest.MonkeyPatch, caplog) -> None:  # noqa: ANN001
    monkeypatch.setattr(dedup.ann, "ann_available", lambda: False)
    monkeypatch.setattr(dedup.ann, "_warned", False)
    x = _clustered(90)
    with caplog.at_level(logging.WARNING, logger="dedup.ann"):
        assert doc_candidate_pairs(x, top_k=4, ann_above=10) == candidate_pairs(x, top_k=4)
    assert "faiss" in caplog.text


def test_scan_with_ann_threshold_finds_the_same_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    base = [
        "A storm hit the western coast on Monday night. Thousands of homes lost power.",
        "The central bank raised its key interest rate by half a point on Thursday.",
        "The city council approved a new budget for public transport and trams.",
        "Scientists found a new species of frog in the rain forest of the north.",
    ]
    texts = {f"d{k:02d}": base[k % 4] + f" Report {k // 4} of the series." for k in range(12)}
    exact = scan(texts, config=ScanConfig(exhaustive_below=0, top_k=3), encoder=HashingEncoder())
    if not ann_available():
        monkeypatch.setattr(dedup.ann, "ann_available", lambda: False)
    config = ScanConfig(exhaustive_below=0, top_k=3, ann_above=0)
    approx = scan(texts, config=config, encoder=HashingEncoder())
    assert [g.members for g in approx.groups] == [g.members for g in exact.groups]
