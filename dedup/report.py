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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .atomic import write_text_atomic
from .types import ScanResult


def jsonl_text(rows: Iterable[dict[str, Any]]) -> str:
    """One JSON object per line, keys sorted, UTF-8 kept readable."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write rows as JSON lines, atomically."""
    write_text_atomic(Path(path), jsonl_text(rows))


def write_scan(result: ScanResult, out_dir: Path | str, *, root: Path | str | None = None) -> list[Path]:
    """Write ``pairs.jsonl``, ``groups.jsonl``, ``documents.jsonl`` and ``skipped.jsonl`` into out_dir.

    With ``root`` (the scanned folder), also ``scan.json``: the folder's absolute path and the scan's
    stats without timings (so the folder stays byte-identical on a re-run); ``dedup report`` reads it
    to show the articles.

    Returns:
        The paths written.
    """
    out = Path(out_dir)
    files = {
        "pairs.jsonl": [p.to_dict() for p in result.pairs],
        "groups.jsonl": [g.to_dict() for g in result.groups],
        "documents.jsonl": [d.to_dict() for d in result.documents],
        "skipped.jsonl": [s.to_dict() for s in result.skipped],
    }
    written = []
    for name, rows in files.items():
        write_jsonl(out / name, rows)
        written.append(out / name)
    if root is not None:
        meta = {k: v for k, v in result.stats.items() if k != "seconds"} | {"root": os.path.abspath(root)}
        text = json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        write_text_atomic(out / "scan.json", text)
        written.append(out / "scan.json")
    return written
