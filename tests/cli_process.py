"""Run ``dedup ARGS...`` in a process of its own, with the fake encoder and an optional pause point.

The process tests start this file with ``python tests/cli_process.py ARGS...``; it behaves as the
``dedup`` command except that the encoder is :class:`~dedup.embed.HashingEncoder` (no model).

Environment:
    DEDUP_TEST_PAUSE_AT: a checkpoint name (see :func:`dedup.locking.checkpoint`, e.g. ``staged``
        or ``locked:index add``). On reaching it the process writes its pid to
        ``$DEDUP_TEST_PAUSE_DIR/reached`` and waits until ``$DEDUP_TEST_PAUSE_DIR/go`` exists.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import dedup.locking
import dedup.model
from dedup.embed import HashingEncoder


def _pause_at(name: str, folder: Path) -> None:
    def hook(reached: str) -> None:
        if reached != name:
            return
        (folder / "reached.tmp").write_text(str(os.getpid()))
        os.replace(folder / "reached.tmp", folder / "reached")
        while not (folder / "go").exists():
            time.sleep(0.01)

    dedup.locking._hook = hook


if __name__ == "__main__":
    dedup.model.load_encoder = lambda *args, **kwargs: HashingEncoder()
    if os.environ.get("DEDUP_TEST_PAUSE_AT"):
        _pause_at(os.environ["DEDUP_TEST_PAUSE_AT"], Path(os.environ["DEDUP_TEST_PAUSE_DIR"]))
    from dedup.cli import app

    app(prog_name="dedup")
