"""Tests of dedup.io.scan_files: JSONL and Parquet outputs of a scan hold the same results."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import dedup.encoders.loading
from dedup.cli.app import app
from dedup.encoders.base import HashingEncoder
from dedup.errors import InvalidParameterError
from dedup.io.scan_files import write_scan
from dedup.runners.local import scan

STORM = "Storm hits the coast.\nThousands lost power overnight.\nSchools are closed on Monday."
EDITED = STORM + "\nThe mayor asked people to stay inside."
BANK = "The central bank raised interest rates by half a point on Thursday.\nMarkets fell."


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _same(parquet_rows: list[dict], jsonl_rows: list[dict]) -> None:
    assert len(parquet_rows) == len(jsonl_rows)
    for p, j in zip(parquet_rows, jsonl_rows, strict=True):
        if "aligned" in j:
            p["aligned"] = [[a["text_a"], a["text_b"], a["cosine"]] for a in p["aligned"]]
        assert {k: v for k, v in p.items() if v is not None} == j


def test_parquet_outputs_round_trip_to_the_jsonl_outputs(tmp_path: Path, make_warc) -> None:
    import pyarrow.parquet as pq

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(STORM, encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_text(EDITED, encoding="utf-8")
    (tmp_path / "in" / "c.txt").write_text(STORM, encoding="utf-8")
    make_warc(tmp_path / "in" / "w.warc", [{"body": f"<p>{BANK}</p>".encode(), "url": "https://x.example/1"}])
    result = scan(tmp_path / "in", encoder=HashingEncoder(), threshold=0.3)
    assert result.pairs and any(p.features is not None for p in result.pairs)
    out = tmp_path / "out"
    written = write_scan(result, out, root=tmp_path / "in", format="parquet")
    assert {p.name for p in written} >= {
        "pairs.parquet",
        "groups.parquet",
        "documents.parquet",
        "pairs.jsonl",
    }
    for name in ("pairs", "groups", "documents"):
        _same(pq.read_table(out / f"{name}.parquet").to_pylist(), _jsonl(out / f"{name}.jsonl"))
    frame = pd.read_parquet(out / "pairs.parquet")  # one line for a pandas user
    assert list(frame[["doc_a", "doc_b"]].itertuples(index=False, name=None)) == [
        (p.doc_a, p.doc_b) for p in result.pairs
    ]
    docs = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    warc_id = next(d for d in docs.index if d.startswith("w.warc#"))
    assert docs.loc[warc_id, "url"] == "https://x.example/1" and pd.isna(docs.loc["a.txt", "url"])
    with pytest.raises(InvalidParameterError, match="format must be one of jsonl, parquet"):
        write_scan(result, out, format="csv")


def test_cli_format_parquet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", lambda *a, **k: HashingEncoder())
    dump = tmp_path / "d.jsonl"
    dump.write_text("".join(json.dumps({"text": t}) + "\n" for t in (STORM, STORM, BANK)), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(dump), "-o", str(out), "--format", "parquet"])
    assert result.exit_code == 0, result.output
    pairs = pd.read_parquet(out / "pairs.parquet")
    assert list(pairs["doc_a"]) == ["d.jsonl#1"] and list(pairs["relation"]) == ["exact"]
    meta = json.loads((out / "scan.json").read_text())
    assert meta["inputs"] == [str(dump)] and meta["root"] == str(tmp_path)
    bad = CliRunner().invoke(app, ["scan", str(dump), "-o", str(out), "--format", "xml"])
    assert bad.exit_code == 2
