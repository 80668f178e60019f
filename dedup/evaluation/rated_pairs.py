"""Same-story confidences scored against human ratings, as ``eval/semeval8-dev/score_pairs.py`` does.

The ratings are SemEval-2022 Task 8's (``overall`` from 1, same story, to 4, unrelated; read by
:func:`dedup.evaluation.readers.read_rated_pairs`). :func:`score_rated_pairs` gives Pearson's r
(numpy's) of the confidences with ``4 - overall`` and the accuracy of same/different decisions on
the clear pairs.

Example:
    >>> rows = [("p1", 1.0, "eng", "deu", False), ("p2", 4.0, "eng", "eng", False),
    ...         ("p3", 2.0, "eng", "eng", False)]
    >>> pearson = score_rated_pairs(rows, {"p1": 0.9, "p2": 0.1, "p3": 0.5})["pearson"]["all"]
    >>> pearson["n"], round(pearson["r"], 3)
    (3, 0.982)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from dedup.evaluation.readers import RatedPair

__all__ = ["score_rated_pairs"]


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
        ratings: ``(pair_id, overall, lang1, lang2, synthetic)`` rows, e.g. from
            :func:`dedup.evaluation.readers.read_rated_pairs`.
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
