"""The CLI's one error handler: one line per failure, exit codes by kind, tracebacks only on request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dedup.io.index_maintenance
from dedup.cli.app import app
from dedup.encoders.base import HashingEncoder
from dedup.errors import InputError
from dedup.runners.archive_index import build_index

DOCS = {
    "storm.txt": "A storm hit the western coast on Monday night.\nThousands of homes lost power for hours.",
    "bank.txt": "The central bank raised its key interest rate.\nMarkets had expected a smaller move.",
}


@pytest.fixture()
def idx(tmp_path: Path) -> Path:
    path = tmp_path / "idx"
    build_index(DOCS, path, encoder=HashingEncoder())
    return path


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _raise(err: BaseException):  # noqa: ANN202
    def fail(*args: object, **kwargs: object) -> None:
        raise err

    return fail


def test_unexpected_error_is_one_line_naming_where(idx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup.io.index_maintenance, "_folder_size", _raise(RuntimeError("boom [x]")))
    r = CliRunner().invoke(app, ["index", "info", str(idx)])
    assert r.exit_code == 70
    assert len(_lines(r.stderr)) == 1 and "Traceback" not in r.stderr
    line = r.stderr.strip()
    assert line.startswith("error: unexpected RuntimeError in dedup/io/index_maintenance.py:")
    assert "(index_info): boom [x]" in line and "-v" in line  # markup-like text shown as it is


def test_verbose_and_log_file_keep_the_traceback(
    idx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dedup.io.index_maintenance, "_folder_size", _raise(RuntimeError("boom")))
    r = CliRunner().invoke(app, ["-v", "index", "info", str(idx)])
    assert r.exit_code == 70
    assert "Traceback" in r.stderr and "RuntimeError: boom" in r.stderr
    r = CliRunner().invoke(app, ["index", "info", str(idx), "-v"])  # the command's own -v too
    assert r.exit_code == 70 and "Traceback" in r.stderr
    log = tmp_path / "dedup.log"
    r = CliRunner().invoke(app, ["--log-file", str(log), "index", "info", str(idx)])
    assert r.exit_code == 70
    assert len(_lines(r.stderr)) == 1 and str(log) in r.stderr
    assert "Traceback" in log.read_text() and "RuntimeError: boom" in log.read_text()


def test_os_error_exits_1_with_the_file(idx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    err = PermissionError(13, "Permission denied", "/archive/idx/shard-00001")
    monkeypatch.setattr(dedup.io.index_maintenance, "_folder_size", _raise(err))
    r = CliRunner().invoke(app, ["index", "info", str(idx)])
    assert r.exit_code == 1
    assert _lines(r.stderr) == [r.stderr.strip()]
    assert "Permission denied (/archive/idx/shard-00001)" in r.stderr and "Traceback" not in r.stderr


def test_ctrl_c_exits_130_with_one_line(idx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup.io.index_maintenance, "_folder_size", _raise(KeyboardInterrupt()))
    r = CliRunner().invoke(app, ["index", "info", str(idx)])
    assert r.exit_code == 130
    assert len(_lines(r.stderr)) == 1 and "interrupted" in r.stderr


def test_dedup_error_from_any_command_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_index = tmp_path / "plain"
    not_index.mkdir()
    r = CliRunner().invoke(app, ["index", "verify", str(not_index)])
    assert r.exit_code == 1
    assert _lines(r.stderr) == [f"error: {not_index} is not a dedup index (manifest.json is missing). "
                                f"Create one with `dedup index build ARCHIVE --index {not_index}`."]
    # raised where no command catches it: the group's handler still gives one line and exit 1
    monkeypatch.setattr(dedup.io.index_maintenance, "index_info", _raise(InputError("gone")))
    r = CliRunner().invoke(app, ["index", "info", str(not_index)])
    assert r.exit_code == 1 and _lines(r.stderr) == ["error: gone"]


def test_index_info_text_and_json(idx: Path) -> None:
    r = CliRunner().invoke(app, ["index", "info", str(idx), "--json", "--ids"])
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["n_docs"] == 2 and info["doc_ids"] == sorted(DOCS) and info["model"] == "hashing-256-3"
    assert [s["name"] for s in info["shards"]] == ["shard-00001"] and info["size_bytes"] > 0
    r = CliRunner().invoke(app, ["index", "info", str(idx)])
    assert r.exit_code == 0
    assert "documents  2 " in r.stdout and "shard-00001 (2 docs" in r.stdout and "changed" in r.stdout
    assert "bank.txt" not in r.stdout  # ids only with --ids


def test_index_verify_ok(idx: Path) -> None:
    r = CliRunner().invoke(app, ["index", "verify", str(idx)])
    assert r.exit_code == 0
    assert r.stdout.strip() == "ok: 1 shards and 2 documents match the manifest"


def test_index_repair_drops_the_damaged_shard(idx: Path) -> None:
    r = CliRunner().invoke(app, ["index", "repair", str(idx)])
    assert r.exit_code == 0 and "nothing to repair" in r.stderr
    docs = idx / "shard-00001" / "docs.jsonl"
    first = json.loads(docs.read_text().splitlines()[0])["doc_id"]
    docs.write_bytes(docs.read_bytes()[:-10])  # the last record no longer parses
    r = CliRunner().invoke(app, ["index", "verify", str(idx)])
    assert r.exit_code == 1 and "damaged: shard-00001/docs.jsonl" in r.stdout
    r = CliRunner().invoke(app, ["index", "repair", str(idx)])
    assert r.exit_code == 0 and "dropped shard-00001" in r.stderr
    assert r.stdout.split() == [first]  # the ids of the dropped shard that can still be read
    assert CliRunner().invoke(app, ["index", "verify", str(idx)]).exit_code == 0


def test_model_languages_names_each_identifiable_language_and_its_mean_source():
    r = CliRunner().invoke(app, ["model", "languages", "--json"])
    assert r.exit_code == 0, r.output
    sources = json.loads(r.stdout)
    assert {"en", "is", "eu", "nb", "nn", "sah", "km", "sw"} <= set(sources)
    assert "und" not in sources and "bs" not in sources  # Bosnian is reported as hr
    assert sources["en"] == sources["ja"] == "training corpus"
    assert sources["cy"] == sources["th"] == "treebank"
    assert sources["km"] == sources["sw"] == "estimated: udhr"
    assert set(sources.values()) <= {"training corpus", "treebank", "estimated: udhr", "none"}
