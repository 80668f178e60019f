"""From raw pair features to calibrated confidences: small, transparent logistic models.

Two models: ``article`` gives P(same article: copy, near-duplicate or translation),
which drives the default groups; ``story`` gives P(same story), for ``--level story``.
Each is a logistic regression over a handful of named features, so a fitted file
can be read by a person. Fitted parameters ship in ``models/calibration-v1.json``;
``models/calibrate.py`` reproduces them.

Example:
    >>> import numpy as np
    >>> from dedup.scoring.calibration import Calibrator
    >>> X = np.array([[0.0], [0.1], [0.9], [1.0]])
    >>> cal = Calibrator(feature_names=("x",)).fit(X, np.array([0, 0, 1, 1]))
    >>> bool(cal.predict_proba(np.array([[0.95]]))[0] > 0.5)
    True
"""

from __future__ import annotations

import json
import math
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

ARTICLE_FEATURES = (
    "coverage_max",
    "coverage_min",
    "log_n_aligned",
    "mean_cosine",
    "mean_margin",
    "mean_level",
    "shingle_jaccard",
    "log_min_sentences",
)
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
    if name == "log_min_sentences":
        return math.log1p(min(features.n_sentences_a, features.n_sentences_b))
    value = getattr(features, name, None)
    if value is None:
        raise InvalidParameterError(f"unknown feature {name!r}.")
    return float(value)


def feature_matrix(pairs: list[PairFeatures], names: tuple[str, ...]) -> npt.NDArray[np.float64]:
    """(n_pairs, n_features) matrix of the named features."""
    return np.array([[feature_value(p, n) for n in names] for p in pairs], dtype=np.float64).reshape(
        len(pairs), len(names)
    )


class Calibrator:
    """Logistic regression from named pair features to a probability.

    scikit-learn conventions: ``__init__`` stores parameters, ``fit`` learns
    ``coef_``/``intercept_`` and returns self.

    Args:
        feature_names: Names understood by :func:`feature_value`.
        C: Inverse regularisation strength (> 0).
        random_state: Seed for the solver.
    """

    def __init__(
        self, feature_names: tuple[str, ...] = ARTICLE_FEATURES, *, C: float = 1.0, random_state: int = 0
    ):
        self.feature_names = tuple(feature_names)
        self.C = C
        self.random_state = random_state

    def fit(
        self,
        X: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
        sample_weight: npt.NDArray[np.float64] | None = None,
    ) -> Calibrator:
        """Fit on features X (n, n_features) and targets y in [0, 1].

        Targets may be soft (e.g. a mean rating rescaled to [0, 1]): each row then
        counts as a positive with weight y and a negative with weight 1 - y.
        """
        from sklearn.linear_model import LogisticRegression

        if self.C <= 0:
            raise InvalidParameterError(f"C must be a float > 0. Got {self.C}.")
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if np.any((y < 0) | (y > 1)):
            raise InvalidParameterError("y must hold targets in [0, 1].")
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        X2 = np.vstack([X, X])
        y2 = np.concatenate([np.ones(len(y)), np.zeros(len(y))])
        w2 = np.concatenate([w * y, w * (1 - y)])
        keep = w2 > 0
        model = LogisticRegression(C=self.C, random_state=self.random_state, max_iter=1000)
        model.fit(X2[keep], y2[keep], sample_weight=w2[keep])
        self.coef_ = model.coef_[0].astype(np.float64)
        self.intercept_ = float(model.intercept_[0])
        return self

    def predict_proba(self, X: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """P(positive) per row of X, shape (n,)."""
        if not hasattr(self, "coef_"):
            raise InvalidParameterError("this Calibrator is not fitted yet. Call fit() or load one.")
        z = np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    def predict_pair(self, features: PairFeatures) -> float:
        """P(positive) of one pair."""
        return float(self.predict_proba(feature_matrix([features], self.feature_names))[0])

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_names": list(self.feature_names),
            "coef": [round(float(c), 6) for c in self.coef_],
            "intercept": round(self.intercept_, 6),
            "C": self.C,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibrator:
        cal = cls(tuple(d["feature_names"]), C=float(d.get("C", 1.0)))
        cal.coef_ = np.asarray(d["coef"], dtype=np.float64)
        cal.intercept_ = float(d["intercept"])
        if len(cal.coef_) != len(cal.feature_names):
            raise ModelError(
                f"calibration has {len(cal.coef_)} coefficients for {len(cal.feature_names)} features."
            )
        return cal


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
            f"cannot read calibration file {path}: {err}. Re-run `python models/calibrate.py`."
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
