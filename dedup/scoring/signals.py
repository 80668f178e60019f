"""Lexical signals of a text: character shingles, word counts, names and numbers, sentence weights.

Example:
    >>> from dedup.scoring.signals import count_words, entity_keys
    >>> count_words("Storm hits the west coast tonight")
    6
    >>> sorted(entity_keys("Olaf Scholz met 3 ministers."))
    ['3', 'olaf', 'scholz']
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from dedup.search.copies import normalise_for_hash

# Sentence weights: characters, capped so one run-on sentence cannot dominate a document.
_MAX_WEIGHT_CHARS = 300


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)


_FNV_PRIME = np.uint64(0x100000001B3)


_ENTITY_RE = re.compile(r"\b[A-Z][\w-]{2,}|\b\d[\d.,]*\d\b|\b\d\b")


_WORD = re.compile(r"[^\W_]+")


# Scripts written without spaces between words: two characters count as one word there.
_UNSPACED = re.compile(
    r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


def char_shingles(text: str, *, size: int = 5) -> npt.NDArray[np.uint64]:
    """Hashed character n-grams of the whitespace-free text (works for scripts without spaces).

    Each n-gram of code points is hashed with FNV-1a and a splitmix64 finaliser, vectorised
    over all positions (deterministic across processes, uniform enough for MinHash). A text
    shorter than ``size`` is one n-gram.

    Returns:
        Sorted unique uint64 hashes; empty when no letter or digit is left.

    Example:
        >>> len(char_shingles("abcdef", size=5))
        2
        >>> jaccard(char_shingles("abcdef"), char_shingles("ABC def!"))
        1.0
    """
    key = normalise_for_hash(text)
    if not key:
        return np.zeros(0, dtype=np.uint64)
    points = np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = max(len(points) - size + 1, 1)
    h = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    for m in range(min(size, len(points))):
        h = (h ^ points[m : m + n]) * _FNV_PRIME
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return np.unique(h)


def count_words(text: str) -> int:
    """Length of a text in words: runs of letters and digits, where in scripts written without
    spaces (Chinese, Japanese, Thai, Lao, Khmer, Burmese) every two characters count as one word.

    Example:
        >>> count_words("Hi."), count_words("Storm hits the west coast tonight")
        (1, 6)
        >>> count_words("東京で大雨が降った")
        5
    """
    words = 0
    for token in _WORD.findall(text):
        unspaced = len(_UNSPACED.findall(token))
        words += (unspaced + 1) // 2 + (1 if unspaced < len(token) else 0)
    return words


def jaccard(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> float:
    """Jaccard similarity of two sorted unique arrays; 0 when either is empty.

    The intersection is counted by binary search of the shorter array in the longer (both are
    sorted), without merging and re-sorting them.

    Example:
        >>> jaccard(np.array([1, 3, 5], dtype=np.uint64), np.array([3, 5, 7, 9], dtype=np.uint64))
        0.4
    """
    if len(a) == 0 or len(b) == 0:
        return 0.0
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    at = np.minimum(np.searchsorted(long, short), len(long) - 1)
    inter = int(np.count_nonzero(long[at] == short))
    return inter / (len(a) + len(b) - inter)


def entity_keys(text: str) -> frozenset[str]:
    """Names and numbers of a text: capitalised words (3+ letters) and digit runs, lower-cased,
    without diacritics. They are spelled alike across most Latin-script languages.

    Example:
        >>> sorted(entity_keys("Jens Stoltenberg met Olaf Scholz in Berlin on 18 January."))
        ['18', 'berlin', 'january', 'jens', 'olaf', 'scholz', 'stoltenberg']
    """
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return frozenset(m.lower() for m in _ENTITY_RE.findall(plain))


def sentence_weights(sentences: Sequence[Sequence[str]]) -> npt.NDArray[np.float32]:
    """Weight of every sentence (documents' sentences in order): its characters, capped at 300 so
    one run-on sentence cannot dominate a document, divided by the number of documents that hold
    it (after :func:`normalise_for_hash`), so shared boilerplate cannot make documents look alike.

    Example:
        >>> sentence_weights([["Subscribe now.", "Storm hits."], ["Subscribe now!"]]).tolist()
        [7.0, 11.0, 7.0]
    """
    keys = [[normalise_for_hash(s) for s in doc] for doc in sentences]
    doc_freq = Counter(k for doc_keys in keys for k in set(doc_keys))
    return np.array(
        [
            min(len(s), _MAX_WEIGHT_CHARS) / doc_freq[k]
            for doc, doc_keys in zip(sentences, keys, strict=True)
            for s, k in zip(doc, doc_keys, strict=True)
        ],
        dtype=np.float32,
    )
