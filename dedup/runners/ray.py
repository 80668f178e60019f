"""Ray backend: the scan's reading, language ID, splitting and embedding as Ray Data stages.

``scan_with_ray`` gives exactly the ``pairs.jsonl`` / ``groups.jsonl`` of :func:`dedup.runners.local.scan`
on the same input; only where the work runs differs::

    files --(Ray tasks: read)--> documents --(driver: boilerplate, needs the whole folder)-->
    clean texts --(Ray tasks: language ID + sentences)--> documents/*.parquet -->
    (driver: plan of distinct sentences) --(Ray actors, model loaded once each: embed)-->
    embeddings/*.parquet --(driver: Corpus, candidates)--> corpus in the object store
    --(Ray tasks: score blocks of candidate pairs)--> (driver: clustering) --> ScanResult

Why the driver plans the embedding batches: the encoder's output for a sentence changes in the last
float bits (~1e-7) with the other sentences of its padded batch (measured: 27 % of the seed
sentences differ when the folder is embedded in two halves), and 4-decimal outputs then differ now
and then. The actors therefore encode exactly the chunks that :func:`dedup.encoders.base.embed_sentences`
forms in the local backend (the same batches in the same order), and the result is bit-identical;
the number of torch threads per worker does not change it (measured). The embedding cache is used
as in the local backend (``config.use_cache``; one cache per node, at ``config.cache_dir``).

Ray is optional (``pip install -e '.[ray]'``); importing this module does not import it.

Example (the scan itself needs Ray, so it is not run here; the fake encoder avoids the model):
    >>> from dedup.runners.ray import INSTALL_HINT, scan_with_ray
    >>> INSTALL_HINT.split(": ")[-1]
    "pip install -e '.[ray]'"
    >>> from dedup.encoders.base import HashingEncoder
    >>> result = scan_with_ray("seeds", encoder_factory=HashingEncoder, n_workers=2)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.config import ScanConfig
from dedup.encoders.base import Encoder, embed_sentences
from dedup.encoders.cache import CachedEncoder, EmbeddingCache, default_cache_dir
from dedup.encoders.identity import encoder_identity
from dedup.errors import DedupError, InvalidParameterError
from dedup.io.ingest import _read_file, list_inputs, read_documents
from dedup.runners.local import (
    Inputs,
    ProgressCallback,
    ScoredPair,
    _candidates,
    _report,
    corpus_from,
    score_candidates,
    score_pairs,
)
from dedup.scoring.calibration import ConfidenceModel, load_confidence_model
from dedup.scoring.score import Corpus
from dedup.text.boilerplate import strip_boilerplate
from dedup.text.preprocess import detect_and_split
from dedup.types import Document, ScanResult, Skipped

logger = logging.getLogger(__name__)

INSTALL_HINT = "the Ray backend needs Ray. Install it with: pip install -e '.[ray]'"
_READ_BATCH = 64  # files per read task
_DOC_BATCH = 512  # documents per language-ID/splitting task (~1.5 s of work)
_SCORE_BLOCK = 5000  # candidate pairs per scoring task (~0.5 s of work)


class RayUnavailableError(DedupError, ImportError):
    """Ray is not installed (``pip install -e '.[ray]'``)."""


def require_ray() -> Any:
    """Import and return ``ray`` (with Ray Data), or raise :class:`RayUnavailableError`."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as err:
        raise RayUnavailableError(f"{INSTALL_HINT} ({err}).") from err
    return ray


def default_encoder(kind: str = "onnx-int8", device: str = "cpu") -> Encoder:
    """The local backend's default encoder, :func:`dedup.encoders.loading.load_encoder` (kind, device)."""
    from dedup.encoders.loading import load_encoder

    return load_encoder(kind, device=device)


