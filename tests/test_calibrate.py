from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dedup.errors import InvalidParameterError, ModelError
from dedup.scoring.calibration import (
    ARTICLE_FEATURES,
    LEVEL_CAP,
    STORY_FEATURES,
    Calibrator,
    ConfidenceModel,
    feature_matrix,
    feature_value,
    fit_calibrator,
    load_confidence_model,
    save_confidence_model,
)
from dedup.types import PairFeatures


def _features(coverage: float, cosine: float = 0.7, level: float = 1.0) -> PairFeatures:
    """Two 10-sentence documents, ``coverage`` of each aligned to the other (at translation level);
    the documents as wholes agree as much as their sentences do."""
    whole = 0.1 + 0.7 * coverage
    return PairFeatures(
        coverage_a=coverage,
        coverage_b=coverage,
        n_aligned=round(10 * coverage),
        mean_cosine=cosine,
        mean_margin=1.5,
        length_ratio=0.9,
        shingle_jaccard=0.05,
        doc_cosine=whole,
        same_language=False,
        n_sentences_a=10,
        n_sentences_b=10,
        story_cosine=whole,
        soft_coverage=0.3 * (1 - coverage) + cosine * coverage,
        lead_cosine=whole,
        mean_level=level if coverage else 0.0,
    )


def test_shipped_calibration_loads_and_is_monotone_in_coverage():
    model = load_confidence_model()
    probs = [model.article_confidence(_features(c)) for c in np.linspace(0, 1, 11)]
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert probs == sorted(probs)
    assert probs[0] < 0.2 and probs[-1] > 0.9


def test_shipped_story_model_is_monotone_in_document_similarity():
    model = load_confidence_model()
    probs = []
    for cosine in np.linspace(-0.2, 1.0, 7):
        f = _features(0.1)
        probs.append(model.story_confidence(PairFeatures(**{**f.to_dict(), "story_cosine": float(cosine)})))
    assert probs == sorted(probs)
    assert probs[-1] > 10 * probs[0]


def _documents_agree(features: PairFeatures, agreement: float) -> PairFeatures:
    """The same alignment, with the documents as wholes agreeing to ``agreement`` (0: unrelated)."""
    return PairFeatures(
        **{
            **features.to_dict(),
            "doc_cosine": agreement,
            "story_cosine": agreement,
            "lead_cosine": agreement,
            "soft_coverage": 0.3 + 0.5 * agreement,
        }
    )


def test_shipped_article_model_weighs_one_aligned_sentence_by_its_documents():
    # Two 5-sentence documents with one sentence aligned at translation level: a quoted sentence
    # when the documents otherwise differ, a condensed translation when they agree as wholes.
    model = load_confidence_model()
    one_sentence = PairFeatures(
        coverage_a=0.2, coverage_b=0.2, n_aligned=1, mean_cosine=0.75, mean_margin=1.8,
        length_ratio=1.0, shingle_jaccard=0.02, doc_cosine=0.0, same_language=False,
        n_sentences_a=5, n_sentences_b=5, mean_level=1.0,
    )  # fmt: skip
    probs = [model.article_confidence(_documents_agree(one_sentence, a)) for a in np.linspace(0, 0.9, 7)]
    assert probs == sorted(probs)
    # A quoted sentence stays unlikely; documents agreeing as wholes lift the same alignment to an
    # even chance or so (0.53 and 0.46 in the last two refits), many times the quote's confidence.
    assert probs[0] < 0.02 and probs[-1] > 0.35 and probs[-1] > 50 * probs[0]


def test_capped_level_counts_a_level_past_the_cap_as_the_cap():
    f = _features(0.5, level=0.8)
    assert feature_value(f, "capped_level") == pytest.approx(0.8)
    high = PairFeatures(**{**f.to_dict(), "mean_level": LEVEL_CAP + 0.9})
    assert feature_value(high, "capped_level") == pytest.approx(LEVEL_CAP)
    assert feature_value(high, "mean_level") == pytest.approx(LEVEL_CAP + 0.9)


def test_one_sentence_terms_are_the_level_of_a_pair_with_a_one_sentence_document_and_zero_otherwise():
    f = _features(0.5, level=0.8)
    single = PairFeatures(**{**f.to_dict(), "n_sentences_a": 1, "mean_level": LEVEL_CAP + 0.9})
    assert (feature_value(f, "one_sentence"), feature_value(f, "one_sentence_level")) == (0.0, 0.0)
    assert feature_value(single, "one_sentence") == 1.0
    assert feature_value(single, "one_sentence_level") == pytest.approx(LEVEL_CAP)


