"""Shared fixtures. The real model is loaded once per test session and shared.

Tests that need it carry ``@pytest.mark.model``; ``pytest -m "not model"`` is the
fast loop. A missing model is a failure with a clear message, never a skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def _real_model():
    from dedup.encoders.torch_encoder import load_model

    return load_model()


@pytest.fixture()
def real_model(_real_model):
    """The offline multilingual model (sentence-transformers), loaded once per session."""
    return _real_model


@pytest.fixture(scope="session")
def _real_onnx_encoder():
    from dedup.encoders.onnx_batched import load_batched_encoder

    return load_batched_encoder()


@pytest.fixture()
def real_onnx_encoder(_real_onnx_encoder):
    """The default encoder (batched int8 ONNX, built by `dedup model build`), loaded once per session."""
    return _real_onnx_encoder


@pytest.fixture(scope="session")
def _real_single_onnx_encoder():
    from dedup.encoders.onnx import load_onnx_encoder

    return load_onnx_encoder()


@pytest.fixture()
def real_single_onnx_encoder(_real_single_onnx_encoder):
    """The one-sentence-per-call int8 ONNX encoder (``--encoder onnx-int8``), loaded once per session."""
    return _real_single_onnx_encoder


@pytest.fixture()
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(autouse=True)
def _isolated_embedding_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scans in tests use fresh embedding and preprocessing caches, never ``$DEDUP_HOME/cache``."""
    import dedup.encoders.cache
    import dedup.text.preprocess

    folder = tmp_path_factory.mktemp("embedding-cache")
    monkeypatch.setattr(dedup.encoders.cache, "default_cache_dir", lambda: folder)
    monkeypatch.setattr(dedup.text.preprocess, "default_cache_dir", lambda: folder)


def scan_texts(folder: Path, texts: dict[str, str]):
    """Write ``texts`` (file name -> text) into ``folder`` and scan it with the real model, reporting
    every scored pair (no embedding cache)."""
    import dedup

    for name, text in texts.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    config = dedup.ScanConfig(use_cache=False, report_threshold=0.0)
    return dedup.scan(folder, encoder=dedup.load_encoder(), config=config)


def weak_pairs(result, names) -> dict[tuple[str, str], float]:
    """The pairs of ``names`` (documents of one story) that a scan's ``result`` links below 0.5."""
    import itertools

    confidence = {(p.doc_a, p.doc_b): p.confidence for p in result.pairs}
    return {
        (a, b): round(confidence.get((a, b), 0.0), 2)
        for a, b in itertools.combinations(sorted(names), 2)
        if confidence.get((a, b), 0.0) < 0.5
    }


def story_and_singletons(result, story, others) -> tuple[bool, list[tuple[str, ...]]]:
    """Whether ``story``'s documents form one group of ``result``, and the groups holding ``others``."""
    groups = sorted(g.members for g in result.groups)
    return tuple(sorted(story)) in groups, [g for g in groups if g[0] in others]


def write_warc(path: Path, records: list[dict], *, compress: bool | None = None) -> list[str]:
    """Write a small WARC file by hand (one gzip member per record for ``.gz``); return the record ids.

    Each record is a dict with ``body`` (bytes) and optionally ``url``, ``status`` ("200 OK"),
    ``content_type`` ("text/html; charset=utf-8"), ``type`` ("response"; "request" and "resource"
    work too), ``date`` and ``id`` (without angle brackets).
    """
    import gzip
    import uuid

    compress = path.name.endswith(".gz") if compress is None else compress
    ids, parts = [], []
    for k, rec in enumerate(records):
        rec_type = rec.get("type", "response")
        rec_id = rec.get("id", f"urn:uuid:{uuid.UUID(int=k + 1)}")
        body = rec["body"]
        if rec_type in ("response", "request"):
            first = f"HTTP/1.1 {rec.get('status', '200 OK')}" if rec_type == "response" else "GET / HTTP/1.1"
            http = f"{first}\r\nContent-Type: {rec.get('content_type', 'text/html; charset=utf-8')}\r\n"
            block = (http + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            ctype = f"application/http; msgtype={rec_type}"
        else:
            block, ctype = body, rec.get("content_type", "text/html; charset=utf-8")
        head = (
            "WARC/1.0\r\n"
            f"WARC-Type: {rec_type}\r\n"
            f"WARC-Record-ID: <{rec_id}>\r\n"
            f"WARC-Date: {rec.get('date', f'2024-03-0{1 + k % 9}T10:00:00Z')}\r\n"
            f"WARC-Target-URI: {rec.get('url', f'https://news.example.org/{k}')}\r\n"
            f"Content-Type: {ctype}\r\n"
            f"Content-Length: {len(block)}\r\n\r\n"
        ).encode()
        raw = head + block + b"\r\n\r\n"
        parts.append(gzip.compress(raw, mtime=0) if compress else raw)
        ids.append(rec_id)
    path.write_bytes(b"".join(parts))
    return ids


@pytest.fixture()
def make_warc():
    """:func:`write_warc`, for tests that build a WARC file of their own."""
    return write_warc
