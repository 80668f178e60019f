"""Run ``dedup ARGS...`` in a process of its own, with the fake encoder and an optional pause point.

The process tests start this file with ``python tests/cli_process.py ARGS...`` (through
:func:`start_dedup`); it behaves as the ``dedup`` command except that the encoder is
:class:`~dedup.encoders.base.HashingEncoder` (no model). The other functions here help those tests.

Environment:
    DEDUP_TEST_PAUSE_AT: a checkpoint name (see :func:`dedup.io.locking.checkpoint`, e.g. ``staged``
        or ``locked:index add``). On reaching it the process writes its pid to
        ``$DEDUP_TEST_PAUSE_DIR/reached`` and waits until ``$DEDUP_TEST_PAUSE_DIR/go`` exists.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import dedup.encoders.loading
import dedup.io.locking
from dedup.encoders.base import HashingEncoder

ROOT = Path(__file__).resolve().parent.parent


def write_articles(path: Path, prefix: str, n: int) -> dict[str, str]:
    """n distinct articles named ``<prefix>-<i>.txt`` written into ``path``; returns {doc_id: text}."""
    path.mkdir()
    docs = {f"{prefix}-{i}.txt": f"Report {prefix} number {i} about the harbour.\n"
            f"The {prefix} committee met {i} times this year.\nNothing else of note happened in week {i}."
            for i in range(n)}
    for name, text in docs.items():
        (path / name).write_text(text, encoding="utf-8")
    return docs


def start_dedup(args: list[str], tmp_path: Path, *, pause_at: str | None = None,
                name: str = "p") -> tuple[subprocess.Popen[str], Path]:
    """Start ``dedup ARGS`` (fake encoder) as a process of its own, optionally pausing at a checkpoint."""
    pause_dir = tmp_path / f"pause-{name}"
    pause_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DEDUP_HOME": str(tmp_path / "home"), "COLUMNS": "300",
           "NO_COLOR": "1"}
    if pause_at is not None:
        env |= {"DEDUP_TEST_PAUSE_AT": pause_at, "DEDUP_TEST_PAUSE_DIR": str(pause_dir)}
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    return proc, pause_dir


def wait_until_paused(proc: subprocess.Popen[str], pause_dir: Path, timeout: float = 120) -> int:
    """Block until ``proc`` reports it reached its pause point; returns its pid."""
    deadline = time.monotonic() + timeout
    while not (pause_dir / "reached").exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"exited {proc.returncode} before its pause point:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("never reached its pause point")
        time.sleep(0.02)  # polls for the file the child writes; the child itself is what we wait for
    return int((pause_dir / "reached").read_text())


def read_line(stream: Any, timeout: float = 120) -> str:
    """The next line of a child's output; fails the test if none comes within ``timeout`` seconds."""
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "no line within the timeout"
    return stream.readline()


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for ``proc``; returns its exit code, stdout and stderr."""
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def nonblank_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def file_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (the lock file aside) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".dedup.lock"}


def _pause_at(name: str, folder: Path) -> None:
    def hook(reached: str) -> None:
        if reached != name:
            return
        (folder / "reached.tmp").write_text(str(os.getpid()))
        os.replace(folder / "reached.tmp", folder / "reached")
        while not (folder / "go").exists():
            time.sleep(0.01)

    dedup.io.locking._hook = hook


if __name__ == "__main__":
    # Ctrl-C as a terminal delivers it, even where the test runner was started with SIGINT ignored
    # (a background job of a non-interactive shell, nohup): Python leaves an inherited SIG_IGN as it
    # is, and the SIGINT the process tests send would then never arrive.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    dedup.encoders.loading.load_encoder = lambda *args, **kwargs: HashingEncoder()
    if os.environ.get("DEDUP_TEST_PAUSE_AT"):
        _pause_at(os.environ["DEDUP_TEST_PAUSE_AT"], Path(os.environ["DEDUP_TEST_PAUSE_DIR"]))
    from dedup.cli.app import app

    app(prog_name="dedup")
