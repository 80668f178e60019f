"""dedup.evaluation readers and metrics: hand-built gold sets with known answers, agreement with scorers."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dedup.errors import InputError, InvalidParameterError
from dedup.evaluation.bitext import bitext_retrieval
from dedup.evaluation.grouping import score_grouping
from dedup.evaluation.rated_pairs import score_rated_pairs
from dedup.evaluation.readers import (
    Gold,
    GoldDoc,
    HardNegative,
    RatedPair,
    normalize_doc_id,
    read_bitext,
    read_gold,
    read_predicted,
    read_rated_pairs,
)
from dedup.evaluation.reliability import (
    calibrated_ece,
    expected_calibration_error,
    pair_calibration,
    plot_reliability,
    reliability_curve,
)
from dedup.types import Group, Pair, Relation

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SCORE_PY = EVAL / "score.py"
SCORE_PAIRS_PY = EVAL / "semeval8-dev" / "score_pairs.py"
@pytest.fixture()
def _shared_eval() -> None:
    # ../shared/eval sits beside the project on every machine and in CI; missing is a failure
    assert SCORE_PY.exists(), f"{SCORE_PY} not found: shared/eval must sit next to the project"


needs_eval = pytest.mark.usefixtures("_shared_eval")


# ----------------------------------------------------------------------------------------------------------
# a tiny gold set: g1 = a(eng) b(nob) c(eng near_dup), g2 = d(deu) e(fra), distractors f(eng), h(fra)


@pytest.fixture()
def tiny_gold() -> Gold:
    docs = {
        "a": GoldDoc("g1", "eng", "original"),
        "b": GoldDoc("g1", "nob", "translation"),
        "c": GoldDoc("g1", "eng", "near_dup"),
        "d": GoldDoc("g2", "deu", "original"),
        "e": GoldDoc("g2", "fra", "translation"),
        "f": GoldDoc("g3", "eng", "distractor"),
        "h": GoldDoc("g4", "fra", "distractor"),
    }
    return Gold(docs=docs, hard_negatives=(HardNegative("a", "d", "topic", "eng", "deu"),))


def test_perfect_prediction_scores_one_everywhere(tiny_gold: Gold) -> None:
    r = score_grouping(tiny_gold, {d: g.group_id for d, g in tiny_gold.docs.items()})
    assert r.pairwise.precision == r.pairwise.recall == r.pairwise.f1 == 1.0
    assert r.bcubed.precision == r.bcubed.recall == r.bcubed.f1 == 1.0
    assert r.ari == 1.0
    assert r.cross_language_recall == 1.0 and r.same_language_recall == 1.0
    assert all(v.recall == 1.0 for v in r.recall_by_roles.values())
    assert set(r.recall_by_language_pair) == {"eng-nob", "eng-eng", "deu-fra"}
    assert r.false_pairs == {}
    assert r.distractors is not None and r.distractors.merged == 0
    assert r.hard_negatives is not None and (r.hard_negatives.n, r.hard_negatives.merged) == (1, 0)
    assert r.missed_pairs == () and r.false_links == ()
    assert (r.gold_pairs, r.pred_pairs, r.true_pairs) == (4, 4, 4)


def test_all_singletons(tiny_gold: Gold) -> None:
    r = score_grouping(tiny_gold, {})  # nothing predicted: every gold doc is a singleton
    assert r.missing_in_pred == 7
    assert r.pairwise.recall == 0.0 and r.pairwise.precision == 1.0 and r.pairwise.f1 == 0.0
    assert r.bcubed.precision == 1.0
    assert r.bcubed.recall == pytest.approx((3 * (1 / 3) + 2 * (1 / 2) + 1 + 1) / 7)
    assert r.ari == 0.0
    assert r.cross_language_recall == 0.0
    assert r.distractors is not None and r.distractors.merged == 0
    assert len(r.missed_pairs) == 4
    same = score_grouping(tiny_gold, [[d] for d in tiny_gold.docs])
    assert same.to_dict() | {"missing_in_pred": 7} == r.to_dict()


def test_swapped_pair_by_hand(tiny_gold: Gold) -> None:
    # swap c (g1) and d (g2): predicted {a, b, d}, {c, e}, {f}, {h}
    r = score_grouping(tiny_gold, [["a", "b", "d"], ["c", "e"], ["f"], ["h"]])
    # gold pairs ab ac bc de; predicted ab ad bd ce; only ab is right
    assert r.pairwise.precision == 1 / 4
    assert r.pairwise.recall == 1 / 4
    assert r.missed_pairs == (("a", "c"), ("b", "c"), ("d", "e"))
    assert r.false_links == (("a", "d"), ("b", "d"), ("c", "e"))
    assert r.false_pairs == {"cross-language": 3}
    # B-cubed P: a 2/3, b 2/3, d 1/3, c 1/2, e 1/2, f 1, h 1 -> 14/3 / 7; R is the same by symmetry here
    assert r.bcubed.precision == pytest.approx(2 / 3, abs=1e-12)
    assert r.bcubed.recall == pytest.approx(2 / 3, abs=1e-12)
    assert r.recall_by_language["same-language"].found == 0  # a-c lost
    assert r.recall_by_language["cross-language"].to_dict() == {"gold_pairs": 3, "found": 1, "recall": 1 / 3}
    assert r.recall_by_language_pair["eng-nob"].to_dict() == {"gold_pairs": 2, "found": 1, "recall": 0.5}
    assert r.hard_negatives is not None and r.hard_negatives.merged == 1
    assert r.merged_hard_negatives == (("a", "d"),)
    assert r.distractors is not None and r.distractors.merged == 0


def test_distractor_merged_and_ids_normalised(tiny_gold: Gold) -> None:
    pred = {"docs/a.txt": 1, "b.txt": 1, "c": 1, "/abs/d.txt": 2, "e": 2, "f": 2, "h.txt": 3,
            "zzz.txt": 9, "docs/h.txt": 4}
    r = score_grouping(tiny_gold, pred)
    assert r.unknown_in_pred == 1 and r.duplicate_ids_in_pred == 1 and r.missing_in_pred == 0
    assert r.distractors is not None and (r.distractors.merged, r.distractors.n) == (1, 2)
    assert r.distractors.merged_share == 0.5
    assert r.false_links == (("d", "f"), ("e", "f"))


def test_prediction_forms_agree(tiny_gold: Gold) -> None:
    groups = [["docs/a.txt", "b"], ["c", "d", "e"], ["f"]]
    as_map = {m: str(k) for k, g in enumerate(groups) for m in g}
    as_groups = [Group(group_id=f"G{k}", members=tuple(g), confidence=1.0, languages=()) for k, g in
                 enumerate(groups)]
    d1 = score_grouping(tiny_gold, groups).to_dict()
    assert score_grouping(tiny_gold, as_map).to_dict() == d1
    assert score_grouping(tiny_gold, as_groups).to_dict() == d1
    assert d1["missing_in_pred"] == 1  # h


def test_bad_prediction_shape(tiny_gold: Gold) -> None:
    with pytest.raises(InvalidParameterError, match="lists of member ids"):
        score_grouping(tiny_gold, ["a", "b"])
    with pytest.raises(InvalidParameterError, match="predicted_groups"):
        score_grouping(tiny_gold, "abc")


def test_ari_matches_sklearn() -> None:
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(2, 60))
        gold_lab = rng.integers(0, int(rng.integers(1, n + 1)), size=n)
        pred_lab = rng.integers(0, int(rng.integers(1, n + 1)), size=n)
        gold = Gold(docs={f"d{i}": GoldDoc(f"g{g}") for i, g in enumerate(gold_lab)})
        r = score_grouping(gold, {f"d{i}": str(p) for i, p in enumerate(pred_lab)})
        assert r.ari == pytest.approx(adjusted_rand_score(gold_lab, pred_lab), abs=1e-12)


def test_to_dict_nesting(tiny_gold: Gold) -> None:
    d = score_grouping(tiny_gold, {"a": "x", "b": "x"}).to_dict()
    assert set(d["pairwise"]) == {"precision", "recall", "f1"}
    assert set(d["bcubed"]) == {"precision", "recall", "f1"}
    assert d["ece"] is None and d["calibration"] is None
    assert set(d["pair_recall"]) == {"by_language", "by_roles", "by_language_pair"}
    json.dumps(d)  # JSON-ready


# ----------------------------------------------------------------------------------------------------------
# reading files


def test_read_gold_and_hard_negatives(tmp_path: Path) -> None:
    (tmp_path / "gold.tsv").write_text(
        "doc_id\tgroup_id\tlang\trole\tsource\n"
        "a\tg1\teng\toriginal\tsrc a\n\nb\tg1\tnob\ttranslation\tsrc b\nc\tg2\teng\tdistractor\t\n",
        encoding="utf-8",
    )
    gold = read_gold(tmp_path / "gold.tsv")
    assert list(gold.docs) == ["a", "b", "c"] and gold.hard_negatives is None
    assert gold.docs["b"] == GoldDoc("g1", "nob", "translation", "src b")
    assert gold.groups() == {"g1": ["a", "b"], "g2": ["c"]}
    (tmp_path / "hard_negatives.tsv").write_text("doc_a\tdoc_b\ttopic\tlang_a\tlang_b\na\tc\tt\teng\teng\n")
    gold = read_gold(tmp_path / "gold.tsv")
    assert gold.hard_negatives == (HardNegative("a", "c", "t", "eng", "eng"),)
    other = tmp_path / "hn.tsv"
    other.write_text("doc_a\tdoc_b\n")
    assert read_gold(tmp_path / "gold.tsv", hard_negatives=other).hard_negatives == ()


def test_read_gold_minimal_columns_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "g.tsv"
    p.write_text("group_id\tdoc_id\nG\tx\n")
    assert read_gold(p).docs == {"x": GoldDoc("G")}
    p.write_text("doc_id\tlang\nx\teng\n")
    with pytest.raises(InputError, match="group_id"):
        read_gold(p)
    with pytest.raises(InputError, match="cannot read"):
        read_gold(tmp_path / "missing.tsv")


def test_normalize_doc_id() -> None:
    assert normalize_doc_id("docs/abc123.txt") == "abc123"
    assert normalize_doc_id("abc123.txt") == "abc123"
    assert normalize_doc_id("abc123") == "abc123"
    assert normalize_doc_id("a/b/abc.txt.txt") == "abc.txt"


def test_read_predicted_formats(tmp_path: Path) -> None:
    tsv = tmp_path / "p.tsv"
    tsv.write_text("doc_id\tgroup_id\ndocs/a.txt\t1\textra\nb\t1\na.txt\t2\nlonely\n")
    assert read_predicted(tsv) == {"a": "1", "b": "1", "lonely": "lonely"}
    jl = tmp_path / "p.jsonl"
    jl.write_text('{"group_id": "G", "members": ["docs/a.txt", "b"]}\n\n{"doc_id": "c.txt", "group_id": 3}\n')
    assert read_predicted(jl) == {"a": "G", "b": "G", "c": "3"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{nope\n")
    with pytest.raises(InputError, match="not JSON"):
        read_predicted(bad)


# ----------------------------------------------------------------------------------------------------------
# agreement with eval/score.py


def _run_json(*args: object) -> dict:
    cmd = [sys.executable, *map(str, args), "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _assert_shared_equal(theirs: object, ours: object, where: str = "") -> int:
    """Compare every key both dicts have, recursively; numbers to 1e-9. Returns the leaves compared."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), where
        return sum(_assert_shared_equal(v, ours[k], f"{where}.{k}") for k, v in theirs.items() if k in ours)
    if isinstance(theirs, float) and math.isnan(theirs):
        assert isinstance(ours, float) and math.isnan(ours), where
    elif isinstance(theirs, (int, float)) and not isinstance(theirs, bool):
        assert ours == pytest.approx(theirs, abs=1e-9, rel=0), where
    else:
        assert ours == theirs, where
    return 1