def test_shipped_article_model_gains_nothing_from_one_sentence_aligned_past_a_translations_level():
    # One sentence of two otherwise unrelated 5-sentence documents aligned far above a typical
    # translation (a quoted headline, a name line): no more likely the same article than at the cap.
    model = load_confidence_model()
    assert "capped_level" in model.article.feature_names
    quote = PairFeatures(
        coverage_a=0.2, coverage_b=0.2, n_aligned=1, mean_cosine=0.75, mean_margin=1.8,
        length_ratio=1.0, shingle_jaccard=0.02, doc_cosine=0.0, same_language=False,
        n_sentences_a=5, n_sentences_b=5, mean_level=LEVEL_CAP,
    )  # fmt: skip
    at_cap = model.article_confidence(quote)
    far_past = model.article_confidence(PairFeatures(**{**quote.to_dict(), "mean_level": 1.8}))
    assert far_past == pytest.approx(at_cap)
    assert far_past < 0.2


def test_round_trip_through_json(tmp_path):
    model = load_confidence_model()
    path = tmp_path / "cal.json"
    save_confidence_model(model, path, note="test")
    again = load_confidence_model(path)
    f = _features(0.6)
    assert again.article_confidence(f) == pytest.approx(model.article_confidence(f), abs=1e-6)
    assert json.loads(path.read_text())["note"] == "test"


def test_missing_or_wrong_version_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        load_confidence_model(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 99}))
    with pytest.raises(ModelError, match="version"):
        load_confidence_model(bad)


def test_fit_calibrator_learns_direction_and_validates():
    rng = np.random.default_rng(0)
    coverage = rng.random(200)
    y = (coverage + rng.normal(0, 0.1, 200) > 0.5).astype(int)
    pairs = [_features(float(c)) for c in coverage]
    cal = fit_calibrator(pairs, y, ("coverage_max",))
    assert cal.coef[0] > 0
    assert cal.predict_pair(_features(0.9)) > 0.5 > cal.predict_pair(_features(0.1))
    with pytest.raises(InvalidParameterError, match="C must be"):
        fit_calibrator(pairs, y, ("coverage_max",), C=0)
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\]"):
        fit_calibrator(pairs, y * 2, ("coverage_max",))
    with pytest.raises(InvalidParameterError, match="one value per pair"):
        fit_calibrator(pairs, y[:-1], ("coverage_max",))
    assert isinstance(ConfidenceModel(article=cal, story=cal).to_dict()["article"]["coef"], list)


def test_calibrator_needs_one_coefficient_per_feature():
    with pytest.raises(ModelError, match="2 coefficients for 1 features"):
        Calibrator.from_dict({"feature_names": ["coverage_max"], "coef": [1.0, 2.0], "intercept": 0.0})


def _synthetic_pairs(n: int = 300) -> tuple[list[PairFeatures], np.ndarray, np.ndarray, np.ndarray]:
    """Pairs with every feature varying, hard labels, soft targets and weights."""
    rng = np.random.default_rng(7)
    same = rng.random(n) < 0.4
    pairs = []
    for s in same:
        coverage = float(np.clip(rng.normal(0.7 if s else 0.15, 0.2), 0, 1))
        na, nb = int(rng.integers(4, 30)), int(rng.integers(4, 30))
        pairs.append(
            PairFeatures(
                coverage_a=coverage,
                coverage_b=float(np.clip(coverage + rng.normal(0, 0.1), 0, 1)),
                n_aligned=round(coverage * min(na, nb)),
                mean_cosine=float(rng.normal(0.8 if s else 0.6, 0.05)),
                mean_margin=float(rng.normal(1.3 if s else 1.1, 0.1)),
                length_ratio=float(rng.random()),
                shingle_jaccard=float(rng.random() * (0.3 if s else 0.1)),
                doc_cosine=float(rng.random()),
                same_language=bool(rng.random() < 0.5),
                n_sentences_a=na,
                n_sentences_b=nb,
                story_cosine=float(rng.normal(0.6 if s else 0.3, 0.15)),
                soft_coverage=float(rng.random()),
                entity_overlap=float(rng.random() * (0.5 if s else 0.2)),
                lead_cosine=float(rng.normal(0.5, 0.2)),
                mean_level=float(rng.random()),
            )
        )
    soft = np.clip(np.where(same, 0.8, 0.2) + rng.normal(0, 0.15, n), 0, 1)
    return pairs, same, soft, rng.random(n) * 3


def _reference_fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, C: float, seed: int) -> tuple[list, float]:
    """The fit behind the shipped calibration-v1.json, written out: each row once as a positive weighted
    w * y and once as a negative weighted w * (1 - y), zero weights dropped, then scikit-learn."""
    from sklearn.linear_model import LogisticRegression

    X2, y2, w2 = np.vstack([X, X]), np.r_[np.ones(len(y)), np.zeros(len(y))], np.r_[w * y, w * (1 - y)]
    keep = w2 > 0
    model = LogisticRegression(C=C, random_state=seed, max_iter=1000)
    model.fit(X2[keep], y2[keep], sample_weight=w2[keep])
    return model.coef_[0].tolist(), float(model.intercept_[0])


