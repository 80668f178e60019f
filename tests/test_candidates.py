"""Candidate search: one function for every runner, exact copies always included."""

from __future__ import annotations

import numpy as np

from dedup.search.candidates import candidates, candidates_against
from dedup.search.copies import copy_key, copy_pairs
from dedup.search.exact import top_k_against


def _unit(rows: list[list[float]]) -> np.ndarray:
    v = np.array(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_small_inputs_score_every_pair() -> None:
    v = _unit([[1, 0], [0, 1], [1, 1]])
    assert candidates(v, ["", "", ""], top_k=1, exhaustive_below=3, ann_above=100) == [(0, 1), (0, 2), (1, 2)]


def test_copies_are_candidates_even_when_their_vectors_are_far_apart() -> None:
    v = _unit([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [-1, 0.01]])
    keys = [copy_key("Storm hits."), "", "", "", copy_key("storm HITS")]
    found = candidates(v, keys, top_k=1, exhaustive_below=2, ann_above=100)
    assert (0, 4) in found
    assert (0, 1) in found and (2, 3) in found


def test_empty_texts_copy_nothing() -> None:
    assert copy_key("...") == ""
    assert copy_pairs(["", "", "x", "x"]) == [(2, 3)]


def test_eligible_keeps_only_pairs_of_marked_documents() -> None:
    v = _unit([[1, 0], [1, 0.1], [0, 1]])
    eligible = np.array([True, False, True])
    found = candidates(v, ["", "", ""], top_k=2, exhaustive_below=5, ann_above=100, eligible=eligible)
    assert found == [(0, 2)]


def test_top_k_against_orders_by_cosine_then_index_when_k_covers_the_base() -> None:
    q = _unit([[1, 0]])
    base = _unit([[0, 1], [1, 0], [1, 0], [1, 1]])
    indices, scores = top_k_against(q, base, top_k=10)
    assert indices.tolist() == [[1, 2, 3, 0]]
    assert np.all(np.diff(scores[0]) <= 0)
    assert top_k_against(q, base, top_k=2)[0].tolist() == [[1, 2]]


def test_candidates_against_adds_archived_copies_to_the_nearest() -> None:
    q = _unit([[1, 0], [0, 1]])
    base = _unit([[1, 0.05], [0.2, 1], [-1, 0]])
    base_keys = ["", "", copy_key("same text")]
    chosen = candidates_against(q, [copy_key("Same text."), ""], base, base_keys, top_k=1)
    assert chosen == {0: {0, 2}, 1: {1}}


def test_candidates_against_an_empty_archive() -> None:
    q = _unit([[1, 0]])
    assert candidates_against(q, ["k"], np.zeros((0, 2), np.float32), [], top_k=3) == {0: set()}
