"""Notebook ergonomics: results as DataFrames or plain records, and a reusable :class:`Detector`.

Example (with the fake encoder, so no model is loaded):
    >>> from dedup.api import Detector, to_frame
    >>> from dedup.encoders.base import HashingEncoder
    >>> texts = {"a": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed.",
    ...          "b": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed.",
    ...          "c": "The central bank raised interest rates by half a point on Thursday."}
    >>> detector = Detector(threshold=0.6, encoder=HashingEncoder())
    >>> to_frame(detector.find_pairs(texts))[["doc_a", "doc_b", "relation", "confidence"]]
      doc_a doc_b relation  confidence
    0     a     b    exact         1.0
    >>> [g.members for g in detector.find_groups(texts)]
    [('a', 'b'), ('c',)]
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from dedup.config import ScanConfig
from dedup.encoders.base import Encoder
from dedup.errors import InvalidParameterError
from dedup.scoring.calibration import ARTICLE_FEATURES, ConfidenceModel, fit_calibrator, load_confidence_model
from dedup.types import Group, Pair, ScanResult, result_records

__all__ = ["Detector", "to_frame", "to_records"]

logger = logging.getLogger(__name__)


def to_records(items: Any, *, what: str | None = None) -> list[dict[str, Any]]:
    """Turn results into plain, JSON-ready dicts (one per pair, group, document, ...).

    Args:
        items: A :class:`~dedup.types.ScanResult`, or a sequence of ``Pair``, ``Group``,
            ``DocumentInfo``, ``Skipped`` or other dataclasses with ``to_dict`` (e.g. manifest rows).
        what: For a ScanResult, which table: ``pairs`` (default), ``groups``, ``documents`` or
            ``skipped``. Ignored for sequences.

    Returns:
        Pair records have the relation as a string, ``n_aligned`` instead of the aligned sentences,
        and the raw features as flat columns; group records add ``n_members``
        (:func:`dedup.types.result_records`, which ``ScanResult.to_pandas`` uses in its compact form).

    Raises:
        InvalidParameterError: If ``what`` is unknown or ``items`` holds something else.

    Example:
        >>> from dedup.types import Group
        >>> to_records([Group("g00001", ("a", "b"), 0.91234, ("en", "nb"))])
        [{'group_id': 'g00001', 'members': ['a', 'b'], 'confidence': 0.9123, 'languages': ['en', 'nb'], \
'n_members': 2}]
    """
    return result_records(items, what=what)


def to_frame(items: Any, *, what: str | None = None) -> Any:
    """Results as a pandas DataFrame (pandas is imported here, not with dedup).

    Args:
        items: As for :func:`to_records`: a ScanResult or a list of pairs, groups, documents, ....
        what: For a ScanResult: ``pairs`` (default), ``groups``, ``documents`` or ``skipped``.

    Returns:
        One row per item, with the columns of :func:`to_records`; an empty list gives an empty frame.

    Example:
        >>> from dedup.types import Pair, Relation
        >>> frame = to_frame([Pair("a", "b", "en", "nb", Relation.TRANSLATION, 0.97)])
        >>> frame[["doc_a", "doc_b", "relation", "confidence", "n_aligned"]]
          doc_a doc_b     relation  confidence  n_aligned
        0     a     b  translation        0.97          0
    """
    import pandas as pd

    return pd.DataFrame(to_records(items, what=what))


class Detector:
    """A reusable scanner for notebooks: set the parameters once, keep the loaded model between calls.

    scikit-learn conventions: ``__init__`` only stores its arguments; without ``model`` or ``encoder``
    the encoder named by ``config.encoder`` (default the int8 ONNX one, :func:`dedup.load_encoder`) is
    loaded on first use and kept in ``encoder_``; :meth:`fit` optionally re-fits the article-level
    confidence model on labelled documents and stores it in ``confidence_model_``.

    Args:
        threshold: Minimum link confidence, in [0, 1], for two documents to share a group.
        level: ``article`` (copies, near-duplicates, translations) or ``story``.
        config: Other scan parameters; ``threshold`` and ``level`` above override its fields.
        model: A loaded SentenceTransformer (``dedup.load_model()``), used as it is when given.
        encoder: Any :class:`~dedup.encoders.base.Encoder`; overrides ``model`` (e.g. ``HashingEncoder()``).
        confidence_model: Calibration to use before :meth:`fit`; defaults to the shipped one.
    """

    def __init__(
        self,
        *,
        threshold: float = ScanConfig.threshold,
        level: str = ScanConfig.level,
        config: ScanConfig | None = None,
        model: Any = None,
        encoder: Encoder | None = None,
        confidence_model: ConfidenceModel | None = None,
    ) -> None:
        self.threshold = threshold
        self.level = level
        self.config = config
        self.model = model
        self.encoder = encoder
        self.confidence_model = confidence_model

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if v is not None)
        return f"Detector({params})"

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, by name."""
        return {
            "threshold": self.threshold,
            "level": self.level,
            "config": self.config,
            "model": self.model,
            "encoder": self.encoder,
            "confidence_model": self.confidence_model,
        }

    def set_params(self, **params: Any) -> Detector:
        """Change constructor parameters; returns self.

        Raises:
            InvalidParameterError: On an unknown parameter name.
        """
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise InvalidParameterError(
                    f"set_params got an unknown parameter {name!r}; valid: {', '.join(valid)}."
                )
            setattr(self, name, value)
            if name in ("model", "encoder", "config"):
                self.__dict__.pop("encoder_", None)
        return self

    # ---------------------------------------------------------------------------------------------

    def scan_config(self) -> ScanConfig:
        """The ScanConfig a call uses: ``config`` with ``threshold`` and ``level`` applied.

        Raises:
            InvalidParameterError: If a parameter is out of range.
        """
        return replace(self.config or ScanConfig(), threshold=self.threshold, level=self.level)

    def _model_kwargs(self) -> dict[str, Any]:
        if self.encoder is not None:
            return {"encoder": self.encoder}
        if self.model is not None:
            return {"model": self.model}
        kind = self.scan_config().encoder
        if getattr(self, "encoder_", None) is None or self.encoder_kind_ != kind:
            from dedup.encoders.loading import load_encoder

            self.encoder_, self.encoder_kind_ = load_encoder(kind), kind
        return {"encoder": self.encoder_}

    def _confidence_model(self) -> ConfidenceModel | None:
        return getattr(self, "confidence_model_", None) or self.confidence_model

    def scan(self, inputs: Any, *, progress: Any = None) -> ScanResult:
        """Scan ``inputs`` (a folder, a list of files or a ``{doc_id: text}`` dict); see ``dedup.scan``."""
        from dedup.runners.local import scan

        return scan(
            inputs,
            config=self.scan_config(),
            confidence_model=self._confidence_model(),
            progress=progress,
            **self._model_kwargs(),
        )

    def find_pairs(self, inputs: Any) -> list[Pair]:
        """Linked pairs of ``inputs``, strongest first."""
        return list(self.scan(inputs).pairs)

    def find_groups(self, inputs: Any) -> list[Group]:
        """Story groups of ``inputs``; every document is in exactly one."""
        return list(self.scan(inputs).groups)

    def fit(self, inputs: Any, labels: Mapping[str, str] | Any, *, C: float = 1.0) -> Detector:
        """Re-fit the article-level confidence model on documents with known groups.

        Every pair of labelled documents (or the candidate pairs, for large inputs) is scored as in a
        scan; pairs with at least ``min_aligned`` aligned sentences become training rows, labelled
        positive when both documents share a group. The story-level model is kept.

        Args:
            inputs: Documents, as for :meth:`scan`.
            labels: ``doc_id -> group_id``, or a :class:`dedup.evaluation.readers.Gold`; ids may be
                bare file stems (matched as ``dedup.evaluation.readers.normalize_doc_id`` does).
                Unlabelled documents are ignored.
            C: Inverse regularisation strength of the logistic regression (> 0).

        Returns:
            self, with ``confidence_model_`` set.

        Raises:
            InvalidParameterError: If there are not both linked and unlinked training pairs.
        """
        from dedup.evaluation.readers import normalize_doc_id
        from dedup.runners.prepare import prepare
        from dedup.runners.stages import adapt_to_input, find_candidates, pair_features

        config = self.scan_config()
        base = self.confidence_model or load_confidence_model()
        group_of = _labels(labels)
        prepared = prepare(inputs, config=config, **self._model_kwargs())
        corpus = prepared.corpus
        ids = [group_of.get(d.doc_id, group_of.get(normalize_doc_id(d.doc_id))) for d in prepared.documents]
        rows, targets = [], []
        candidates = find_candidates(corpus, config, eligible=prepared.encoded)
        # levels measured on this input score its pairs; the fitted model keeps the shipped reference
        scoring = adapt_to_input(corpus, candidates, config=config, confidence_model=base)
        for i, j in candidates:
            if ids[i] is None or ids[j] is None:
                continue
            feats, _ = pair_features(corpus, i, j, config=config, confidence_model=scoring)
            if feats.n_aligned >= config.min_aligned:
                rows.append(feats)
                targets.append(int(ids[i] == ids[j]))
        if len(set(targets)) < 2:
            raise InvalidParameterError(
                f"fit needs labelled pairs of both kinds (same group and different groups). Got "
                f"{sum(targets)} same-group and {len(targets) - sum(targets)} different-group pairs."
            )
        article = fit_calibrator(rows, targets, ARTICLE_FEATURES, C=C, random_state=config.seed)
        self.confidence_model_ = replace(base, article=article)
        self.n_training_pairs_ = len(targets)
        logger.info("fitted the article confidence model on %d pairs", len(targets))
        return self


def _labels(labels: Any) -> dict[str, str]:
    docs = getattr(labels, "docs", None)
    if docs is not None:  # a dedup.evaluation.readers.Gold
        return {d: g.group_id for d, g in docs.items()}
    if isinstance(labels, Mapping):
        return {str(k): str(v) for k, v in labels.items()}
    raise InvalidParameterError(
        f"labels must be a mapping doc_id -> group_id or a Gold. Got {type(labels).__name__}."
    )
