"""The calibration corpus recipe (models/archives.py): stories that hold one text twice, other-facts
versions of a story."""

from __future__ import annotations

import random
import re

import pytest

from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from dedup.scoring.numbers import number_keys
from models.archives import (
    OTHER_FACTS,
    ArchiveDoc,
    build_archives,
    build_headline_archives,
    duplicate_stories,
    embed_archive,
    other_facts,
)


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


def test_headline_archives_hold_each_version_s_first_segment_when_a_scan_could_link_it():
    stories = {f"wmt:x:doc-{n}": _story(n) for n in range(12)}
    stories["wmt:x:short"] = [{**_doc("en", ["Flood warning", *BODY]), "producer": "src"}]
    archives = build_headline_archives(stories, sorted(stories), random.Random(5))
    docs = [d for archive in archives for d in archive]
    firsts = {(key, d["lang"]): d["segments"][0] for key, versions in stories.items() for d in versions}
    assert docs and all(d.text == firsts[(d.story, d.lang)] for d in docs)
    assert "wmt:x:short" not in {d.story for d in docs}  # two words: a scan never links it
    # the versions are drawn as for article archives: translations of one story share its label
    assert any(len({d.lang for d in docs if d.story == key}) > 1 for key in stories)
    for archive in archives:
        assert [d.doc_id for d in archive] == sorted(d.doc_id for d in archive)


def test_embedding_an_archive_out_of_scan_order_is_refused():
    archive = _archives()[0]
    with pytest.raises(ValueError, match="order"):
        embed_archive(archive[::-1], ScanConfig(use_cache=False), HashingEncoder(dim=32))


def test_a_change_to_one_story_leaves_every_other_story_s_versions_as_they_were():
    stories = {f"wmt:x:doc-{n}": _story(n) for n in range(12)}
    changed = dict(stories)
    first = changed["wmt:x:doc-0"]
    changed["wmt:x:doc-0"] = [{**first[0], "segments": first[0]["segments"][:5]}, *first[1:]]

    def texts(archives: list[list[ArchiveDoc]]) -> list[str]:
        return sorted(d.text for archive in archives for d in archive if d.story != "wmt:x:doc-0")

    for build in (build_archives, build_headline_archives):
        before = build(stories, sorted(stories), random.Random(5))
        after = build(changed, sorted(changed), random.Random(5))
        assert texts(before) == texts(after)


FIGURES = [
    "Turnout was 61.4 percent, up from 58 percent in 2019.",
    "The Centre Party won 23 of the 87 seats.",
    "Its leader received 4,210 personal votes.",
    "The new council meets for the first time on 3 October.",
]


def test_an_other_facts_version_changes_every_number_and_nothing_else():
    changed = other_facts(FIGURES, random.Random(1))
    assert changed is not None
    for old, new in zip(FIGURES, changed, strict=True):
        assert re.sub(r"\d", "#", old) == re.sub(r"\d", "#", new)
        assert not number_keys(old) & number_keys(new)


def test_a_text_with_an_incidental_number_gets_no_other_facts_version():
    assert other_facts(BODY, random.Random(1)) is None  # one sentence of four holds a number


def test_other_facts_versions_are_stories_of_their_own_and_leave_the_other_documents_alone():
    stories = {
        f"wmt:x:vote-{n}": [
            {**_doc("en", [f"District {n}: {s}" for s in FIGURES]), "producer": "src"},
            {**_doc("de", [f"Bezirk {n}: {s}" for s in FIGURES], "reference"), "producer": "ref"},
        ]
        for n in range(10)
    }
    plain = build_archives(stories, sorted(stories), random.Random(5))
    with_facts = build_archives(stories, sorted(stories), random.Random(5), other_facts_share=1.0)
    facts = [d for archive in with_facts for d in archive if d.story.endswith(OTHER_FACTS)]
    others = [d for archive in with_facts for d in archive if not d.story.endswith(OTHER_FACTS)]
    assert len(facts) == len(stories)
    assert {d.story.removesuffix(OTHER_FACTS) for d in facts} == set(stories)
    assert sorted(d.text for d in others) == sorted(d.text for archive in plain for d in archive)


@pytest.mark.parametrize(
    ("story", "recorded", "expected"),
    [
        ("wmt22:cs:blesk.cz.25585", "", "news"),
        ("wmt22:en:guardian.44781", "", "news"),
        ("wmt22:cs:news-general-11", "", "news"),
        ("wmt22:zh:en_zh-TW_CLIENT-05_2020-12-13-1_doc0", "", "conversation"),
        ("wmt22:zh:ecommerce_zh_meituan.com_155073907", "", "ecommerce"),
        ("wmt22:cs:t1_gujmz2m", "", "social"),
        ("wmt22:cs:formal-housing-10", "", "other"),
        ("wmt22:uk:news-4" + OTHER_FACTS, "", "news"),
        ("wmt24:en:test-en-speech_5jn6pLG9P7k_000", "speech", "speech"),
        ("wmt23:ja:conversational_ja_043", "conversation", "conversation"),
        ("wmt24:cs:test-cs-edu_edu01954-02", "education", "other"),
        ("wmt24:ja:test-ja-news_yaeyama", "news", "news"),
    ],
)
def test_coarse_domain_reads_recorded_domains_and_wmt22_ids(story, recorded, expected):
    from models.archives import coarse_domain

    assert coarse_domain(ArchiveDoc("d", "", story, "xx", recorded)) == expected
