"""Evaluation metrics: pure functions over gold labels and predictions (no model, no scanning).

Four kinds of evaluation, each matching a scorer shipped with the eval sets:

- story groups against a ``gold.tsv`` (:func:`read_gold`, :func:`score_grouping`), agreeing exactly with
  ``eval/score.py``: pairwise and B-cubed precision/recall/F1, adjusted Rand index, recall by pair type,
  false pairs, distractors and hard negatives merged;
- calibration of pair confidences (:func:`expected_calibration_error`, :func:`reliability_curve`,
  :func:`pair_calibration`, :func:`plot_reliability`);
- rated real-world pairs (:func:`read_rated_pairs`, :func:`score_rated_pairs`), agreeing with
  ``eval/semeval8-dev/score_pairs.py``;
- sentence bitext retrieval (:func:`read_bitext`, :func:`bitext_retrieval`).

Example:
    >>> from dedup.evaluation.metrics import Gold, GoldDoc, score_grouping
    >>> gold = Gold(docs={"a": GoldDoc("g1", "eng", "original"), "b": GoldDoc("g1", "nob", "translation"),
    ...                   "c": GoldDoc("g2", "eng", "distractor")})
    >>> report = score_grouping(gold, {"docs/a.txt": "x", "docs/b.txt": "x", "docs/c.txt": "y"})
    >>> report.pairwise.f1, report.bcubed.f1, report.ari
    (1.0, 1.0, 1.0)
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from dedup.errors import InputError, InvalidParameterError
from dedup.io.atomic import atomic_path

logger = logging.getLogger(__name__)

__all__ = [
    "Gold",
    "GoldDoc",
    "GroupingReport",
    "HardNegative",
    "MergeCount",
    "PairCalibration",
    "PairRecall",
    "PRF",
    "RatedPair",
    "ReliabilityBin",
    "bitext_retrieval",
    "expected_calibration_error",
    "normalize_doc_id",
    "pair_calibration",
    "plot_reliability",
    "read_bitext",
    "read_gold",
    "read_predicted",
    "read_rated_pairs",
    "reliability_curve",
    "score_grouping",
    "score_rated_pairs",
]

DocPair = tuple[str, str]

# --------------------------------------------------------------------------------------------------------
# Gold and predictions


@dataclass(frozen=True, slots=True)
class GoldDoc:
    """Gold label of one document (one row of ``gold.tsv``).

    Attributes:
        group_id: Story group; every document has one (singletons get their own).
        lang: ISO 639-3 language code, or "" when the file has no ``lang`` column.
        role: ``original``, ``translation``, ``near_dup``, ``mt_variant`` or ``distractor`` ("" if absent).
        source: Provenance of the text ("" if absent).
    """

    group_id: str
    lang: str = ""
    role: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class HardNegative:
    """Two documents on the same topic that tell different stories and must stay apart."""

    doc_a: str
    doc_b: str
    topic: str = ""
    lang_a: str = ""
    lang_b: str = ""


@dataclass(frozen=True)
class Gold:
    """Gold labels of an eval set.

    Attributes:
        docs: ``doc_id -> GoldDoc``, in file order. Ids are as written in ``gold.tsv`` (bare file stems).
        hard_negatives: Rows of ``hard_negatives.tsv``, or None when there is no such file.
    """

    docs: Mapping[str, GoldDoc]
    hard_negatives: tuple[HardNegative, ...] | None = None

    def __len__(self) -> int:
        return len(self.docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.docs

    def groups(self) -> dict[str, list[str]]:
        """Return ``group_id -> member doc ids``, groups and members in file order."""
        out: dict[str, list[str]] = {}
        for d, g in self.docs.items():
            out.setdefault(g.group_id, []).append(d)
        return out


def normalize_doc_id(doc_id: object) -> str:
    """Normalise a predicted document id the way ``eval/score.py`` does.

    Surrounding whitespace is stripped, directories are dropped and one trailing ``.txt`` is removed.

    Args:
        doc_id: A doc id, file name or path (relative or absolute); converted with ``str``.

    Returns:
        The bare id, comparable with the ids of ``gold.tsv``.

    Example:
        >>> normalize_doc_id("docs/0a1b2c3d4e5f.txt"), normalize_doc_id(" 0a1b.txt "), normalize_doc_id("x")
        ('0a1b2c3d4e5f', '0a1b', 'x')
    """
    name = os.path.basename(str(doc_id).strip())
    return name.removesuffix(".txt")


def _read_lines(path: str | os.PathLike[str]) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise InputError(f"cannot read {os.fspath(path)!r}: {err.strerror or err}.") from err


def read_gold(path: str | os.PathLike[str], *, hard_negatives: str | os.PathLike[str] | None = None) -> Gold:
    """Read an eval set's ``gold.tsv`` and, when present, the ``hard_negatives.tsv`` next to it.

    Args:
        path: Tab-separated file with a header naming at least ``doc_id`` and ``group_id`` (``lang``,
            ``role`` and ``source`` are read when present). Blank lines are skipped; a repeated id keeps
            its first position and its last label (as ``score.py``).
        hard_negatives: Path of the hard-negative file; by default ``hard_negatives.tsv`` in the same
            folder, used only if it exists. Its first line is a header; each row is
            ``doc_a  doc_b  [topic  lang_a  lang_b]``.

    Returns:
        The gold labels.

    Raises:
        InputError: If a file cannot be read, a required column is missing or a row is too short.

    Example:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p = pathlib.Path(tmp, "gold.tsv")
        ...     _ = p.write_text("doc_id\\tgroup_id\\tlang\\trole\\tsource\\na\\tg1\\teng\\toriginal\\tx\\n")
        ...     gold = read_gold(p)
        >>> gold.docs["a"], gold.hard_negatives
        (GoldDoc(group_id='g1', lang='eng', role='original', source='x'), None)
    """
    lines = _read_lines(path)
    if not lines:
        raise InputError(f"{os.fspath(path)!r} is empty; expected a header with doc_id and group_id.")
    header = lines[0].split("\t")
    col = {column: position for position, column in enumerate(header)}
    for required in ("doc_id", "group_id"):
        if required not in col:
            raise InputError(f"{os.fspath(path)!r} has no {required!r} column. Got header {header}.")
    width = max(col[c] for c in ("doc_id", "group_id", "lang", "role", "source") if c in col) + 1
    docs: dict[str, GoldDoc] = {}
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) < width:
            raise InputError(f"{os.fspath(path)!r} line {n} has {len(f)} fields; expected {width}.")
        docs[f[col["doc_id"]]] = GoldDoc(
            group_id=f[col["group_id"]],
            lang=f[col["lang"]] if "lang" in col else "",
            role=f[col["role"]] if "role" in col else "",
            source=f[col["source"]] if "source" in col else "",
        )
    if hard_negatives is None:
        hn_path = Path(os.path.abspath(path)).parent / "hard_negatives.tsv"
        hn = _read_hard_negatives(hn_path) if hn_path.exists() else None
    else:
        hn = _read_hard_negatives(hard_negatives)
    return Gold(docs=docs, hard_negatives=hn)


def _read_hard_negatives(path: str | os.PathLike[str]) -> tuple[HardNegative, ...]:
    rows = []
    for n, line in enumerate(_read_lines(path)[1:], start=2):
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) < 2:
            raise InputError(f"{os.fspath(path)!r} line {n} has {len(f)} field; expected doc_a and doc_b.")
        rows.append(HardNegative(*f[:5]))
    return tuple(rows)


def read_predicted(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a predicted grouping in the formats ``eval/score.py`` accepts.

    TSV: ``doc_id<TAB>group_id`` per line (optional ``doc_id`` header; further columns ignored). JSONL
    (name ends in ``.jsonl``/``.json`` or the first non-blank character is ``{``): one object a line,
    ``{"doc_id":..,"group_id":..}`` or ``{"group_id":..,"members":[..]}`` (also ``docs``/``doc_ids``).
    Ids are normalised with :func:`normalize_doc_id`; a repeated id keeps its first group.

    Args:
        path: The prediction file.

    Returns:
        ``doc_id -> group_id``.

    Raises:
        InputError: If the file cannot be read or a JSON line does not parse.

    Example:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p = pathlib.Path(tmp, "pred.tsv")
        ...     _ = p.write_text("doc_id\\tgroup_id\\ndocs/a.txt\\t1\\nb.txt\\t1\\n")
        ...     read_predicted(p)
        {'a': '1', 'b': '1'}
    """
    lines = _read_lines(path)
    pred: dict[str, str] = {}
    text_start = next((ln.lstrip() for ln in lines if ln.strip()), "")
    if os.fspath(path).endswith((".jsonl", ".json")) or text_start.startswith("{"):
        for n, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{os.fspath(path)!r} line {n + 1} is not JSON: {err.msg}.") from err
            members = next((obj[k] for k in ("members", "docs", "doc_ids") if k in obj), None)
            if members is not None:
                gid = str(next((obj[k] for k in ("group_id", "group", "id") if k in obj), f"_line{n}"))
                items = [(normalize_doc_id(m), gid) for m in members]
            else:
                items = [(normalize_doc_id(obj["doc_id"]), str(obj.get("group_id", obj.get("group"))))]
            for d, g in items:
                pred.setdefault(d, g)
    else:
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            fields = line.split("\t")
            if i == 0 and fields[0].strip() == "doc_id":
                continue
            d = normalize_doc_id(fields[0])
            pred.setdefault(d, fields[1].strip() if len(fields) > 1 else d)
    return pred


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


