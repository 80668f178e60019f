"""Run dedup on labelled data and score it: what ``dedup eval``, ``eval-pairs`` and ``eval-bitext`` do.

The readers and metrics are pure functions in the other modules of :mod:`dedup.evaluation`; this
module only runs the pipeline on a gold folder and hands its output to them.

Example (fake encoder, a two-story gold set written on the fly):
    >>> import tempfile
    >>> from pathlib import Path
    >>> from dedup.encoders.base import HashingEncoder
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "docs").mkdir()
    >>> text = "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed."
    >>> for name, body in {"a": text, "b": text, "c": "Rates rise again at the central bank today."}.items():
    ...     _ = (root / "docs" / f"{name}.txt").write_text(body)
    >>> _ = (root / "gold.tsv").write_text("doc_id\\tgroup_id\\tlang\\trole\\tsource\\n"
    ...     "a\\tg1\\teng\\toriginal\\tx\\nb\\tg1\\teng\\tnear_dup\\tx\\nc\\tg2\\teng\\tdistractor\\tx\\n")
    >>> report = evaluate_gold_dir(root, encoder=HashingEncoder())
    >>> report["pairwise"]["f1"]
    1.0
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from dedup.config import ScanConfig
from dedup.encoders.base import Encoder, embed_sentences
from dedup.errors import InputError
from dedup.evaluation.bitext import bitext_retrieval
from dedup.evaluation.grouping import score_grouping
from dedup.evaluation.rated_pairs import score_rated_pairs
from dedup.evaluation.readers import (
    Gold,
    normalize_doc_id,
    read_bitext,
    read_gold,
    read_rated_pair_ids,
    read_rated_pairs,
)
from dedup.evaluation.reliability import plot_reliability, reliability_curve
from dedup.runners.local import scan
from dedup.runners.prepare import prepare
from dedup.runners.stages import adapt_to_input, pair_features
from dedup.scoring.calibration import ConfidenceModel, load_confidence_model
from dedup.types import ScanResult

logger = logging.getLogger(__name__)

# Pairs down to this article confidence count in the calibration figures (ECE, reliability
# diagram); below it are the tens of thousands of unrelated pairs that would make any ECE tiny.
_CALIBRATION_FLOOR = 0.01


def evaluate_gold_dir(
    gold_dir: Path | str,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | None = None,
    out_dir: Path | str | None = None,
) -> dict[str, Any]:
    """Scan ``gold_dir/docs`` and compare with ``gold_dir/gold.tsv``.

    Args:
        gold_dir: A folder with ``docs/`` and ``gold.tsv`` (and optionally ``hard_negatives.tsv``).
        config: Scan parameters (defaults: ``ScanConfig()``).
        model: A loaded SentenceTransformer; loaded when neither model nor encoder is given.
        encoder: Any Encoder (overrides model).
        out_dir: If given, the scan output, ``predicted.tsv`` and ``reliability.png`` are written here.

    Returns:
        The metrics of :func:`dedup.evaluation.grouping.score_grouping` as a dict (keys ``pairwise``,
        ``bcubed``, ``ari``, ``ece``, ...) plus ``errors``: missed gold pairs and wrong links
        with their confidences, relations and aligned evidence.

    Raises:
        InputError: If ``docs/`` or ``gold.tsv`` is missing.
    """
    gold_dir = Path(gold_dir)
    docs, gold_tsv = gold_dir / "docs", gold_dir / "gold.tsv"
    if not docs.is_dir() or not gold_tsv.is_file():
        raise InputError(f"{gold_dir} must hold docs/ and gold.tsv (see ../shared/eval/README.md).")
    config = config or ScanConfig()
    wide = replace(config, report_threshold=min(_CALIBRATION_FLOOR, config.threshold))
    result = scan(docs, config=wide, model=model, encoder=encoder)
    gold = read_gold(gold_tsv)
    predicted = {normalize_doc_id(m): g.group_id for g in result.groups for m in g.members}
    # calibration is measured where the article model speaks: pairs it gave >= 1 %
    scored = [(p.doc_a, p.doc_b, p.confidence) for p in result.pairs if p.confidence >= _CALIBRATION_FLOOR]
    report = score_grouping(gold, predicted, pairs=scored)
    metrics = report.to_dict()
    metrics["errors"] = _errors(result, gold, predicted)
    metrics["n_skipped"] = len(result.skipped)
    if out_dir is not None:
        _write_outputs(Path(out_dir), result, predicted, scored, gold, docs, config)
    return metrics


def _errors(result: ScanResult, gold: Gold, predicted: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    by_key = {(normalize_doc_id(p.doc_a), normalize_doc_id(p.doc_b)): p for p in result.pairs}
    by_key |= {(b, a): p for (a, b), p in list(by_key.items())}
    missed, wrong = [], []
    ids = sorted(gold.docs)
    for k, a in enumerate(ids):
        for b in ids[k + 1 :]:
            same_gold = gold.docs[a].group_id == gold.docs[b].group_id
            same_pred = predicted.get(a) is not None and predicted.get(a) == predicted.get(b)
            if same_gold == same_pred:
                continue
            pair = by_key.get((a, b))
            row = {
                "doc_a": a,
                "doc_b": b,
                "lang_a": gold.docs[a].lang,
                "lang_b": gold.docs[b].lang,
                "roles": f"{gold.docs[a].role}-{gold.docs[b].role}",
                "confidence": round(pair.confidence, 4) if pair else None,
                "relation": pair.relation.value if pair else None,
                "aligned": [s.to_list() for s in pair.aligned[:5]] if pair else [],
            }
            (missed if same_gold else wrong).append(row)
    return {"missed_pairs": missed, "wrong_links": wrong}


def _write_outputs(
    out: Path,
    result: ScanResult,
    predicted: dict[str, str],
    scored: list[tuple[str, str, float]],
    gold: Gold,
    docs: Path,
    config: ScanConfig,
) -> None:
    from dedup.io.atomic import write_text_atomic
    from dedup.io.scan_files import write_scan

    linked = ScanResult(
        documents=result.documents,
        pairs=tuple(p for p in result.pairs if max(p.confidence, p.story_confidence) >= config.threshold),
        groups=result.groups,
        skipped=result.skipped,
        stats=result.stats,
    )
    write_scan(linked, out)
    write_text_atomic(out / "predicted.tsv", "".join(f"{d}\t{g}\n" for d, g in sorted(predicted.items())))
    labels, confs = [], []
    for a, b, c in scored:
        ga, gb = gold.docs.get(normalize_doc_id(a)), gold.docs.get(normalize_doc_id(b))
        if ga is not None and gb is not None:
            labels.append(ga.group_id == gb.group_id)
            confs.append(c)
    try:
        plot_reliability(reliability_curve(np.array(confs), np.array(labels)), out / "reliability.png")
    except ImportError as err:  # matplotlib is an optional extra
        logger.warning("no reliability diagram: %s", err)


def evaluate_rated_pairs(
    folder: Path | str,
    *,
    config: ScanConfig | None = None,
    model: Any = None,
    encoder: Encoder | None = None,
    confidence_model: ConfidenceModel | None = None,
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Story confidence for every rated pair of a SemEval-style folder, scored against the ratings.

    All texts of ``folder/texts`` are processed as one corpus (as a scan would),
    then each rated pair is scored; its story confidence is compared with
    ``4 - overall`` (Pearson r) and with the clear same/different labels.
    """
    folder = Path(folder)
    ratings = read_rated_pairs(folder)
    texts_dir = folder / "texts"
    if not texts_dir.is_dir():
        raise InputError(f"{folder} must hold texts/ and pairs.tsv.")
    config = config or ScanConfig()
    confidence_model = confidence_model or load_confidence_model()
    prepared = prepare(texts_dir, config=config, model=model, encoder=encoder)
    index = {normalize_doc_id(d.doc_id): k for k, d in enumerate(prepared.documents)}
    rated = [(pair_id, index[id1], index[id2]) for pair_id, id1, id2 in read_rated_pair_ids(folder)
             if id1 in index and id2 in index]
    # the rated pairs are this corpus's candidates: levels of unmeasured language pairs come from them
    confidence_model = adapt_to_input(
        prepared.corpus, [(i, j) for _, i, j in rated], config=config, confidence_model=confidence_model
    )
    predictions: dict[str, float] = {}
    for pair_id, i, j in rated:
        features, _ = pair_features(prepared.corpus, i, j, config=config, confidence_model=confidence_model)
        predictions[pair_id] = confidence_model.story_confidence(features)
    return score_rated_pairs(ratings, predictions, threshold=threshold)


def evaluate_bitext(
    paths: Sequence[Path | str], *, model: Any = None, encoder: Encoder | None = None, batch_size: int = 32
) -> dict[str, dict[str, float]]:
    """Top-1 sentence retrieval accuracy, both directions, per bitext file (``<lang>-eng.tsv``).

    Returns:
        ``{lang: {"src2eng": acc, "eng2src": acc, "n": rows}}``.
    """
    if encoder is None:
        from dedup.encoders.loading import resolve_encoder

        encoder = resolve_encoder(model=model)
    out: dict[str, dict[str, float]] = {}
    for path in paths:
        path = Path(path)
        src, eng = read_bitext(path)
        src_vecs = embed_sentences(encoder, src, batch_size=batch_size)
        eng_vecs = embed_sentences(encoder, eng, batch_size=batch_size)
        s2e, e2s = bitext_retrieval(src_vecs, eng_vecs)
        out[path.stem.split("-")[0]] = {"src2eng": round(s2e, 4), "eng2src": round(e2s, 4), "n": len(src)}
    return out
