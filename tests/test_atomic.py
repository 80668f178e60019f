from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dedup.errors import OutputError
from dedup.io.atomic import atomic_path, write_text_atomic


def test_new_file_gets_open_permissions_not_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "sub" / "groups.jsonl", "x\n")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "sub" / "groups.jsonl").stat().st_mode)
    assert mode == 0o644


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "manifest.csv"
    target.write_text("old\n")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.csv"]


def test_unwritable_folder_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    with pytest.raises(OutputError, match="cannot write to"):
        write_text_atomic(blocker / "out.txt", "x")
