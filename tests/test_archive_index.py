"""Archive index: build, add, remove round trip; scan --against finds archived duplicates.

The writer tests run ``dedup`` in processes of their own (``tests/cli_process.py``, fake encoder)
and pause them at named checkpoints, so a second writer or a signal arrives at a known point.
"""

from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

import numpy as np
import pytest
from cli_process import (
    file_bytes,
    finish,
    nonblank_lines,
    read_line,
    start_dedup,
    wait_until_paused,
    write_articles,
)
from typer.testing import CliRunner

import dedup.encoders.loading
import dedup.runners.archive_index
import dedup.runners.local
from dedup.encoders.base import HashingEncoder
from dedup.errors import IndexMismatchError, InputError
from dedup.io.index_maintenance import index_doc_ids, index_info, repair_index, verify_index
from dedup.io.index_store import IndexDamagedError, open_index
from dedup.runners.archive_index import (
    ARCHIVE_PREFIX,
    add_to_index,
    build_index,
    remove_from_index,
    scan_against,
)

ARCHIVE = {
    "storm.txt": "A storm hit the western coast on Monday night.\nThousands of homes lost power for hours.\n"
    "Schools in three counties stayed closed on Tuesday.",
    "bank.txt": "The central bank raised its key interest rate by half a point.\n"
    "Markets had expected a smaller move.\nThe governor said inflation was still too high.",
    "tram.txt": "The city council approved a new budget for public transport.\n"
    "Bus fares will not rise next year.\nTwo new tram lines are planned for the eastern suburbs.",
}
NEW = {
    "copy.txt": ARCHIVE["bank.txt"].replace("half a point", "half a percentage point"),
    "fresh.txt": "Scientists found a new species of frog in the northern rain forest.\n"
    "The frog is smaller than a thumbnail.\nIt was discovered during a night survey.",
}


