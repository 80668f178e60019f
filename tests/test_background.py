from __future__ import annotations

import numpy as np
import pytest

from dedup.errors import ModelError
from dedup.scoring.background import (
    ESTIMATED_MEANS,
    Background,
    fit_background,
    load_background,
    save_background,
    transfer_means,
    with_means,
)
from dedup.scoring.corpus import build_corpus, language_means
from dedup.search.exact import knn_mean_similarity


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _background(dim: int = 8, seed: int = 0) -> Background:
    rng = np.random.default_rng(seed)
    vectors = _unit(rng.normal(size=(400, dim)) + np.r_[3.0, np.zeros(dim - 1)])
    langs = ["en"] * 200 + ["de"] * 200
    vectors[200:, 1] += 2.0
    return fit_background(_unit(vectors), langs, np.ones(400, dtype=np.float32), bank_per_language=50)


def test_fit_background_keeps_a_mean_per_language_and_a_bank_sample():
    bg = _background()
    assert bg.langs == ("de", "en")
    assert bg.bank.shape == (100, 8)
    assert bg.bank_langs.count("de") == bg.bank_langs.count("en") == 50
    assert bg.mean_of("de")[1] > bg.mean_of("en")[1]
    assert np.array_equal(bg.mean_of("xx"), bg.global_mean)


def test_bank_languages_limit_the_bank_but_not_the_means():
    rng = np.random.default_rng(1)
    vectors = _unit(rng.normal(size=(300, 8)))
    langs = ["en"] * 100 + ["de"] * 100 + ["th"] * 100
    bg = fit_background(
        vectors, langs, np.ones(300, dtype=np.float32), bank_per_language=40, bank_languages={"en", "de"}
    )
    assert bg.langs == ("de", "en", "th")
    assert sorted(set(bg.bank_langs)) == ["de", "en"] and len(bg.bank_langs) == 80
    thai_rows = {row.tobytes() for row in vectors[200:]}
    assert not any(row.tobytes() in thai_rows for row in bg.bank)


def test_background_round_trips_through_its_file(tmp_path):
    bg = _background()
    save_background(bg, tmp_path / "bg.npz")
    loaded = load_background(tmp_path / "bg.npz")
    assert loaded.langs == bg.langs and loaded.bank_langs == bg.bank_langs
    np.testing.assert_allclose(loaded.lang_means, bg.lang_means)
    np.testing.assert_allclose(loaded.bank, bg.bank, atol=2e-3)  # stored as float16


def test_a_missing_background_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="background"):
        load_background(tmp_path / "missing.npz")


def test_small_input_language_mean_comes_from_the_background():
    bg = _background()
    rng = np.random.default_rng(1)
    few = _unit(rng.normal(size=(3, 8)))
    means = language_means(few, ["de"] * 3, np.ones(3, dtype=np.float32), background=bg)
    own = few.mean(axis=0)
    assert np.linalg.norm(means["de"] - bg.mean_of("de")) < np.linalg.norm(means["de"] - own)


def test_large_input_language_mean_is_its_own():
    bg = _background()
    rng = np.random.default_rng(2)
    many = _unit(rng.normal(size=(20000, 8)) - np.r_[0, 0, 3.0, np.zeros(5)])
    means = language_means(many, ["de"] * len(many), np.ones(len(many), dtype=np.float32), background=bg)
    np.testing.assert_allclose(means["de"], many.mean(axis=0), atol=0.02)


def test_an_unseen_language_in_a_one_story_folder_is_not_centred_on_that_story():
    # A small folder that is all one story (its versions in languages the background knows, and one
    # in a language it does not): the unseen language's prior is the input's global mean, which here
    # is mostly the story itself; shrunk towards the background's global mean it no longer is.
    bg = _background(dim=16)
    rng = np.random.default_rng(3)
    story = rng.normal(size=(6, 16))
    docs = [
        story + 0.3 * rng.normal(size=(6, 16)) + 2.0 * bg.mean_of(lang) for lang in ("en", "de", "en", "de")
    ]
    unseen = story + 0.3 * rng.normal(size=(6, 16)) + 2.0 * _unit(rng.normal(size=16))
    rows = _unit(np.vstack([*docs, unseen]))
    langs = ["en"] * 6 + ["de"] * 6 + ["en"] * 6 + ["de"] * 6 + ["sw"] * 6
    means = language_means(rows, langs, np.ones(len(rows), dtype=np.float32), background=bg)
    plain = language_means(rows, langs, np.ones(len(rows), dtype=np.float32))
    story_direction = _unit(story.mean(axis=0))
    assert float((means["sw"] - bg.global_mean) @ story_direction) < float(
        (plain["sw"] - bg.global_mean) @ story_direction
    )
    centred = _unit(rows - np.array([means[lang] for lang in langs]))
    assert float(np.mean(np.sum(centred[:6] * centred[24:], axis=1))) > 0.5


