"""Archive index: build, add, remove round trip; scan --against finds archived duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import dedup.archive_index
import dedup.model
import dedup.pipeline
from dedup.archive_index import (
    ARCHIVE_PREFIX,
    add_to_index,
    build_index,
    index_doc_ids,
    remove_from_index,
    scan_against,
)
from dedup.embed import HashingEncoder
from dedup.errors import IndexMismatchError

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
    from dedup.cli import app

    monkeypatch.setattr(dedup.model, "load_encoder", lambda *a, **k: HashingEncoder())
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


def test_index_takes_several_paths_and_single_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dedup
    from dedup.cli import app

    monkeypatch.setattr(dedup.model, "load_encoder", lambda *a, **k: HashingEncoder())
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
