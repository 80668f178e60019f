"""Story groups scored against gold, with the definitions and numbers of ``eval/score.py``.

:func:`score_grouping` gives pairwise and B-cubed precision/recall/F1, the adjusted Rand index
(scikit-learn's), recall by kind of gold pair, false pairs, and how many distractors and hard
negatives were merged; with scored pairs it adds their calibration
(:func:`dedup.evaluation.reliability.pair_calibration`).

Example:
    >>> from dedup.evaluation.readers import Gold, GoldDoc
    >>> gold = Gold(docs={"a": GoldDoc("g1", "eng", "original"), "b": GoldDoc("g1", "nob", "translation"),
    ...                   "c": GoldDoc("g2", "eng", "distractor")})
    >>> report = score_grouping(gold, {"docs/a.txt": "x", "docs/b.txt": "x", "docs/c.txt": "y"})
    >>> report.pairwise.f1, report.bcubed.f1, report.ari
    (1.0, 1.0, 1.0)
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dedup.errors import InvalidParameterError
from dedup.evaluation.readers import Gold, normalize_doc_id
from dedup.evaluation.reliability import PairCalibration, pair_calibration

__all__ = ["GroupingReport", "MergeCount", "PRF", "PairRecall", "score_grouping"]

DocPair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class PRF:
    """Precision, recall and F1 (F1 is 0.0 when both are 0)."""

    precision: float
    recall: float
    f1: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PairRecall:
    """Recall over one kind of gold pair: ``found / gold_pairs``."""

    gold_pairs: int
    found: int
    recall: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MergeCount:
    """How many of ``n`` items (distractors, hard-negative pairs) were wrongly merged."""

    n: int
    merged: int
    merged_share: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class GroupingReport:
    """Scores of a predicted grouping against gold (the same numbers as ``eval/score.py``).

    Attributes:
        n_docs: Gold documents (only these are scored).
        n_gold_groups, n_pred_groups: Groups over the gold documents; missing documents are singletons.
        missing_in_pred: Gold documents absent from the prediction (scored as singletons).
        unknown_in_pred: Predicted ids not in gold (ignored).
        duplicate_ids_in_pred: Repeated predicted ids after normalisation (first one kept).
        gold_pairs, pred_pairs, true_pairs: Unordered same-group pair counts.
        pairwise: Pairwise P/R/F1; P is 1.0 when no pair is predicted.
        bcubed: B-cubed P/R/F1 averaged over documents, singletons included.
        ari: Adjusted Rand index of the two partitions.
        recall_by_language: ``cross-language`` / ``same-language`` -> recall of those gold pairs.
        recall_by_roles: Sorted role pair such as ``original-translation`` -> recall.
        recall_by_language_pair: Sorted language pair such as ``eng-nob`` -> recall.
        false_pairs: ``cross-language`` / ``same-language`` -> wrongly linked pairs.
        distractors: Distractors put in a group of two or more, or None if gold has no distractor.
        hard_negatives: Hard-negative pairs put in one group, or None without a hard-negative file.
        missed_pairs: Gold pairs not predicted, sorted ``(doc_a, doc_b)`` with ``doc_a < doc_b``.
        false_links: Predicted pairs not in gold, sorted likewise.
        merged_hard_negatives: Hard-negative pairs put in one group, in file order.
        calibration: Calibration of the scored pairs, when they were given.
    """

    n_docs: int
    n_gold_groups: int
    n_pred_groups: int
    missing_in_pred: int
    unknown_in_pred: int
    duplicate_ids_in_pred: int
    gold_pairs: int
    pred_pairs: int
    true_pairs: int
    pairwise: PRF
    bcubed: PRF
    ari: float
    recall_by_language: dict[str, PairRecall]
    recall_by_roles: dict[str, PairRecall]
    recall_by_language_pair: dict[str, PairRecall]
    false_pairs: dict[str, int]
    distractors: MergeCount | None
    hard_negatives: MergeCount | None
    missed_pairs: tuple[DocPair, ...] = ()
    false_links: tuple[DocPair, ...] = ()
    merged_hard_negatives: tuple[DocPair, ...] = ()
    calibration: PairCalibration | None = None

    @property
    def cross_language_recall(self) -> float | None:
        """Recall of gold pairs whose documents differ in language (None if there are none)."""
        r = self.recall_by_language.get("cross-language")
        return None if r is None else r.recall

    @property
    def same_language_recall(self) -> float | None:
        """Recall of gold pairs in one language (None if there are none)."""
        r = self.recall_by_language.get("same-language")
        return None if r is None else r.recall

    @property
    def ece(self) -> float | None:
        """Expected calibration error of the scored pairs, or None when none were given."""
        return None if self.calibration is None else self.calibration.ece

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; keys shared with ``score.py --json`` have its names and nesting."""
        d: dict[str, Any] = {
            "n_docs": self.n_docs,
            "n_gold_groups": self.n_gold_groups,
            "n_pred_groups": self.n_pred_groups,
            "missing_in_pred": self.missing_in_pred,
            "unknown_in_pred": self.unknown_in_pred,
            "duplicate_ids_in_pred": self.duplicate_ids_in_pred,
            "gold_pairs": self.gold_pairs,
            "pred_pairs": self.pred_pairs,
            "true_pairs": self.true_pairs,
            "pairwise": self.pairwise.to_dict(),
            "bcubed": self.bcubed.to_dict(),
            "ari": self.ari,
            "pair_recall": {
                "by_language": {k: v.to_dict() for k, v in self.recall_by_language.items()},
                "by_roles": {k: v.to_dict() for k, v in self.recall_by_roles.items()},
                "by_language_pair": {k: v.to_dict() for k, v in self.recall_by_language_pair.items()},
            },
            "false_pairs": dict(self.false_pairs),
        }
        if self.distractors is not None:
            d["distractors"] = self.distractors.to_dict()
        if self.hard_negatives is not None:
            d["hard_negatives"] = self.hard_negatives.to_dict()
        d["missed_pairs"] = [list(p) for p in self.missed_pairs]
        d["false_links"] = [list(p) for p in self.false_links]
        d["merged_hard_negatives"] = [list(p) for p in self.merged_hard_negatives]
        d["ece"] = self.ece
        d["calibration"] = None if self.calibration is None else self.calibration.to_dict()
        return d