def test_bank_rows_join_every_sentence_neighbourhood_but_are_never_queried():
    v = _unit(np.eye(3, dtype=np.float32))
    owners = np.array([0, 1, 2])
    alone = knn_mean_similarity(v, owners, k=1)
    bank = _unit(np.array([[1.0, 1.0, 0.0]], dtype=np.float32))
    with_bank = knn_mean_similarity(v, owners, k=1, extra=bank)
    assert alone.tolist() == [0.0, 0.0, 0.0]
    assert with_bank.shape == (3,)
    assert with_bank[0] == pytest.approx(1 / np.sqrt(2)) and with_bank[2] == pytest.approx(0.0)


def test_build_corpus_ignores_a_background_of_another_width():
    bg = _background(dim=8)
    emb = [_unit(np.random.default_rng(3).normal(size=(2, 4)))]
    corpus = build_corpus([["a b c", "d e f"]], emb, ["en"], background=bg)
    plain = build_corpus([["a b c", "d e f"]], emb, ["en"])
    np.testing.assert_array_equal(corpus.embeddings, plain.embeddings)


def test_traditional_chinese_is_centred_on_its_own_background_mean():
    dim = 8
    hans, hant = np.zeros(dim, dtype=np.float32), np.zeros(dim, dtype=np.float32)
    hans[0], hant[1] = 0.5, 0.5
    bg = Background(
        langs=("zh", "zh-Hant"),
        lang_means=np.stack([hans, hant]),
        global_mean=np.zeros(dim, dtype=np.float32),
        bank=np.zeros((0, dim), dtype=np.float32),
        bank_langs=(),
        prior_weight=1e6,  # the background's means decide
    )
    vectors = [_unit(np.ones((1, dim))), _unit(np.ones((1, dim)))]
    texts = ["這個國家的經濟發展很快。", "这个国家的经济发展很快。"]
    corpus = build_corpus([[t] for t in texts], vectors, ["zh", "zh"], texts=texts, background=bg)
    traditional, simplified = corpus.embeddings
    expected = [_unit(vectors[0][0] - hant), _unit(vectors[1][0] - hans)]
    np.testing.assert_allclose([traditional, simplified], expected, atol=1e-3)
    assert corpus.langs == ["zh", "zh"]  # the language stays Chinese; only the centring differs


def test_transfer_means_recovers_a_language_offset_from_a_parallel_text():
    # Each language's mean is its offset plus what its text is about; the parallel text is about
    # something else, the same in every language, so only the offsets separate its means.
    rng = np.random.default_rng(2)
    offsets = {lang: rng.normal(scale=0.2, size=8) for lang in ("en", "de", "fr", "km")}
    news, declaration = rng.normal(size=8), rng.normal(size=8)
    known = ("de", "en", "fr")
    bg = Background(
        langs=known,
        lang_means=np.array([offsets[lang] + news for lang in known], dtype=np.float32),
        global_mean=news.astype(np.float32),
        bank=np.eye(8, dtype=np.float32),
        bank_langs=("en",) * 8,
    )
    parallel = {lang: offsets[lang] + declaration for lang in offsets}
    estimated = transfer_means(bg, parallel)
    assert set(estimated) == {"km"}  # the languages with a mean keep it
    np.testing.assert_allclose(estimated["km"], offsets["km"] + news, atol=1e-5)
    assert np.linalg.norm(estimated["km"] - bg.global_mean) > 0.1


def test_transfer_means_needs_a_language_with_a_background_mean():
    bg = _background()
    with pytest.raises(ValueError, match="pivot"):
        transfer_means(bg, {"km": np.zeros(8), "my": np.ones(8)})
    # an estimated mean is no pivot either
    estimated = with_means(bg, {"km": np.zeros(8)}, source="udhr")
    with pytest.raises(ValueError, match="pivot"):
        transfer_means(estimated, {"km": np.zeros(8), "my": np.ones(8)})


def test_with_means_adds_languages_and_survives_the_file(tmp_path):
    bg = _background()
    added = with_means(bg, {"km": np.full(8, 0.1), "en": np.zeros(8)}, source="udhr")
    assert added.langs == ("de", "en", "km")
    assert added.meta[ESTIMATED_MEANS] == {"km": "udhr"}
    assert np.array_equal(added.mean_of("en"), bg.mean_of("en"))
    np.testing.assert_allclose(added.mean_of("km"), np.full(8, 0.1))
    assert np.array_equal(added.bank, bg.bank) and np.array_equal(added.global_mean, bg.global_mean)
    save_background(added, tmp_path / "bg.npz")
    np.testing.assert_allclose(load_background(tmp_path / "bg.npz").mean_of("km"), np.full(8, 0.1))