def embed_worker_resources(cpus_per_worker: float, gpus_per_worker: float) -> dict[str, float]:
    """What each embedding actor asks Ray for: ``num_cpus``, plus ``num_gpus`` when it is above 0.

    Example:
        >>> embed_worker_resources(1.0, 0.0), embed_worker_resources(2.0, 0.5)
        ({'num_cpus': 1.0}, {'num_cpus': 2.0, 'num_gpus': 0.5})
    """
    resources = {"num_cpus": cpus_per_worker}
    if gpus_per_worker > 0:
        resources["num_gpus"] = gpus_per_worker
    return resources


def scan_with_ray(
    inputs: Inputs,
    *,
    config: ScanConfig | None = None,
    ray_address: str | None = None,
    n_workers: int = 2,
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
    encoder_factory: Callable[[], Encoder] | None = None,
    confidence_model: ConfidenceModel | None = None,
    work_dir: str | Path | None = None,
    max_restarts: int = 3,
    progress: ProgressCallback | None = None,
) -> ScanResult:
    """Scan like :func:`dedup.runners.local.scan`, with reading, language ID and embedding on Ray.

    Args:
        inputs: A folder, a list of file paths, or a ``{doc_id: text}`` dict (read on the driver).
        config: Scan parameters; defaults to ``ScanConfig()``.
        ray_address: Address of a running cluster (``ray start --head`` prints it, e.g.
            ``"10.0.0.1:6379"``, or ``"auto"``). None starts a local Ray with this machine's cores
            (unless Ray is already initialised in this process, which is then used as it is).
        n_workers: Embedding actors, each loading the model once (>= 1); also the most read and
            language-ID tasks run at once.
        cpus_per_worker: CPUs Ray reserves per actor and task (> 0); torch uses that many threads.
        gpus_per_worker: GPUs each embedding actor asks Ray for (``num_gpus``, >= 0; fractions share
            one GPU). Above 0 the default encoder runs on ``cuda`` (``config.device`` otherwise).
        encoder_factory: Picklable callable returning an :class:`~dedup.encoders.base.Encoder`, called
            once per actor (default: the offline model, which every node must have built).
        confidence_model: Calibration to use; defaults to the shipped one.
        work_dir: Where the Parquet shards go (``documents/`` and ``embeddings/`` under a fresh
            ``run-*`` folder): a local path, a folder every node shares, or an ``s3://`` URI.
            None uses a temporary folder on this machine (only right for a one-node Ray) and
            deletes it afterwards.
        max_restarts: Times a dead actor is restarted and its call retried (>= 0).
        progress: Optional callback ``(stage, done, total)``, called as each stage ends (and per
            500 scored pairs); the library never prints.

    Returns:
        The same ScanResult as the local backend (``stats`` also has ``"backend": "ray"``).

    Raises:
        RayUnavailableError: If Ray is not installed.
        InvalidParameterError: If ``n_workers`` < 1, ``cpus_per_worker`` <= 0, ``gpus_per_worker`` < 0
            or ``config.first_tier``
            (not supported here yet).
        InputError: If the input path is missing or not a folder.
    """
    if not isinstance(n_workers, int) or isinstance(n_workers, bool) or n_workers < 1:
        raise InvalidParameterError(f"n_workers must be an int >= 1. Got {n_workers!r}.")
    if not isinstance(cpus_per_worker, (int, float)) or cpus_per_worker <= 0:
        raise InvalidParameterError(f"cpus_per_worker must be a number > 0. Got {cpus_per_worker!r}.")
    gpus_ok = isinstance(gpus_per_worker, (int, float)) and not isinstance(gpus_per_worker, bool)
    if not gpus_ok or gpus_per_worker < 0:
        raise InvalidParameterError(f"gpus_per_worker must be a number >= 0. Got {gpus_per_worker!r}.")
    config = config or ScanConfig()
    if config.first_tier:
        raise InvalidParameterError(
            "first_tier is not supported by the Ray backend yet. Got first_tier=True; use the local backend."
        )
    ray = require_ray()
    confidence_model = confidence_model or load_confidence_model()
    device = "cuda" if gpus_per_worker > 0 and config.device == "cpu" else config.device
    encoder_factory = encoder_factory or partial(default_encoder, config.encoder, device)
    timings: dict[str, float] = {}
    with _ray_session(ray, ray_address), _work_dir(work_dir) as base:
        run = _join(base, f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}")
        remote = {"num_cpus": cpus_per_worker, "compute": ray.data.TaskPoolStrategy(size=n_workers)}

        t = time.perf_counter()
        documents, skipped = _read(ray, inputs, config, n_workers, remote)
        texts = [d.text for d in documents]
        if config.strip_boilerplate:
            texts = [c.text for c in strip_boilerplate(texts)]
        timings["ingest"] = time.perf_counter() - t
        _report(progress, "read", len(documents), len(documents))

        t = time.perf_counter()
        langs, sentences = _split(ray, texts, config, n_workers, remote, _join(run, "documents"))
        timings["langid_segment"] = time.perf_counter() - t

        t = time.perf_counter()
        flat = [s for doc in sentences for s in doc]
        resources = embed_worker_resources(cpus_per_worker, gpus_per_worker)
        vectors = _embed(ray, flat, config, n_workers, encoder_factory, max_restarts, resources, run)
        offsets = np.cumsum([0] + [len(s) for s in sentences])
        per_doc = [vectors[offsets[i] : offsets[i + 1]] for i in range(len(documents))]
        timings["embed"] = time.perf_counter() - t
        _report(progress, "embedded", len(flat), len(flat))

        t = time.perf_counter()
        corpus = corpus_from(sentences, per_doc, langs, texts, config)
        timings["corpus"] = time.perf_counter() - t
        t = time.perf_counter()
        candidates = _candidates(corpus, config)
        timings["index"] = time.perf_counter() - t
        t = time.perf_counter()
        prescored = _score_blocks(
            ray, corpus, candidates, config, confidence_model, cpus_per_worker, max_restarts
        )
        timings["score_blocks"] = time.perf_counter() - t
    result = score_candidates(
        documents,
        corpus,
        candidates,
        config=config,
        confidence_model=confidence_model,
        skipped=skipped,
        progress=progress,
        timings=timings,
        prescored=prescored,
    )
    result.stats["backend"] = "ray"
    result.stats["n_workers"] = n_workers
    return result