@pytest.mark.parametrize(
    ("names", "targets", "weighted", "C", "seed"),
    [
        (ARTICLE_FEATURES, "same", False, 10.0, 0),  # models/calibrate.py, article model
        (STORY_FEATURES, "same", False, 10.0, 0),  # models/calibrate.py, story model
        (ARTICLE_FEATURES, "same", False, 1.0, 1234),  # Detector.fit
        (STORY_FEATURES, "soft", True, 3.0, 0),  # soft targets and weights
    ],
)
def test_fit_calibrator_reproduces_the_reference_fit_exactly(names, targets, weighted, C, seed):
    pairs, same, soft, weights = _synthetic_pairs()
    y = (same if targets == "same" else soft).astype(np.float64)
    w = weights if weighted else np.ones(len(y))
    cal = fit_calibrator(pairs, y, names, C=C, sample_weight=w if weighted else None, random_state=seed)
    coef, intercept = _reference_fit(feature_matrix(pairs, names), y, w, C, seed)
    assert cal.coef.tolist() == coef and cal.intercept == intercept
    assert cal.to_dict()["C"] == C and cal.feature_names == names


@pytest.mark.parametrize(
    "module", ["models.calibrate", "benchmarks.block_alignment", "benchmarks.bench_lead_tier"]
)
def test_recipe_scripts_run_as_modules_from_the_project_root(module):
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "--wmt-docs" in done.stdout


def _scored_rows(n_archives: int = 10, per_archive: int = 40):
    """Rows of ``models/calibrate.py`` whose alignment features are noise and whose document cosine
    tells true pairs from false ones."""
    from models.calibrate import ScoredRow

    rng = np.random.default_rng(3)
    rows = []
    for archive in range(n_archives):
        for k in range(per_archive):
            same = k % 4 == 0
            f = PairFeatures(
                coverage_a=float(rng.random()), coverage_b=float(rng.random()),
                n_aligned=int(rng.integers(1, 4)),
                mean_cosine=float(rng.random()), mean_margin=float(rng.random() + 1), length_ratio=1.0,
                shingle_jaccard=0.0, doc_cosine=float(rng.normal(0.7 if same else 0.2, 0.15)),
                same_language=False, n_sentences_a=5, n_sentences_b=5,
            )  # fmt: skip
            rows.append(ScoredRow(archive, 2 * k, 2 * k + 1, f, same, False, "de", "en"))
    return rows


def test_recipe_confidences_use_each_models_own_features():
    from dedup.config import ScanConfig
    from models.calibrate import confidences

    rows = _scored_rows(n_archives=1, per_archive=8)
    model = Calibrator(("doc_cosine",), coef=[10.0], intercept=-4.5)
    conf = confidences(rows, model, ScanConfig())
    expected = model.predict_proba(np.array([[r.features.doc_cosine] for r in rows]))
    assert np.allclose(conf, expected)


def test_feature_sets_are_compared_out_of_fold():
    from dedup.config import ScanConfig
    from models.calibrate import FEATURE_SETS, compare_feature_sets

    rows = _scored_rows()
    n_docs = {a: 80 for a in range(10)}
    table = compare_feature_sets(rows, n_docs, ScanConfig())
    assert set(table) == set(FEATURE_SETS)
    alignment, shipped = table["alignment"], table["alignment + document (shipped)"]
    # only the document features carry the labels here, so only the shipped set learns them
    assert shipped["log_loss"] < 0.5 * alignment["log_loss"]
    assert shipped["cross-language"]["recall"] > alignment["cross-language"]["recall"]


def test_validation_counts_only_the_kept_pairs_but_clusters_them_all():
    from dedup.config import ScanConfig
    from models.calibrate import ScoredRow, validate

    def row(a: int, b: int, same: bool) -> ScoredRow:
        f = PairFeatures(
            coverage_a=0.5, coverage_b=0.5, n_aligned=2, mean_cosine=0.6, mean_margin=1.2,
            length_ratio=0.9, shingle_jaccard=0.0, doc_cosine=0.5, same_language=False,
            n_sentences_a=5, n_sentences_b=5,
        )  # fmt: skip
        return ScoredRow(0, a, b, f, same, False, "de", "en")

    # documents 0-1 a true link; 1-2 a false one, so 0 and 2 are grouped through 1 (linked, not true)
    rows = [row(0, 1, True), row(1, 2, False), row(0, 2, False)]
    conf = np.array([0.9, 0.8, 0.6])
    full = validate(rows, conf, {0: 3}, ScanConfig())
    assert full["all"] == {"recall": 1.0, "precision": round(1 / 3, 4), "gold_pairs": 1, "linked_pairs": 3}
    kept = validate(rows, conf, {0: 3}, ScanConfig(), keep=lambda r: 2 in (r.a, r.b))
    # only the two pairs with document 2 are counted, but they are still grouped (through 0-1)
    assert kept["all"] == {"recall": None, "precision": 0.0, "gold_pairs": 0, "linked_pairs": 2}
    assert kept["ece_pairs"] == 2


