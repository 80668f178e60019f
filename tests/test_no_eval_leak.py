"""The evaluation sets stay outside the project: no line of ../shared/eval is in a tracked file.

Validation data that leaks into code, tests, training pools or comments stops measuring
generalisation. Lines (and tab-separated fields) longer than 30 characters with at least 10
letters count; shorter ones and rulers such as ``# ----`` are too generic to mean a copy. The
seed articles are exempt only while they are byte-identical to ``../shared/seeds``, where the
project takes them from.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"
MIN_CHARS = 30
MIN_LETTERS = 10

needs_shared = pytest.mark.skipif(not EVAL.is_dir(), reason="../shared/eval is not present")


def _distinctive(line: str) -> bool:
    text = line.strip()
    if text.startswith(("import ", "from ")):  # the eval scripts' imports are everyone's imports
        return False
    return len(text) > MIN_CHARS and sum(ch.isalpha() for ch in text) >= MIN_LETTERS


def _eval_lines() -> set[str]:
    lines: set[str] = set()
    for path in sorted(EVAL.rglob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for line in text.splitlines():
            for piece in [line, *line.split("\t")]:
                if _distinctive(piece):
                    lines.add(piece.strip())
    return lines


def _tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout
    return [ROOT / name for name in out.split("\0") if name]


def _is_verbatim_seed(path: Path) -> bool:
    if path.parent != ROOT / "seeds":
        return False
    shared_copy = SHARED / "seeds" / path.name
    return shared_copy.is_file() and shared_copy.read_bytes() == path.read_bytes()


@needs_shared
def test_no_line_of_the_eval_sets_is_in_a_tracked_file() -> None:
    eval_lines = _eval_lines()
    assert len(eval_lines) > 1000, "the eval sets were not read"
    leaks: list[str] = []
    for path in _tracked_files():
        if _is_verbatim_seed(path):
            continue
        try:
            content = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        leaks += [f"{path.relative_to(ROOT)}: {line[:80]!r}" for line in eval_lines if line in content]
    assert not leaks, "lines of ../shared/eval found in tracked files:\n" + "\n".join(leaks)


def test_distinctive_lines_need_length_and_letters() -> None:
    assert _distinctive("The minister said the plan would be presented in May.")
    assert not _distinctive("# " + "-" * 60)
    assert not _distinctive("Short line.")
    assert not _distinctive("import xml.etree.ElementTree as ElementTreeModule")
