"""Embedding reports progress per chunk; `dedup scan -v` reports peak memory on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import dedup.encoders.loading
import dedup.runners.local
from dedup.encoders.base import HashingEncoder, embed_sentences
from dedup.runners.local import scan


def test_embed_sentences_reports_each_chunk() -> None:
    calls: list[tuple[int, int]] = []
    sentences = [f"Sentence number {k} of the test." for k in range(50)] * 2
    enc = HashingEncoder(dim=16)
    vecs = embed_sentences(enc, sentences, batch_size=2, progress=lambda d, n: calls.append((d, n)))
    assert vecs.shape == (100, 16)
    assert calls == [(32, 50), (50, 50)]
    assert (vecs == HashingEncoder(dim=16).encode(sentences)).all()


def test_scan_reports_embedding_progress() -> None:
    stages: list[str] = []
    texts = {"a": "One sentence here for the test.\nAnother sentence here too.", "b": "Something else."}
    scan(texts, encoder=HashingEncoder(), progress=lambda s, d, n: stages.append(s))
    assert stages.count("embedded") >= 2 and "read" in stages and "scored" in stages


def test_verbose_scan_prints_peak_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup.cli.app import app

    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", lambda *a, **k: HashingEncoder())
    (tmp_path / "a.txt").write_text("A storm hit the coast on Monday.\nThousands lost power.")
    result = CliRunner().invoke(app, ["scan", str(tmp_path), "--json", "-v"])
    assert result.exit_code == 0, result.output
    assert "peak memory:" in result.stderr and "MiB" in result.stderr
    assert "peak memory" not in result.stdout
