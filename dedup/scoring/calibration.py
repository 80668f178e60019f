"""From raw pair features to calibrated confidences: small, transparent logistic models.

Two models: ``article`` gives P(same article: copy, near-duplicate or translation),
which drives the default groups; ``story`` gives P(same story), for ``--level story``.
Each is a logistic regression over a handful of named features, so a fitted file
can be read by a person. :func:`fit_calibrator` fits them; the fitted parameters ship in
``models/calibration-v1.json``, which ``python -m models.calibrate`` reproduces.

Example:
    >>> import numpy as np
    >>> cal = Calibrator(("coverage_max",), coef=[8.0], intercept=-4.0)
    >>> cal.predict_proba(np.array([[0.0], [0.5], [1.0]])).round(3).tolist()
    [0.018, 0.5, 0.982]
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.errors import InvalidParameterError, ModelError
from dedup.io.atomic import atomic_path
from dedup.scoring.cosine_reference import CosineReference
from dedup.types import PairFeatures

CALIBRATION_VERSION = 1
DEFAULT_CALIBRATION = (
    Path(__file__).resolve().parents[2] / "models" / f"calibration-v{CALIBRATION_VERSION}.json"
)

ALIGNMENT_FEATURES = (
    "coverage_max",
    "coverage_min",
    "log_n_aligned",
    "mean_cosine",
    "mean_margin",
    "capped_level",
    "shingle_jaccard",
    "log_min_sentences",
    "log_number_disagreement",
)
"""What the sentence alignment says about a pair (and its character shingles, its length, whether its
aligned sentences' numbers disagree)."""
LEVEL_CAP = 1.2
"""``capped_level`` is ``mean_level`` with everything past this counted as this. A level well above a
typical translation's (1) is not more evidence: on the training archives, linkable pairs aligned at
a mean level above 1.5 were 98 % unrelated (one quoted headline, a name or a number line, a chat
template). Chosen by cross-validated log loss over the training archives: a one-off run compared
caps 1.0-1.4 (1.2 best, all better than no cap); ``models/calibrate.py`` reports the capped and
uncapped feature sets side by side (report ``feature_sets``)."""
DOCUMENT_FEATURES = ("doc_cosine", "lead_cosine", "soft_coverage", "entity_overlap", "story_cosine")
"""What the two documents say as wholes: one quoted sentence aligns, but its documents' vectors
do not meet; a condensed translation aligns one sentence, but its lead and names do."""
ONE_SENTENCE_FEATURES = ("one_sentence", "one_sentence_level")
"""An intercept and a level slope of their own for a pair with a one-sentence document (a headline,
a wire flash, a post). There one aligned sentence covers the whole document, so coverage says
nothing, and the calibration's headline archives show that a same-language pair of one-sentence
documents needs a higher level than articles do: without these terms, training on them too moved
the confidence of articles, and without those archives the model had never seen such a pair
(same-language precision 0.88 on validation headlines)."""
ARTICLE_FEATURES = ALIGNMENT_FEATURES + DOCUMENT_FEATURES + ONE_SENTENCE_FEATURES
"""The article model's features: chosen over ``ALIGNMENT_FEATURES`` alone, and over the set without
``ONE_SENTENCE_FEATURES``, by cross-validated log loss on the calibration's training archives
(``models/calibrate.py``, report ``feature_sets``)."""
STORY_FEATURES = ("story_cosine", "soft_coverage", "coverage_max", "entity_overlap", "lead_cosine")


def feature_value(features: PairFeatures, name: str) -> float:
    """One named feature of a pair, as used by the calibration models."""
    if name == "coverage_max":
        return features.coverage_max
    if name == "coverage_min":
        return features.coverage_min
    if name == "log_n_aligned":
        return math.log1p(features.n_aligned)
    if name == "same_language":
        return 1.0 if features.same_language else 0.0
    if name == "log_number_disagreement":
        return math.log1p(max(features.number_conflicts - features.number_agreements, 0))
    if name == "log_min_sentences":
        return math.log1p(min(features.n_sentences_a, features.n_sentences_b))
    if name == "capped_level":
        return min(features.mean_level, LEVEL_CAP)
    if name == "one_sentence":
        return 1.0 if min(features.n_sentences_a, features.n_sentences_b) == 1 else 0.0
    if name == "one_sentence_level":
        return feature_value(features, "capped_level") * feature_value(features, "one_sentence")
    value = getattr(features, name, None)
    if value is None:
        raise InvalidParameterError(f"unknown feature {name!r}.")
    return float(value)


def feature_matrix(pairs: Sequence[PairFeatures], names: tuple[str, ...]) -> npt.NDArray[np.float64]:
    """(n_pairs, n_features) matrix of the named features."""
    return np.array([[feature_value(p, n) for n in names] for p in pairs], dtype=np.float64).reshape(
        len(pairs), len(names)
    )


class Calibrator:
    """A fitted logistic model from named pair features to a probability.

    Made by :func:`fit_calibrator` or read back with :meth:`from_dict`.

    Args:
        feature_names: Names understood by :func:`feature_value`.
        coef: One coefficient per feature, shape (n_features,).
        intercept: The intercept.
        C: Inverse regularisation strength it was fitted with (recorded, not used to predict).

    Raises:
        ModelError: If there is not one coefficient per feature.
    """

    def __init__(
        self, feature_names: tuple[str, ...], coef: npt.ArrayLike, intercept: float, *, C: float = 1.0
    ) -> None:
        self.feature_names = tuple(feature_names)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.C = C
        if self.coef.shape != (len(self.feature_names),):
            raise ModelError(
                f"calibration has {self.coef.size} coefficients for {len(self.feature_names)} features."
            )

    def predict_proba(self, X: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """P(positive) per row of X, shape (n,)."""
        z = np.asarray(X, dtype=np.float64) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    def predict_pair(self, features: PairFeatures) -> float:
        """P(positive) of one pair."""
        return float(self.predict_proba(feature_matrix([features], self.feature_names))[0])

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_names": list(self.feature_names),
            "coef": [round(float(c), 6) for c in self.coef],
            "intercept": round(self.intercept, 6),
            "C": self.C,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibrator:
        return cls(tuple(d["feature_names"]), d["coef"], d["intercept"], C=float(d.get("C", 1.0)))


def fit_calibrator(
    pairs: Sequence[PairFeatures],
    targets: npt.ArrayLike,
    feature_names: tuple[str, ...] = ARTICLE_FEATURES,
    *,
    C: float = 1.0,
    sample_weight: npt.ArrayLike | None = None,
    random_state: int = 0,
) -> Calibrator:
    """Fit a logistic model of the named features of ``pairs`` to ``targets``: the one calibration fit.

    ``models/calibrate.py`` (the shipped ``calibration-v1.json``) and :meth:`dedup.Detector.fit` fit
    with it. Targets may be soft (e.g. a mean rating rescaled to [0, 1]): each pair then counts as a
    positive with weight ``w * y`` and a negative with weight ``w * (1 - y)``.

    Args:
        pairs: Features of the training pairs.
        targets: One target in [0, 1] per pair (0/1 or booleans for hard labels).
        feature_names: Names understood by :func:`feature_value`.
        C: Inverse regularisation strength of scikit-learn's ``LogisticRegression`` (> 0).
        sample_weight: Optional weight per pair (default 1).
        random_state: Seed handed to the solver.

    Returns:
        The fitted model.

    Raises:
        InvalidParameterError: If ``C <= 0``, a target is outside [0, 1] or the lengths differ.

    Example:
        >>> from dedup.types import PairFeatures
        >>> def pair(coverage):
        ...     return PairFeatures(coverage, coverage, 3, 0.8, 1.2, 1.0, 0.1, 0.5, False, 10, 10)
        >>> cal = fit_calibrator([pair(c) for c in (0.0, 0.1, 0.9, 1.0)], [0, 0, 1, 1], ("coverage_max",))
        >>> cal.predict_pair(pair(0.95)) > 0.5 > cal.predict_pair(pair(0.05))
        True
    """
    from sklearn.linear_model import LogisticRegression

    if C <= 0:
        raise InvalidParameterError(f"C must be a float > 0. Got {C}.")
    X = feature_matrix(list(pairs), feature_names)
    y = np.asarray(targets, dtype=np.float64)
    if y.shape != (len(X),):
        raise InvalidParameterError(f"targets must hold one value per pair. Got {y.size} for {len(X)} pairs.")
    if np.any((y < 0) | (y > 1)):
        raise InvalidParameterError("targets must be in [0, 1].")
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    X2 = np.vstack([X, X])
    y2 = np.concatenate([np.ones(len(y)), np.zeros(len(y))])
    w2 = np.concatenate([w * y, w * (1 - y)])
    keep = w2 > 0
    model = LogisticRegression(C=C, random_state=random_state, max_iter=1000)
    model.fit(X2[keep], y2[keep], sample_weight=w2[keep])
    return Calibrator(feature_names, model.coef_[0].astype(np.float64), float(model.intercept_[0]), C=C)


@dataclass(frozen=True)
class ConfidenceModel:
    """What a scan's pair scoring needs from the calibration.

    Attributes:
        article: P(same article) from pair features.
        story: P(same story) from pair features.
        reference: Per-language-pair cosine levels (:mod:`dedup.scoring.cosine_reference`); None in a
            file without them, and then alignments use one cosine threshold for every pair.
        min_level: Level on the pair's cosine scale an aligned sentence pair must reach.
        version: File format version.
    """

    article: Calibrator
    story: Calibrator
    reference: CosineReference | None = None
    min_level: float = 0.0
    version: int = CALIBRATION_VERSION

    def article_confidence(self, features: PairFeatures) -> float:
        return self.article.predict_pair(features)

    def story_confidence(self, features: PairFeatures) -> float:
        return self.story.predict_pair(features)

    def to_dict(self, **meta: Any) -> dict[str, Any]:
        out = {"version": self.version, "article": self.article.to_dict(), "story": self.story.to_dict()}
        if self.reference is not None:
            out |= {"cosine_reference": self.reference.to_dict(), "min_level": self.min_level}
        return out | meta


def load_confidence_model(path: Path | str | None = None) -> ConfidenceModel:
    """Load fitted calibration parameters (default: the file shipped in ``models/``).

    Raises:
        ModelError: If the file is missing, unreadable or of another version.
    """
    path = Path(path) if path is not None else DEFAULT_CALIBRATION
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(
            f"cannot read calibration file {path}: {err}. Re-run `python -m models.calibrate`."
        ) from err
    if data.get("version") != CALIBRATION_VERSION:
        raise ModelError(
            f"calibration file {path} has version {data.get('version')!r}, expected {CALIBRATION_VERSION}."
        )
    reference = data.get("cosine_reference")
    return ConfidenceModel(
        article=Calibrator.from_dict(data["article"]),
        story=Calibrator.from_dict(data["story"]),
        reference=None if reference is None else CosineReference.from_dict(reference),
        min_level=float(data.get("min_level", 0.0)),
    )


def save_confidence_model(model: ConfidenceModel, path: Path | str, **meta: Any) -> None:
    """Write parameters as JSON atomically (temp file + rename)."""
    path = Path(path)
    text = json.dumps(model.to_dict(**meta), indent=2, sort_keys=True) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
