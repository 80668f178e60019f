"""Bad input never breaks a run: a generated fuzz corpus, CLI exit codes, read-only inputs, determinism.

Everything is made in ``tmp_path`` by the tests; the fake ``HashingEncoder`` stands in for the model
(the CLI's model loader is monkeypatched), so no test here needs the real model.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dedup.encoders.loading
import dedup.io.read
import dedup.io.walk
import dedup.runners.local
from dedup.cli.app import app
from dedup.encoders.base import HashingEncoder
from dedup.runners.local import scan

ARTICLE = (
    "Storm hits the west coast\n\n"
    "A powerful storm swept across the west coast on Monday night, leaving thousands of homes "
    "without power.\n\n"
    "Emergency services received hundreds of calls about fallen trees and flooded roads.\n\n"
    "The power company expects most customers to be reconnected by Wednesday evening."
)
OTHER = (
    "Central bank raises rates\n\n"
    "The central bank raised its key interest rate by half a percentage point on Thursday.\n\n"
    "Economists had expected a smaller increase after inflation slowed in the autumn."
)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256)) * 8


def _tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                h = hashlib.sha256()
                with open(p, "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        h.update(chunk)
                out[str(p.relative_to(root))] = h.hexdigest()
    return out


def _fuzz_corpus(root: Path) -> dict[str, str]:
    """Write every kind of unusable input; return ``name -> expected reason fragment`` of skipped ones."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "good.txt").write_text(ARTICLE, encoding="utf-8")
    (root / "good_copy.md").write_text(ARTICLE.replace("Monday", "Monday"), encoding="utf-8")
    (root / "other.txt").write_text(OTHER, encoding="utf-8")
    (root / "one_line.txt").write_text("Just one line.", encoding="utf-8")
    (root / "crlf_nul_bom.txt").write_bytes(b"\xef\xbb\xbfMixed\r\nline\rendings\n with a NUL\x00 byte.\r\n")
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.txt").write_text("  \n\t\n", encoding="utf-8")
    (root / "binary.txt").write_bytes(os.urandom(4096) + b"\x00" * 512)
    (root / "image.txt").write_bytes(PNG)
    (root / "undecodable.txt").write_bytes(b"\x81\x8d\x8f\x90\x9d\x00\x01\x02\x03\x04\x05\x06" * 200)
    with open(root / "huge_sparse.txt", "wb") as fh:  # 60 MB, costs no disk: all NUL
        fh.truncate(60 * 1024 * 1024)
    (root / "locked.txt").write_text(OTHER, encoding="utf-8")
    (root / "vanishing.txt").write_text(OTHER, encoding="utf-8")
    os.symlink(root / "does_not_exist.txt", root / "broken_link.txt")
    os.symlink(root / "loop_b.txt", root / "loop_a.txt")
    os.symlink(root / "loop_a.txt", root / "loop_b.txt")
    (root / "sub").mkdir()
    os.symlink(root, root / "sub" / "up.txt")  # a folder symlink named like a file, looping back
    (root / "folder.txt").mkdir()  # a folder named like a file
    (root / "folder.txt" / "inside.txt").write_text(OTHER.replace("Thursday", "Friday"), encoding="utf-8")
    (root / "bad.jsonl").write_text('{"text": "fine record"}\n{broken\n', encoding="utf-8")
    return {
        "empty.txt": "empty file",
        "blank.txt": "whitespace-only",
        "binary.txt": "binary",
        "image.txt": "binary",
        "undecodable.txt": "binary",
        "huge_sparse.txt": "binary",
        "locked.txt": "permission denied",
        "vanishing.txt": "vanished",
        "broken_link.txt": "broken symlink",
        "loop_a.txt": "symlink loop",
        "loop_b.txt": "symlink loop",
        "bad.jsonl#2": "invalid JSON",
    }