# ------------------------------------------------------------------------------------------ stages


def _score_block(
    corpus: Corpus, block: list[tuple[int, int]], config: ScanConfig, confidence_model: ConfidenceModel
) -> dict[tuple[int, int], ScoredPair]:
    return score_pairs(corpus, block, config=config, confidence_model=confidence_model)


def _score_blocks(
    ray: Any,
    corpus: Corpus,
    candidates: list[tuple[int, int]],
    config: ScanConfig,
    confidence_model: ConfidenceModel,
    cpus_per_worker: float,
    max_restarts: int,
) -> dict[tuple[int, int], ScoredPair]:
    """Score candidate pairs as Ray tasks over blocks of ``_SCORE_BLOCK`` pairs, one shared corpus.

    Each pair's score depends only on the corpus (put once in the object store), so the
    blocks are independent; a failed task is retried. Results are merged in candidate order.
    """
    if not candidates:
        return {}
    corpus_ref = ray.put(corpus)
    task = ray.remote(_score_block).options(num_cpus=cpus_per_worker, max_retries=max_restarts)
    refs = [
        task.remote(corpus_ref, candidates[k : k + _SCORE_BLOCK], config, confidence_model)
        for k in range(0, len(candidates), _SCORE_BLOCK)
    ]
    merged: dict[tuple[int, int], ScoredPair] = {}
    for part in ray.get(refs):
        merged.update(part)
    return {pair: merged[pair] for pair in candidates}


