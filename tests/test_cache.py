"""Embedding cache: hits and misses, corruption recovery, interrupted runs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from dedup.encoders.cache import CACHE_FILE, CachedEncoder, CacheWarning, EmbeddingCache
from dedup.encoders.identity import encoder_identity
from dedup.runners.local import scan

STORIES = [
    "A storm hit the western coast on Monday night.\nThousands of homes lost power for hours.\n"
    "Schools in three counties stayed closed on Tuesday.",
    "The central bank raised its key interest rate by half a point.\nMarkets had expected a smaller move.\n"
    "The governor said inflation was still too high.",
    "The city council approved a new budget for public transport.\nBus fares will not rise next year.\n"
    "Two new tram lines are planned for the eastern suburbs.",
]


class CountingEncoder:
    """HashingEncoder that counts the sentences it encodes and can fail after a number of calls."""

    def __init__(self, fail_after_calls: int | None = None) -> None:
        self.inner = HashingEncoder(dim=64)
        self.name = self.inner.name
        self.encoded = 0
        self.calls = 0
        self.fail_after_calls = fail_after_calls

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        if self.fail_after_calls is not None and self.calls >= self.fail_after_calls:
            raise KeyboardInterrupt
        self.calls += 1
        self.encoded += len(sentences)
        return self.inner.encode(sentences, batch_size=batch_size)


def _write_folder(root: Path, n: int = 12) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        update = f"Update number {k} was published at {k} o'clock by desk {k * 7}."
        text = STORIES[k % len(STORIES)] + "\n" + update
        (root / f"doc{k:03d}.txt").write_text(text, encoding="utf-8")
    return root


def _normalised(result) -> str:  # noqa: ANN001
    pairs = [
        (p.doc_a, p.doc_b, p.relation.value, round(p.confidence, 6), round(p.features.mean_cosine, 6))
        for p in result.pairs
    ]
    groups = [g.members for g in result.groups]
    return json.dumps({"pairs": pairs, "groups": groups})


def _config(tmp_path: Path, **kwargs: object) -> ScanConfig:
    return ScanConfig(cache_dir=str(tmp_path / "cache"), batch_size=2, **kwargs)


def test_second_scan_of_unchanged_folder_encodes_nothing(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "in")
    first, second = CountingEncoder(), CountingEncoder()
    a = scan(folder, config=_config(tmp_path), encoder=first)
    b = scan(folder, config=_config(tmp_path), encoder=second)
    assert first.encoded > 0
    assert second.encoded == 0
    assert _normalised(a) == _normalised(b)


def test_new_file_encodes_only_its_new_sentences(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "in")
    scan(folder, config=_config(tmp_path), encoder=CountingEncoder())
    (folder / "new.txt").write_text(
        STORIES[0] + "\nA brand new closing line that no other article has.", encoding="utf-8"
    )
    again = CountingEncoder()
    scan(folder, config=_config(tmp_path), encoder=again)
    assert again.encoded == 1


def test_cache_off_and_cache_on_agree(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "in")
    on = scan(folder, config=_config(tmp_path), encoder=CountingEncoder())
    off_encoder = CountingEncoder()
    off = scan(folder, config=_config(tmp_path, use_cache=False), encoder=off_encoder)
    assert off_encoder.encoded > 0
    assert _normalised(on) == _normalised(off)
    assert not (tmp_path / "cache-unused").exists()


def test_corrupted_cache_warns_rebuilds_and_gives_correct_results(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "in")
    reference = scan(folder, config=_config(tmp_path), encoder=CountingEncoder())
    cache_file = tmp_path / "cache" / CACHE_FILE
    for suffix in ("-wal", "-shm"):
        Path(f"{cache_file}{suffix}").unlink(missing_ok=True)
    cache_file.write_bytes(b"\x00garbage, not a database\xff" * 200)
    encoder = CountingEncoder()
    with pytest.warns(CacheWarning, match="unreadable"):
        result = scan(folder, config=_config(tmp_path), encoder=encoder)
    assert encoder.encoded > 0  # everything was re-embedded
    assert _normalised(result) == _normalised(reference)
    with EmbeddingCache(tmp_path / "cache") as cache:
        assert cache.verify()
    warm = CountingEncoder()
    scan(folder, config=_config(tmp_path), encoder=warm)
    assert warm.encoded == 0


def test_cache_with_wrong_schema_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    with sqlite3.connect(tmp_path / "c" / CACHE_FILE) as conn:
        conn.execute("CREATE TABLE something_else (x)")
    with pytest.warns(CacheWarning):
        cache = EmbeddingCache(tmp_path / "c")
    assert cache.rebuilt and cache.verify()
    cache.close()


def test_interrupted_run_then_rerun_matches_uninterrupted(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "in", n=30)
    clean = scan(folder, config=_config(tmp_path / "clean"), encoder=CountingEncoder())
    with pytest.raises(KeyboardInterrupt):
        scan(folder, config=_config(tmp_path), encoder=CountingEncoder(fail_after_calls=1))
    with EmbeddingCache(tmp_path / "cache") as cache:
        assert cache.verify()
        stored = sum(cache.stats()["models"].values())
    assert stored > 0
    resumed_encoder = CountingEncoder()
    resumed = scan(folder, config=_config(tmp_path), encoder=resumed_encoder)
    total = CountingEncoder()
    scan(folder, config=_config(tmp_path / "other"), encoder=total)
    assert resumed_encoder.encoded == total.encoded - stored  # only the unfinished part
    assert _normalised(resumed) == _normalised(clean)


def test_cached_encoder_keys_by_identity_and_normalised_text(tmp_path: Path) -> None:
    inner = CountingEncoder()
    with EmbeddingCache(tmp_path) as cache:
        enc = CachedEncoder(inner, cache, identity="model-a")
        v1 = enc.encode(["Hello   world.", "Other"])
        v2 = enc.encode(["Hello world.\n"])
        assert inner.encoded == 2 and np.array_equal(v1[0], v2[0])
        CachedEncoder(inner, cache, identity="model-b").encode(["Hello world."])
        assert inner.encoded == 3  # another model never reuses model-a's vectors
        assert enc.encode([]).shape == (0, 64)


def test_unknown_sentence_transformer_has_no_identity() -> None:
    from dedup.encoders.torch_encoder import SentenceTransformerEncoder

    assert encoder_identity(SentenceTransformerEncoder(object())) is None
    assert encoder_identity(HashingEncoder(dim=32)) == "hashing-32-3"


def test_cache_opened_in_one_thread_works_in_another(tmp_path: Path) -> None:
    # Ray actors are built in one thread and called in another; that must not look like damage.
    import threading
    import warnings

    cache = EmbeddingCache(tmp_path)
    vec = np.ones((1, 4), dtype=np.float32)
    cache.put("m", [b"k1"], vec)
    found: dict = {}

    def use_it() -> None:
        cache.put("m", [b"k2"], 2 * vec)
        found.update(cache.get("m", [b"k1", b"k2"]))

    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)  # a rebuild would warn
        worker = threading.Thread(target=use_it)
        worker.start()
        worker.join()
    assert sorted(found) == [b"k1", b"k2"]
    assert not cache.rebuilt
    assert cache.get("m", [b"k2"])[b"k2"].tolist() == [2.0] * 4


def test_misuse_is_raised_and_never_deletes_the_cache(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    cache.put("m", [b"k1"], np.ones((1, 4), dtype=np.float32))
    with pytest.raises(sqlite3.ProgrammingError):
        cache._rebuild(sqlite3.ProgrammingError("closed connection"))
    again = EmbeddingCache(tmp_path)
    assert b"k1" in again.get("m", [b"k1"])
    assert not again.rebuilt
