"""The Parallel UD benchmark's documents and archives (benchmarks/pud_documents.py), on texts written here."""

from __future__ import annotations

import random
from collections import Counter

from benchmarks.pud_documents import build_pud_archives, pud_documents

CONLLU = """# sent_id = n01001011
# text = The council met on Monday.
1\tThe\tthe
# sent_id = n01001013
# text = It approved the budget.
1\tIt\tit
# sent_id = w01002004
# text = A river runs through the town.
1\tA\ta
"""


def test_sentences_are_grouped_by_the_source_document_in_their_id() -> None:
    assert pud_documents(CONLLU) == {
        "n01001": ["The council met on Monday.", "It approved the budget."],
        "w01002": ["A river runs through the town."],
    }


def test_each_source_document_appears_once_in_one_to_three_languages() -> None:
    langs = ("en", "de", "fi", "th")
    pud = {lang: {f"n{k:05d}": f"{lang} text {k}" for k in range(50)} for lang in langs}
    archives = build_pud_archives(pud, random.Random(3), per_archive=20)
    assert [len({d.story for d in a}) for a in archives] == [20, 20, 10]
    versions = Counter(d.story for a in archives for d in a)
    assert set(versions) == set(pud["en"]) and set(versions.values()) <= {1, 2, 3}
    assert 1 in versions.values() and 3 in versions.values()
    for archive in archives:
        assert [d.doc_id for d in archive] == sorted(d.doc_id for d in archive)
        assert all(d.text == pud[d.lang][d.story] for d in archive)
    again = build_pud_archives(pud, random.Random(3), per_archive=20)
    assert [[d.doc_id for d in a] for a in again] == [[d.doc_id for d in a] for a in archives]


def test_a_declaration_archive_pairs_each_article_with_its_english_one() -> None:
    from benchmarks.udhr_articles import article_archive

    articles = {
        "en": {1: "All are born free.", 2: "Everyone has the right to life."},
        "eu": {1: "A.", 2: "B."},
    }
    archive = article_archive(articles, "eu")
    assert [d.doc_id for d in archive] == ["en-01", "en-02", "eu-01", "eu-02"]
    assert [(d.lang, d.story) for d in archive] == [("en", "1"), ("en", "2"), ("eu", "1"), ("eu", "2")]
    assert archive[3].text == "B."