def test_build_add_remove_round_trip(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    enc = HashingEncoder()
    summary = build_index(ARCHIVE, idx, encoder=enc)
    assert summary["n_docs"] == 3
    assert index_doc_ids(idx) == sorted(ARCHIVE)
    add_to_index(idx, NEW, encoder=enc)
    assert index_doc_ids(idx) == sorted(ARCHIVE | NEW)
    assert remove_from_index(idx, ["copy.txt", "unknown.txt"]) == ["copy.txt"]
    assert index_doc_ids(idx) == sorted(ARCHIVE | {"fresh.txt": ""})
    add_to_index(idx, {"copy.txt": NEW["copy.txt"]}, encoder=enc)  # re-adding undoes the removal
    assert index_doc_ids(idx) == sorted(ARCHIVE | NEW)
    manifest = json.loads((idx / "manifest.json").read_text())
    assert manifest["model"] == enc.name and len(manifest["shards"]) == 3
    for shard in manifest["shards"]:
        emb = np.load(idx / shard / "embeddings.npy")
        assert emb.dtype == np.float32 and emb.shape[1] == 256


def test_scan_against_finds_duplicate_of_archived_doc(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    result = scan_against(NEW, idx, encoder=HashingEncoder())
    pairs = {(p.doc_a, p.doc_b): p for p in result.pairs}
    assert (f"{ARCHIVE_PREFIX}bank.txt", "copy.txt") in pairs
    assert all(not (a.startswith(ARCHIVE_PREFIX) and b.startswith(ARCHIVE_PREFIX)) for a, b in pairs)
    assert not any("fresh.txt" in key for key in pairs)
    assert result.stats["against"]["n_archived"] == 3
    grouped = [set(g.members) for g in result.groups]
    assert {f"{ARCHIVE_PREFIX}bank.txt", "copy.txt"} in grouped


def test_scan_against_after_removal_no_longer_matches(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    remove_from_index(idx, ["bank.txt"])
    result = scan_against(NEW, idx, encoder=HashingEncoder())
    assert not result.pairs


def test_scan_against_does_not_reembed_the_archive(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())

    class Counting(HashingEncoder):
        seen: list[str] = []

        def encode(self, sentences, *, batch_size=32):  # noqa: ANN001, ANN202
            self.seen.extend(sentences)
            return super().encode(sentences, batch_size=batch_size)

    enc = Counting()
    from dedup.config import ScanConfig

    scan_against(NEW, idx, encoder=enc, config=ScanConfig(use_cache=False))
    assert enc.seen and not set(enc.seen) & {s for t in ARCHIVE.values() for s in t.split("\n")} - {
        s for t in NEW.values() for s in t.split("\n")
    }


def test_model_mismatch_is_refused(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder(dim=256))
    with pytest.raises(IndexMismatchError, match="built with model"):
        scan_against(NEW, idx, encoder=HashingEncoder(dim=128))
    with pytest.raises(IndexMismatchError):
        add_to_index(idx, NEW, encoder=HashingEncoder(dim=128))


def test_cli_index_commands_and_scan_against(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup.cli.app import app

    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", lambda *a, **k: HashingEncoder())
    old, new = tmp_path / "old", tmp_path / "new"
    for folder, texts in ((old, ARCHIVE), (new, NEW)):
        folder.mkdir()
        for name, text in texts.items():
            (folder / name).write_text(text, encoding="utf-8")
    idx = tmp_path / "idx"
    runner = CliRunner()
    r = runner.invoke(app, ["index", "build", str(old), "--index", str(idx)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["scan", str(new), "--against", str(idx), "--json"])
    assert r.exit_code == 0, r.output
    groups = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    assert any(set(g["members"]) == {"archive:bank.txt", "copy.txt"} for g in groups)
    r = runner.invoke(app, ["index", "add", str(idx), str(new)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["index", "remove", str(idx), "copy.txt"])
    assert r.exit_code == 0, r.output
    assert index_doc_ids(idx) == sorted([*ARCHIVE, "fresh.txt"])
    r = runner.invoke(app, ["scan", str(new), "--against", str(tmp_path / "nothing")])
    assert r.exit_code != 0


# --- writers in separate processes: locking, interruption, damage -----------------------------------


def test_two_concurrent_adds_both_land(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    one = write_articles(tmp_path / "one", "one", 30)
    two = write_articles(tmp_path / "two", "two", 30)
    first, pause = start_dedup(
        ["index", "add", str(idx), str(tmp_path / "one")], tmp_path, pause_at="locked:index add", name="first"
    )
    pid = wait_until_paused(first, pause)  # holds the lock
    second, _ = start_dedup(["index", "add", str(idx), str(tmp_path / "two")], tmp_path, name="second")
    waiting = read_line(second.stderr)
    assert "waiting for process" in waiting and str(pid) in waiting and "index add" in waiting
    (pause / "go").touch()
    for proc in (first, second):
        code, _, err = finish(proc)
        assert code == 0, err
        assert "Traceback" not in err
    assert index_doc_ids(idx) == sorted(ARCHIVE | one | two)
    manifest = json.loads((idx / "manifest.json").read_text())
    assert manifest["shards"] == ["shard-00001", "shard-00002", "shard-00003"]
    assert verify_index(idx).ok


def test_no_wait_refuses_with_one_line(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    one = write_articles(tmp_path / "one", "one", 3)
    write_articles(tmp_path / "two", "two", 3)
    first, pause = start_dedup(
        ["index", "add", str(idx), str(tmp_path / "one")], tmp_path, pause_at="locked:index add", name="first"
    )
    pid = wait_until_paused(first, pause)
    second, _ = start_dedup(
        ["index", "add", str(idx), str(tmp_path / "two"), "--no-wait"], tmp_path, name="second"
    )
    code, out, err = finish(second)
    assert code == 1
    assert len(nonblank_lines(err)) == 1 and not out
    assert err.startswith("error:") and f"process {pid}" in err and "--no-wait" in err
    (pause / "go").touch()
    assert finish(first)[0] == 0
    assert index_doc_ids(idx) == sorted(ARCHIVE | one)  # the refused add changed nothing


def test_sigint_after_staging_leaves_the_index_unchanged(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    write_articles(tmp_path / "one", "one", 5)
    before = file_bytes(idx)
    proc, pause = start_dedup(["index", "add", str(idx), str(tmp_path / "one")], tmp_path, pause_at="staged")
    wait_until_paused(proc, pause)
    staged = [p for p in idx.iterdir() if p.name.startswith(".staging-")]
    assert len(staged) == 1 and (staged[0] / "embeddings.npy").exists()  # the new shard is written
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130
    assert len(nonblank_lines(err)) == 1 and "interrupted" in err and "Traceback" not in err
    assert file_bytes(idx) == before  # nothing staged is left and nothing listed changed
    assert index_doc_ids(idx) == sorted(ARCHIVE)
    result = scan_against(NEW, idx, encoder=HashingEncoder())
    assert (f"{ARCHIVE_PREFIX}bank.txt", "copy.txt") in {(p.doc_a, p.doc_b) for p in result.pairs}


def test_kill_after_staging_leftovers_are_cleaned_by_the_next_writer(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    one = write_articles(tmp_path / "one", "one", 5)
    proc, pause = start_dedup(["index", "add", str(idx), str(tmp_path / "one")], tmp_path, pause_at="staged")
    wait_until_paused(proc, pause)
    proc.kill()  # no cleanup runs
    proc.communicate()
    leftovers = [p.name for p in idx.iterdir() if p.name.startswith(".staging-")]
    assert len(leftovers) == 1
    assert index_doc_ids(idx) == sorted(ARCHIVE)  # still the previous index
    report = verify_index(idx)
    assert report.ok and report.unlisted == tuple(leftovers)
    add_to_index(idx, tmp_path / "one", encoder=HashingEncoder())  # the lock was freed by the kill
    assert not [p for p in idx.iterdir() if p.name.startswith(".staging-")]
    assert index_doc_ids(idx) == sorted(ARCHIVE | one)


def test_truncated_shard_is_named_by_verify_and_refused_by_scan(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    add_to_index(idx, NEW, encoder=HashingEncoder())
    emb = idx / "shard-00002" / "embeddings.npy"
    emb.write_bytes(emb.read_bytes()[: emb.stat().st_size // 2])
    new = tmp_path / "new"
    new.mkdir()
    (new / "x.txt").write_text(NEW["copy.txt"], encoding="utf-8")

    code, out, err = finish(start_dedup(["index", "verify", str(idx)], tmp_path, name="verify")[0])
    assert code == 1
    problems = nonblank_lines(out)
    assert len(problems) == 1 and "shard-00002/embeddings.npy" in problems[0]
    assert "shard-00001" not in out and "Traceback" not in err

    code, out, err = finish(start_dedup(["scan", str(new), "--against", str(idx)], tmp_path, name="scan")[0])
    assert code == 1
    assert len(nonblank_lines(err)) == 1 and err.startswith("error:") and "Traceback" not in err
    assert "shard-00002/embeddings.npy" in err and f"dedup index build ARCHIVE --index {idx}" in err

    with pytest.raises(IndexDamagedError, match="shard-00002"):
        add_to_index(idx, {"z.txt": "Another article.\nWith two lines."}, encoder=HashingEncoder())
    repaired = repair_index(idx)
    assert repaired.dropped == ("shard-00002",) and repaired.lost_doc_ids == tuple(sorted(NEW))
    assert verify_index(idx).ok and index_doc_ids(idx) == sorted(ARCHIVE)


def test_verify_finds_changed_bytes_and_reader_checks_are_cheap(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    vectors = idx / "shard-00001" / "doc_vectors.npy"
    data = bytearray(vectors.read_bytes())
    data[-1] ^= 0xFF  # same size, other bytes: only the checksum can tell
    vectors.write_bytes(bytes(data))
    report = verify_index(idx)
    assert not report.ok and report.damaged_shards == ("shard-00001",)
    assert report.problems[0].file == "doc_vectors.npy" and "SHA-256" in report.problems[0].problem


def test_shards_and_index_folder_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        build_index(ARCHIVE, tmp_path / "idx", encoder=HashingEncoder())
    finally:
        os.umask(old)
    shard = tmp_path / "idx" / "shard-00001"
    assert stat.S_IMODE(shard.stat().st_mode) == 0o775
    assert stat.S_IMODE((tmp_path / "idx").stat().st_mode) == 0o775
    assert stat.S_IMODE((shard / "docs.jsonl").stat().st_mode) == 0o664


def test_build_replaces_an_index_but_not_anotherfolder(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    (idx / "shard-00001" / "docs.jsonl").write_text("not json\n")  # damaged: a rebuild must still work
    build_index(NEW, idx, encoder=HashingEncoder())
    assert index_doc_ids(idx) == sorted(NEW)
    assert sorted(p.name for p in idx.iterdir()) == [".dedup.lock", "manifest.json", "shard-00002"]
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(InputError, match="not a dedup index"):
        build_index(NEW, other, encoder=HashingEncoder())
    assert sorted(p.name for p in other.iterdir()) == [".dedup.lock", "cat.jpg"]


def test_reader_that_read_a_replaced_manifest_reads_the_new_one(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    stale = json.loads((idx / "manifest.json").read_text())
    build_index(NEW, idx, encoder=HashingEncoder())  # deletes shard-00001
    snapshot = open_index(idx, stale)
    assert list(snapshot.shards) == ["shard-00002"]


def test_index_info(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    add_to_index(idx, NEW, encoder=HashingEncoder())
    remove_from_index(idx, ["fresh.txt"])
    info = index_info(idx, ids=True)
    assert info.n_docs == 4 and info.doc_ids == tuple(sorted([*ARCHIVE, "copy.txt"]))
    assert [(s.name, s.n_docs) for s in info.shards] == [("shard-00001", 3), ("shard-00002", 2)]
    assert info.model == "hashing-256-3" and info.encoder is None and info.dim == 256 and info.n_removed == 1
    assert info.size_bytes >= sum(s.size_bytes for s in info.shards) > 0
    assert info.changed == json.loads((idx / "manifest.json").read_text())["changed"]
    assert "doc_ids" not in index_info(idx).to_dict()


def test_sigterm_during_remove_leaves_the_index_unchanged(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build_index(ARCHIVE, idx, encoder=HashingEncoder())
    before = file_bytes(idx)
    proc, pause = start_dedup(
        ["index", "remove", str(idx), "bank.txt"], tmp_path, pause_at="locked:index remove"
    )
    wait_until_paused(proc, pause)
    proc.send_signal(signal.SIGTERM)
    code, _, err = finish(proc)
    assert code == 143 and len(nonblank_lines(err)) == 1 and "Traceback" not in err
    assert file_bytes(idx) == before and index_doc_ids(idx) == sorted(ARCHIVE)
    code, _, err = finish(start_dedup(["index", "remove", str(idx), "bank.txt"], tmp_path, name="again")[0])
    assert code == 0, err
    assert index_doc_ids(idx) == sorted(set(ARCHIVE) - {"bank.txt"})


def test_index_takes_several_paths_and_single_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dedup
    from dedup.cli.app import app

    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", lambda *a, **k: HashingEncoder())
    old = tmp_path / "old"
    old.mkdir()
    for name, text in ARCHIVE.items():
        (old / name).write_text(text, encoding="utf-8")
    dump = tmp_path / "new.jsonl"
    dump.write_text(
        "".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in NEW.items()), encoding="utf-8"
    )
    idx = tmp_path / "idx"
    runner = CliRunner()
    r = runner.invoke(
        app, ["index", "build", str(old / "bank.txt"), str(old / "storm.txt"), "--index", str(idx)]
    )
    assert r.exit_code == 0, r.output
    assert index_doc_ids(idx) == ["bank.txt", "storm.txt"]
    result = dedup.scan(dump, against=idx, encoder=HashingEncoder())  # the API keyword of --against
    assert any(set(g.members) == {"archive:bank.txt", "new.jsonl#copy.txt"} for g in result.groups)
    r = runner.invoke(app, ["index", "add", str(idx), str(dump)])
    assert r.exit_code == 0, r.output
    assert index_doc_ids(idx) == ["bank.txt", "new.jsonl#copy.txt", "new.jsonl#fresh.txt", "storm.txt"]
