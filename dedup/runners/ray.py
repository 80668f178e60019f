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
import time
import uuid
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from dedup.config import DEFAULT_ENCODER, ScanConfig
from dedup.encoders.base import Encoder
from dedup.errors import DedupError, InvalidParameterError
from dedup.io.read import read_file
from dedup.io.walk import list_inputs
from dedup.runners.ray_embed import embed_on_ray
from dedup.runners.ray_session import join_path, ray_session, read_parquet, work_folder
from dedup.runners.results import ScoredPair
from dedup.runners.stages import (
    Inputs,
    ProgressCallback,
    adapt_to_input,
    clean,
    corpus_from,
    find_candidates,
    identify_and_split,
    per_document,
    read,
    report_progress,
    score_candidates,
    score_pairs,
)
from dedup.scoring.calibration import ConfidenceModel, load_confidence_model
from dedup.scoring.corpus import Corpus
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


def default_encoder(kind: str = DEFAULT_ENCODER, device: str = "cpu") -> Encoder:
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
    if config.first_tier or config.lead_tier:
        raise InvalidParameterError(
            "first_tier and lead_tier are not supported by the Ray backend yet. Got "
            f"first_tier={config.first_tier}, lead_tier={config.lead_tier}; use the local backend."
        )
    ray = require_ray()
    confidence_model = confidence_model or load_confidence_model()
    device = "cuda" if gpus_per_worker > 0 and config.device == "cpu" else config.device
    encoder_factory = encoder_factory or partial(default_encoder, config.encoder, device)
    timings: dict[str, float] = {}
    with ray_session(ray, ray_address), work_folder(work_dir) as base:
        run = join_path(base, f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}")
        remote = {"num_cpus": cpus_per_worker, "compute": ray.data.TaskPoolStrategy(size=n_workers)}

        t = time.perf_counter()
        documents, skipped = _read(ray, inputs, config, n_workers, remote)
        texts = clean(documents, config)
        timings["ingest"] = time.perf_counter() - t
        report_progress(progress, "read", len(documents), len(documents))

        t = time.perf_counter()
        langs, sentences = _split(ray, texts, config, n_workers, remote, join_path(run, "documents"))
        timings["langid_segment"] = time.perf_counter() - t

        t = time.perf_counter()
        flat = [s for doc in sentences for s in doc]
        resources = embed_worker_resources(cpus_per_worker, gpus_per_worker)
        vectors = embed_on_ray(ray, flat, config, n_workers, encoder_factory, max_restarts, resources, run)
        per_doc = per_document(vectors, sentences)
        timings["embed"] = time.perf_counter() - t
        report_progress(progress, "embedded", len(flat), len(flat))

        t = time.perf_counter()
        corpus = corpus_from(sentences, per_doc, langs, texts, config)
        timings["corpus"] = time.perf_counter() - t
        t = time.perf_counter()
        candidates = find_candidates(corpus, config)
        timings["index"] = time.perf_counter() - t
        confidence_model = adapt_to_input(
            corpus, candidates, config=config, confidence_model=confidence_model, timings=timings
        )
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
    """Read the inputs as :func:`dedup.io.read.read_documents` does, one Ray task per batch of files."""
    if isinstance(inputs, Mapping):
        return read(inputs, config)
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
    """``(root, [(doc_id, path)])`` exactly as :func:`dedup.io.read.read_documents` lists them."""
    return list_inputs(inputs, follow_symlinks=config.follow_symlinks, skipped=skipped)


def _read_batch(batch: Any, *, root: str, config: ScanConfig) -> Any:
    import pyarrow as pa

    rows: dict[str, list[str | None]] = {
        k: [] for k in ("kind", "doc_id", "text", "path", "sha256", "url", "date", "reason")
    }
    for rel, path in zip(batch["rel"].to_pylist(), batch["path"].to_pylist(), strict=True):
        results = read_file(
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
    table = read_parquet(out).sort_by("doc")
    if table.num_rows != len(texts) or table.column("doc").to_pylist() != list(range(len(texts))):
        raise DedupError(f"the Ray language-ID stage returned {table.num_rows} of {len(texts)} documents.")
    return table.column("lang").to_pylist(), table.column("sentences").to_pylist()


def _split_batch(batch: Any, *, config: ScanConfig) -> Any:
    import pyarrow as pa

    # The local backend's function (and its per-text cache, one per node), so results are the same.
    langs, sentences = identify_and_split(batch["text"].to_pylist(), config)
    return pa.table(
        {
            "doc": batch["doc"],
            "lang": pa.array(langs, type=pa.string()),
            "sentences": pa.array(sentences, type=pa.list_(pa.string())),
        }
    )


# ------------------------------------------------------------------------------------------ helpers
