"""Each encoder's cache identity: the name under which the embedding cache keeps its vectors.

Two encoders that can return different vectors must never share an identity. Encoders name
themselves (``encoder.name``), except a sentence-transformers model: the one built by
:mod:`dedup.build.hf_folder` is named by its build stamp (:func:`dedup.build.stamps.stamp_identity`),
any other has no safe identity and is not cached.

Example:
    >>> from dedup.encoders.base import HashingEncoder
    >>> encoder_identity(HashingEncoder(dim=8))
    'hashing-8-3'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dedup.build.stamps import read_stamp, stamp_identity
from dedup.encoders.torch_encoder import SentenceTransformerEncoder


def encoder_identity(encoder: Any) -> str | None:
    """The cache identity of ``encoder``, or None when it cannot be told apart from other models.

    A sentence-transformers adapter over the model built by :mod:`dedup.build.hf_folder` is
    identified by the build stamp (model name, recipe, sha256 of the weights) and the input prefix,
    plus ``:<device>-<precision>`` when its weights were cast (the GPU encoder). Any other
    sentence-transformers model has no safe identity (None: not cached). Other encoders are
    identified by their ``name``.
    """
    if not isinstance(encoder, SentenceTransformerEncoder):
        return getattr(encoder, "name", None)
    stamp = _stamp_of(encoder.model)
    if stamp is None:
        return None if encoder.name == "sentence-transformers" else encoder.name
    identity = stamp_identity(stamp, encoder.prefix)
    return identity if encoder.variant is None else f"{identity}:{encoder.variant}"


def _stamp_of(model: Any) -> dict[str, Any] | None:
    """The build stamp of the folder a ``SentenceTransformer`` was loaded from, or None."""
    try:
        path = Path(model[0].auto_model.config._name_or_path)
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
    return read_stamp(path)