@pytest.fixture()
def fake_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``locked.txt`` unreadable (chmod does not stop root) and delete ``vanishing.txt`` mid-run."""
    real_open = os.open

    def fake_open(path, flags, *args, **kwargs):  # noqa: ANN001, ANN202
        name = os.path.basename(os.fspath(path))
        if name == "locked.txt":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        if name == "vanishing.txt":
            os.unlink(path)  # listed by the walk, gone when opened
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(dedup.io.read.os, "open", fake_open)


@pytest.fixture()
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's encoder loader returns the deterministic HashingEncoder."""
    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", lambda *a, **k: HashingEncoder())


def test_fuzz_corpus_scan_finishes_and_reports_every_bad_file(tmp_path: Path, fake_unreadable: None) -> None:
    root = tmp_path / "in"
    expected = _fuzz_corpus(root)
    result = scan(root, encoder=HashingEncoder())
    reasons = {os.path.relpath(s.path, root): s.reason for s in result.skipped}
    for name, fragment in expected.items():
        assert name in reasons, f"{name} not reported; skipped: {reasons}"
        assert fragment in reasons[name], (name, reasons[name])
    read = {d.doc_id for d in result.documents}
    assert {"good.txt", "good_copy.md", "other.txt", "one_line.txt", "crlf_nul_bom.txt"} <= read
    assert {"folder.txt/inside.txt", "bad.jsonl#1"} <= read
    assert not read & set(expected)
    members = [set(g.members) for g in result.groups]
    assert sorted(m for g in members for m in g) == sorted(read)  # a partition
    assert any({"good.txt", "good_copy.md"} <= g for g in members)


