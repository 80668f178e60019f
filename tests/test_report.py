"""write_scan: two runs into one output folder take turns; an interrupted write keeps the old set."""

from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

from cli_process import (
    file_bytes,
    finish,
    nonblank_lines,
    read_line,
    start_dedup,
    wait_until_paused,
    write_articles,
)

from dedup.encoders.base import HashingEncoder
from dedup.io.scan_files import write_scan
from dedup.runners.local import scan

OUT_FILES = ["documents.jsonl", "groups.jsonl", "pairs.jsonl", "scan.json", "skipped.jsonl"]


def _ids(out: Path) -> set[str]:
    return {json.loads(line)["doc_id"] for line in (out / "documents.jsonl").read_text().splitlines()}


def _members(out: Path) -> set[str]:
    groups = [json.loads(line) for line in (out / "groups.jsonl").read_text().splitlines()]
    return {m for g in groups for m in g["members"]}


def test_two_scans_into_one_out_take_turns(tmp_path: Path) -> None:
    one = write_articles(tmp_path / "one", "one", 4)
    two = write_articles(tmp_path / "two", "two", 6)
    out = tmp_path / "out"
    first, pause = start_dedup(["scan", str(tmp_path / "one"), "-o", str(out)], tmp_path,
                          pause_at="locked:scan --out", name="first")
    pid = wait_until_paused(first, pause)  # holds OUT's lock, has written nothing yet
    second, _ = start_dedup(["scan", str(tmp_path / "two"), "-o", str(out)], tmp_path, name="second")
    waiting = read_line(second.stderr)
    assert "waiting for process" in waiting and str(pid) in waiting
    (pause / "go").touch()
    assert finish(first)[0] == 0
    code, _, err = finish(second)
    assert code == 0, err
    # the second run wrote last: every file is its own, none left from the first
    assert _ids(out) == _members(out) == set(two) and not _ids(out) & set(one)
    assert json.loads((out / "scan.json").read_text())["root"] == str(tmp_path / "two")
    assert sorted(p.name for p in out.iterdir()) == [".dedup.lock", *OUT_FILES]


def test_interrupted_write_keeps_the_previous_set(tmp_path: Path) -> None:
    write_articles(tmp_path / "one", "one", 4)
    write_articles(tmp_path / "two", "two", 6)
    out = tmp_path / "out"
    write_scan(scan(tmp_path / "one", encoder=HashingEncoder()), out, root=tmp_path / "one")
    before = file_bytes(out)
    proc, pause = start_dedup(["scan", str(tmp_path / "two"), "-o", str(out)], tmp_path, pause_at="staged")
    wait_until_paused(proc, pause)  # all five files staged, none renamed yet
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130 and len(nonblank_lines(err)) == 1
    assert file_bytes(out) == before
    assert sorted(p.name for p in out.iterdir()) == [".dedup.lock", *OUT_FILES]


def test_output_folder_follows_the_umask_and_stale_scan_json_goes(tmp_path: Path) -> None:
    write_articles(tmp_path / "one", "one", 3)
    result = scan(tmp_path / "one", encoder=HashingEncoder())
    old = os.umask(0o002)
    try:
        write_scan(result, tmp_path / "out" / "sub", root=tmp_path / "one")
    finally:
        os.umask(old)
    out = tmp_path / "out" / "sub"
    assert stat.S_IMODE(out.stat().st_mode) == 0o775
    assert stat.S_IMODE((out / "pairs.jsonl").stat().st_mode) == 0o664
    write_scan(result, out)  # no root: a scan.json describing another run must not stay
    assert not (out / "scan.json").exists()
