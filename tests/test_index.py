from __future__ import annotations

import numpy as np
import pytest

from dedup.errors import InvalidParameterError
from dedup.search.exact import candidate_pairs, knn_mean_similarity, top_k_neighbours, version_skips


def _unit(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _stable_sort_top_k(v: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference: every row's k best other rows by a full stable sort (ties by index)."""
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(sims, order, axis=1)


@pytest.mark.parametrize("chunk_size", [3, 7, 17, 1024])
def test_top_k_matches_brute_force_across_chunk_boundaries(chunk_size):
    v = _unit(np.random.default_rng(0), 41)
    idx, scores = top_k_neighbours(v, top_k=5, chunk_size=chunk_size)
    expected, expected_scores = _stable_sort_top_k(v, 5)
    assert np.array_equal(idx, expected)
    assert np.allclose(scores, expected_scores)


@pytest.mark.parametrize("max_block", [40, 1000, 1 << 25])
def test_top_k_breaks_ties_by_index_like_a_stable_sort(max_block):
    # Small integer vectors: every dot product is exact, whatever the block shape, and many rows
    # tie at the k-th place; the copies of row 0 tie with each other.
    rng = np.random.default_rng(2)
    v = rng.integers(-2, 3, size=(60, 3)).astype(np.float32)
    v[30:45] = v[0]
    idx, scores = top_k_neighbours(v, top_k=6, max_block=max_block)
    expected, expected_scores = _stable_sort_top_k(v, 6)
    assert np.array_equal(idx, expected)
    assert np.array_equal(scores, expected_scores)


def test_top_k_never_prefers_a_nan_row():
    v = np.array([[1, 0], [np.nan, np.nan], [0.8, 0.6], [0, 1]], dtype=np.float32)
    idx, _ = top_k_neighbours(v, top_k=2)
    assert idx[0].tolist() == [2, 3]
    assert idx[3].tolist() == [2, 0]


def test_top_k_is_capped_and_excludes_self():
    v = _unit(np.random.default_rng(1), 3)
    idx, _ = top_k_neighbours(v, top_k=10)
    assert idx.shape == (3, 2)
    assert all(i not in row for i, row in enumerate(idx))


def test_candidate_pairs_are_canonical_and_symmetric():
    v = _unit(np.random.default_rng(2), 20)
    pairs = candidate_pairs(v, top_k=3, chunk_size=7)
    assert pairs == sorted(set(pairs))
    assert all(i < j for i, j in pairs)
    idx, _ = top_k_neighbours(v, top_k=3)
    for i, row in enumerate(idx):
        for j in row:
            assert (min(i, j), max(i, j)) in pairs


def test_knn_mean_ignores_own_document_and_skips_nearest():
    v = np.array([[1, 0], [1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
    owners = np.array([0, 0, 1, 2])
    plain = knn_mean_similarity(v, owners, k=1)
    # row 0's nearest foreign row is row 2 (0.8), not its own-document twin row 1 (1.0)
    assert plain[0] == pytest.approx(0.8)
    skipped = knn_mean_similarity(v, owners, k=1, skip=1)
    assert skipped[0] == pytest.approx(0.0)


@pytest.mark.parametrize("chunk_size", [2, 5, 100])
def test_knn_mean_is_chunk_independent(chunk_size):
    v = _unit(np.random.default_rng(3), 23)
    owners = np.arange(23) // 3
    ref = knn_mean_similarity(v, owners, k=4, skip=2, chunk_size=1000)
    assert np.allclose(knn_mean_similarity(v, owners, k=4, skip=2, chunk_size=chunk_size), ref)


def test_bad_parameters_name_the_parameter():
    v = _unit(np.random.default_rng(4), 4)
    with pytest.raises(InvalidParameterError, match="top_k"):
        top_k_neighbours(v, top_k=0)
    with pytest.raises(InvalidParameterError, match="2-D"):
        top_k_neighbours(v[0], top_k=1)


def test_knn_mean_for_chosen_rows_equals_those_rows_of_the_full_result():
    rng = np.random.default_rng(3)
    v = _unit(rng, 60)
    owners = np.repeat(np.arange(20), 3)
    full = knn_mean_similarity(v, owners, k=3, skip=1)
    rows = np.array([59, 0, 17, 17, 31])
    chosen = knn_mean_similarity(v, owners, k=3, skip=1, rows=rows, chunk_size=2)
    assert chosen.shape == (5,) and np.allclose(chosen, full[rows], atol=1e-6)


def _story_in_versions(n_versions: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n_versions documents of 5 sentences, each a noisy copy of one story, then 30 unrelated ones."""
    story = rng.standard_normal((5, 32))
    docs = [story + 0.4 * rng.standard_normal((5, 32)) for _ in range(n_versions)]
    docs += [rng.standard_normal((5, 32)) for _ in range(30)]
    v = np.vstack(docs).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True), np.repeat(np.arange(len(docs)), 5)


def test_knn_mean_skipping_versions_does_not_grow_with_the_number_of_versions():
    # A story in 3 or in 10 versions: with a fixed skip its sentences' neighbourhoods fill with
    # their own translations as versions are added; with the versions skipped they do not.
    fixed, versions = {}, {}
    for n in (3, 10):
        v, owners = _story_in_versions(n, np.random.default_rng(5))
        fixed[n] = float(knn_mean_similarity(v, owners, k=4, skip=2)[:5].mean())
        versions[n] = float(knn_mean_similarity(v, owners, k=4, skip=2, skip_versions=True)[:5].mean())
    assert fixed[10] > fixed[3] + 0.3
    assert abs(versions[10] - versions[3]) < 0.1


def test_version_skips_count_documents_seen_near_two_rows():
    # Document 0's two rows both list document 1 within their first skip + k = 2 neighbours, so
    # document 1 is a version of 0 (2 is not: only one row lists it); each row then skips 1 and
    # looks one rank further, where both list document 3 too: 2 versions. Document 1's single row
    # lists document 0 once, which is not enough.
    row_owners = np.array([0, 0, 1])
    listed = np.array([[1, 2, 3, 1], [3, 1, 4, -1], [0, 5, 6, 7]])
    assert version_skips(row_owners, listed, skip=0, k=2).tolist() == [2, 2, 0]
    assert version_skips(row_owners, listed, skip=2, k=2).tolist() == [2, 2, 2]
    assert version_skips(row_owners, listed, skip=0, k=2, max_versions=0).tolist() == [0, 0, 0]


def test_knn_mean_skipping_versions_is_chunk_and_order_independent():
    v, owners = _story_in_versions(8, np.random.default_rng(7))
    ref = knn_mean_similarity(v, owners, k=4, skip=4, skip_versions=True)
    assert np.allclose(knn_mean_similarity(v, owners, k=4, skip=4, skip_versions=True, chunk_size=7), ref)
    perm = np.random.default_rng(8).permutation(len(v))
    assert np.allclose(knn_mean_similarity(v[perm], owners[perm], k=4, skip=4, skip_versions=True), ref[perm])


def test_version_skips_do_not_depend_on_the_block_size(monkeypatch):
    import dedup.search.exact as exact

    v, owners = _story_in_versions(12, np.random.default_rng(9))
    ref = knn_mean_similarity(v, owners, k=4, skip=4, skip_versions=True)
    monkeypatch.setattr(exact, "_VERSION_BLOCK", 7)
    assert np.array_equal(knn_mean_similarity(v, owners, k=4, skip=4, skip_versions=True), ref)
