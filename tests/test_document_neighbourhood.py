"""Neighbourhood statistics of the document-neighbourhood benchmark (benchmarks/document_neighbourhood.py)."""

from __future__ import annotations

import numpy as np

from benchmarks.document_neighbourhood import neighbourhood_stats, pair_z


def test_an_archive_alone_reads_only_the_other_documents_cosines():
    cosines = np.array([[1.0, 0.2, 0.4], [0.2, 1.0, 0.6], [0.4, 0.6, 1.0]])
    mean, std = neighbourhood_stats(cosines)
    assert np.allclose(mean, [0.3, 0.4, 0.5]) and np.allclose(std, [0.1, 0.2, 0.1])


def test_the_bank_prior_rules_a_small_archive_and_yields_to_a_large_one():
    bank = np.full((1, 50), 0.1)  # one document's cosines to 50 bank documents
    small = neighbourhood_stats(np.array([[1.0]]), bank, prior_docs=30.0)
    assert np.allclose(small[0], [0.1])  # an archive of one document: the bank's mean alone
    n = 301
    large = np.full((n, n), 0.5)
    mean, _ = neighbourhood_stats(large, np.full((n, 50), 0.1), prior_docs=30.0)
    assert np.allclose(mean, (300 * 0.5 + 30 * 0.1) / 330)  # 300 documents against 30 worth of bank


def test_a_pair_above_both_neighbourhoods_gets_a_positive_z_score():
    means, stds = np.array([0.3, 0.4]), np.array([0.1, 0.2])
    assert pair_z(0.6, means, stds, 0, 1) > 0 > pair_z(0.2, means, stds, 0, 1)