def _predictions(gold: Gold) -> dict[str, dict[str, str]]:
    docs = list(gold.docs)
    rng = np.random.default_rng(12345)
    truth = {d: g.group_id for d, g in gold.docs.items()}
    groups = gold.groups()
    # swap one member between the first two multi-document groups
    multi = [g for g, m in groups.items() if len(m) > 1]
    x, y = groups[multi[0]][0], groups[multi[1]][0]
    swapped = dict(truth) | {x: truth[y], y: truth[x]}
    random = {d: f"r{rng.integers(0, len(groups))}" for d in docs}
    partial = {d: g for d, g in random.items() if rng.random() < 0.9} | {"not-in-gold": "r1"}
    return {
        "gold": truth,
        "singletons": {d: d for d in docs},
        "swapped": swapped,
        "random": random,
        "partial_random_with_unknown": partial,
        "one_group": {d: "all" for d in docs},
    }


@needs_eval
@pytest.mark.parametrize("eval_set", ["dev", "dev-hard"])
def test_agrees_with_score_py(tmp_path: Path, eval_set: str) -> None:
    gold_path = EVAL / eval_set / "gold.tsv"
    gold = read_gold(gold_path)
    assert gold.hard_negatives  # both sets ship a hard_negatives.tsv
    for name, pred in _predictions(gold).items():
        pred_path = tmp_path / f"{name}.tsv"
        # alternate the id spellings score.py accepts
        spelled = {(f"docs/{d}.txt" if k % 3 == 0 else f"{d}.txt" if k % 3 == 1 else d): g
                   for k, (d, g) in enumerate(pred.items())}
        pred_path.write_text("doc_id\tgroup_id\n" + "".join(f"{d}\t{g}\n" for d, g in spelled.items()),
                             encoding="utf-8")
        theirs = _run_json(SCORE_PY, gold_path, pred_path)
        ours = score_grouping(gold, spelled).to_dict()
        assert set(theirs) - {"ari_sklearn"} <= set(ours), name
        assert _assert_shared_equal(theirs, ours, name) > 20
        assert score_grouping(gold, read_predicted(pred_path)).to_dict() == ours
        if name == "gold":
            assert ours["pairwise"]["f1"] == ours["bcubed"]["f1"] == ours["ari"] == 1.0
        if name == "singletons" and eval_set == "dev":
            assert ours["pairwise"]["f1"] == 0.0 and round(ours["bcubed"]["f1"], 3) == 0.619
            assert ours["ari"] == 0.0


