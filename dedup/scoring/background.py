"""Background statistics: what a large archive would tell a scan that has only a few texts.

Pair scoring centres every sentence vector on its language's mean and divides alignment
cosines by each sentence's usual similarity to unrelated sentences (the margin's
neighbourhood term). Both are estimated from the input itself, which works for a folder of
hundreds of articles and fails for three: the language mean of one short text is that text,
and a sentence with only a handful of foreign neighbours has no "usual" similarity.

A :class:`Background` ships those statistics, measured once on the calibration's training
corpus (``models/calibrate.py``) with the default model, and versioned with the calibration:

* per-language mean sentence vectors (and a global one), the prior each input language mean
  is shrunk towards (``prior_weight`` sentences' worth), so a small input is centred as a large
  one would be, while a large input's own means dominate;
* a bank of sentence vectors in many languages, added to every sentence's neighbourhood (they
  belong to no input document), so the margin has unrelated sentences to compare with however
  few texts there are.

The statistics fit only the model they were measured with: :func:`load_background` checks the
vector dimension, and a scan with another model (``ScanConfig(background=False)``, or a model
of another width) uses its own input alone.

Example:
    >>> import numpy as np
    >>> bg = Background(
    ...     langs=("en",), lang_means=np.ones((1, 2), dtype=np.float32) / np.sqrt(2),
    ...     global_mean=np.zeros(2, dtype=np.float32), bank=np.eye(2, dtype=np.float32),
    ...     bank_langs=("en", "de"), prior_weight=50.0)
    >>> bg.dim, bg.mean_of("en").round(3).tolist(), bg.mean_of("xx").tolist()
    (2, [0.707, 0.707], [0.0, 0.0])
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.errors import ModelError
from dedup.io.atomic import atomic_path

BACKGROUND_VERSION = 1
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_BACKGROUND = MODELS_DIR / f"background-v{BACKGROUND_VERSION}.npz"
# Background.meta key: language -> where its estimated mean came from (not measured on its own text).
ESTIMATED_MEANS = "estimated_means"


@dataclass(frozen=True)
class Background:
    """Per-language mean vectors and a bank of unrelated sentence vectors (raw, not centred).

    Attributes:
        langs: Languages with a mean, in the order of ``lang_means`` rows.
        lang_means: (n_langs, dim) float32 weighted mean sentence vector per language.
        global_mean: (dim,) float32 mean over all languages, the prior for a language without one.
        bank: (n_bank, dim) float32 sentence vectors, L2-normalised.
        bank_langs: Language of each bank row.
        prior_weight: How many (average-weight) sentences of an input language its background
            mean is worth when the two are combined.
        meta: Where the statistics came from (model, corpus, counts).
    """

    langs: tuple[str, ...]
    lang_means: npt.NDArray[np.float32]
    global_mean: npt.NDArray[np.float32]
    bank: npt.NDArray[np.float32]
    bank_langs: tuple[str, ...]
    prior_weight: float = 200.0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.global_mean.shape[0])

    def mean_of(self, lang: str) -> npt.NDArray[np.float32]:
        """The background mean of a language, or the global mean when it has none."""
        if lang in self.langs:
            return self.lang_means[self.langs.index(lang)]
        return self.global_mean


def fit_background(
    vectors: npt.NDArray[np.float32],
    langs: list[str],
    weights: npt.NDArray[np.float32],
    *,
    bank_per_language: int = 200,
    bank_languages: Collection[str] | None = None,
    min_sentences: int = 50,
    prior_weight: float = 200.0,
    seed: int = 0,
    meta: dict[str, Any] | None = None,
) -> Background:
    """Measure background statistics from sentence vectors of a large, varied corpus.

    Args:
        vectors: (n, dim) float32 raw (uncentred) L2-normalised sentence vectors.
        langs: Language of each row.
        weights: (n,) row weights (as the scan weighs sentences).
        bank_per_language: Rows sampled into the bank per language (fewer where fewer exist).
        bank_languages: The languages sampled into the bank (None: every language with a mean).
        min_sentences: Languages with fewer rows get no mean of their own.
        prior_weight: Stored as :attr:`Background.prior_weight`.
        seed: Seed of the bank sample.
        meta: Stored as :attr:`Background.meta`.

    Returns:
        The fitted background.
    """
    rng = np.random.default_rng(seed)
    langs_arr = np.asarray(langs)
    w = weights.astype(np.float64)
    global_mean = (vectors.astype(np.float64) * w[:, None]).sum(axis=0) / max(w.sum(), 1e-12)
    kept_langs: list[str] = []
    means: list[npt.NDArray[np.float64]] = []
    bank_rows: list[npt.NDArray[np.int64]] = []
    for lang in sorted(set(langs)):
        rows = np.flatnonzero(langs_arr == lang)
        if len(rows) < min_sentences:
            continue
        kept_langs.append(lang)
        weighted = (vectors[rows].astype(np.float64) * w[rows, None]).sum(axis=0)
        means.append(weighted / max(w[rows].sum(), 1e-12))
        if bank_languages is None or lang in bank_languages:
            bank_rows.append(np.sort(rng.choice(rows, size=min(bank_per_language, len(rows)), replace=False)))
    chosen = np.concatenate(bank_rows) if bank_rows else np.zeros(0, dtype=np.int64)
    return Background(
        langs=tuple(kept_langs),
        lang_means=np.asarray(means, dtype=np.float32).reshape(len(kept_langs), vectors.shape[1]),
        global_mean=global_mean.astype(np.float32),
        bank=vectors[chosen].astype(np.float32),
        bank_langs=tuple(str(x) for x in langs_arr[chosen]),
        prior_weight=prior_weight,
        meta=dict(meta or {}),
    )


def transfer_means(
    background: Background, parallel_means: Mapping[str, npt.NDArray[np.floating]]
) -> dict[str, npt.NDArray[np.float32]]:
    """Estimate background means for languages that have none, from a text translated into all.

    ``parallel_means`` holds, per language, the mean vector of one text's translation into that
    language (the same content in every language). A language's mean is roughly its offset plus
    the mean of what its sentences say, so two translations' means differ by the two languages'
    offsets alone. The estimate for a language without a background mean is its parallel mean
    plus the mean, over the *pivot* languages (those with a measured background mean, not an
    estimated one), of (background mean - parallel mean): how far the background's text lies from
    the parallel text, once the offsets cancel.

    Args:
        background: The background whose means the pivots' come from.
        parallel_means: Language -> (dim,) mean vector of the parallel text in that language.

    Returns:
        Language -> estimated (dim,) float32 mean, for each language of ``parallel_means`` that
        ``background`` has no mean for (languages it has keep theirs and are not returned).

    Raises:
        ValueError: If no language of ``parallel_means`` has a measured background mean.

    Example:
        >>> import numpy as np
        >>> bg = Background(langs=("en", "de"), lang_means=np.array([[1, 0, 0], [0, 1, 0]], np.float32),
        ...     global_mean=np.zeros(3, np.float32), bank=np.eye(3, dtype=np.float32), bank_langs=("en",) * 3)
        >>> topic = np.array([0.0, 0.0, 0.5])  # what the parallel text is about, in every language
        >>> parallel = {"en": [1, 0, 0] + topic, "de": [0, 1, 0] + topic, "sw": [0, 0, -1] + topic}
        >>> transfer_means(bg, parallel)["sw"].tolist()
        [0.0, 0.0, -1.0]
    """
    estimated = background.meta.get(ESTIMATED_MEANS, {})
    pivots = [lang for lang in parallel_means if lang in background.langs and lang not in estimated]
    if not pivots:
        raise ValueError("no language of the parallel text has a measured background mean to pivot on")
    shift = np.mean(
        [
            background.mean_of(lang).astype(np.float64) - np.asarray(parallel_means[lang], np.float64)
            for lang in pivots
        ],
        axis=0,
    )
    return {
        lang: (np.asarray(vector, np.float64) + shift).astype(np.float32)
        for lang, vector in sorted(parallel_means.items())
        if lang not in background.langs
    }


def with_means(
    background: Background, means: Mapping[str, npt.NDArray[np.floating]], *, source: str
) -> Background:
    """``background`` with estimated means for more languages (a language it has keeps its own).

    The added languages are listed in ``meta[ESTIMATED_MEANS]`` with ``source``, where the
    estimate came from, so :func:`transfer_means` never pivots on them.

    Example:
        >>> import numpy as np
        >>> bg = Background(langs=("en",), lang_means=np.ones((1, 2), np.float32),
        ...     global_mean=np.zeros(2, np.float32), bank=np.eye(2, dtype=np.float32),
        ...     bank_langs=("en", "en"))
        >>> more = with_means(bg, {"sw": np.array([0.5, -0.5]), "en": np.zeros(2)}, source="udhr")
        >>> more.langs, more.meta[ESTIMATED_MEANS]
        (('en', 'sw'), {'sw': 'udhr'})
    """
    added = [lang for lang in sorted(means) if lang not in background.langs]
    if not added:
        return background
    rows = np.asarray([means[lang] for lang in added], dtype=np.float32).reshape(len(added), background.dim)
    estimated = {**background.meta.get(ESTIMATED_MEANS, {}), **dict.fromkeys(added, source)}
    return replace(
        background,
        langs=background.langs + tuple(added),
        lang_means=np.vstack([background.lang_means, rows]).astype(np.float32),
        meta={**background.meta, ESTIMATED_MEANS: estimated},
    )


def mean_sources(background: Background) -> dict[str, str]:
    """Where each language's background mean comes from, by language.

    ``"training corpus"`` (measured on the calibration's training documents), ``"treebank"``
    (measured on sentences that only feed the background, ``meta["background_only_languages"]``)
    or ``"estimated: <source>"`` (``meta[ESTIMATED_MEANS]``, e.g. from the UDHR).

    Example:
        >>> import numpy as np
        >>> bg = Background(langs=("en", "cy", "km"), lang_means=np.zeros((3, 2), np.float32),
        ...     global_mean=np.zeros(2, np.float32), bank=np.eye(2, dtype=np.float32),
        ...     bank_langs=("en", "en"),
        ...     meta={"background_only_languages": {"cy": 600}, ESTIMATED_MEANS: {"km": "udhr"}})
        >>> mean_sources(bg)
        {'en': 'training corpus', 'cy': 'treebank', 'km': 'estimated: udhr'}
    """
    estimated = background.meta.get(ESTIMATED_MEANS, {})
    treebank = background.meta.get("background_only_languages", {})
    sources: dict[str, str] = {}
    for lang in background.langs:
        if lang in estimated:
            sources[lang] = f"estimated: {estimated[lang]}"
        elif lang in treebank:
            sources[lang] = "treebank"
        else:
            sources[lang] = "training corpus"
    return sources


def save_background(background: Background, path: Path | str) -> None:
    """Write a background as ``.npz`` (bank stored as float16) atomically."""
    path = Path(path)
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        np.savez_compressed(
            handle,
            version=np.array(BACKGROUND_VERSION),
            langs=np.array(background.langs, dtype=str),
            lang_means=background.lang_means.astype(np.float32),
            global_mean=background.global_mean.astype(np.float32),
            bank=background.bank.astype(np.float16),
            bank_langs=np.array(background.bank_langs, dtype=str),
            prior_weight=np.array(background.prior_weight),
            meta=np.array(json.dumps(background.meta, sort_keys=True)),
        )


def load_background(path: Path | str | None = None) -> Background:
    """Load background statistics (default: the file shipped in ``models/``).

    Raises:
        ModelError: If the file is missing, unreadable or of another version.
    """
    path = Path(path) if path is not None else DEFAULT_BACKGROUND
    try:
        with np.load(path, allow_pickle=False) as data:
            version = int(data["version"])
            if version != BACKGROUND_VERSION:
                raise ModelError(
                    f"background file {path} has version {version}, expected {BACKGROUND_VERSION}."
                )
            bank = data["bank"].astype(np.float32)
            norms = np.linalg.norm(bank, axis=1, keepdims=True)
            return Background(
                langs=tuple(str(x) for x in data["langs"]),
                lang_means=data["lang_means"].astype(np.float32),
                global_mean=data["global_mean"].astype(np.float32),
                bank=bank / np.where(norms > 0, norms, 1.0),
                bank_langs=tuple(str(x) for x in data["bank_langs"]),
                prior_weight=float(data["prior_weight"]),
                meta=json.loads(str(data["meta"])),
            )
    except (OSError, KeyError, ValueError) as err:
        raise ModelError(
            f"cannot read background statistics {path}: {err}. Re-run `python -m models.calibrate`."
        ) from err
