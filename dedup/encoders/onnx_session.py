"""What both ONNX encoders share: opening an ONNX ``BertModel`` with its tokenizer, running it, pooling.

:class:`OnnxBertEncoder` holds an ``onnxruntime.InferenceSession`` (or anything with
``get_inputs``, ``get_outputs`` and ``run``) and a ``tokenizers.Tokenizer``; its subclasses
(:class:`dedup.encoders.onnx.OnnxEncoder`, :class:`dedup.encoders.onnx_batched.BatchedOnnxEncoder`)
decide how sentences are grouped into session calls. :func:`open_session` opens the files of a
build; :func:`mean_pooled` turns a sentence's last hidden states into its vector.
:class:`OneHotSession` and :func:`word_tokenizer` stand in for a real build in examples and tests.

Example (no model: the stand-in's last hidden state is the one-hot of each token id):
    >>> import numpy as np
    >>> tok = word_tokenizer(["[UNK]", "query:", "storm"])
    >>> enc = OnnxBertEncoder(OneHotSession(dim=4), tok, name="demo")
    >>> ids = np.asarray([tok.encode("query: storm").ids])
    >>> hidden = enc.run_session(ids, np.ones_like(ids))
    >>> hidden.shape, [round(float(x), 3) for x in mean_pooled(hidden[0])]
    ((1, 2, 4), [0.0, 0.707, 0.707, 0.0])
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from dedup.encoders.base import QUERY_PREFIX
from dedup.errors import ModelError

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def n_cores() -> int:
    """The CPU cores this process may use.

    Example:
        >>> n_cores() >= 1
        True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def mean_pooled(hidden: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The L2-normalised mean of a sentence's last hidden states, shape (tokens, dim), over its tokens."""
    vec = hidden.sum(axis=0) / np.float32(hidden.shape[0])
    norm = np.linalg.norm(vec)
    return vec / norm if norm > 0 else vec


@dataclass(eq=False)
class OnnxBertEncoder:
    """An ONNX ``BertModel`` session and its tokenizer: the part of an ONNX encoder that runs the model.

    Each sentence gets ``prefix`` and is tokenised and truncated as sentence-transformers does (to
    ``max_seq_length`` tokens, specials included).

    Args:
        session: An ``onnxruntime.InferenceSession`` (anything with ``get_inputs``, ``get_outputs``
            and ``run``) whose first output is ``(batch, seq, dim)``.
        tokenizer: A ``tokenizers.Tokenizer`` that adds the special tokens; truncation to
            ``max_seq_length`` is switched on here, padding off.
        name: Cache identity; two encoders that can return different vectors must never share it.
        prefix: Prepended to every sentence.
        max_seq_length: Tokens per sentence, specials included (>= 2).
        n_workers: Session calls run at once (>= 1), each on its own input: with a session of one
            intra-op thread per call, every core stays busy on short inputs without per-operator
            thread hand-offs. Does not change any vector (tested).

    Attributes:
        dim: The model's output dimension (from the session's first output).
    """

    session: Any = field(repr=False)
    tokenizer: Any = field(repr=False)
    _: KW_ONLY
    name: str
    prefix: str = QUERY_PREFIX
    max_seq_length: int = 512
    n_workers: int = 1
    dim: int = field(init=False)
    _inputs: set[str] = field(init=False, repr=False)
    _output: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.no_padding()
        self._inputs = {i.name for i in self.session.get_inputs()}
        out = self.session.get_outputs()[0]
        self._output = out.name
        self.dim = int(out.shape[-1])

    def map_calls(self, call: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[call(item) for item in items]``, ``n_workers`` at a time (onnxruntime and tokenizers
        release the GIL), results in input order."""
        if self.n_workers > 1 and len(items) > 1:
            with ThreadPoolExecutor(self.n_workers) as pool:
                return list(pool.map(call, items))
        return [call(item) for item in items]

    def run_session(
        self, input_ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        """Last hidden states, (batch, seq, dim) float32, of token ids with their attention mask."""
        feed = {"input_ids": input_ids}
        if "attention_mask" in self._inputs:
            feed["attention_mask"] = mask
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        return np.asarray(self.session.run([self._output], feed)[0], dtype=np.float32)


class OneHotSession:
    """A stand-in for an ONNX Runtime session over a ``BertModel``: each token's hidden state is its one-hot.

    A sentence's mean-pooled vector is then the normalised count of its token ids, which makes
    examples and tests easy to check without a model.

    Args:
        dim: The hidden size; token ids must be below it.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def get_inputs(self) -> list[Any]:
        """No named inputs: only ``input_ids`` is fed."""
        return []

    def get_outputs(self) -> list[Any]:
        """One output, ``last_hidden_state`` of shape (batch, seq, dim)."""
        return [SimpleNamespace(name="last_hidden_state", shape=["batch", "seq", self.dim])]

    def run(self, names: list[str], feed: dict[str, Any]) -> list[npt.NDArray[np.float32]]:
        """The one-hot of every token id in ``feed["input_ids"]``."""
        return [np.eye(self.dim, dtype=np.float32)[feed["input_ids"]]]


def word_tokenizer(words: list[str]) -> Any:
    """A ``tokenizers.Tokenizer`` that splits on whitespace and numbers ``words`` in order (first: unknown).

    Example:
        >>> word_tokenizer(["[UNK]", "query:", "storm"]).encode("query: storm surge").ids
        [1, 2, 0]
    """
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token=words[0]))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return tokenizer


def open_session(onnx_file: Path, st_dir: Path, *, threads: int, fix: str) -> tuple[Any, Any, int]:
    """Open ``onnx_file`` on the CPU with the tokenizer and maximum length of the folder ``st_dir``.

    Args:
        onnx_file: The ONNX file (inputs ``input_ids``, ``attention_mask``, ``token_type_ids``).
        st_dir: The sentence-transformers folder (``tokenizer.json``, ``sentence_bert_config.json``).
        threads: ONNX Runtime intra-op threads.
        fix: How to recover, at the end of the error message.

    Returns:
        The ``onnxruntime.InferenceSession``, the ``tokenizers.Tokenizer`` and ``max_seq_length``.

    Raises:
        ModelError: If a file is missing or unreadable.
    """
    t0 = time.perf_counter()
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3  # errors only: the library never writes to the terminal
        session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(st_dir / "tokenizer.json"))
        st_config = json.loads((st_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        max_len = int(st_config["max_seq_length"])
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        raise ModelError(f"cannot load the ONNX model {onnx_file}: {err}. {fix}") from err
    except Exception as err:  # onnxruntime raises its own exception types (Fail, InvalidProtobuf, ...)
        if type(err).__module__.startswith("onnxruntime"):
            raise ModelError(f"cannot load the ONNX model {onnx_file}: {err}. {fix}") from err
        raise
    logger.info("loaded %s in %.1f s", onnx_file, time.perf_counter() - t0)
    return session, tokenizer, max_len
