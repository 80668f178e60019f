from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.encoders.base import HashingEncoder
from dedup.errors import InvalidParameterError
from dedup.scoring.corpus import build_corpus, centre_by_language
from dedup.scoring.score import align_sentences, is_exact_copy, score_pair
from dedup.scoring.signals import char_shingles, jaccard

ENC = HashingEncoder(dim=128)

STORY = [
    "The storm reached the coast on Monday night.",
    "Thousands of homes lost power across the region.",
    "Schools will stay closed until Wednesday.",
    "The weather service expects calmer winds by the weekend.",
]
OTHER = [
    "The central bank raised interest rates by half a point.",
    "Markets fell sharply after the announcement.",
    "Analysts had expected a smaller increase this month.",
]


def _corpus(docs: list[list[str]], langs: list[str] | None = None):
    return build_corpus(
        docs, [ENC.encode(d) for d in docs], langs or ["en"] * len(docs), margin_k=2, margin_skip=0
    )


def test_copy_is_fully_covered_and_unrelated_is_not():
    corpus = _corpus([STORY, list(STORY), OTHER])
    same, alignment = score_pair(corpus, 0, 1, min_cosine=0.3, min_margin=1.0)
    other, _ = score_pair(corpus, 0, 2, min_cosine=0.3, min_margin=1.0)
    assert same.coverage_a == pytest.approx(1.0) and same.coverage_b == pytest.approx(1.0)
    assert [(i, j) for i, j, _, _ in alignment.pairs] == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert other.n_aligned < same.n_aligned
    assert other.coverage_max < 0.5
    assert same.shingle_jaccard == pytest.approx(1.0)


def test_truncated_copy_covers_the_short_side_only():
    corpus = _corpus([STORY, STORY[:2], OTHER])
    feats, _ = score_pair(corpus, 0, 1, min_cosine=0.3, min_margin=1.0)
    assert feats.coverage_b == pytest.approx(1.0)
    assert feats.coverage_a < 0.75


def test_scoring_is_symmetric():
    corpus = _corpus([STORY, STORY[1:] + ["An extra closing line."], OTHER])
    ab, _ = score_pair(corpus, 0, 1)
    ba, _ = score_pair(corpus, 1, 0)
    assert ab.coverage_a == pytest.approx(ba.coverage_b)
    assert ab.coverage_b == pytest.approx(ba.coverage_a)
    assert ab.n_aligned == ba.n_aligned
    assert ab.mean_cosine == pytest.approx(ba.mean_cosine)


def test_repeated_boilerplate_sentence_weighs_less():
    shared = "Subscribe to our newsletter for more news every day."
    docs = [[shared] + STORY[:1], [shared] + OTHER[:1], [shared] + ["Another text about farming."]]
    corpus = _corpus(docs)
    rows = corpus.rows(0)
    weights = corpus.weights[rows]
    # same length class, but the shared line is in 3 documents
    assert weights[0] < weights[1]


def test_align_rejects_different_dims():
    a = np.ones((2, 4), dtype=np.float32)
    b = np.ones((2, 3), dtype=np.float32)
    z = np.zeros(2, dtype=np.float32)
    with pytest.raises(InvalidParameterError, match="dims"):
        align_sentences(a, b, z, z, z + 1, z + 1, min_cosine=0.1, min_margin=1.0)


def test_empty_documents_score_zero():
    corpus = _corpus([[], STORY])
    feats, alignment = score_pair(corpus, 0, 1)
    assert feats.coverage_a == 0.0 and feats.n_aligned == 0 and alignment.pairs == ()