@needs_eval
def test_agrees_with_score_py_jsonl_groups(tmp_path: Path) -> None:
    gold_path = EVAL / "dev" / "gold.tsv"
    gold = read_gold(gold_path)
    groups = [[f"docs/{d}.txt" for d in members] for members in gold.groups().values()]
    groups = [g[:-1] for g in groups[:30]] + [sum(groups[30:40], [])] + groups[40:]  # split and merge some
    pred_path = tmp_path / "pred.jsonl"
    pred_path.write_text("".join(json.dumps({"group_id": f"G{k}", "members": g}) + "\n"
                                 for k, g in enumerate(groups)))
    theirs = _run_json(SCORE_PY, gold_path, pred_path)
    ours = score_grouping(gold, groups).to_dict()
    _assert_shared_equal(theirs, ours)
    assert 0 < ours["pairwise"]["f1"] < 1


# ----------------------------------------------------------------------------------------------------------
# calibration


def _naive_ece(conf: np.ndarray, lab: np.ndarray, n_bins: int) -> float:
    total = 0.0
    for k in range(n_bins):
        lo, hi = k / n_bins, (k + 1) / n_bins
        sel = (conf >= lo) & ((conf < hi) if k < n_bins - 1 else (conf <= hi))
        if sel.any():
            total += sel.sum() / len(conf) * abs(lab[sel].mean() - conf[sel].mean())
    return total


