"""An encoder that is opened only when a sentence has to be encoded (:class:`LazyEncoder`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from dedup.encoders.base import Encoder
from dedup.encoders.identity import encoder_identity
from dedup.errors import ModelError

logger = logging.getLogger(__name__)


class LazyEncoder:
    """An :class:`Encoder` that opens the real one only when a sentence has to be encoded.

    A scan whose sentences are all in the embedding cache never loads the model: the cache needs
    only the encoder's identity (``name``) and, for empty input, its dimension. The first
    non-empty :meth:`encode` calls ``load`` once and checks that the loaded encoder has the
    promised identity, so cached vectors are never served under another encoder's name.

    Args:
        load: Zero-argument callable returning the encoder (e.g. ``dedup.load_encoder``).
        name: Cache identity of the encoder ``load`` returns
            (see :func:`dedup.encoders.identity.encoder_identity`).
        dim: Its output dimension.

    Example:
        >>> from dedup.encoders.base import HashingEncoder
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