def test_centring_removes_the_language_mean():
    rng = np.random.default_rng(0)
    v = rng.standard_normal((40, 8)).astype(np.float32) + np.array([3, 0, 0, 0, 0, 0, 0, 0], dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    centred = centre_by_language(v, ["en"] * 40, np.ones(40, dtype=np.float32))
    assert abs(float(centred.mean(axis=0)[0])) < abs(float(v.mean(axis=0)[0])) / 2
    assert np.allclose(np.linalg.norm(centred, axis=1), 1.0, atol=1e-5)


def test_shingles_work_without_whitespace():
    a = char_shingles("東京で大雨が降り、多くの電車が止まった。")
    b = char_shingles("東京で大雨が降り、多くの電車が止まりました。")
    c = char_shingles("株価が大きく下落した。")
    assert jaccard(a, b) > jaccard(a, c)
    assert jaccard(a, a) == 1.0


@settings(deadline=None, max_examples=30)
@given(
    st.lists(st.sampled_from(STORY + OTHER), min_size=1, max_size=6),
    st.lists(st.sampled_from(STORY + OTHER), min_size=1, max_size=6),
)
def test_features_stay_in_range(doc_a, doc_b):
    corpus = _corpus([doc_a, doc_b, OTHER])
    feats, _ = score_pair(corpus, 0, 1)
    for value in (feats.coverage_a, feats.coverage_b, feats.length_ratio, feats.shingle_jaccard):
        assert 0.0 <= value <= 1.0
    assert -1.0 - 1e-6 <= feats.doc_cosine <= 1.0 + 1e-6


def test_texts_without_letters_or_digits_are_not_exact_copies_of_each_other():
    docs = [STORY, list(STORY), ["..."], ["—"]]
    corpus = build_corpus(
        docs,
        [ENC.encode(d) for d in docs],
        ["en"] * 4,
        texts=["\n".join(STORY), "\n".join(STORY), "...", "— !"],
    )
    assert is_exact_copy(corpus, 0, 1)
    assert not is_exact_copy(corpus, 2, 3)


def _naive_jaccard(a: str, b: str, size: int = 5) -> float:
    """Jaccard of the n-gram strings themselves, no hashing (the oracle)."""
    from dedup.search.copies import normalise_for_hash

    def grams(text: str) -> set[str]:
        key = normalise_for_hash(text)
        return (
            {key[k : k + size] for k in range(len(key) - size + 1)}
            if len(key) >= size
            else ({key} if key else set())
        )

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb) if ga and gb else 0.0


@settings(deadline=None, max_examples=50)
@given(st.text(min_size=0, max_size=80), st.text(min_size=0, max_size=80))
def test_hashed_shingle_jaccard_equals_the_exact_ngram_jaccard(a, b):
    assert jaccard(char_shingles(a), char_shingles(b)) == pytest.approx(_naive_jaccard(a, b))


def test_one_flat_matrix_gives_the_same_corpus_and_copy_false_reuses_it():
    docs = [STORY, OTHER, [], STORY[:2]]
    per_doc = [ENC.encode(d) for d in docs]
    flat = np.concatenate(per_doc)
    original = flat.copy()
    from_list = build_corpus(docs, per_doc, ["en", "en", "en", "de"], margin_k=2, margin_skip=0)
    copied = build_corpus(docs, flat, ["en", "en", "en", "de"], margin_k=2, margin_skip=0)
    assert np.array_equal(flat, original)  # copy=True (the default) leaves the caller's array alone
    in_place = build_corpus(docs, flat, ["en", "en", "en", "de"], margin_k=2, margin_skip=0, copy=False)
    assert np.shares_memory(in_place.embeddings, flat)
    for corpus in (copied, in_place):
        assert np.array_equal(corpus.embeddings, from_list.embeddings)
        assert np.array_equal(corpus.knn, from_list.knn)
        assert np.array_equal(corpus.doc_vectors, from_list.doc_vectors)
    with pytest.raises(InvalidParameterError, match="one row per sentence"):
        build_corpus(docs, flat[:-1], ["en", "en", "en", "de"])


def test_shingle_jaccard_is_the_set_jaccard() -> None:
    rng = np.random.default_rng(7)
    for _ in range(500):
        a = np.unique(rng.integers(0, 120, rng.integers(0, 40)).astype(np.uint64))
        b = np.unique(rng.integers(0, 120, rng.integers(0, 40)).astype(np.uint64))
        sa, sb = set(a.tolist()), set(b.tolist())
        expected = len(sa & sb) / len(sa | sb) if sa and sb else 0.0
        assert jaccard(a, b) == pytest.approx(expected, abs=0)


def test_aligned_sentences_with_other_numbers_count_as_number_conflicts() -> None:
    template = [
        "The city council approved the new tram plan on Tuesday evening.",
        "The project will cost 120 million euros and should be finished in 2029.",
        "Opposition parties said the budget was far too small.",
    ]
    other_city = [template[0], template[1].replace("120", "45").replace("2029", "2031"), template[2]]
    corpus = _corpus([template, list(template), other_city, OTHER])
    same, _ = score_pair(corpus, 0, 1, min_cosine=0.3, min_margin=0.0)
    other, other_alignment = score_pair(corpus, 0, 2, min_cosine=0.3, min_margin=0.0)
    assert {(p[0], p[1]) for p in other_alignment.pairs} == {(0, 0), (1, 1), (2, 2)}
    assert (same.number_agreements, same.number_conflicts) == (1, 0)
    assert (other.number_agreements, other.number_conflicts) == (0, 1)