def test_ece_known_values() -> None:
    assert expected_calibration_error(np.ones(1000), np.arange(1000) % 2) == 0.5
    assert expected_calibration_error([0.25] * 8, [1, 0, 0, 0, 0, 1, 0, 0]) == 0.0
    assert expected_calibration_error([0.0, 1.0], [False, True]) == 0.0
    assert expected_calibration_error([0.0, 1.0], [1, 0]) == 1.0


def test_ece_perfectly_calibrated_synthetic_is_near_zero() -> None:
    rng = np.random.default_rng(0)
    conf = rng.random(200_000)
    lab = (rng.random(conf.size) < conf).astype(int)
    assert expected_calibration_error(conf, lab) < 0.01
    overconfident = np.clip(conf + 0.2, 0, 1)
    assert expected_calibration_error(overconfident, lab) > 0.1


def test_calibrated_ece_is_the_sampling_floor_of_a_calibrated_model() -> None:
    """Few pairs: even labels drawn from the confidences themselves leave an ECE well above 0; it
    shrinks as pairs are added, is 0 when every confidence is 0 or 1, and is seeded."""
    rng = np.random.default_rng(1)
    conf = rng.random(5_000)
    few, many = calibrated_ece(conf[:30]), calibrated_ece(conf)
    assert few > 0.05 > 0.02 > many
    assert calibrated_ece([0.0, 1.0, 1.0, 0.0]) == 0.0
    assert calibrated_ece(conf[:30]) == few


