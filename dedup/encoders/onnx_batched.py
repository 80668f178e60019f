"""The default encoder ``onnx-int8-batched``: int8 with calibrated static activation scales, run in batches.

Its file (:mod:`dedup.build.onnx_batched_export`) quantises every activation with a scale fixed in
advance, so each row of a batch is computed exactly as it would be alone. :class:`BatchedOnnxEncoder`
pads every sentence to a multiple of :data:`~dedup.build.onnx_batched_export.PAD_MULTIPLE` tokens,
alone or not (the padded length is part of the vector's definition), and batches sentences of equal padded
length, at most :data:`MAX_BATCH` at a time: the same sentence alone and inside any batch gives
identical bytes (tested). Measured against the torch fp32 model and the other encoders in
``benchmarks/bench_encoders.py``.

Example (a stand-in session: hidden state = one-hot of the token id; pads are not pooled):
    >>> from dedup.encoders.onnx_session import OneHotSession, word_tokenizer
    >>> tok = word_tokenizer(["[UNK]", "<pad>", "query:", "storm"])
    >>> enc = BatchedOnnxEncoder(OneHotSession(dim=4), tok, name="demo")
    >>> [round(float(x), 3) for x in enc.encode(["storm", "storm storm"])[1]]
    [0.0, 0.0, 0.447, 0.894]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dedup.build.onnx_batched_export import (
    BATCHED,
    BATCHED_FILE,
    PAD_MULTIPLE,
    batched_identity,
    build_batched_model,
)
from dedup.build.paths import model_dir
from dedup.encoders.onnx_session import OnnxBertEncoder, mean_pooled, n_cores, open_session
from dedup.errors import ModelError

logger = logging.getLogger(__name__)

MAX_BATCH = 64
"""Most sentences per ``session.run``."""
PAD_ID = 1


def padded_length(n_tokens: int, multiple: int = PAD_MULTIPLE) -> int:
    """``n_tokens`` rounded up to a multiple of ``multiple``.

    Example:
        >>> [padded_length(n) for n in (3, 4, 5, 35)]
        [4, 4, 8, 36]
    """
    return -(-n_tokens // multiple) * multiple


@dataclass(eq=False, kw_only=True)
class BatchedOnnxEncoder(OnnxBertEncoder):
    """An :class:`~dedup.encoders.base.Encoder` over the static int8 model: batches of equal padded length.

    Each sentence gets the ``query: `` prefix, is tokenised and truncated as sentence-transformers
    does, padded with ``<pad>`` (attention mask 0) to :func:`padded_length`, run with the other
    sentences of that padded length (at most ``max_batch`` per call, longest first), and mean-pooled
    over its own tokens, then L2-normalised. ``batch_size`` is ignored.

    Args:
        session, tokenizer, name, prefix, max_seq_length: As
            :class:`~dedup.encoders.onnx_session.OnnxBertEncoder`.
        max_batch: Most sentences per session call (>= 1); does not change any vector.
        n_workers: Session calls run at once, each on its own batch (>= 1); the loader gives the
            session one intra-op thread and ``n_workers`` = the cores.
    """

    max_batch: int = MAX_BATCH

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        """Embeddings, shape (len(sentences), dim), float32, L2-normalised, in input order."""
        out = np.empty((len(sentences), self.dim), dtype=np.float32)
        if not sentences:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch([self.prefix + s for s in sentences])]
        padded = [padded_length(len(x)) for x in ids]
        order = sorted(range(len(ids)), key=lambda i: -padded[i])
        batches: list[list[int]] = []
        for i in order:  # longest first; one padded length per batch
            if batches and len(batches[-1]) < self.max_batch and padded[batches[-1][0]] == padded[i]:
                batches[-1].append(i)
            else:
                batches.append([i])

        def run(rows: list[int]) -> list[npt.NDArray[np.float32]]:
            return self._run([ids[i] for i in rows], padded[rows[0]])

        results = self.map_calls(run, batches)
        for rows, vecs in zip(batches, results, strict=True):
            for i, vec in zip(rows, vecs, strict=True):
                out[i] = vec
        return out

    def _run(self, batch: list[list[int]], width: int) -> list[npt.NDArray[np.float32]]:
        input_ids = np.full((len(batch), width), PAD_ID, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, x in enumerate(batch):
            input_ids[row, : len(x)] = x
            mask[row, : len(x)] = 1
        hidden = self.run_session(input_ids, mask)
        return [mean_pooled(hidden[row, : len(x)]) for row, x in enumerate(batch)]  # over its own tokens


def load_batched_encoder(
    home: Path | None = None, *, build: bool = True, n_threads: int | None = None
) -> BatchedOnnxEncoder:
    """Load the ``onnx-int8-batched`` encoder, building it first when it is missing or fails verification.

    ``n_threads`` (default: the cores this process may use) session calls run at once, each with one
    intra-op thread.

    Raises:
        ModelError: If it is missing (and ``build`` is False), or cannot be built or loaded.
    """
    try:
        path = BATCHED.verify(home)
    except ModelError:
        if not build:
            raise
        path = build_batched_model(home, force=True)
    # one intra-op thread: parallel over batches instead (BatchedOnnxEncoder.n_workers)
    session, tokenizer, max_len = open_session(path / BATCHED_FILE, model_dir(home), threads=1,
                                               fix=BATCHED.fix)
    return BatchedOnnxEncoder(session, tokenizer, name=batched_identity(path), max_seq_length=max_len,
                              n_workers=n_threads or n_cores())
