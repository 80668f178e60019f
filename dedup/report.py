"""Write scan results: JSONL files, written atomically (temp file in the same folder, then rename).

Example:
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from dedup.report import write_jsonl
    >>> out = Path(tempfile.mkdtemp()) / "x.jsonl"
    >>> write_jsonl(out, [{"b": 1, "a": 2}])
    >>> out.read_text()
    '{"a": 2, "b": 1}\\n'
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .atomic import signals_deferred, staging_dir, write_text_atomic
from .errors import OutputError
from .locking import WaitCallback, checkpoint, folder_lock
from .types import ScanResult

_STAGING_PREFIX = ".dedup-staging-"


def jsonl_text(rows: Iterable[dict[str, Any]]) -> str:
    """One JSON object per line, keys sorted, UTF-8 kept readable."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write rows as JSON lines, atomically."""
    write_text_atomic(Path(path), jsonl_text(rows))


def write_scan(
    result: ScanResult,
    out_dir: Path | str,
    *,
    root: Path | str | None = None,
    wait: bool = True,
    on_wait: WaitCallback | None = None,
) -> list[Path]:
    """Write ``pairs.jsonl``, ``groups.jsonl``, ``documents.jsonl`` and ``skipped.jsonl`` into out_dir.

    With ``root`` (the scanned folder), also ``scan.json``: the folder's absolute path and the scan's
    stats without timings (so the folder stays byte-identical on a re-run); ``dedup report`` reads it
    to show the articles. Without ``root``, a ``scan.json`` of an earlier run is removed.

    The files are written into a staging folder inside out_dir, then renamed into place together
    while holding out_dir's writer lock (:mod:`dedup.locking`), with Ctrl-C held back for those few
    renames. Two runs writing to one folder therefore take turns, and out_dir always holds one
    run's complete set of files, never a mix. Staging folders left by a killed run are removed.

    Args:
        result: The scan to write.
        out_dir: The output folder; created (with the user's umask) when missing.
        root: The scanned folder, recorded in ``scan.json``.
        wait: Wait for another run writing to out_dir to finish (else raise at once).
        on_wait: Called once, with out_dir and the other run, before waiting for it.

    Returns:
        The paths written.

    Raises:
        OutputError: If out_dir cannot be created or written.
        FolderLockedError: If ``wait`` is False and another run is writing to out_dir.
    """
    out = Path(out_dir)
    texts = {
        "pairs.jsonl": jsonl_text(p.to_dict() for p in result.pairs),
        "groups.jsonl": jsonl_text(g.to_dict() for g in result.groups),
        "documents.jsonl": jsonl_text(d.to_dict() for d in result.documents),
        "skipped.jsonl": jsonl_text(s.to_dict() for s in result.skipped),
    }
    if root is not None:
        meta = {k: v for k, v in result.stats.items() if k != "seconds"} | {"root": os.path.abspath(root)}
        texts["scan.json"] = json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        out.mkdir(parents=True, exist_ok=True)
        with folder_lock(out, operation="scan --out", wait=wait, on_wait=on_wait):
            for name in os.listdir(out):  # what a killed run left
                if name.startswith(_STAGING_PREFIX):
                    shutil.rmtree(out / name, ignore_errors=True)
            with staging_dir(out, prefix=_STAGING_PREFIX) as staged:
                for name, text in texts.items():
                    (staged / name).write_bytes(text.encode("utf-8"))
                checkpoint("staged")
                with signals_deferred():
                    for name in texts:
                        os.replace(staged / name, out / name)
                    if root is None:
                        (out / "scan.json").unlink(missing_ok=True)
    except OSError as err:
        where = err.filename or out
        raise OutputError(f"cannot write the scan output to {where}: {err.strerror or err}.") from err
    return [out / name for name in texts]
