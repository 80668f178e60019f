"""find_pairs / find_groups / scan: the stages of :mod:`dedup.runners.stages`, run in this process.

read -> clean -> identify languages and split -> embed -> corpus -> candidates -> score -> group.

Example (with the fake encoder, so no model is loaded):
    >>> from dedup.runners.local import scan
    >>> from dedup.encoders.base import HashingEncoder
    >>> texts = {"a": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed.",
    ...          "b": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed.",
    ...          "c": "The central bank raised interest rates by half a point on Thursday."}
    >>> result = scan(texts, encoder=HashingEncoder())
    >>> [g.members for g in result.groups]
    [('a', 'b'), ('c',)]
    >>> result.pairs[0].relation.value
    'exact'
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from dedup.config import ScanConfig, config_with
from dedup.encoders.base import Encoder
from dedup.errors import InvalidParameterError
from dedup.runners.archive_index import scan_against
from dedup.runners.prepare import prepare
from dedup.runners.stages import Inputs, ProgressCallback, adapt_to_input, find_candidates, score_candidates
from dedup.scoring.calibration import ConfidenceModel, load_confidence_model
from dedup.types import Group, Pair, ScanResult

logger = logging.getLogger(__name__)


def scan(
    inputs: Inputs,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | str | None = None,
    confidence_model: ConfidenceModel | None = None,
    progress: ProgressCallback | None = None,
    against: str | Path | None = None,
    **params: Any,
) -> ScanResult:
    """Scan documents for copies, near-duplicates and translations, and group them.

    Keywords are named as the options of ``dedup scan``: ``dedup.scan(path, level="story",
    threshold=0.7, encoder="torch", text_field="body")`` is ``dedup scan PATH --level story
    --threshold 0.7 --encoder torch --text-field body``.

    Args:
        inputs: A folder, a single file, a list of files and folders, or a ``{doc_id: text}`` dict.
        config: Scan parameters; defaults to ``ScanConfig()``. Keywords in ``params`` override it.
        model: A loaded SentenceTransformer (see ``dedup.load_model``), used as it is. When
            neither model nor encoder is given, ``config.encoder`` is loaded for this call
            (``dedup.load_encoder``; default the batched int8 ONNX encoder).
        encoder: Any :class:`~dedup.encoders.base.Encoder` (overrides ``model``), or the name of one to
            load (``"onnx-int8-batched"``, ``"onnx-int8"``, ``"torch"``: sets ``ScanConfig.encoder``).
        confidence_model: Calibration to use; defaults to the shipped one.
        progress: Optional callback ``(stage, done, total)``; the library never prints. Reading
            reports stage ``read bytes`` (bytes of all input files).
        against: An archive index folder (``dedup index build``): check the new inputs against it
            (see :func:`dedup.runners.archive_index.scan_against`).
        **params: Any :class:`~dedup.config.ScanConfig` field: ``threshold``, ``level``,
            ``max_chars``, ``text_field``, ``id_field``, ``follow_symlinks``, ``strip_boilerplate``,
            ``first_tier``, ...

    Returns:
        ScanResult with documents, linked pairs, groups (a partition) and skipped inputs.

    Raises:
        InputError: If a single input path is missing.
        InvalidParameterError: On an unknown keyword, a value out of range, or ``first_tier`` with
            ``against``.
        ModelError: If the model cannot be built or loaded.
    """
    if isinstance(encoder, str):
        params["encoder"], encoder = encoder, None
    config = config_with(config, **params)
    if against is not None:
        if config.first_tier or config.lead_tier:
            raise InvalidParameterError(
                "first_tier and lead_tier are not supported with against=. "
                f"Got first_tier={config.first_tier}, lead_tier={config.lead_tier}."
            )

        return scan_against(
            inputs,
            against,
            config=config,
            model=model,
            encoder=encoder,
            confidence_model=confidence_model,
            progress=progress,
        )
    confidence_model = confidence_model or load_confidence_model()
    timings: dict[str, float] = {}
    prepared = prepare(
        inputs, config=config, model=model, encoder=encoder, progress=progress, timings=timings
    )
    documents, corpus = prepared.documents, prepared.corpus
    t = time.perf_counter()
    # first tier: documents that were not encoded stay singletons
    candidates = find_candidates(corpus, config, eligible=prepared.encoded)
    timings["index"] = time.perf_counter() - t
    confidence_model = adapt_to_input(
        corpus, candidates, config=config, confidence_model=confidence_model, timings=timings
    )
    result = score_candidates(
        documents,
        corpus,
        candidates,
        config=config,
        confidence_model=confidence_model,
        skipped=prepared.skipped,
        progress=progress,
        timings=timings,
    )
    if prepared.encoded is not None and prepared.n_sentences is not None:
        from dedup.search.first_tier import restore_unencoded

        result = restore_unencoded(result, prepared.n_sentences, prepared.encoded)
    return result


def find_pairs(inputs: Inputs, **kwargs: Any) -> list[Pair]:
    """Linked document pairs of ``inputs``, strongest first. Keywords as for :func:`scan`.

    Example (with the fake encoder, so no model is loaded):
        >>> from dedup.encoders.base import HashingEncoder
        >>> text = "Storm hits the coast.\\nThousands lost power."
        >>> texts = {"a": text, "b": text}
        >>> [(p.doc_a, p.doc_b) for p in find_pairs(texts, threshold=0.9, encoder=HashingEncoder())]
        [('a', 'b')]
    """
    return list(scan(inputs, **kwargs).pairs)


def find_groups(inputs: Inputs, **kwargs: Any) -> list[Group]:
    """Story groups of ``inputs`` (every document in exactly one). Keywords as for :func:`scan`.

    Example (with the fake encoder, so no model is loaded):
        >>> from dedup.encoders.base import HashingEncoder
        >>> [g.members for g in find_groups({"a": "One story.", "b": "Another."}, level="story",
        ...                                  encoder=HashingEncoder())]
        [('a',), ('b',)]
    """
    return list(scan(inputs, **kwargs).groups)