@pytest.mark.parametrize("n_bins", [1, 3, 10, 17])
def test_ece_matches_naive_reference(n_bins: int) -> None:
    rng = np.random.default_rng(n_bins)
    conf = np.concatenate([rng.random(500), [0.0, 1.0, 0.5]])
    lab = rng.integers(0, 2, size=conf.size)
    expect = _naive_ece(conf, lab, n_bins)
    assert expected_calibration_error(conf, lab, n_bins) == pytest.approx(expect, abs=1e-12)


def test_reliability_curve_bins() -> None:
    curve = reliability_curve([0.05, 0.15, 0.15, 1.0], [1, 0, 1, 1], n_bins=10)
    assert len(curve) == 10 and sum(b.count for b in curve) == 4
    assert (curve[0].mean_confidence, curve[0].accuracy, curve[0].count) == (0.05, 1.0, 1)
    assert curve[1].accuracy == 0.5 and curve[1].count == 2
    assert curve[9].count == 1 and curve[9].upper == 1.0
    assert curve[5].count == 0 and curve[5].mean_confidence is None and curve[5].accuracy is None


@pytest.mark.parametrize(
    ("conf", "lab", "n_bins", "match"),
    [([0.5], [1, 0], 10, "same length"), ([1.5], [1], 10, r"\[0, 1\]"), ([np.nan], [1], 10, r"\[0, 1\]"),
     ([0.5], [2], 10, "labels"), ([0.5], [1], 0, "n_bins"), ([], [], 10, "at least one")],
)
def test_calibration_validation(conf: list, lab: list, n_bins: int, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        expected_calibration_error(conf, lab, n_bins)


def test_pair_calibration(tiny_gold: Gold) -> None:
    pairs = [
        Pair("docs/a.txt", "docs/b.txt", "en", "nb", Relation.TRANSLATION, 1.0),
        ("a", "c", 1.0),
        ("a", "d", 1.0),
        ("d", "e", 1.0),
        ("x", "a", 0.3),
    ]
    cal = pair_calibration(tiny_gold, pairs)
    assert (cal.n_pairs, cal.n_positive, cal.n_unknown) == (4, 3, 1)
    assert cal.ece == pytest.approx(0.25)
    assert pair_calibration(tiny_gold, []).ece is None
    r = score_grouping(tiny_gold, {d: g.group_id for d, g in tiny_gold.docs.items()}, pairs=pairs)
    assert r.ece == pytest.approx(0.25) and r.to_dict()["ece"] == pytest.approx(0.25)
    assert r.to_dict()["calibration"]["n_pairs"] == 4


def test_plot_reliability_writes_png(tmp_path: Path) -> None:
    import matplotlib  # noqa: F401  (the dev extra installs it)
    rng = np.random.default_rng(1)
    conf = rng.random(300)
    curve = reliability_curve(conf, rng.random(300) < conf)
    out = plot_reliability(curve, tmp_path / "rel.png")
    assert out == tmp_path / "rel.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["rel.png"]  # no temporary left behind


def test_plot_reliability_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    curve = reliability_curve([0.5], [1])
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_reliability(curve, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


# ----------------------------------------------------------------------------------------------------------
# rated pairs (SemEval-2022 Task 8)


def test_score_rated_pairs_by_hand() -> None:
    rows = [RatedPair("p1", 1.0, "eng", "deu", False), RatedPair("p2", 4.0, "eng", "eng", False),
            RatedPair("p3", 1.5, "eng", "eng", True), RatedPair("p4", 2.0, "eng", "eng", False),
            RatedPair("p5", 3.0, "deu", "eng", True)]
    preds = {"p1": 0.9, "p2": 0.1, "p3": 0.4, "p5": 0.2}
    res = score_rated_pairs(rows, preds)
    b = res["binary"]
    assert (res["pairs"], res["missing_predictions"]) == (5, 1)
    assert (b["n"], b["same"]) == (4, 2)  # p4 (overall 2) is not clear
    assert b["accuracy"] == 3 / 4 and b["precision_same"] == 1.0 and b["recall_same"] == 1 / 2
    assert b["oracle_accuracy"] == 1.0 and b["oracle_threshold"] == 0.4
    assert score_rated_pairs(rows, preds, threshold=0.3)["binary"]["accuracy"] == 1.0
    assert score_rated_pairs(rows, preds, decisions={"p3": True})["binary"]["accuracy"] == 1.0
    assert res["pearson"]["cross-language"]["n"] == 2 and math.isnan(res["pearson"]["cross-language"]["r"])
    conf = [0.9, 0.1, 0.4, 0.0, 0.2]
    target = [3.0, 0.0, 2.5, 2.0, 1.0]
    assert res["pearson"]["all"]["r"] == pytest.approx(np.corrcoef(conf, target)[0, 1], abs=1e-12)


@needs_eval
@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_agrees_with_score_pairs_py(tmp_path: Path, threshold: float) -> None:
    folder = EVAL / "semeval8-dev"
    ratings = read_rated_pairs(folder)
    assert len(ratings) == 149 and any(r.synthetic for r in ratings)
    assert read_rated_pairs(folder / "pairs.tsv") == ratings
    rng = np.random.default_rng(7)
    for variant in ("noisy", "rounded", "partial"):
        preds = {}
        for r in ratings:
            c = float(np.clip((4 - r.overall) / 3 + rng.normal(0, 0.3), 0, 1))
            if variant == "rounded":
                c = round(c, 1)  # many ties
            if variant == "partial" and rng.random() < 0.2:
                continue
            preds[r.pair_id] = c
        pred_path = tmp_path / f"{variant}.tsv"
        pred_path.write_text("pair_id\tconfidence\n" + "".join(f"{k}\t{v!r}\n" for k, v in preds.items()))
        theirs = _run_json(SCORE_PAIRS_PY, folder / "pairs.tsv", pred_path, "--threshold", threshold)
        ours = score_rated_pairs(ratings, preds, threshold=threshold)
        assert set(theirs) <= set(ours)
        assert _assert_shared_equal(theirs, ours, variant) == 4 * 2 + 7 + 2


# ----------------------------------------------------------------------------------------------------------
# bitext retrieval


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_bitext_identity_and_permutation() -> None:
    eye = np.eye(5, dtype=np.float32)
    assert bitext_retrieval(eye, eye) == (1.0, 1.0)
    perm = [1, 0, 2, 4, 3]  # one fixed point
    assert bitext_retrieval(eye, eye[perm]) == (1 / 5, 1 / 5)
    cyc = [1, 2, 0, 3, 4]  # 3-cycle: two fixed points
    assert bitext_retrieval(eye, eye[cyc], chunk_size=2) == (2 / 5, 2 / 5)


def test_bitext_asymmetric_directions() -> None:
    # tgt rows 0 and 1 are both nearest to src row 0; src row 1 finds tgt row 0 -> miss
    src = _unit(np.array([[1.0, 0.0], [0.8, 0.6]]))
    tgt = _unit(np.array([[1.0, 0.05], [0.99, 0.1]]))
    # src0 -> tgt0 (hit); src1 -> tgt1 (hit: closer to (0.8, 0.6)); tgt0 -> src0 (hit); tgt1 -> src0 (miss)
    assert bitext_retrieval(src, tgt) == (1.0, 0.5)


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 17, 1000])
def test_bitext_chunking_matches_brute_force(chunk_size: int) -> None:
    rng = np.random.default_rng(3)
    src = _unit(rng.normal(size=(50, 8)))
    tgt = _unit(src + rng.normal(0, 0.4, size=src.shape))
    sims = src @ tgt.T
    rows = np.arange(50)
    expect = (float(np.mean(sims.argmax(1) == rows)), float(np.mean(sims.argmax(0) == rows)))
    got = bitext_retrieval(src, tgt, chunk_size=chunk_size)
    assert got == pytest.approx(expect, abs=1e-12)
    assert 0 < got[0] < 1