# --------------------------------------------------------------------------------------------------------
# Grouping report


@dataclass(frozen=True, slots=True)
class PRF:
    """Precision, recall and F1 (F1 is 0.0 when both are 0)."""

    precision: float
    recall: float
    f1: float

    def to_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True, slots=True)
class PairRecall:
    """Recall over one kind of gold pair: ``found / gold_pairs``."""

    gold_pairs: int
    found: int
    recall: float

    def to_dict(self) -> dict[str, Any]:
        return {"gold_pairs": self.gold_pairs, "found": self.found, "recall": self.recall}


@dataclass(frozen=True, slots=True)
class MergeCount:
    """How many of ``n`` items (distractors, hard-negative pairs) were wrongly merged."""

    n: int
    merged: int
    merged_share: float

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "merged": self.merged, "merged_share": self.merged_share}


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One equal-width confidence bin ``[lower, upper)`` (the last bin includes 1.0).

    ``mean_confidence`` and ``accuracy`` are None for an empty bin.
    """

    lower: float
    upper: float
    mean_confidence: float | None
    accuracy: float | None
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "lower": self.lower,
            "upper": self.upper,
            "mean_confidence": self.mean_confidence,
            "accuracy": self.accuracy,
            "count": self.count,
        }


@dataclass(frozen=True, slots=True)
class PairCalibration:
    """Calibration of a scan's scored pairs against gold groups.

    Attributes:
        ece: Expected calibration error, or None when no pair could be scored.
        curve: The reliability bins behind ``ece``.
        n_pairs: Pairs whose two documents are both in the gold set.
        n_positive: Of those, pairs whose documents share a gold group.
        n_unknown: Pairs left out because a document is not in the gold set.
    """

    ece: float | None
    curve: tuple[ReliabilityBin, ...]
    n_pairs: int
    n_positive: int
    n_unknown: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "ece": self.ece,
            "n_pairs": self.n_pairs,
            "n_positive": self.n_positive,
            "n_unknown": self.n_unknown,
            "curve": [b.to_dict() for b in self.curve],
        }


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
        gold: Gold labels, e.g. from :func:`read_gold`.
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


# --------------------------------------------------------------------------------------------------------
# Calibration


def _check_n_bins(n_bins: int) -> None:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise InvalidParameterError(f"n_bins must be an int >= 1. Got {n_bins!r}.")


def _check_confidences(
    confidences: npt.ArrayLike, labels: npt.ArrayLike, n_bins: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    _check_n_bins(n_bins)
    conf = np.asarray(confidences, dtype=np.float64).ravel()
    lab = np.asarray(labels, dtype=np.float64).ravel()
    if conf.shape != lab.shape:
        raise InvalidParameterError(
            f"confidences and labels must have the same length. Got {conf.size} and {lab.size}."
        )
    if conf.size == 0:
        raise InvalidParameterError("confidences must hold at least one value. Got none.")
    bad = ~np.isfinite(conf) | (conf < 0.0) | (conf > 1.0)
    if bad.any():
        raise InvalidParameterError(
            f"confidences must be floats in [0, 1]. Got {conf[bad][0]!r} at index {int(np.argmax(bad))}."
        )
    not_binary = ~np.isin(lab, (0.0, 1.0))
    if not_binary.any():
        raise InvalidParameterError(f"labels must be 0/1 or booleans. Got {lab[not_binary][0]!r}.")
    return conf, lab


def reliability_curve(
    confidences: npt.ArrayLike, labels: npt.ArrayLike, n_bins: int = 10
) -> list[ReliabilityBin]:
    """Bin confidences into ``n_bins`` equal-width bins over [0, 1] and measure each bin's accuracy.

    Bin ``k`` holds confidences in ``[k/n_bins, (k+1)/n_bins)``; the last bin also holds 1.0.

    Args:
        confidences: Predicted probabilities that the label is 1, shape (n,), each in [0, 1].
        labels: True outcomes, shape (n,), 0/1 or booleans.
        n_bins: Number of bins; >= 1.

    Returns:
        One :class:`ReliabilityBin` per bin, in increasing order, empty bins included (count 0).

    Raises:
        InvalidParameterError: If the lengths differ, the input is empty, a confidence is outside [0, 1],
            a label is not 0/1, or ``n_bins < 1``.

    Example:
        >>> curve = reliability_curve([0.2, 0.9, 1.0], [0, 1, 1], n_bins=2)
        >>> [(b.mean_confidence, b.accuracy, b.count) for b in curve]
        [(0.2, 0.0, 1), (0.95, 1.0, 2)]
    """
    conf, lab = _check_confidences(confidences, labels, n_bins)
    idx = np.minimum((conf * n_bins).astype(np.int64), n_bins - 1)
    counts = np.bincount(idx, minlength=n_bins)
    conf_sum = np.bincount(idx, weights=conf, minlength=n_bins)
    hit_sum = np.bincount(idx, weights=lab, minlength=n_bins)
    out = []
    for k in range(n_bins):
        c = int(counts[k])
        out.append(
            ReliabilityBin(
                lower=k / n_bins,
                upper=(k + 1) / n_bins,
                mean_confidence=float(conf_sum[k] / c) if c else None,
                accuracy=float(hit_sum[k] / c) if c else None,
                count=c,
            )
        )
    return out


def _ece_of_curve(curve: Sequence[ReliabilityBin]) -> float:
    total = sum(b.count for b in curve)
    return float(
        sum(
            b.count / total * abs(b.accuracy - b.mean_confidence)
            for b in curve
            if b.count and b.accuracy is not None and b.mean_confidence is not None
        )
    )


def expected_calibration_error(confidences: npt.ArrayLike, labels: npt.ArrayLike, n_bins: int = 10) -> float:
    """Expected calibration error: bin-count-weighted mean gap between accuracy and mean confidence.

    ``ECE = sum_k (n_k / n) * |accuracy_k - mean_confidence_k|`` over the equal-width bins of
    :func:`reliability_curve`; 0 is perfectly calibrated, 1 the worst.

    Args:
        confidences: Predicted probabilities that the label is 1, shape (n,), each in [0, 1].
        labels: True outcomes, shape (n,), 0/1 or booleans.
        n_bins: Number of bins; >= 1.

    Returns:
        The ECE, in [0, 1].

    Raises:
        InvalidParameterError: As :func:`reliability_curve`.

    Example:
        >>> expected_calibration_error([1.0, 1.0, 1.0, 1.0], [1, 0, 1, 0])
        0.5
        >>> expected_calibration_error([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0])
        0.0
    """
    return _ece_of_curve(reliability_curve(confidences, labels, n_bins))


def _pair_fields(p: Any) -> tuple[Any, Any, Any]:
    if hasattr(p, "doc_a"):
        return p.doc_a, p.doc_b, p.confidence
    a, b, c = p
    return a, b, c


def pair_calibration(gold: Gold, scored_pairs: Iterable[Any], *, n_bins: int = 10) -> PairCalibration:
    """Calibration of a scan's pair confidences: a pair is correct when both documents share a gold group.

    Args:
        gold: Gold labels.
        scored_pairs: ``(doc_a, doc_b, confidence)`` tuples or objects with those attributes
            (:class:`dedup.types.Pair`). Ids are normalised as in :func:`score_grouping`; pairs with a
            document not in gold are left out and counted.
        n_bins: Equal-width bins; >= 1.

    Returns:
        ECE, reliability bins and counts; ``ece`` is None when no pair could be scored.

    Raises:
        InvalidParameterError: If a confidence is outside [0, 1] or ``n_bins < 1``.

    Example:
        >>> gold = Gold(docs={"a": GoldDoc("g1"), "b": GoldDoc("g1"), "c": GoldDoc("g2")})
        >>> cal = pair_calibration(gold, [("a.txt", "b.txt", 0.9), ("a", "c", 0.9), ("x", "a", 0.5)])
        >>> round(cal.ece, 4), cal.n_pairs, cal.n_positive, cal.n_unknown
        (0.4, 2, 1, 1)
    """
    conf: list[float] = []
    lab: list[int] = []
    unknown = 0
    for p in scored_pairs:
        a, b, c = _pair_fields(p)
        a, b = normalize_doc_id(a), normalize_doc_id(b)
        if a not in gold.docs or b not in gold.docs:
            unknown += 1
            continue
        conf.append(float(c))
        lab.append(int(gold.docs[a].group_id == gold.docs[b].group_id))
    if not conf:
        _check_n_bins(n_bins)
        return PairCalibration(None, (), 0, 0, unknown)
    curve = reliability_curve(conf, lab, n_bins)
    return PairCalibration(_ece_of_curve(curve), tuple(curve), len(conf), sum(lab), unknown)


def plot_reliability(
    curve: Sequence[ReliabilityBin], path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Write a reliability diagram (accuracy against mean confidence per bin, with bin counts) as a PNG.

    matplotlib is imported only here; it is part of the ``dev`` extra. The file is written to a temporary
    name in the same folder and then renamed, so a failed plot leaves no partial file.

    Args:
        curve: Bins from :func:`reliability_curve` (or ``PairCalibration.curve``).
        path: Output file; its folder must exist.
        title: Plot title; by default the ECE of the curve.

    Returns:
        The path written.

    Raises:
        ImportError: If matplotlib is not installed (the message says how to install it).
        InvalidParameterError: If ``curve`` is empty.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(
            "plot_reliability needs matplotlib, which is not installed. "
            "Install it with `pip install matplotlib` (or `pip install 'dedup[dev]'`)."
        ) from err
    if not curve:
        raise InvalidParameterError("curve must hold at least one bin. Got none.")
    out = Path(path)
    full = [b for b in curve if b.count and b.mean_confidence is not None and b.accuracy is not None]
    fig = Figure(figsize=(5, 5), dpi=100)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    ax.bar(
        [(b.lower + b.upper) / 2 for b in full],
        [b.accuracy for b in full],
        width=[(b.upper - b.lower) * 0.9 for b in full],
        alpha=0.3,
        color="tab:blue",
    )
    ax.plot(
        [b.mean_confidence for b in full],
        [b.accuracy for b in full],
        marker="o",
        color="tab:blue",
        label="accuracy per bin",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean confidence")
    ax.set_ylabel("accuracy")
    total = sum(b.count for b in curve)
    for b in full:
        ax.annotate(str(b.count), ((b.lower + b.upper) / 2, 0.02), ha="center", fontsize=7, color="grey")
    ax.set_title(
        title
        if title is not None
        else (f"ECE {_ece_of_curve(curve):.4f} (n={total})" if total else "no data")
    )
    ax.legend(loc="upper left", fontsize=8)
    with atomic_path(out, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return out


# --------------------------------------------------------------------------------------------------------
# Rated pairs (SemEval-2022 Task 8)


class RatedPair(NamedTuple):
    """One human-rated article pair; ``overall`` runs from 1 (same story) to 4 (unrelated)."""

    pair_id: str
    overall: float
    lang1: str
    lang2: str
    synthetic: bool


def read_rated_pairs(folder: str | os.PathLike[str]) -> list[RatedPair]:
    """Read ``pairs.tsv`` of a SemEval-style folder (such as ``eval/semeval8-dev``).

    Args:
        folder: The folder holding ``pairs.tsv`` (a path to the file itself is accepted too). Columns used:
            ``pair_id``, ``overall``, ``lang1``, ``lang2`` and ``synthetic`` (``1`` = machine-translated;
            absent means 0).

    Returns:
        The pairs in file order.

    Raises:
        InputError: If the file cannot be read, a column is missing or ``overall`` is not a number.
    """
    path = Path(folder)
    if path.is_dir():
        path = path / "pairs.tsv"
    lines = _read_lines(path)
    if not lines:
        raise InputError(f"{os.fspath(path)!r} is empty; expected a header with pair_id and overall.")
    head = lines[0].split("\t")
    for required in ("pair_id", "overall", "lang1", "lang2"):
        if required not in head:
            raise InputError(f"{os.fspath(path)!r} has no {required!r} column. Got header {head}.")
    out = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        row = dict(zip(head, line.split("\t"), strict=False))
        try:
            overall = float(row["overall"])
        except (KeyError, ValueError) as err:
            raise InputError(f"{os.fspath(path)!r} line {n}: overall must be a number.") from err
        out.append(
            RatedPair(
                row["pair_id"],
                overall,
                row.get("lang1", ""),
                row.get("lang2", ""),
                row.get("synthetic", "0") == "1",
            )
        )
    return out


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson's r (numpy); NaN for fewer than 3 values or a constant input."""
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def score_rated_pairs(
    ratings: Iterable[RatedPair | tuple[str, float, str, str, bool]],
    predictions: Mapping[str, float],
    *,
    threshold: float = 0.5,
    decisions: Mapping[str, bool] | None = None,
) -> dict[str, Any]:
    """Score same-story confidences on rated pairs, as ``eval/semeval8-dev/score_pairs.py`` does.

    Pairs without a prediction count as confidence 0. The binary part uses the clear pairs only
    (``overall <= 1.5`` same story, ``overall >= 3`` different).

    Args:
        ratings: ``(pair_id, overall, lang1, lang2, synthetic)`` rows, e.g. from :func:`read_rated_pairs`.
        predictions: ``pair_id -> confidence`` in [0, 1], higher meaning more likely the same story.
        threshold: A pair is predicted "same" when its confidence is ``>= threshold``.
        decisions: Optional hard ``pair_id -> same`` decisions that override the threshold.

    Returns:
        ``{"pairs", "missing_predictions", "threshold", "pearson": {name: {"n", "r"}}, "binary": {"n",
        "same", "accuracy", "precision_same", "recall_same", "oracle_accuracy", "oracle_threshold"}}`` with
        ``name`` in ``all``, ``cross-language``, ``same-language``, ``non-synthetic``. ``r`` is Pearson's
        correlation of confidence with ``4 - overall`` (NaN for fewer than 3 pairs or a constant input);
        the oracle is the best accuracy over thresholds (ties go to the higher threshold), for reference.

    Example:
        >>> rows = [("p1", 1.0, "eng", "deu", False), ("p2", 4.0, "eng", "eng", False),
        ...         ("p3", 1.2, "eng", "eng", True), ("p4", 2.0, "eng", "eng", False)]
        >>> res = score_rated_pairs(rows, {"p1": 0.9, "p2": 0.1, "p3": 0.4})
        >>> res["binary"]["accuracy"], res["binary"]["oracle_accuracy"], res["missing_predictions"]
        (0.6666666666666666, 1.0, 1)
    """
    decisions = {} if decisions is None else decisions
    rows = []
    missing = 0
    for pair_id, overall, lang1, lang2, synthetic in ratings:
        if pair_id not in predictions:
            missing += 1
        conf = float(predictions.get(pair_id, 0.0))
        same = int(bool(decisions[pair_id])) if pair_id in decisions else int(conf >= threshold)
        rows.append(
            {
                "conf": conf,
                "same": same,
                "target": 4 - float(overall),
                "overall": float(overall),
                "cross": lang1 != lang2,
                "synthetic": bool(synthetic),
            }
        )
    res: dict[str, Any] = {
        "pairs": len(rows),
        "missing_predictions": missing,
        "threshold": threshold,
        "pearson": {},
    }
    selections = [
        ("all", lambda r: True),
        ("cross-language", lambda r: r["cross"]),
        ("same-language", lambda r: not r["cross"]),
        ("non-synthetic", lambda r: not r["synthetic"]),
    ]
    for name, sel in selections:
        chosen = [r for r in rows if sel(r)]
        r_value = _pearson([r["conf"] for r in chosen], [r["target"] for r in chosen])
        res["pearson"][name] = {"n": len(chosen), "r": r_value}
    # Clear pairs only: rated same story (overall <= 1.5) or different (overall >= 3).
    clear = [r for r in rows if not 1.5 < r["overall"] < 3]
    gold = [1 if r["overall"] <= 1.5 else 0 for r in clear]
    got = [row["same"] for row in clear]
    tp = sum(1 for g, y in zip(gold, got, strict=True) if g and y)
    nan = float("nan")
    acc = sum(1 for g, y in zip(gold, got, strict=True) if g == y) / len(clear) if clear else nan
    best_acc, best_t = nan, None
    if clear:
        for t in sorted({r["conf"] for r in clear} | {0.0, 1.01}):
            a = sum(1 for r, g in zip(clear, gold, strict=True) if int(r["conf"] >= t) == g) / len(clear)
            if best_t is None or a >= best_acc:  # ties go to the higher threshold, as score_pairs.py
                best_acc, best_t = a, t
    res["binary"] = {
        "n": len(clear),
        "same": sum(gold),
        "accuracy": acc,
        "precision_same": tp / sum(got) if sum(got) else nan,
        "recall_same": tp / sum(gold) if sum(gold) else nan,
        "oracle_accuracy": best_acc,
        "oracle_threshold": best_t,
    }
    return res