def _read(
    ray: Any, inputs: Inputs, config: ScanConfig, n_workers: int, remote: dict[str, Any]
) -> tuple[list[Document], list[Skipped]]:
    """Read the inputs as :func:`dedup.io.ingest.read_documents` does, one Ray task per batch of files."""
    if isinstance(inputs, Mapping):
        return read_documents(
            inputs, max_chars=config.max_chars, text_field=config.text_field, id_field=config.id_field
        )
    skipped: list[Skipped] = []
    root, files = _list_files(inputs, config, skipped)
    documents: list[Document] = []
    if files:
        ds = ray.data.from_items(
            [{"rel": rel, "path": str(path)} for rel, path in files],
            override_num_blocks=max(1, min(len(files) // _READ_BATCH, 8 * n_workers)),
        )
        ds = ds.map_batches(
            _read_batch,
            batch_size=_READ_BATCH,
            batch_format="pyarrow",
            fn_kwargs={"root": str(root), "config": config},
            **remote,
        )
        for row in ds.iter_rows():
            if row["kind"] == "doc":
                documents.append(
                    Document(
                        doc_id=row["doc_id"],
                        text=row["text"],
                        path=row["path"],
                        sha256=row["sha256"],
                        url=row["url"] or "",
                        date=row["date"] or "",
                    )
                )
            else:
                skipped.append(Skipped(row["path"], row["reason"]))
    documents.sort(key=lambda d: d.doc_id)
    skipped.sort(key=lambda s: (s.path, s.reason))
    logger.info("ray read: %d documents, %d skipped", len(documents), len(skipped))
    return documents, skipped


def _list_files(
    inputs: Inputs, config: ScanConfig, skipped: list[Skipped]
) -> tuple[Path, list[tuple[str, Path]]]:
    """``(root, [(doc_id, path)])`` exactly as :func:`dedup.io.ingest.read_documents` lists them."""
    return list_inputs(inputs, follow_symlinks=config.follow_symlinks, skipped=skipped)


def _read_batch(batch: Any, *, root: str, config: ScanConfig) -> Any:
    import pyarrow as pa

    rows: dict[str, list[str | None]] = {
        k: [] for k in ("kind", "doc_id", "text", "path", "sha256", "url", "date", "reason")
    }
    for rel, path in zip(batch["rel"].to_pylist(), batch["path"].to_pylist(), strict=True):
        results = _read_file(
            Path(path),
            rel,
            Path(root),
            config.max_chars,
            config.follow_symlinks,
            config.text_field,
            config.id_field,
        )
        for r in results:
            is_doc = isinstance(r, Document)
            rows["kind"].append("doc" if is_doc else "skipped")
            rows["doc_id"].append(r.doc_id if isinstance(r, Document) else None)
            rows["text"].append(r.text if isinstance(r, Document) else None)
            rows["path"].append(r.path)
            rows["sha256"].append(r.sha256 if isinstance(r, Document) else None)
            rows["url"].append(r.url if isinstance(r, Document) else None)
            rows["date"].append(r.date if isinstance(r, Document) else None)
            rows["reason"].append(None if isinstance(r, Document) else r.reason)
    return pa.table({k: pa.array(v, type=pa.string()) for k, v in rows.items()})


def _split(
    ray: Any, texts: list[str], config: ScanConfig, n_workers: int, remote: dict[str, Any], out: str
) -> tuple[list[str], list[list[str]]]:
    """Language and sentences of every text (Ray tasks); also written to ``out`` as Parquet."""
    if not texts:
        return [], []
    ds = ray.data.from_items(
        [{"doc": i, "text": t} for i, t in enumerate(texts)],
        override_num_blocks=max(1, min(len(texts) // _DOC_BATCH, 8 * n_workers)),
    )
    ds = ds.map_batches(
        _split_batch,
        batch_size=_DOC_BATCH,
        batch_format="pyarrow",
        fn_kwargs={"config": config},
        **remote,
    )
    ds.write_parquet(out)
    table = _read_parquet(out).sort_by("doc")
    if table.num_rows != len(texts) or table.column("doc").to_pylist() != list(range(len(texts))):
        raise DedupError(f"the Ray language-ID stage returned {table.num_rows} of {len(texts)} documents.")
    return table.column("lang").to_pylist(), table.column("sentences").to_pylist()


def _split_batch(batch: Any, *, config: ScanConfig) -> Any:
    import pyarrow as pa

    # The local backend's function (and its per-text cache, one per node), so results are the same.
    langs, sentences = detect_and_split(batch["text"].to_pylist(), config)
    return pa.table(
        {
            "doc": batch["doc"],
            "lang": pa.array(langs, type=pa.string()),
            "sentences": pa.array(sentences, type=pa.list_(pa.string())),
        }
    )


def _embed(
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
    recorder = _Recorder()
    embed_sentences(recorder, flat, batch_size=config.batch_size)  # records the chunks, encodes nothing
    if not recorder.chunks:
        return np.zeros((0, 1), dtype=np.float32)
    out = _join(run, "embeddings")
    ds = ray.data.from_items(
        [{"chunk": k, "texts": texts} for k, texts in enumerate(recorder.chunks)],
        override_num_blocks=len(recorder.chunks),
    )
    ds = ds.map_batches(
        _EmbedWorker,
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
    table = _read_parquet(out).sort_by("chunk")
    parts: dict[int, npt.NDArray[np.float32]] = {}
    for k, dim, blob in zip(*(table.column(c).to_pylist() for c in ("chunk", "dim", "vectors")), strict=True):
        parts[k] = np.frombuffer(blob, dtype=np.float32).reshape(-1, dim)
    if sorted(parts) != list(range(len(recorder.chunks))):
        raise DedupError(f"the Ray embedding stage returned {len(parts)} of {len(recorder.chunks)} chunks.")
    return embed_sentences(_Replay(recorder.chunks, parts), flat, batch_size=config.batch_size)


class _Recorder:
    """Encoder stand-in that records the chunks it is asked for and returns 1-d zeros."""

    name = "recorder"

    def __init__(self) -> None:
        self.chunks: list[list[str]] = []

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        if sentences:
            self.chunks.append(list(sentences))
        return np.zeros((len(sentences), 1), dtype=np.float32)


class _Replay:
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


class _EmbedWorker:
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


# ------------------------------------------------------------------------------------------ helpers


@contextmanager
def _ray_session(ray: Any, address: str | None) -> Iterator[None]:
    """Join ``address``, or start a local Ray with this machine's cores; stop only what we started."""
    from ray.data import DataContext

    started = False
    # Ray Data reports every dataset at INFO and warns about block counts; the library stays quiet.
    data_logger = logging.getLogger("ray.data")
    level = data_logger.level
    data_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"ray(\.|$)")
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
            if not ray.is_initialized():
                kwargs: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
                if address is None:
                    kwargs.update(num_cpus=os.cpu_count(), include_dashboard=False)
                ray.init(address=address, **kwargs)
                started = True
            ctx = DataContext.get_current()
            saved = ctx.enable_progress_bars, ctx.print_on_execution_start
            ctx.enable_progress_bars = ctx.print_on_execution_start = False
            try:
                yield
            finally:
                ctx.enable_progress_bars, ctx.print_on_execution_start = saved
    finally:
        data_logger.setLevel(level)
        if started:
            ray.shutdown()


@contextmanager
def _work_dir(work_dir: str | Path | None) -> Iterator[str]:
    if work_dir is not None:
        yield str(work_dir)
        return
    tmp = tempfile.mkdtemp(prefix="dedup-ray-")
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}" if "://" in base else str(Path(base) / name)


def _read_parquet(path: str) -> Any:
    import pyarrow.dataset as pds

    return pds.dataset(path, format="parquet").to_table()
