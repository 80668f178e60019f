"""How well pair confidences are calibrated: reliability bins, expected calibration error and its plot.

A confidence of 0.8 is well calibrated when four in five pairs given 0.8 are correct. Confidences are
put in equal-width bins (:func:`reliability_curve`); the expected calibration error
(:func:`expected_calibration_error`) is the count-weighted mean gap between each bin's accuracy and
its mean confidence. :func:`pair_calibration` does this for a scan's pairs against gold groups, and
:func:`plot_reliability` draws the bins.

Example:
    >>> round(expected_calibration_error([0.9, 0.9, 0.1, 0.1], [1, 1, 0, 0]), 6)
    0.1
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.errors import InvalidParameterError
from dedup.evaluation.readers import Gold, normalize_doc_id
from dedup.io.atomic import atomic_path

__all__ = [
    "PairCalibration",
    "ReliabilityBin",
    "calibrated_ece",
    "expected_calibration_error",
    "pair_calibration",
    "plot_reliability",
    "reliability_curve",
]


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
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PairCalibration:
    """Calibration of a scan's scored pairs against gold groups.

    Attributes:
        ece: Expected calibration error, or None when no pair could be scored.
        curve: The reliability bins behind ``ece``.
        n_pairs: Pairs whose two documents are both in the gold set.
        n_positive: Of those, pairs whose documents share a gold group.
        n_unknown: Pairs left out because a document is not in the gold set.
        ece_if_calibrated: :func:`calibrated_ece` of the same confidences: what a perfectly
            calibrated model would show on this many pairs (None when none could be scored).
    """

    ece: float | None
    curve: tuple[ReliabilityBin, ...]
    n_pairs: int
    n_positive: int
    n_unknown: int
    ece_if_calibrated: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ece": self.ece,
            "ece_if_calibrated": self.ece_if_calibrated,
            "n_pairs": self.n_pairs,
            "n_positive": self.n_positive,
            "n_unknown": self.n_unknown,
            "curve": [b.to_dict() for b in self.curve],
        }

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


def calibrated_ece(confidences: npt.ArrayLike, n_bins: int = 10, *, draws: int = 200, seed: int = 0) -> float:
    """The ECE a perfectly calibrated model would show on these confidences: the median over
    ``draws`` label sets drawn from the confidences themselves (each pair true with its own
    probability). On a few dozen pairs it is far from 0, so an ECE near it is as good as that many
    pairs can show.

    Example:
        >>> round(calibrated_ece([0.9] * 30 + [0.1] * 30), 3)
        0.033
        >>> round(calibrated_ece([0.9] * 300 + [0.1] * 300), 3)
        0.013
        >>> calibrated_ece([0.0, 1.0, 1.0])
        0.0
    """
    conf = np.asarray(confidences, dtype=np.float64)
    rng = np.random.default_rng(seed)
    values = [expected_calibration_error(conf, rng.random(conf.shape) < conf, n_bins) for _ in range(draws)]
    return float(np.median(values))


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
            (:class:`dedup.types.Pair`). Ids are normalised with
            :func:`~dedup.evaluation.readers.normalize_doc_id`; pairs with a document not in gold are
            left out and counted.
        n_bins: Equal-width bins; >= 1.

    Returns:
        ECE, reliability bins and counts; ``ece`` is None when no pair could be scored.

    Raises:
        InvalidParameterError: If a confidence is outside [0, 1] or ``n_bins < 1``.

    Example:
        >>> from dedup.evaluation.readers import Gold, GoldDoc
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
    return PairCalibration(
        _ece_of_curve(curve), tuple(curve), len(conf), sum(lab), unknown, calibrated_ece(conf, n_bins)
    )


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