# --------------------------------------------------------------------------------------------------------
# Bitext retrieval


def read_bitext(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """Read a sentence bitext file: header ``src<TAB>eng``, then one tab-separated pair a line, no quoting.

    Args:
        path: The ``<lang>-eng.tsv`` file. Blank lines are skipped.

    Returns:
        ``(src_sentences, eng_sentences)``, aligned by index.

    Raises:
        InputError: If the file cannot be read, the header is not ``src<TAB>eng`` or a row lacks
            exactly one tab.

    Example:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p = pathlib.Path(tmp, "nob-eng.tsv")
        ...     _ = p.write_text('src\\teng\\nHei "du"\\tHi "you"\\n', encoding="utf-8")
        ...     read_bitext(p)
        (['Hei "du"'], ['Hi "you"'])
    """
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except OSError as err:
        raise InputError(f"cannot read {os.fspath(path)!r}: {err.strerror or err}.") from err
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
    if not lines or lines[0].split("\t") != ["src", "eng"]:
        got = lines[0] if lines else ""
        raise InputError(f"{os.fspath(path)!r} must start with the header 'src<TAB>eng'. Got {got!r}.")
    src, eng = [], []
    for n, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        f = line.split("\t")
        if len(f) != 2:
            raise InputError(f"{os.fspath(path)!r} line {n} has {len(f)} tab-separated fields; expected 2.")
        src.append(f[0])
        eng.append(f[1])
    return src, eng


def _top1_accuracy(
    queries: npt.NDArray[np.float32], corpus: npt.NDArray[np.float32], chunk_size: int
) -> float:
    n = queries.shape[0]
    hits = 0
    for start in range(0, n, chunk_size):
        sims = queries[start : start + chunk_size] @ corpus.T
        best = np.argmax(sims, axis=1)  # first maximum: ties go to the lowest index
        hits += int(np.count_nonzero(best == np.arange(start, start + sims.shape[0])))
    return hits / n


def bitext_retrieval(
    src_emb: npt.ArrayLike, tgt_emb: npt.ArrayLike, *, chunk_size: int = 1024
) -> tuple[float, float]:
    """Top-1 retrieval accuracy of aligned sentence embeddings, in both directions.

    Row ``i`` of ``src_emb`` translates row ``i`` of ``tgt_emb``. For each source row the nearest target
    row by dot product (cosine, for L2-normalised rows) is found; accuracy is the share of rows whose
    nearest row is their own. Ties go to the lowest index, so a duplicate row is found only if it comes
    first. Similarities are computed ``chunk_size`` query rows at a time, so memory is
    O(chunk_size * n) rather than O(n^2).

    Args:
        src_emb: Source embeddings, shape (n, dim), L2-normalised (converted to float32).
        tgt_emb: Target embeddings, shape (n, dim), same n and dim.
        chunk_size: Query rows per block; >= 1. Decrease to lower memory (increases run-time).

    Returns:
        ``(accuracy_src_to_tgt, accuracy_tgt_to_src)``, each in [0, 1].

    Raises:
        InvalidParameterError: If an input is not 2-D, the shapes differ, n is 0 or ``chunk_size < 1``.

    Example:
        >>> import numpy as np
        >>> eye = np.eye(3, dtype=np.float32)
        >>> bitext_retrieval(eye, eye)
        (1.0, 1.0)
        >>> bitext_retrieval(eye, eye[[1, 0, 2]], chunk_size=2)
        (0.3333333333333333, 0.3333333333333333)
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise InvalidParameterError(f"chunk_size must be an int >= 1. Got {chunk_size!r}.")
    src = np.asarray(src_emb, dtype=np.float32)
    tgt = np.asarray(tgt_emb, dtype=np.float32)
    if src.ndim != 2 or tgt.ndim != 2:
        raise InvalidParameterError(
            f"src_emb and tgt_emb must be 2-D (n, dim). Got shapes {src.shape} and {tgt.shape}."
        )
    if src.shape != tgt.shape:
        raise InvalidParameterError(
            f"src_emb and tgt_emb must have the same shape (row i translates row i). "
            f"Got {src.shape} and {tgt.shape}."
        )
    if src.shape[0] == 0:
        raise InvalidParameterError("src_emb and tgt_emb must hold at least one row. Got 0.")
    return _top1_accuracy(src, tgt, chunk_size), _top1_accuracy(tgt, src, chunk_size)
