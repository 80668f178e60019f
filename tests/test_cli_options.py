"""Tests of dedup.cli.app that concern every command: help at 80 columns, one vocabulary with the
library, eval output, and scanning a single file or several paths (fake encoder, no model)."""

from __future__ import annotations

import inspect
import json
from dataclasses import fields
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

import dedup
import dedup.encoders.loading
from dedup.cli.app import app
from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from dedup.errors import InvalidParameterError

STORM = "Storm hits the coast.\nThousands lost power overnight.\nSchools are closed on Monday."
BANK = "The central bank raised interest rates by half a point on Thursday.\nMarkets fell."
# Options of `dedup scan` that choose where results go or how the run executes, not what it finds.
_NOT_RESULT_OPTIONS = {
    "paths",
    "out",
    "out_format",
    "as_json",
    "html",
    "verbose",
    "backend",
    "ray_address",
    "gpus_per_worker",
    "workers",
}


@pytest.fixture()
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", lambda *a, **k: HashingEncoder())


def _commands() -> list[tuple[list[str], click.Command]]:
    """Every leaf command with its argv prefix (``["index", "build"]``, ...)."""
    out: list[tuple[list[str], click.Command]] = []

    def walk(prefix: list[str], cmd: click.Command) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in sorted(cmd.commands.items()):
                walk([*prefix, name], sub)
        else:
            out.append((prefix, cmd))

    walk([], typer.main.get_command(app))
    return out


def test_every_command_is_listed() -> None:
    names = {" ".join(p) for p, _ in _commands()}
    assert {"scan", "archive", "eval", "eval-pairs", "eval-bitext", "index build", "index add"} <= names


@pytest.mark.parametrize("argv", [p for p, _ in _commands()], ids=lambda p: " ".join(p))
def test_help_is_readable_at_80_columns(argv: list[str]) -> None:
    result = CliRunner().invoke(app, [*argv, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    # option help: every line of a help text but its last is at least 30 characters wide
    start = lines.index("Options:") + 1
    entries: list[list[str]] = []
    for line in lines[start:]:
        if not line.strip():
            break
        if line.startswith("  -"):
            option, _, text = line.strip().partition("  ")
            entries.append([text.strip()] if text.strip() else [])
        else:
            entries[-1].append(line.strip())
    assert entries
    for help_lines in entries:
        for text in help_lines[:-1]:
            assert len(text) >= 30, (argv, help_lines)


def test_scan_options_are_keywords_of_the_library() -> None:
    command = next(c for p, c in _commands() if p == ["scan"])
    keywords = {f.name for f in fields(ScanConfig)} | set(inspect.signature(dedup.scan).parameters)
    shaping = {p.name for p in command.params} - _NOT_RESULT_OPTIONS
    assert shaping and shaping <= keywords, shaping - keywords
    assert {"level", "threshold", "encoder", "strip_boilerplate", "text_field", "against"} <= shaping


def test_library_keywords_match_the_options() -> None:
    texts = {"a": STORM, "b": STORM + "\nRead also: more storms", "c": BANK}
    enc = HashingEncoder()
    groups = dedup.find_groups(texts, level="story", encoder=enc)
    assert [g.members for g in groups] == [("a", "b"), ("c",)]
    kept = dedup.find_pairs(texts, strip_boilerplate=False, encoder=enc)  # --keep-boilerplate
    assert [(p.doc_a, p.doc_b, p.relation.value) for p in kept] == [("a", "b", "near_duplicate")]
    stripped = dedup.find_pairs(texts, encoder=enc)
    assert [(p.doc_a, p.doc_b, p.relation.value) for p in stripped] == [("a", "b", "exact")]
    with pytest.raises(InvalidParameterError, match="unknown scan parameter 'levle'"):
        dedup.find_groups(texts, levle="story", encoder=enc)
    with pytest.raises(InvalidParameterError, match="level must be one of"):
        dedup.scan(texts, level="page", encoder=enc)
    with pytest.raises(InvalidParameterError, match="encoder must be one of"):
        dedup.scan(texts, encoder="bert")


@pytest.mark.parametrize("command", ["eval-pairs", "eval-bitext"])
def test_eval_commands_print_a_table_or_json(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_model: None
) -> None:
    import dedup.evaluation.assess

    metrics = {"pearson_r": 0.81234, "n_pairs": 12, "by_language": {"de-en": {"r": 0.7}}}
    monkeypatch.setattr(dedup.evaluation.assess, "evaluate_rated_pairs", lambda *a, **k: metrics)
    monkeypatch.setattr(dedup.evaluation.assess, "evaluate_bitext", lambda *a, **k: metrics)
    target = tmp_path / "x-eng.tsv"
    if command == "eval-pairs":
        target = tmp_path
    else:
        target.write_text("a\tb\n", encoding="utf-8")
    runner = CliRunner()
    as_json = runner.invoke(app, [command, str(target), "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == metrics
    table = runner.invoke(app, [command, str(target)], terminal_width=100)
    assert table.exit_code == 0, table.output
    assert "pearson_r" in table.stdout and "0.8123" in table.stdout and "by_language.de-en.r" in table.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(table.stdout)


def test_scan_a_single_file_and_several_paths(tmp_path: Path, fake_model: None) -> None:
    dump = tmp_path / "dump.jsonl"
    rows = [{"id": "x", "text": STORM}, {"id": "y", "text": STORM}, {"id": "z", "text": BANK}]
    dump.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text(BANK, encoding="utf-8")
    runner = CliRunner()
    one = runner.invoke(app, ["scan", str(dump), "--json"])
    assert one.exit_code == 0, one.output
    groups = [json.loads(line) for line in one.stdout.splitlines()]
    assert [g["members"] for g in groups] == [["dump.jsonl#x", "dump.jsonl#y"], ["dump.jsonl#z"]]
    two = runner.invoke(app, ["scan", str(dump), str(folder), "--json"])
    assert two.exit_code == 0, two.output
    members = [json.loads(line)["members"] for line in two.stdout.splitlines()]
    assert ["dump.jsonl#z", "news/a.txt"] in members
    missing = runner.invoke(app, ["scan", str(dump), str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2


def test_scan_prints_nothing_but_its_own_lines_for_a_rejected_page(tmp_path: Path, fake_model: None) -> None:
    (tmp_path / "app.html").write_bytes(b"<html><head><title>Loading</title></head><body></body></html>")
    (tmp_path / "a.txt").write_text(STORM, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["scan", str(tmp_path / "app.html"), str(tmp_path / "a.txt"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    skipped = [json.loads(line) for line in (out / "skipped.jsonl").read_text().splitlines()]
    assert [Path(s["path"]).name for s in skipped] == ["app.html"]
    assert "discarding data: None" in skipped[0]["reason"]
    flat = " ".join(result.stderr.split())  # the console wraps long lines
    assert flat.count("discarding") == 1
    assert f"skipped {tmp_path / 'app.html'}: {skipped[0]['reason']}" in flat
