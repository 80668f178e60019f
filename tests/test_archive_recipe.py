"""The calibration corpus recipe (models/archives.py): stories that hold one text twice."""

from __future__ import annotations

import random

import pytest

from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from models.archives import ArchiveDoc, build_archives, duplicate_stories, embed_archive


def _doc(lang: str, sentences: list[str], role: str = "source") -> dict:
    return {"lang": lang, "segments": sentences, "role": role}


BODY = [
    "The river burst its banks after three days of rain.",
    "Around 40 families spent the night in the school gym.",
    "The mayor said the damage would take months to repair.",
    "Farmers fear the harvest in the valley is lost.",
]


def test_a_text_held_under_two_ids_is_one_story():
    stories = {
        "wmt:uk:news-1": [_doc("en", BODY)],
        "wmt:uk:test_7": [_doc("en", [s.upper() for s in BODY])],  # the same text, normalised alike
        "wmt:uk:news-2": [_doc("en", ["A different story about a concert in the park.", *BODY[:1]])],
    }
    label = duplicate_stories(stories)
    assert label["wmt:uk:news-1"] == label["wmt:uk:test_7"] == "wmt:uk:news-1"
    assert label["wmt:uk:news-2"] == "wmt:uk:news-2"


def test_shared_template_lines_do_not_make_stories_one():
    greeting = ["Hello, thank you for contacting us.", "How can I help you today?", "Have a nice day!"]
    stories = {
        f"chat-{n}": [_doc("en", [*greeting, f"My order number {n} has not arrived yet."])] for n in range(3)
    }
    label = duplicate_stories(stories)
    assert label == {key: key for key in stories}


def test_only_documents_of_one_language_are_compared():
    stories = {"a": [_doc("en", BODY)], "b": [_doc("de", BODY)]}
    assert duplicate_stories(stories) == {"a": "a", "b": "b"}


def test_duplicates_join_transitively():
    other = [s.replace("The", "A") + " (2)" for s in BODY]
    stories = {
        "c": [_doc("en", BODY)],
        "b": [_doc("en", BODY), _doc("fr", other, "reference")],
        "a": [_doc("fr", other)],
    }
    assert duplicate_stories(stories) == {"a": "a", "b": "a", "c": "a"}


def _story(n: int) -> list[dict]:
    body = [f"Story {n}: {sentence}" for sentence in BODY] * 2
    return [
        {**_doc("en", body), "producer": "src"},
        {**_doc("de", [f"Geschichte {n}: {s}" for s in body], "reference"), "producer": "ref"},
        {**_doc("zh", [f"故事{n}：第{k}句话。" for k in range(8)], "reference"), "producer": "ref"},
    ]


def _archives() -> list[list[ArchiveDoc]]:
    """Archives of twelve three-language stories."""
    stories = {f"wmt:x:doc-{n}": _story(n) for n in range(12)}
    return build_archives(stories, sorted(stories), random.Random(5))


def test_archive_documents_are_listed_in_the_order_a_scan_reads_them():
    config = ScanConfig(use_cache=False)
    for archive in _archives():
        assert [d.doc_id for d in archive] == sorted(d.doc_id for d in archive)
        embedded = embed_archive(archive, config, HashingEncoder(dim=32))
        # position i of the archive is position i of the scan, so labels and languages match
        assert [d.doc_id for d in embedded.documents] == [d.doc_id for d in archive]
        assert all(d.doc_id.split("-")[1] in (d.lang, "quote") for d in archive)


def test_embedding_an_archive_out_of_scan_order_is_refused():
    archive = _archives()[0]
    with pytest.raises(ValueError, match="order"):
        embed_archive(archive[::-1], ScanConfig(use_cache=False), HashingEncoder(dim=32))