def test_bitext_ties_go_to_lowest_index() -> None:
    src = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    assert bitext_retrieval(src, src) == (2 / 3, 2 / 3)  # row 1 retrieves its twin row 0


@pytest.mark.parametrize(
    ("src", "tgt", "kw", "match"),
    [(np.ones(3), np.ones(3), {}, "2-D"), (np.ones((3, 2)), np.ones((2, 2)), {}, "same shape"),
     (np.ones((0, 2)), np.ones((0, 2)), {}, "at least one"), (np.ones((2, 2)), np.ones((2, 2)),
                                                             {"chunk_size": 0}, "chunk_size")],
)
def test_bitext_validation(src: np.ndarray, tgt: np.ndarray, kw: dict, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        bitext_retrieval(src, tgt, **kw)


def test_read_bitext(tmp_path: Path) -> None:
    p = tmp_path / "x-eng.tsv"
    p.write_bytes(b'src\teng\n"Hei," sa han\t"Hi," he said\r\n\nTo\tTwo\n')
    assert read_bitext(p) == (['"Hei," sa han', "To"], ['"Hi," he said', "Two"])
    p.write_text("a\tb\nx\ty\n")
    with pytest.raises(InputError, match="header"):
        read_bitext(p)
    p.write_text("src\teng\nx\ty\tz\n")
    with pytest.raises(InputError, match="line 2"):
        read_bitext(p)


@needs_eval
def test_read_bitext_shared() -> None:
    src, eng = read_bitext(EVAL / "bitext" / "nob-eng.tsv")
    assert len(src) == len(eng) == 500
    assert all(s and e for s, e in zip(src, eng, strict=True))
