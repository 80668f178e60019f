"""Load an encoder by kind and device: the one entry point a scan, the CLI and notebooks use.

:func:`load_encoder` verifies (building when needed) and opens the int8 ONNX encoder, the torch
encoder, the batched int8 encoder or the GPU encoder; ``lazy=True`` defers opening until a
sentence misses the embedding cache. :func:`resolve_encoder` picks the encoder of a call.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from dedup.build.onnx_batched_export import BATCHED, batched_identity
from dedup.build.onnx_export import onnx_identity, verify_onnx_model
from dedup.build.stamps import read_stamp, stamp_identity, verify_model
from dedup.config import DEFAULT_ENCODER, check_encoder
from dedup.encoders.base import QUERY_PREFIX
from dedup.encoders.device import gpu_precision, select_device
from dedup.encoders.lazy import LazyEncoder
from dedup.encoders.onnx import load_onnx_encoder
from dedup.encoders.onnx_batched import load_batched_encoder
from dedup.encoders.torch_encoder import (
    SentenceTransformerEncoder,
    load_gpu_encoder,
    load_model,
)
from dedup.errors import ModelError


def load_encoder(
    kind: str = DEFAULT_ENCODER,
    *,
    home: Path | None = None,
    build: bool = True,
    lazy: bool = False,
    device: str = "cpu",
) -> Any:
    """Load an :class:`~dedup.encoders.base.Encoder` over the offline model, building it first if needed.

    Args:
        kind: ``"onnx-int8-batched"`` (the default: ONNX Runtime, int8 with calibrated static
            activation scales, fused graph, batched; :mod:`dedup.encoders.onnx_batched`),
            ``"onnx-int8"`` (int8 with dynamic activation scales, one sentence per call;
            :mod:`dedup.encoders.onnx`) or ``"torch"`` (the fp32 model under sentence-transformers,
            batched by token length). All give
            384-d L2-normalised vectors of ``query: `` + text within cosine 0.99 of fp32 on news
            sentences, and have different cache identities.
        home: Cache folder; ``None`` means :func:`dedup.build.paths.default_home`.
        build: Build a missing or failing model; if False, that is a :class:`ModelError`.
        lazy: Verify the model (building it if needed) but open it only when a sentence is first
            encoded (:class:`~dedup.encoders.lazy.LazyEncoder`): a scan served wholly by the embedding cache
            then never loads it. The identity, and so every vector, is the same either way.
        device: ``"cpu"`` (``kind`` decides), or ``"cuda"`` / ``"cuda:N"``: the fp32 model cast to
            bf16 (fp16 where the GPU lacks bf16) under sentence-transformers, in batches of up to
            :data:`~dedup.encoders.torch_encoder.GPU_BATCH_SIZE` sentences and
            :data:`~dedup.encoders.torch_encoder.GPU_MAX_TOKENS` padded tokens, whatever
            ``kind`` says; within cosine 0.99 of fp32, with its own cache identity
            (``...:cuda-bf16``). Without such a device: the CPU and a
            :class:`~dedup.encoders.device.DeviceWarning` (:func:`~dedup.encoders.device.select_device`).

    Returns:
        The encoder.

    Raises:
        InvalidParameterError: If ``kind`` is unknown.
        ModelError: If the model is missing (and ``build`` is False), fails verification or fails to load.

    Example:
        >>> load_encoder("tf-idf")
        Traceback (most recent call last):
        ...
        dedup.errors.InvalidParameterError: encoder must be one of onnx-int8-batched, onnx-int8, torch. \
Got 'tf-idf'.
    """
    check_encoder(kind)
    device = select_device(device)
    if lazy:
        return _lazy_encoder(kind, home=home, build=build, device=device)
    if device != "cpu":
        return load_gpu_encoder(device, home=home, build=build)
    if kind == "torch":
        return SentenceTransformerEncoder(load_model(home, build=build))
    if kind == "onnx-int8-batched":
        return load_batched_encoder(home, build=build)
    return load_onnx_encoder(home, build=build)


def _lazy_encoder(kind: str, *, home: Path | None, build: bool, device: str) -> Any:
    """A :class:`~dedup.encoders.lazy.LazyEncoder` of ``kind`` on ``device``, named from the build stamps.

    A model that fails verification is built (when ``build``) and loaded at once.
    """
    try:
        stamp = read_stamp(verify_model(home))
        if device != "cpu":
            name = f"{stamp_identity(stamp, QUERY_PREFIX)}:cuda-{gpu_precision(device)}"
        elif kind == "torch":
            name = stamp_identity(stamp, QUERY_PREFIX)
        elif kind == "onnx-int8-batched":
            name = batched_identity(BATCHED.verify(home))
        else:
            name = onnx_identity(verify_onnx_model(home))
        dim = int(stamp["dims"]["hidden"])
    except (ModelError, OSError, ValueError, KeyError, TypeError, AttributeError):
        if not build:
            raise
        return load_encoder(kind, home=home, build=True, device=device)
    return LazyEncoder(partial(load_encoder, kind, home=home, build=build, device=device), name=name, dim=dim)


def resolve_encoder(
    encoder: Any = None, model: Any = None, *, kind: str = DEFAULT_ENCODER, device: str = "cpu"
) -> Any:
    """The encoder a call uses: ``encoder``, else an adapter over ``model``, else :func:`load_encoder`.

    A caller's own ``SentenceTransformer`` (``model``) is always used as it is; ``kind`` only picks
    (and ``device`` where it runs) the encoder that is loaded when neither is given. That one is
    lazy (``load_encoder(kind, lazy=True, device=device)``): it is opened only if a sentence misses
    the embedding cache.

    Example:
        >>> from dedup.encoders.base import HashingEncoder
        >>> resolve_encoder(HashingEncoder(dim=8)).name
        'hashing-8-3'
    """
    if encoder is not None:
        return encoder
    if model is not None:
        return SentenceTransformerEncoder(model)
    return load_encoder(kind, lazy=True, device=device)
