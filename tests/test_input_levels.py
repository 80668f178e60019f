"""Translation levels of language pairs the reference lacks, measured on the input."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.config import ScanConfig
from dedup.runners.stages import adapt_to_input
from dedup.scoring.calibration import load_confidence_model
from dedup.scoring.corpus import Corpus, build_corpus
from dedup.scoring.cosine_reference import CosineReference
from dedup.scoring.input_levels import estimate_pair_levels, translation_matches

DIM = 384
N = 24
REFERENCE = CosineReference(
    pairs={"en-ru": (0.7, 0.1)},
    scripts={"Latn-Latn": (0.68, 0.1), "Cyrl-Latn": (0.64, 0.1)},
    overall=(0.65, 0.1),
)


def _corpus(noise: float, langs: tuple[str, ...], *, seed: int = 0) -> Corpus:
    """Document 0 and document 1 are "translations" (1 = 0 + noise); the rest are unrelated."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(N, DIM)).astype(np.float32)
    vectors = [base, base + noise * rng.normal(size=(N, DIM)).astype(np.float32)]
    vectors += [rng.normal(size=(N, DIM)).astype(np.float32) for _ in langs[2:]]
    sentences = [[f"doc {d} sentence {k}" for k in range(N)] for d in range(len(langs))]
    return build_corpus(sentences, vectors, list(langs), margin_k=2)


def _all_pairs(corpus: Corpus) -> list[tuple[int, int]]:
    return [(i, j) for i in range(corpus.n_docs) for j in range(i + 1, corpus.n_docs)]


def test_weak_translations_of_an_unmeasured_pair_lower_its_level_below_the_script_fallback():
    corpus = _corpus(1.2, ("is", "en", "en", "is"))
    adapted = estimate_pair_levels(corpus, _all_pairs(corpus), REFERENCE)
    translation, unrelated = adapted.levels("is", "en")
    assert translation < REFERENCE.levels("is", "en")[0] - 0.02
    assert unrelated == REFERENCE.levels("is", "en")[1]
    assert adapted.from_input["en-is"] >= 8
    # the shrunk estimate lies between the input's own median and the fallback
    median = float(np.median(translation_matches(corpus, [(0, 1)])["en-is"]))
    assert median < translation < REFERENCE.levels("is", "en")[0]


def test_stronger_translations_give_a_higher_level_than_weaker_ones():
    weak = estimate_pair_levels(_corpus(1.4, ("is", "en", "en")), [(0, 1), (0, 2), (1, 2)], REFERENCE)
    strong = estimate_pair_levels(_corpus(0.9, ("is", "en", "en")), [(0, 1), (0, 2), (1, 2)], REFERENCE)
    assert weak.levels("is", "en")[0] < strong.levels("is", "en")[0]


def test_measured_pairs_keep_their_shipped_levels():
    corpus = _corpus(1.2, ("ru", "en", "en"))
    assert estimate_pair_levels(corpus, _all_pairs(corpus), REFERENCE) is REFERENCE


def test_unrelated_documents_leave_the_fallback_in_place():
    corpus = _corpus(1.2, ("is", "en", "en", "en"))
    pairs = [(0, 2), (0, 3), (1, 2), (1, 3)]  # never the translated pair
    adapted = estimate_pair_levels(corpus, pairs, REFERENCE)
    assert adapted.levels("is", "en") == REFERENCE.levels("is", "en")
    assert adapted.from_input == {}


def test_one_striking_shared_sentence_is_not_evidence():
    rng = np.random.default_rng(3)
    vectors = [rng.normal(size=(N, DIM)).astype(np.float32) for _ in range(5)]
    vectors[1][5] = vectors[0][7] + 0.1 * rng.normal(size=DIM).astype(np.float32)  # one shared quote
    sentences = [[f"doc {d} sentence {k}" for k in range(N)] for d in range(5)]
    corpus = build_corpus(sentences, vectors, ["is", "en", "en", "en", "is"], margin_k=2)
    assert translation_matches(corpus, [(0, 1)], min_per_document=1)["en-is"]
    assert translation_matches(corpus, [(0, 1)]).get("en-is", []) == []


def test_too_little_evidence_keeps_the_fallback():
    corpus = _corpus(1.2, ("is", "en"))
    adapted = estimate_pair_levels(corpus, [(0, 1)], REFERENCE, min_evidence=N + 1)
    assert adapted.levels("is", "en") == REFERENCE.levels("is", "en")


def test_adapt_to_input_follows_the_config_switch():
    model = load_confidence_model()
    corpus = _corpus(1.2, ("fo", "en", "en"))  # Faroese-English: not in the shipped reference
    pairs = _all_pairs(corpus)
    adapted = adapt_to_input(corpus, pairs, config=ScanConfig(), confidence_model=model)
    assert adapted.reference is not None and "en-fo" in adapted.reference.from_input
    assert adapted.article is model.article and adapted.min_level == model.min_level
    off = adapt_to_input(corpus, pairs, config=ScanConfig(input_levels=False), confidence_model=model)
    assert off is model


@pytest.mark.parametrize("noise", [0.8, 1.2])
def test_estimate_does_not_depend_on_pair_order(noise):
    corpus = _corpus(noise, ("is", "en", "en", "is"))
    pairs = _all_pairs(corpus)
    forward = estimate_pair_levels(corpus, pairs, REFERENCE)
    backward = estimate_pair_levels(corpus, pairs[::-1], REFERENCE)
    assert forward.levels("is", "en") == pytest.approx(backward.levels("is", "en"), abs=1e-9)


def test_same_language_pairs_keep_the_fallback():
    corpus = _corpus(1.2, ("is", "is", "en"))
    adapted = estimate_pair_levels(corpus, _all_pairs(corpus), REFERENCE)
    assert adapted.levels("is", "is") == REFERENCE.levels("is", "is")
    assert adapted.from_input == {}


def test_a_language_never_measured_is_read_off_all_its_pairs_together():
    # One short story in Icelandic, English and Russian: each Icelandic pair has 5 matches, fewer
    # than the 8 a pair needs, but Icelandic's 10 together are enough for both of its pairs.
    rng = np.random.default_rng(4)
    base = rng.normal(size=(5, DIM)).astype(np.float32)
    vectors = [base] + [base + 1.1 * rng.normal(size=(5, DIM)).astype(np.float32) for _ in range(2)]
    vectors += [rng.normal(size=(5, DIM)).astype(np.float32) for _ in range(6)]
    langs = ["is", "en", "ru"] + ["en", "ru", "is"] * 2
    corpus = build_corpus([[f"{d}.{k}" for k in range(5)] for d in range(9)], vectors, langs, margin_k=2)
    pairs = [(0, 1), (0, 2), (1, 2)]
    found = translation_matches(corpus, pairs)
    assert 0 < len(found["en-is"]) < 8 and 0 < len(found["is-ru"]) < 8
    adapted = estimate_pair_levels(corpus, pairs, REFERENCE)
    pooled = len(found["en-is"]) + len(found["is-ru"])
    assert adapted.from_input == {"en-is": pooled, "is-ru": pooled}
    assert adapted.levels("is", "en")[0] < REFERENCE.levels("is", "en")[0]
    assert adapted.levels("en", "ru") == REFERENCE.levels("en", "ru")  # measured: kept
    # Two languages the reference knows are never pooled: each pair needs its own evidence.
    known = CosineReference(
        pairs=REFERENCE.pairs | {"de-is": (0.6, 0.1)}, scripts=REFERENCE.scripts, overall=REFERENCE.overall
    )
    assert "en-is" not in estimate_pair_levels(corpus, pairs, known).from_input
