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
    from dedup.model import load_model

    return load_model()


@pytest.fixture()
def real_model(_real_model):
    """The offline multilingual model (sentence-transformers), loaded once per session."""
    return _real_model


@pytest.fixture(scope="session")
def _real_onnx_encoder():
    from dedup.onnx_encoder import load_onnx_encoder

    return load_onnx_encoder()


@pytest.fixture()
def real_onnx_encoder(_real_onnx_encoder):
    """The default encoder (int8 ONNX, built by `dedup model build`), loaded once per session."""
    return _real_onnx_encoder


@pytest.fixture()
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(autouse=True)
def _isolated_embedding_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scans in tests use a fresh embedding cache, never the user's ``$DEDUP_HOME/cache``."""
    import dedup.cache

    folder = tmp_path_factory.mktemp("embedding-cache")
    monkeypatch.setattr(dedup.cache, "default_cache_dir", lambda: folder)
