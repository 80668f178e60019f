"""ANN candidates agree with exact search; the pipeline falls back without faiss."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import dedup.search.ann
from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from dedup.runners.local import scan
from dedup.search.ann import (
    ann_available,
    ann_knn_mean_similarity,
    ann_top_k_neighbours,
    doc_candidate_pairs,
    sentence_knn_mean_similarity,
)
from dedup.search.exact import candidate_pairs, knn_mean_similarity, top_k_neighbours


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
    monkeypatch.setattr(dedup.search.ann, "ann_available", lambda: False)
    x = _clustered(90)
    with caplog.at_level(logging.WARNING, logger="dedup.search.ann"):
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
        monkeypatch.setattr(dedup.search.ann, "ann_available", lambda: False)
    config = ScanConfig(exhaustive_below=0, top_k=3, ann_above=0)
    approx = scan(texts, config=config, encoder=HashingEncoder())
    assert [g.members for g in approx.groups] == [g.members for g in exact.groups]


def _documents_of(n_docs: int, per_doc: int, dim: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sentences in clusters shared across documents, plus documents whose sentences are near-copies."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_docs // 2, dim)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n_docs * per_doc)]
    x = x + 0.5 * rng.standard_normal(x.shape).astype(np.float32)
    owners = np.repeat(np.arange(n_docs), per_doc)
    x[owners == 0] = x[0] + 0.01 * rng.standard_normal((per_doc, dim)).astype(np.float32)  # own near-copies
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), owners


@needs_faiss
@pytest.mark.parametrize(("k", "skip"), [(1, 0), (4, 4), (3, 7)])
def test_ann_knn_mean_similarity_matches_exact(k: int, skip: int) -> None:
    x, owners = _documents_of(120, 25)  # 25 sentences per document > k + skip + extra: re-queries happen
    exact = knn_mean_similarity(x, owners, k=k, skip=skip, chunk_size=97)
    approx = ann_knn_mean_similarity(x, owners, k=k, skip=skip, block_size=113)
    assert approx.shape == exact.shape and approx.dtype == np.float32
    diff = np.abs(approx - exact)
    assert float(diff.mean()) < 0.002 and float(np.quantile(diff, 0.99)) < 0.02
    # document 0's sentences are each other's nearest rows: its values must still be foreign-only
    assert np.allclose(approx[owners == 0], exact[owners == 0], atol=1e-5)


@needs_faiss
def test_ann_knn_mean_similarity_skipping_versions_matches_exact() -> None:
    x, owners = _documents_of(120, 6)
    # Documents 0-19 are versions of one story: each sentence has 19 partners, more than ``extra``.
    rng = np.random.default_rng(1)
    story = rng.standard_normal((6, x.shape[1])).astype(np.float32)
    x[:120] = story[np.arange(120) % 6] + 0.3 * rng.standard_normal((120, x.shape[1])).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    exact = knn_mean_similarity(x, owners, k=4, skip=4, skip_versions=True)
    approx = ann_knn_mean_similarity(x, owners, k=4, skip=4, skip_versions=True, block_size=50)
    diff = np.abs(approx - exact)
    assert float(diff.mean()) < 0.002 and float(np.quantile(diff, 0.99)) < 0.02
    fixed = knn_mean_similarity(x, owners, k=4, skip=4)
    assert float(fixed[:120].mean()) > float(exact[:120].mean()) + 0.2


@needs_faiss
def test_ann_knn_mean_similarity_edge_cases() -> None:
    one = np.eye(1, 4, dtype=np.float32)
    assert ann_knn_mean_similarity(one, np.array([0]), k=2).tolist() == [0.0]
    same_doc = np.eye(3, dtype=np.float32)
    assert ann_knn_mean_similarity(same_doc, np.zeros(3, dtype=np.int64), k=1).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="owners"):
        ann_knn_mean_similarity(same_doc, np.zeros(2, dtype=np.int64))


@needs_faiss
def test_sentence_knn_switches_at_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    x, owners = _documents_of(40, 5)
    calls: list[int] = []
    real = dedup.search.ann.ann_knn_mean_similarity
    monkeypatch.setattr(
        dedup.search.ann,
        "ann_knn_mean_similarity",
        lambda v, o, **kw: calls.append(len(v)) or real(v, o, **kw),
    )
    exact = knn_mean_similarity(x, owners, k=4, skip=4)
    assert np.array_equal(sentence_knn_mean_similarity(x, owners, k=4, skip=4, ann_above=len(x)), exact)
    assert np.array_equal(sentence_knn_mean_similarity(x, owners, k=4, skip=4, ann_above=None), exact)
    assert calls == []
    sentence_knn_mean_similarity(x, owners, k=4, skip=4, ann_above=len(x) - 1)
    assert calls == [len(x)]
    monkeypatch.setattr(dedup.search.ann, "ann_available", lambda: False)
    assert np.array_equal(sentence_knn_mean_similarity(x, owners, k=4, skip=4, ann_above=0), exact)


@needs_faiss
def test_scan_with_sentence_ann_forced_finds_the_same_pairs() -> None:
    base = [
        "A storm hit the western coast on Monday night. Thousands of homes lost power.",
        "The central bank raised its key interest rate by half a point on Thursday.",
        "The city council approved a new budget for public transport and trams.",
        "Scientists found a new species of frog in the rain forest of the north.",
    ]
    texts = {f"d{k:02d}": base[k % 4] + f"\nReport {k // 4} of the series.\nFiled late." for k in range(16)}
    exact = scan(texts, config=ScanConfig(use_cache=False), encoder=HashingEncoder())
    approx = scan(texts, config=ScanConfig(use_cache=False, knn_ann_above=0), encoder=HashingEncoder())
    assert [g.members for g in approx.groups] == [g.members for g in exact.groups]
    assert [(p.doc_a, p.doc_b, p.relation) for p in approx.pairs] == [
        (p.doc_a, p.doc_b, p.relation) for p in exact.pairs
    ]
