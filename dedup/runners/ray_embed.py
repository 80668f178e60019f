"""Sentence embedding on Ray actors, in exactly the chunks the local runner forms.

The driver plans the chunks with :func:`dedup.encoders.base.embed_sentences` and a recording
stand-in encoder, the actors (each holding the encoder and the node's embedding cache) encode the
chunks, and the driver reassembles the vectors by replaying the plan: the same bytes as a local run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.config import ScanConfig
from dedup.encoders.base import Encoder, embed_sentences
from dedup.encoders.cache import CachedEncoder, EmbeddingCache, default_cache_dir, encoder_identity
from dedup.errors import DedupError
from dedup.runners.ray_session import join_path, read_parquet


def embed_on_ray(
    ray: Any,
    flat: list[str],
    config: ScanConfig,
    n_workers: int,
    encoder_factory: Callable[[], Encoder],
    max_restarts: int,
    resources: dict[str, float],
    run: str,
) -> npt.NDArray[np.float32]:
    """Embed ``flat`` on Ray actors, in exactly the chunks :func:`embed_sentences` forms locally."""
    recorder = ChunkRecorder()
    embed_sentences(recorder, flat, batch_size=config.batch_size)  # records the chunks, encodes nothing
    if not recorder.chunks:
        return np.zeros((0, 1), dtype=np.float32)
    out = join_path(run, "embeddings")
    ds = ray.data.from_items(
        [{"chunk": k, "texts": texts} for k, texts in enumerate(recorder.chunks)],
        override_num_blocks=len(recorder.chunks),
    )
    ds = ds.map_batches(
        EmbedWorker,
        batch_size=1,
        batch_format="pyarrow",
        fn_constructor_kwargs={"encoder_factory": encoder_factory, "config": config},
        compute=ray.data.ActorPoolStrategy(size=n_workers),
        **resources,  # num_cpus, and num_gpus when the workers encode on GPUs
        # A dead actor (killed, out of memory, node lost) is restarted and its chunk retried.
        max_restarts=max_restarts,
        max_task_retries=max_restarts,
    )
    ds.write_parquet(out)
    table = read_parquet(out).sort_by("chunk")
    parts: dict[int, npt.NDArray[np.float32]] = {}
    for k, dim, blob in zip(*(table.column(c).to_pylist() for c in ("chunk", "dim", "vectors")), strict=True):
        parts[k] = np.frombuffer(blob, dtype=np.float32).reshape(-1, dim)
    if sorted(parts) != list(range(len(recorder.chunks))):
        raise DedupError(f"the Ray embedding stage returned {len(parts)} of {len(recorder.chunks)} chunks.")
    return embed_sentences(ChunkReplay(recorder.chunks, parts), flat, batch_size=config.batch_size)


class ChunkRecorder:
    """Encoder stand-in that records the chunks it is asked for and returns 1-d zeros."""

    name = "recorder"

    def __init__(self) -> None:
        self.chunks: list[list[str]] = []

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        if sentences:
            self.chunks.append(list(sentences))
        return np.zeros((len(sentences), 1), dtype=np.float32)


class ChunkReplay:
    """Encoder stand-in that answers each chunk with the vectors the actors computed for it."""

    name = "replay"

    def __init__(self, chunks: list[list[str]], parts: dict[int, npt.NDArray[np.float32]]) -> None:
        self.chunks, self.parts, self.k = chunks, parts, 0

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        if not sentences:
            return np.zeros((0, 1), dtype=np.float32)
        if list(sentences) != self.chunks[self.k]:
            raise DedupError("embedding chunks changed between planning and assembly (a bug).")
        self.k += 1
        return self.parts[self.k - 1]


class EmbedWorker:
    """Ray actor: builds the encoder once (through the node's embedding cache), embeds chunks."""

    def __init__(self, encoder_factory: Callable[[], Encoder], config: ScanConfig) -> None:
        encoder = encoder_factory()
        identity = encoder_identity(encoder) if config.use_cache else None
        self.cache: EmbeddingCache | None = None
        self.encoder: Any = encoder
        if identity is not None:
            self.cache = EmbeddingCache(default_cache_dir() if config.cache_dir is None else config.cache_dir)
            self.encoder = CachedEncoder(encoder, self.cache, identity=identity)
        self.batch_size = config.batch_size

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        chunks, dims, blobs = [], [], []
        for k, texts in zip(batch["chunk"].to_pylist(), batch["texts"].to_pylist(), strict=True):
            vecs = np.ascontiguousarray(
                self.encoder.encode(texts, batch_size=self.batch_size), dtype=np.float32
            )
            chunks.append(k)
            dims.append(int(vecs.shape[1]))
            blobs.append(vecs.tobytes())
        return pa.table(
            {
                "chunk": pa.array(chunks, type=pa.int64()),
                "dim": pa.array(dims, type=pa.int64()),
                "vectors": pa.array(blobs, type=pa.large_binary()),
            }
        )