def _normalize_prediction(
    predicted: Mapping[Any, Any] | Iterable[Any],
) -> tuple[dict[str, str], int]:
    """Turn a mapping or a list of member lists into ``normalised doc_id -> group_id``, counting repeats."""
    pred: dict[str, str] = {}
    dup = 0
    if isinstance(predicted, Mapping):
        items: Iterable[tuple[Any, Any]] = predicted.items()
    else:
        if isinstance(predicted, (str, bytes)):
            raise InvalidParameterError(
                f"predicted_groups must be a mapping doc_id -> group_id or a list of member lists. "
                f"Got a string {predicted!r}."
            )

        def _members() -> Iterable[tuple[Any, Any]]:
            for k, group in enumerate(predicted):
                members = getattr(group, "members", group)
                if isinstance(members, (str, bytes)):
                    raise InvalidParameterError(
                        "predicted_groups as a list must hold lists of member ids, "
                        f"not bare ids. Got {members!r} at position {k}."
                    )
                gid = getattr(group, "group_id", k)
                for m in members:
                    yield m, gid

        items = _members()
    for d, g in items:
        key = normalize_doc_id(d)
        if key in pred:
            dup += 1
            continue
        pred[key] = str(g)
    return pred, dup


def _harmonic_mean(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _prf(true_positives: int, n_predicted: int, n_gold: int) -> PRF:
    """Precision and recall (1.0 when there is nothing to predict or find) and their F1."""
    precision = true_positives / n_predicted if n_predicted else 1.0
    recall = true_positives / n_gold if n_gold else 1.0
    return PRF(precision, recall, _harmonic_mean(precision, recall))


def _ari(labels_true: Sequence[str], labels_pred: Sequence[str]) -> float:
    """Adjusted Rand index (scikit-learn's; 1.0 for identical trivial partitions)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(labels_true, labels_pred))


def _pairs_of(clusters: Mapping[str, set[str]]) -> set[DocPair]:
    return {pair for group in clusters.values() for pair in itertools.combinations(sorted(group), 2)}


def _recall_table(gold_pairs: Iterable[DocPair], found: set[DocPair], key: Any) -> dict[str, PairRecall]:
    tot: collections.Counter[str] = collections.Counter()
    hit: collections.Counter[str] = collections.Counter()
    for a, b in gold_pairs:
        k = key(a, b)
        tot[k] += 1
        hit[k] += (a, b) in found
    return {k: PairRecall(tot[k], hit[k], hit[k] / tot[k]) for k in sorted(tot)}


def score_grouping(
    gold: Gold,
    predicted_groups: Mapping[str, Any] | Iterable[Iterable[str]],
    *,
    pairs: Iterable[Any] | None = None,
    n_bins: int = 10,
) -> GroupingReport:
    """Score a predicted grouping against gold, with the definitions and numbers of ``eval/score.py``.

    Only gold documents are scored: gold documents missing from the prediction count as singletons,
    predicted ids not in gold are ignored (both are counted in the report).

    Args:
        gold: Gold labels, e.g. from :func:`dedup.evaluation.readers.read_gold`.
        predicted_groups: Either ``doc_id -> group_id`` or a list of groups, each a list of member doc ids
            (or an object with ``members``, such as :class:`dedup.types.Group`). Ids may be file names
            or relative paths (``docs/abc.txt`` counts as ``abc``); a repeated id keeps its first group.
        pairs: Optional scored predicted pairs, as ``(doc_a, doc_b, confidence)`` or objects with
            ``doc_a``, ``doc_b`` and ``confidence`` (:class:`dedup.types.Pair`), for the calibration.
        n_bins: Equal-width bins of the calibration; >= 1.

    Returns:
        The report; ``report.to_dict()`` mirrors ``score.py --json`` where they overlap.

    Raises:
        InvalidParameterError: If ``predicted_groups`` is malformed or a confidence is outside [0, 1].

    Example:
        >>> from dedup.evaluation.readers import Gold, GoldDoc
        >>> gold = Gold(docs={"a": GoldDoc("g1"), "b": GoldDoc("g1"), "c": GoldDoc("g2")})
        >>> r = score_grouping(gold, [["a", "c"], ["b"]])
        >>> r.pairwise, r.missed_pairs, r.false_links
        (PRF(precision=0.0, recall=0.0, f1=0.0), (('a', 'b'),), (('a', 'c'),))
        >>> round(r.bcubed.precision, 4), round(r.bcubed.recall, 4)
        (0.6667, 0.6667)
    """
    pred, dup = _normalize_prediction(predicted_groups)
    gdocs = gold.docs
    docs = list(gdocs)
    missing = sum(1 for d in docs if d not in pred)
    unknown = sum(1 for d in pred if d not in gdocs)
    # Documents missing from the prediction are singletons; prefixes keep the two kinds of label apart.
    p_lab = {d: f"P:{pred[d]}" if d in pred else f"S:{d}" for d in docs}
    g_lab = {d: gdocs[d].group_id for d in docs}
    g_cl: dict[str, set[str]] = collections.defaultdict(set)
    p_cl: dict[str, set[str]] = collections.defaultdict(set)
    for d in docs:
        g_cl[g_lab[d]].add(d)
        p_cl[p_lab[d]].add(d)
    gp, pp = _pairs_of(g_cl), _pairs_of(p_cl)
    tp = len(gp & pp)
    if docs:
        overlap = [len(g_cl[g_lab[d]] & p_cl[p_lab[d]]) for d in docs]
        bp = float(np.mean([o / len(p_cl[p_lab[d]]) for o, d in zip(overlap, docs, strict=True)]))
        br = float(np.mean([o / len(g_cl[g_lab[d]]) for o, d in zip(overlap, docs, strict=True)]))
        ari = _ari([g_lab[d] for d in docs], [p_lab[d] for d in docs])
    else:
        bp = br = ari = float("nan")
    bf = _harmonic_mean(bp, br)

    def lang_kind(a: str, b: str) -> str:
        return "cross-language" if gdocs[a].lang != gdocs[b].lang else "same-language"

    def role_kind(a: str, b: str) -> str:
        return "-".join(sorted([gdocs[a].role, gdocs[b].role]))

    def lang_pair(a: str, b: str) -> str:
        return "-".join(sorted([gdocs[a].lang, gdocs[b].lang]))

    false = pp - gp
    distr = [d for d in docs if gdocs[d].role == "distractor"]
    distractors = None
    if distr:
        merged = sum(len(p_cl[p_lab[d]]) > 1 for d in distr)
        distractors = MergeCount(len(distr), merged, merged / len(distr))
    hard = None
    merged_hn: list[DocPair] = []
    if gold.hard_negatives is not None:
        hns = gold.hard_negatives
        merged_hn = [
            (h.doc_a, h.doc_b)
            for h in hns
            if h.doc_a in p_lab and h.doc_b in p_lab and p_lab[h.doc_a] == p_lab[h.doc_b]
        ]
        hard = MergeCount(len(hns), len(merged_hn), len(merged_hn) / len(hns) if hns else 0.0)
    calibration = None if pairs is None else pair_calibration(gold, pairs, n_bins=n_bins)
    return GroupingReport(
        n_docs=len(docs),
        n_gold_groups=len(g_cl),
        n_pred_groups=len(p_cl),
        missing_in_pred=missing,
        unknown_in_pred=unknown,
        duplicate_ids_in_pred=dup,
        gold_pairs=len(gp),
        pred_pairs=len(pp),
        true_pairs=tp,
        pairwise=_prf(tp, len(pp), len(gp)),
        bcubed=PRF(bp, br, float(bf)),
        ari=ari,
        recall_by_language=_recall_table(gp, pp, lang_kind),
        recall_by_roles=_recall_table(gp, pp, role_kind),
        recall_by_language_pair=_recall_table(gp, pp, lang_pair),
        false_pairs=dict(sorted(collections.Counter(lang_kind(a, b) for a, b in false).items())),
        distractors=distractors,
        hard_negatives=hard,
        missed_pairs=tuple(sorted(gp - pp)),
        false_links=tuple(sorted(false)),
        merged_hard_negatives=tuple(merged_hn),
        calibration=calibration,
    )
