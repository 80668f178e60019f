"""A Ray session for one scan: join or start Ray quietly, a work folder for the Parquet shards."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def ray_session(ray: Any, address: str | None) -> Iterator[None]:
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
def work_folder(work_dir: str | Path | None) -> Iterator[str]:
    """``work_dir`` as given, or a temporary folder on this machine, deleted afterwards."""
    if work_dir is not None:
        yield str(work_dir)
        return
    tmp = tempfile.mkdtemp(prefix="dedup-ray-")
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def join_path(base: str, name: str) -> str:
    """``base/name`` for a local folder or a URI (``s3://bucket/run``).

    Example:
        >>> join_path("s3://bucket/run/", "documents"), join_path("/tmp/run", "documents")
        ('s3://bucket/run/documents', '/tmp/run/documents')
    """
    return f"{base.rstrip('/')}/{name}" if "://" in base else str(Path(base) / name)


def read_parquet(path: str) -> Any:
    """Every Parquet file under ``path`` (a folder or URI) as one pyarrow table."""
    import pyarrow.dataset as pds

    return pds.dataset(path, format="parquet").to_table()
