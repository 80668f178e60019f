"""Sentence embeddings: the Encoder protocol, the sentence-transformers adapter and a fake for tests.

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
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

QUERY_PREFIX = "query: "


class Encoder(Protocol):
    """Anything that turns sentences into L2-normalised float32 vectors."""

    name: str

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        """Return embeddings of shape (len(sentences), dim), L2-normalised, in input order."""
        ...


def plan_batches(
    token_lengths: Sequence[int], *, batch_size: int, max_tokens: int | None = None
) -> list[list[int]]:
    """Split sentence indices into encoder batches, longest first (stable), so batches carry little padding.

    Each batch has at most ``batch_size`` sentences and, when ``max_tokens`` is given, at most
    ``max_tokens`` padded tokens (sentences x its longest); a single sentence longer than
    ``max_tokens`` gets a batch of its own. Without ``max_tokens`` the batches are plain slices
    of ``batch_size`` of the sorted order.

    Args:
        token_lengths: Tokens per sentence.
        batch_size: Most sentences per batch (>= 1).
        max_tokens: Most padded tokens per batch (bounds GPU memory), or None.

    Returns:
        Index lists; every index appears exactly once.

    Example:
        >>> plan_batches([3, 9, 5, 9, 1], batch_size=2)
        [[1, 3], [2, 0], [4]]
        >>> plan_batches([3, 9, 5, 9, 1], batch_size=8, max_tokens=16)
        [[1], [3], [2, 0, 4]]
    """
    order = sorted(range(len(token_lengths)), key=lambda i: -token_lengths[i])
    if max_tokens is None:
        return [order[k : k + batch_size] for k in range(0, len(order), batch_size)]
    batches: list[list[int]] = []
    for i in order:
        if batches:
            last = batches[-1]
            longest = token_lengths[last[0]]  # sorted: the first is the longest
            if len(last) < batch_size and longest * (len(last) + 1) <= max_tokens:
                last.append(i)
                continue
        batches.append([i])
    return batches


class SentenceTransformerEncoder:
    """Adapter over a loaded ``SentenceTransformer`` (e5 needs the ``query: `` prefix).

    Sentences are batched by token count (longest first, :func:`plan_batches`) so batches carry
    little padding; results come back in input order, float32, L2-normalised.

    Args:
        model: A loaded ``sentence_transformers.SentenceTransformer``.
        prefix: Prepended to every sentence; e5 models need ``"query: "``.
        name: Identifies the model in caches and outputs.
        precision: ``"bf16"`` or ``"fp16"`` when the model's weights were cast to that dtype (the
            GPU encoder, :func:`dedup.build.model.load_encoder` with ``device="cuda"``); part of the cache
            identity. None: the weights are the model's own (fp32).
        batch_size: Sentences per batch whatever the caller asks (None: the caller's).
        max_tokens: Most padded tokens per batch (None: no limit).
    """

    def __init__(
        self,
        model: Any,
        *,
        prefix: str = QUERY_PREFIX,
        name: str | None = None,
        precision: str | None = None,
        batch_size: int | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self.model = model
        self.prefix = prefix
        self.name = name or "sentence-transformers"
        self.precision = precision
        self.batch_size = batch_size
        self.max_tokens = max_tokens

    @property
    def variant(self) -> str | None:
        """``"<device type>-<precision>"`` (e.g. ``"cuda-bf16"``) for cast weights, else None."""
        if self.precision is None:
            return None
        return f"{getattr(getattr(self.model, 'device', None), 'type', 'cpu')}-{self.precision}"

    def _token_lengths(self, texts: Sequence[str]) -> list[int]:
        tokenizer = getattr(self.model, "tokenizer", None)
        if tokenizer is None:
            return [len(t) for t in texts]
        encoded = tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        if len(sentences) == 0:
            dim = self.model.get_sentence_embedding_dimension()
            return np.zeros((0, dim), dtype=np.float32)
        texts = [self.prefix + s for s in sentences]
        size = self.batch_size or batch_size
        out: npt.NDArray[np.float32] | None = None
        for idx in plan_batches(self._token_lengths(texts), batch_size=size, max_tokens=self.max_tokens):
            vecs = self.model.encode(
                [texts[i] for i in idx],
                batch_size=len(idx),
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            ).astype(np.float32, copy=False)
            if self.precision is not None:  # normalised in half precision: once more in float32
                vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
            if out is None:
                out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
            out[idx] = vecs
        assert out is not None
        return out


class LazyEncoder:
    """An :class:`Encoder` that opens the real one only when a sentence has to be encoded.

    A scan whose sentences are all in the embedding cache never loads the model: the cache needs
    only the encoder's identity (``name``) and, for empty input, its dimension. The first
    non-empty :meth:`encode` calls ``load`` once and checks that the loaded encoder has the
    promised identity, so cached vectors are never served under another encoder's name.

    Args:
        load: Zero-argument callable returning the encoder (e.g. ``dedup.load_encoder``).
        name: Cache identity of the encoder ``load`` returns
            (see :func:`dedup.encoders.cache.encoder_identity`).
        dim: Its output dimension.

    Example:
        >>> enc = LazyEncoder(lambda: HashingEncoder(dim=8), name="hashing-8-3", dim=8)
        >>> enc.encode([]).shape, enc.loaded
        ((0, 8), False)
        >>> enc.encode(["A storm."]).shape, enc.loaded
        ((1, 8), True)
    """

    def __init__(self, load: Callable[[], Encoder], *, name: str, dim: int) -> None:
        self.load = load
        self.name = name
        self.dim = dim
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the real encoder has been opened."""
        return self._encoder is not None

    def get(self) -> Encoder:
        """The real encoder, opened on the first call.

        Raises:
            ModelError: If it cannot be loaded, or its identity is not ``name``.
        """
        with self._lock:
            if self._encoder is None:
                from dedup.encoders.cache import encoder_identity
                from dedup.errors import ModelError

                encoder = self.load()
                identity = encoder_identity(encoder)
                if identity != self.name:
                    raise ModelError(f"the loaded encoder is {identity!r}, not {self.name!r}: the model "
                                     "changed while dedup ran. Run the command again.")
                logger.info("opened the encoder %s", self.name)
                self._encoder = encoder
            return self._encoder

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        """Embeddings, shape (len(sentences), dim); opens the encoder unless ``sentences`` is empty."""
        if len(sentences) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.get().encode(sentences, batch_size=batch_size)


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
    """Embed sentences, encoding each distinct text once.

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
        inverse[k] = unique.setdefault(s, len(unique))
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
