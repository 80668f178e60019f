from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import InvalidParameterError
from dedup.scoring.cluster import cluster_pairs, group_confidence


def test_average_linkage_does_not_chain_through_one_weak_link():
    # two tight stories joined by a single chance link between 1 and 2
    edges = {(0, 1): 0.95, (2, 3): 0.95, (1, 2): 0.7}
    assert cluster_pairs(4, edges, threshold=0.5) == [[0, 1], [2, 3]]


def test_connected_members_merge_when_the_whole_group_agrees():
    edges = {(0, 1): 0.9, (1, 2): 0.9, (0, 2): 0.8}
    assert cluster_pairs(3, edges, threshold=0.5) == [[0, 1, 2]]


def test_missing_pairs_are_scored_on_demand():
    calls = []

    def score(i, j):
        calls.append((i, j))
        return 0.9

    groups = cluster_pairs(3, {(0, 1): 0.9, (1, 2): 0.9}, threshold=0.5, score_missing=score)
    assert groups == [[0, 1, 2]]
    assert calls == [(0, 2)]


def test_singletons_are_kept():
    assert cluster_pairs(3, {}, threshold=0.5) == [[0], [1], [2]]


def test_threshold_is_validated():
    with pytest.raises(InvalidParameterError, match="threshold"):
        cluster_pairs(2, {}, threshold=1.5)


def test_group_confidence_counts_unscored_pairs_as_zero():
    assert group_confidence([0, 1, 2], {(0, 1): 0.9}) == pytest.approx(0.3)


@settings(deadline=None, max_examples=50)
@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.dictionaries(
                st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1]),
                st.floats(0, 1),
            ),
            st.randoms(use_true_random=False),
        )
    )
)
def test_groups_are_a_partition_independent_of_input_order(case):
    n, edges, rnd = case
    groups = cluster_pairs(n, edges, threshold=0.5)
    assert sorted(x for g in groups for x in g) == list(range(n))
    items = list(edges.items())
    rnd.shuffle(items)
    assert cluster_pairs(n, dict(items), threshold=0.5) == groups


def test_higher_threshold_never_gives_fewer_groups():
    rnd = random.Random(0)
    edges = {(i, j): rnd.random() for i in range(15) for j in range(i + 1, 15) if rnd.random() < 0.3}
    counts = [len(cluster_pairs(15, edges, threshold=t)) for t in (0.2, 0.5, 0.8)]
    assert counts == sorted(counts)


def test_a_strong_link_to_one_member_joins_a_group_average_linkage_keeps_apart():
    # 0, 1, 2 are one story; 3 is a brief matching 0 strongly and the others weakly.
    edges = {(0, 1): 0.95, (0, 2): 0.9, (1, 2): 0.92, (0, 3): 0.91, (1, 3): 0.2, (2, 3): 0.1}
    assert cluster_pairs(4, edges, threshold=0.5) == [[0, 1, 2], [3]]
    assert cluster_pairs(4, edges, threshold=0.5, strong_link=0.9, strong_mean=0.3) == [[0, 1, 2, 3]]


def test_a_strong_link_needs_the_mean_floor_too():
    edges = {(0, 1): 0.95, (0, 2): 0.9, (1, 2): 0.92, (0, 3): 0.91, (1, 3): 0.0, (2, 3): 0.0}
    assert cluster_pairs(4, edges, threshold=0.5, strong_link=0.9, strong_mean=0.35) == [[0, 1, 2], [3]]