def test_huge_text_file_is_capped_without_loading_it(tmp_path: Path) -> None:
    line = ("The storm left thousands of homes without power for days. " * 16 + "\n").encode()
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:
        block = line * (1024 * 1024 // len(line) + 1)
        while fh.tell() < 52 * 1024 * 1024:
            fh.write(block)
    tracemalloc.start()
    try:
        docs, skipped = dedup.io.read.read_documents(tmp_path, max_chars=50_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert skipped == []
    assert len(docs[0].text) <= 50_000
    assert docs[0].sha256 == _tree_digest(tmp_path)["huge.txt"]  # the digest covers the whole file
    assert peak < 16 * 1024 * 1024


def test_symlink_outside_folder_needs_follow_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(OTHER, encoding="utf-8")
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_text(ARTICLE, encoding="utf-8")
    os.symlink(outside, root / "link.txt")
    docs, skipped = dedup.io.read.read_documents(root)
    assert [d.doc_id for d in docs] == ["a.txt"]
    assert "outside the scanned folder" in skipped[0].reason
    docs, skipped = dedup.io.read.read_documents(root, follow_symlinks=True)
    assert [d.doc_id for d in docs] == ["a.txt", "link.txt"] and skipped == []


def test_one_document_and_empty_folder(tmp_path: Path) -> None:
    one = tmp_path / "one"
    one.mkdir()
    (one / "a.txt").write_text("Only line.", encoding="utf-8")
    result = scan(one, encoder=HashingEncoder())
    assert [g.members for g in result.groups] == [("a.txt",)] and result.pairs == ()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = scan(empty, encoder=HashingEncoder())
    assert result.documents == () and result.groups == () and result.skipped == ()


def test_cli_fuzz_corpus_exits_0_writes_skipped_and_leaves_inputs_alone(
    tmp_path: Path, fake_unreadable: None, fake_model: None
) -> None:
    root = tmp_path / "in"
    expected = _fuzz_corpus(root)
    os.unlink(root / "vanishing.txt")  # the checksum below must not see the mid-run deletion
    expected.pop("vanishing.txt")
    before = _tree_digest(root)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    rows = [json.loads(line) for line in (out / "skipped.jsonl").read_text().splitlines()]
    reported = {os.path.relpath(r["path"], root) for r in rows}
    assert set(expected) <= reported
    assert "skipped" in result.stderr and "locked.txt" in result.stderr
    assert _tree_digest(root) == before


def test_cli_nothing_readable_exits_1(tmp_path: Path, fake_model: None) -> None:
    root = tmp_path / "in"
    root.mkdir()
    (root / "empty.txt").write_bytes(b"")
    (root / "image.txt").write_bytes(PNG)
    result = CliRunner().invoke(app, ["scan", str(root), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: no readable documents in {root} (2 inputs skipped)."]
    assert len((tmp_path / "out" / "skipped.jsonl").read_text().splitlines()) == 2
    assert "Traceback" not in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert CliRunner().invoke(app, ["scan", str(empty), "--json"]).exit_code == 1


def test_cli_missing_folder_and_unwritable_out_exit_2(tmp_path: Path, fake_model: None) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["scan", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    flat = " ".join(missing.output.replace("│", " ").split())  # typer's usage panel wraps the message
    assert "does not exist" in flat and "Traceback" not in missing.output
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_text(ARTICLE, encoding="utf-8")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    bad_out = runner.invoke(app, ["scan", str(root), "--out", str(blocker / "sub")])
    assert bad_out.exit_code == 2, bad_out.output
    assert [line for line in bad_out.stderr.splitlines() if line.strip()] == [
        line for line in bad_out.stderr.splitlines() if line.startswith("error: cannot write to")
    ]
    assert "Traceback" not in bad_out.output
    assert not (blocker.parent / "sub").exists()


def test_cli_follow_symlinks_and_max_chars_options(tmp_path: Path, fake_model: None) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(OTHER, encoding="utf-8")
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_text(ARTICLE * 20, encoding="utf-8")
    os.symlink(outside, root / "link.txt")
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(app, ["scan", str(root), "-o", str(out), "--max-chars", "1000"]).exit_code == 0
    docs = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()]
    assert [d["doc_id"] for d in docs] == ["a.txt"] and docs[0]["n_chars"] <= 1000
    assert runner.invoke(app, ["scan", str(root), "-o", str(out), "--follow-symlinks"]).exit_code == 0
    docs = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()]
    assert [d["doc_id"] for d in docs] == ["a.txt", "link.txt"]
    assert runner.invoke(app, ["scan", str(root), "--max-chars", "10"]).exit_code == 2


def _copy_seeds_shuffled(src: Path, dst: Path, seed: int) -> None:
    dst.mkdir()
    files = sorted(src.iterdir())
    random.Random(seed).shuffle(files)
    for f in files:  # creation order differs, so does the order of directory entries on most file systems
        shutil.copyfile(f, dst / f.name)
        if f.name.startswith("000"):
            shutil.copyfile(f, dst / f"copy_{f.name}")


def test_same_folder_gives_byte_identical_outputs_whatever_the_listing_order(
    tmp_path: Path, seeds_dir: Path, fake_model: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = []
    real_scandir = os.scandir

    for k in range(3):
        folder = tmp_path / f"in{k}"
        _copy_seeds_shuffled(seeds_dir, folder, seed=k)

        class ShuffledScandir:
            rng = random.Random(100 + k)

            def __init__(self, path):  # noqa: ANN001
                with real_scandir(path) as it:
                    self.entries = list(it)
                self.rng.shuffle(self.entries)

            def __enter__(self):  # noqa: ANN204
                return iter(self.entries)

            def __exit__(self, *exc: object) -> None:
                return None

        monkeypatch.setattr(dedup.io.walk.os, "scandir", ShuffledScandir)
        out = tmp_path / f"out{k}"
        result = CliRunner().invoke(app, ["scan", str(folder), "--out", str(out)])
        assert result.exit_code == 0, result.output
        outputs.append({name: (out / name).read_bytes() for name in ("pairs.jsonl", "groups.jsonl")})
    assert outputs[0] == outputs[1] == outputs[2]
    assert b"copy_000" in outputs[0]["pairs.jsonl"]


def test_cli_nothing_readable_names_the_endings_it_passed_over(tmp_path: Path, fake_model: None) -> None:
    root = tmp_path / "in"
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "a.png").write_bytes(PNG)
    (root / "photos" / "b.png").write_bytes(PNG)
    (root / "story.wpd").write_bytes(b"\xffWPC WordPerfect")
    result = CliRunner().invoke(app, ["scan", str(root)])
    assert result.exit_code == 1
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "3 passed over for their ending (.png 2, .wpd 1)" in error