def test_validation_counts_the_pairs_of_any_held_out_language():
    from dedup.config import ScanConfig
    from models.calibrate import ScoredRow, validate

    def row(a: int, b: int, lang_a: str, lang_b: str) -> ScoredRow:
        f = PairFeatures(
            coverage_a=0.5, coverage_b=0.5, n_aligned=2, mean_cosine=0.6, mean_margin=1.2,
            length_ratio=0.9, shingle_jaccard=0.0, doc_cosine=0.5, same_language=False,
            n_sentences_a=5, n_sentences_b=5,
        )  # fmt: skip
        return ScoredRow(0, a, b, f, True, False, lang_a, lang_b)

    rows = [row(0, 1, "ja", "en"), row(2, 3, "zh", "en"), row(4, 5, "de", "en")]
    conf = np.array([0.9, 0.2, 0.9])
    cjk = validate(rows, conf, {0: 6}, ScanConfig(), only_langs=("ja", "zh"))
    assert cjk["all"] == {"recall": 0.5, "precision": 1.0, "gold_pairs": 2, "linked_pairs": 1}
    german = validate(rows, conf, {0: 6}, ScanConfig(), only_langs=("de",))
    assert german["all"]["gold_pairs"] == 1


def test_script_families_held_out_together_leave_english_in_and_skip_lone_languages():
    from models.calibrate import families

    held = families(["en", "cs", "de", "he", "ja", "zh", "ru", "uk", "sah"])
    assert held == {"CJK": ("ja", "zh"), "Cyrl": ("ru", "sah", "uk"), "Latn": ("cs", "de")}


def test_a_training_archive_is_scored_without_the_bank_rows_of_its_own_stories():
    from dedup.scoring.background import fit_background
    from models.calibrate import bank_origins, without_stories

    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(40, 8)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    stories = ["a"] * 10 + ["b"] * 10 + ["c"] * 10 + [""] * 10  # the last rows: background-only text
    background = fit_background(
        matrix, ["en"] * 40, np.ones(40, dtype=np.float32), bank_per_language=40, min_sentences=10
    )
    origins = bank_origins(background, matrix, stories)
    assert sorted(origins) == sorted(stories)  # every bank row traced to the row it was sampled from
    scored_with = without_stories(background, origins, {"a", "c"})
    assert len(scored_with.bank) == len(scored_with.bank_langs) == 20
    # no row of story a is left in the bank: none of them finds itself there
    assert (scored_with.bank @ matrix[:10].T).max() < 0.999
    assert without_stories(background, origins, {"z"}) is background


def test_middle_band_counts_only_the_given_languages_pairs_between_its_bounds():
    from dedup.types import PairFeatures
    from models.calibrate import ScoredRow, middle_band

    f = PairFeatures(0.5, 0.5, 2, 0.6, 1.2, 0.9, 0.0, 0.5, False, 5, 5)
    rows = [
        ScoredRow(0, 0, 1, f, True, False, "is", "en"),  # 0.30: in the band
        ScoredRow(0, 0, 2, f, False, False, "en", "is"),  # 0.50: in the band, false
        ScoredRow(0, 0, 3, f, True, False, "is", "en"),  # 0.90: the upper bound is left out
        ScoredRow(0, 0, 4, f, True, False, "is", "en"),  # 0.05: below the band
        ScoredRow(0, 1, 2, f, True, False, "de", "en"),  # in the band, but not a pair with Icelandic
    ]
    band = middle_band(rows, np.array([0.3, 0.5, 0.9, 0.05, 0.4]), ("is",))
    assert band == {"pairs": 2, "mean_confidence": 0.4, "share_true": 0.5}
    assert middle_band(rows, np.array([0.3, 0.5, 0.9, 0.05, 0.4]), ("sah",))["pairs"] == 0


def test_training_pairs_of_one_label_are_refused_with_a_clear_error():
    from dedup.config import ScanConfig
    from models.calibrate import TooFewPairsError, fit_article

    rows = _scored_rows()
    only_true = [r for r in rows if r.same]
    with pytest.raises(TooFewPairsError, match="only true pairs.*--max-stories"):
        fit_article(only_true, ScanConfig())
    with pytest.raises(TooFewPairsError, match="no pairs"):
        fit_article([], ScanConfig())
    assert fit_article(rows, ScanConfig()).coef.shape  # both labels: it fits
