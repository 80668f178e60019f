"""Per-document language identification and sentence splitting, cached on disk.

After the embedding cache, language identification (py3langid and langdetect, 1-5 ms per article) and sentence
splitting were most of a warm re-run (``benchmarks/bench_speed.py`` (b)). Their results depend only
on the document's boilerplate-free text and a few parameters, so they are cached in the same SQLite
file as the embeddings (table ``preprocessed``, see :class:`dedup.encoders.cache.EmbeddingCache`), keyed by

* the sha256 of the *cleaned* text, i.e. after boilerplate stripping. Stripping removes lines
  repeated across the whole folder, so it depends on the other documents and is not cached; it is
  cheap (a counting pass), and keying on its output keeps the cache correct when a new file makes
  a line count as boilerplate;
* a version string (:func:`preprocess_version`): dedup's, langdetect's and py3langid's versions, the
  ``ScanConfig`` fields that change the result (``seed``, ``min_sentence_chars``,
  ``max_sentences``) and :data:`PREPROCESS_VERSION`, bumped whenever language identification or
  segmentation changes behaviour without a version change.

Example:
    >>> import tempfile
    >>> from dedup.config import ScanConfig
    >>> from dedup.text.preprocess import detect_and_split
    >>> texts = ["Storm hits the coast. Thousands lost power overnight.", "Das ist ein Haus."]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     config = ScanConfig(cache_dir=tmp)
    ...     first = detect_and_split(texts, config)
    ...     again = detect_and_split(texts, config)  # answered from the cache
    >>> first == again, first[0]
    (True, ['en', 'de'])
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from dedup.config import ScanConfig
from dedup.encoders.cache import EmbeddingCache, default_cache_dir
from dedup.text.langid import LanguageDetector
from dedup.text.segment import split_sentences

logger = logging.getLogger(__name__)

PREPROCESS_VERSION = "6"
"""Bump when language identification or sentence splitting changes its output."""


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def preprocess_version(config: ScanConfig) -> str:
    """The cache namespace of :func:`detect_and_split` results under ``config``.

    Example:
        >>> "min_sentence_chars=12" in preprocess_version(ScanConfig())
        True
    """
    return (
        f"pp{PREPROCESS_VERSION};dedup={_package_version('dedup')};langdetect={_package_version('langdetect')};"
        f"py3langid={_package_version('py3langid')};"
        f"seed={config.seed};min_sentence_chars={config.min_sentence_chars};"
        f"max_sentences={config.max_sentences}"
    )


def _compute(text: str, config: ScanConfig, detector: LanguageDetector) -> tuple[str, list[str]]:
    sentences = split_sentences(text, min_chars=config.min_sentence_chars)[: config.max_sentences]
    return detector.detect(text), sentences


def detect_and_split(texts: Sequence[str], config: ScanConfig) -> tuple[list[str], list[list[str]]]:
    """Language and sentences of each (boilerplate-free) text, through the on-disk cache.

    The cache is used when ``config.use_cache`` is true (folder ``config.cache_dir``, default
    :func:`dedup.encoders.cache.default_cache_dir`); results are identical with and without it.

    Args:
        texts: Boilerplate-free document texts.
        config: Scan parameters (``seed``, ``min_sentence_chars``, ``max_sentences``, cache settings).

    Returns:
        ``(langs, sentences)``: one ISO 639-1 code (or ``und``) and one list of at most
        ``config.max_sentences`` sentences per text.
    """
    detector = LanguageDetector(seed=config.seed)
    if not config.use_cache or not texts:
        results = [_compute(t, config, detector) for t in texts]
        return [r[0] for r in results], [r[1] for r in results]
    tag = preprocess_version(config)
    keys = [hashlib.sha256(t.encode("utf-8")).digest() for t in texts]
    cache = EmbeddingCache(default_cache_dir() if config.cache_dir is None else config.cache_dir)
    try:
        found = cache.get_preprocessed(tag, list(dict.fromkeys(keys)))
        langs: list[str] = []
        sentences: list[list[str]] = []
        new: dict[bytes, bytes] = {}
        for key, text in zip(keys, texts, strict=True):
            value = found.get(key) or new.get(key)
            decoded = _decode(value) if value is not None else None
            if decoded is None:
                decoded = _compute(text, config, detector)
                new[key] = json.dumps(decoded, ensure_ascii=False).encode("utf-8")
            langs.append(decoded[0])
            sentences.append(decoded[1])
        cache.put_preprocessed(tag, list(new.items()))
        logger.info("preprocessing cache: %d hits, %d computed", len(texts) - len(new), len(new))
    finally:
        cache.close()
    return langs, sentences


def _decode(value: bytes) -> tuple[str, list[str]] | None:
    """A stored ``[lang, [sentences]]``, or None when it is not one (then it is recomputed)."""
    try:
        lang, sents = json.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, TypeError):
        return None
    if not isinstance(lang, str) or not isinstance(sents, list) or not all(isinstance(s, str) for s in sents):
        return None
    return lang, sents
