"""ScanConfig: every threshold and size of a scan, with its default, unit and range.

Example:
    >>> from dedup.config import ScanConfig
    >>> ScanConfig().threshold
    0.5
    >>> ScanConfig(threshold=1.5)
    Traceback (most recent call last):
    ...
    dedup.errors.InvalidParameterError: threshold must be a float in [0, 1]. Got 1.5.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from dedup.errors import InvalidParameterError

LEVELS = ("article", "story")
DEFAULT_MIN_COSINE = 0.35
"""Alignment cosine threshold when neither the config nor the calibration sets one."""
ENCODERS = ("onnx-int8-batched", "onnx-int8", "torch")
"""Encoders :func:`dedup.encoders.loading.load_encoder` can load; the first is the default."""
DEFAULT_ENCODER = ENCODERS[0]


@dataclass(frozen=True)
class ScanConfig:
    """Parameters of one scan. Derive variants with ``dataclasses.replace``.

    Attributes:
        threshold: Minimum link confidence, in [0, 1], for two documents to share a group.
        level: ``article`` groups copies, near-duplicates and translations; ``story``
            also groups different articles about the same event.
        top_k: Candidate neighbours per document from the document-vector index (>= 1).
        exhaustive_below: Score every pair when the folder has at most this many documents.
        min_cosine: Minimum centred cosine, in [-1, 1], for two sentences to align, for every
            language pair; None (default): the calibration's level on each language pair's own
            cosine scale (see :mod:`dedup.scoring.cosine_reference`), which asks less of pairs the model
            embeds less closely (Japanese-English) and more of close ones.
        min_margin: Minimum ratio margin (>= 0) for two sentences to align.
        margin_k: Neighbours averaged in the margin denominator (>= 1).
        min_aligned: Aligned sentences a pair needs before it can be linked (>= 1).
        strong_link: Two groups also merge when one of their cross links reaches this and the
            mean over all their cross links reaches ``strong_mean`` (a brief or a partial
            translation joins the group it matches one member of); None: average linkage only.
        strong_mean: See ``strong_link``, in [0, 1].
        min_words: Documents shorter than this many words (:func:`dedup.scoring.signals.count_words`) are
            never linked, not even as copies: a greeting or a one-word page says nothing about
            a story (>= 1).
        min_sentence_chars: Shorter sentences are merged into a neighbour (>= 1).
        max_chars: Longer documents are truncated to this many characters (>= 1000).
        max_sentences: Documents are capped at this many sentences (>= 1).
        batch_size: Sentences per encoder batch (>= 1).
        shingle_size: Character n-gram size of the lexical-overlap feature (>= 2).
        seed: Seed of every random source (language detection).
        strip_boilerplate: Remove news boilerplate (pattern rules and lines repeated
            across the folder, see :mod:`dedup.text.boilerplate`) before scoring; the
            original text is kept for display.
        follow_symlinks: Read symlinks that point outside the scanned folder.
        text_field: Field/column with the article text in JSON/CSV/TSV inputs
            (None: ``text``, ``body``, ``content``, ...).
        id_field: Field/column with the record id in JSON/CSV/TSV inputs (None: ``id``, ...).
        report_threshold: Pairs whose article or story confidence reaches this are
            reported (default: ``threshold``); grouping is unaffected.
        use_cache: Keep sentence embeddings in an on-disk cache (see :mod:`dedup.encoders.cache`), so a
            re-run embeds only new sentences.
        cache_dir: Folder of that cache (None: ``<DEDUP_HOME>/cache``).
        ann_above: With more documents than this, document candidates come from an approximate
            nearest-neighbour index (see :mod:`dedup.search.ann`) instead of exact search (>= 0). Exact
            search costs n², the index about n log n; on 2 cores they cross near 300k documents
            (100k: exact 124 s, HNSW build + query 345 s), so the default keeps exact search below.
        knn_ann_above: With more sentences than this, the margin's neighbourhood term (each
            sentence's mean similarity to its nearest sentences in other documents) comes from a
            faiss HNSW index instead of exact search, whose cost grows with the square (>= 0).
        background: Use the shipped background statistics (:mod:`dedup.scoring.background`), so a few
            texts are centred and margined as they would be inside a large archive.
        input_levels: For language pairs the calibration never measured (Icelandic-English,
            Sakha-Russian), read their translation cosine level off the input's clear sentence
            matches instead of taking their script pair's (:mod:`dedup.scoring.input_levels`).
        first_tier: Sentence-encode only documents that a cheap first tier (static model2vec
            vectors + shingle MinHash, see :mod:`dedup.search.first_tier`) gives a possible partner; the
            others become singletons without being encoded.
        lead_tier: Sentence-encode every document's lead, and the rest only of documents whose lead
            finds a plausible partner (aligned lead sentences, shared names/numbers, copies; see
            :mod:`dedup.search.lead_tier`); the others become singletons. Ignored with ``first_tier``.
        encoder: Encoder loaded when no model or encoder is passed in: ``onnx-int8-batched`` (the
            default: ONNX Runtime int8 with calibrated static activation scales, batched;
            :mod:`dedup.encoders.onnx_batched`), ``onnx-int8`` (int8, one sentence per call) or
            ``torch`` (fp32 sentence-transformers); see :func:`dedup.encoders.loading.load_encoder`.
        device: Where that encoder runs: ``cpu``, or ``cuda`` / ``cuda:N`` (the model in bf16 or
            fp16 on the GPU whatever ``encoder`` says; the CPU, with a
            :class:`dedup.encoders.device.DeviceWarning`,
            when torch finds no such CUDA device). See :func:`dedup.encoders.device.select_device`.
    """

    threshold: float = 0.5
    level: str = "article"
    top_k: int = 20
    exhaustive_below: int = 200
    min_cosine: float | None = None
    min_margin: float = 1.05
    margin_k: int = 4
    min_aligned: int = 1
    min_words: int = 6
    strong_link: float | None = None
    strong_mean: float = 0.3
    min_sentence_chars: int = 12
    max_chars: int = 200_000
    max_sentences: int = 400
    batch_size: int = 32
    shingle_size: int = 5
    seed: int = 0
    strip_boilerplate: bool = True
    follow_symlinks: bool = False
    text_field: str | None = None
    id_field: str | None = None
    report_threshold: float | None = None
    use_cache: bool = True
    cache_dir: str | None = None
    ann_above: int = 250_000
    knn_ann_above: int = 50_000
    first_tier: bool = False
    lead_tier: bool = False
    background: bool = True
    input_levels: bool = True
    encoder: str = ENCODERS[0]
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_encoder(self.encoder)
        check_device(self.device)
        _check_range("threshold", self.threshold, 0.0, 1.0)
        if self.report_threshold is not None:
            _check_range("report_threshold", self.report_threshold, 0.0, 1.0)
        if self.strong_link is not None:
            _check_range("strong_link", self.strong_link, 0.0, 1.0)
        _check_range("strong_mean", self.strong_mean, 0.0, 1.0)
        if self.min_cosine is not None:
            _check_range("min_cosine", self.min_cosine, -1.0, 1.0)
        _check_range("min_margin", self.min_margin, 0.0, None)
        if self.level not in LEVELS:
            raise InvalidParameterError(f"level must be one of {', '.join(LEVELS)}. Got {self.level!r}.")
        for name in (
            "strip_boilerplate",
            "follow_symlinks",
            "use_cache",
            "first_tier",
            "lead_tier",
            "input_levels",
            "background",
        ):
            if not isinstance(getattr(self, name), bool):
                raise InvalidParameterError(f"{name} must be a bool. Got {getattr(self, name)!r}.")
        for name in ("text_field", "id_field"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise InvalidParameterError(f"{name} must be a non-empty str or None. Got {value!r}.")
        for name, low in (
            ("top_k", 1),
            ("exhaustive_below", 0),
            ("margin_k", 1),
            ("min_aligned", 1),
            ("min_words", 1),
            ("min_sentence_chars", 1),
            ("max_chars", 1000),
            ("max_sentences", 1),
            ("batch_size", 1),
            ("shingle_size", 2),
            ("seed", 0),
            ("ann_above", 0),
            ("knn_ann_above", 0),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InvalidParameterError(f"{name} must be an int >= {low}. Got {value!r}.")

    def to_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def config_with(config: ScanConfig | None = None, **params: object) -> ScanConfig:
    """``config`` (default ``ScanConfig()``) with the named fields replaced; the keyword API's one entry.

    Every keyword of ``dedup.scan``/``find_pairs``/``find_groups`` that is not an object
    (``model``, ``encoder`` as an object, ``progress``, ...) is a ScanConfig field, named as the
    ``dedup scan`` option (``level=`` is ``--level``, ``strip_boilerplate=False`` is
    ``--keep-boilerplate``).

    Raises:
        InvalidParameterError: On an unknown name (the message lists the valid ones) or a bad value.

    Example:
        >>> config_with(level="story", threshold=0.7).level
        'story'
        >>> config_with(levle="story")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        dedup.errors.InvalidParameterError: unknown scan parameter 'levle'. Valid: threshold, level, ...
    """
    names = [f.name for f in fields(ScanConfig)]
    for name in params:
        if name not in names:
            raise InvalidParameterError(f"unknown scan parameter {name!r}. Valid: {', '.join(names)}.")
    config = config or ScanConfig()
    return replace(config, **params) if params else config  # type: ignore[arg-type]


def check_encoder(kind: object) -> None:
    """Raise :class:`InvalidParameterError` unless ``kind`` is one of :data:`ENCODERS`."""
    if kind not in ENCODERS:
        raise InvalidParameterError(f"encoder must be one of {', '.join(ENCODERS)}. Got {kind!r}.")


def check_device(device: object) -> None:
    """Raise :class:`InvalidParameterError` unless ``device`` is ``cpu``, ``cuda`` or ``cuda:N``.

    Example:
        >>> check_device("cuda:1")
        >>> check_device("gpu")
        Traceback (most recent call last):
        ...
        dedup.errors.InvalidParameterError: device must be 'cpu', 'cuda' or 'cuda:N'. Got 'gpu'.
    """
    ok = device in ("cpu", "cuda") or (
        isinstance(device, str) and device.startswith("cuda:") and device[5:].isdigit()
    )
    if not ok:
        raise InvalidParameterError(f"device must be 'cpu', 'cuda' or 'cuda:N'. Got {device!r}.")


def _check_range(name: str, value: object, low: float, high: float | None) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and (value < low or (high is not None and value > high)):
        ok = False
    if not ok:
        rng = f"[{low:g}, {high:g}]" if high is not None else f">= {low:g}"
        shown = value if isinstance(value, (int, float)) else repr(value)
        raise InvalidParameterError(f"{name} must be a float in {rng}. Got {shown}.")
