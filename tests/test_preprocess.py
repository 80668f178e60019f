"""Cached language identification and sentence splitting: a warm scan recomputes none of it."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from dedup.encoders.cache import EmbeddingCache
from dedup.runners.local import scan
from dedup.text.langid import LanguageDetector
from dedup.text.preprocess import detect_and_split, preprocess_version

STORIES = {
    "a": "A storm hit the western coast on Monday night.\nThousands of homes lost power for hours.",
    "b": "A storm hit the western coast on Monday night.\nThousands of homes lost power for hours.\nMore.",
    "c": "Ein Sturm traf am Montagabend die Westküste.\nTausende Haushalte waren stundenlang ohne Strom.",
    "d": "The central bank raised its key interest rate by half a point.\nMarkets expected less.",
}


@pytest.fixture()
def detect_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = LanguageDetector.detect

    def counting(self: LanguageDetector, text: str) -> str:
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(LanguageDetector, "detect", counting)
    return calls


def test_second_scan_detects_no_language_and_gives_identical_output(
    tmp_path: Path, detect_calls: list[str]
) -> None:
    config = ScanConfig(cache_dir=str(tmp_path))
    first = scan(STORIES, config=config, encoder=HashingEncoder())
    assert len(detect_calls) == len(STORIES)
    detect_calls.clear()
    second = scan(STORIES, config=config, encoder=HashingEncoder())
    assert detect_calls == []
    assert [p.to_dict() for p in second.pairs] == [p.to_dict() for p in first.pairs]
    assert second.groups == first.groups and second.documents == first.documents
    uncached = scan(STORIES, config=replace(config, use_cache=False), encoder=HashingEncoder())
    assert [p.to_dict() for p in uncached.pairs] == [p.to_dict() for p in first.pairs]
    assert uncached.documents == first.documents


def test_new_documents_and_changed_parameters_are_computed(tmp_path: Path, detect_calls: list[str]) -> None:
    config = ScanConfig(cache_dir=str(tmp_path))
    texts = list(STORIES.values())
    detect_and_split(texts[:2], config)
    detect_calls.clear()
    langs, sentences = detect_and_split(texts, config)
    assert detect_calls == texts[2:]  # only the new ones
    assert langs[2] == "de" and sentences[0] == texts[0].split("\n")
    detect_calls.clear()
    other = replace(config, max_sentences=1)
    assert preprocess_version(other) != preprocess_version(config)
    _, capped = detect_and_split(texts, other)
    assert len(detect_calls) == len(texts) and all(len(s) == 1 for s in capped)


def test_unreadable_stored_value_is_recomputed(tmp_path: Path, detect_calls: list[str]) -> None:
    config = ScanConfig(cache_dir=str(tmp_path))
    expected = detect_and_split(["Das ist ein Haus."], config)
    key = hashlib.sha256(b"Das ist ein Haus.").digest()
    with EmbeddingCache(tmp_path) as cache:
        assert list(cache.get_preprocessed(preprocess_version(config), [key])) == [key]
        cache.put_preprocessed(preprocess_version(config), [(key, b"not json")])
    detect_calls.clear()
    assert detect_and_split(["Das ist ein Haus."], config) == expected
    assert len(detect_calls) == 1
