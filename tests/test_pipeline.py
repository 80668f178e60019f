from __future__ import annotations

import random

from dedup.encoders.base import HashingEncoder
from dedup.runners.local import find_groups, find_pairs, scan
from dedup.types import Relation

STORM = (
    "Storm hits the west coast\n\n"
    "The storm reached the coast on Monday night, forecasters said.\n"
    "Thousands of homes lost power across the region after trees fell on lines.\n"
    "Schools will stay closed until Wednesday, the county announced.\n"
    "The weather service expects calmer winds by the weekend."
)
BANK = (
    "Central bank raises rates\n\n"
    "The central bank raised interest rates by half a point on Thursday.\n"
    "Markets fell sharply after the announcement in the afternoon.\n"
    "Analysts had expected a smaller increase this month."
)
FARM = "Farmers expect a record harvest this year after a wet spring and a warm summer across the plains."


def _texts():
    return {"storm.txt": STORM, "storm-copy.txt": STORM, "bank.txt": BANK, "farm.txt": FARM}


def test_exact_copies_form_one_group_and_every_document_is_in_one_group():
    result = scan(_texts(), encoder=HashingEncoder())
    members = [g.members for g in result.groups]
    assert ("storm-copy.txt", "storm.txt") in members
    assert sorted(m for g in members for m in g) == sorted(_texts())
    pair = next(p for p in result.pairs if {p.doc_a, p.doc_b} == {"storm.txt", "storm-copy.txt"})
    assert pair.relation is Relation.EXACT
    assert pair.doc_a < pair.doc_b
    assert 0.0 <= pair.confidence <= 1.0
    assert len(pair.aligned) >= 3


def test_near_duplicate_with_boilerplate_is_linked():
    texts = _texts()
    texts["storm-edit.txt"] = STORM.replace("forecasters said", "officials said") + "\n\nShare this article"
    groups = find_groups(texts, encoder=HashingEncoder())
    storm_group = next(g for g in groups if "storm.txt" in g.members)
    assert "storm-edit.txt" in storm_group.members
    assert "bank.txt" not in storm_group.members


def test_result_is_independent_of_input_order():
    texts = _texts()
    keys = list(texts)
    random.Random(0).shuffle(keys)
    shuffled = {k: texts[k] for k in keys}
    a = scan(texts, encoder=HashingEncoder())
    b = scan(shuffled, encoder=HashingEncoder())
    assert [g.to_dict() for g in a.groups] == [g.to_dict() for g in b.groups]
    assert [p.to_dict() for p in a.pairs] == [p.to_dict() for p in b.pairs]


def test_threshold_one_links_only_exact_copies():
    pairs = find_pairs(_texts(), threshold=1.0, encoder=HashingEncoder())
    assert {p.relation for p in pairs} <= {Relation.EXACT}


def test_find_pairs_accepts_a_folder_and_a_list_of_paths(tmp_path):
    for name, text in _texts().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    from_folder = find_pairs(tmp_path, encoder=HashingEncoder())
    from_list = find_pairs(sorted(tmp_path.iterdir()), encoder=HashingEncoder())
    assert [(p.doc_a, p.doc_b) for p in from_folder] == [(p.doc_a, p.doc_b) for p in from_list]
    assert ("storm-copy.txt", "storm.txt") in [(p.doc_a, p.doc_b) for p in from_folder]


def test_to_pandas_tables():
    result = scan(_texts(), encoder=HashingEncoder())
    assert list(result.to_pandas("groups").columns) == ["group_id", "members", "confidence", "languages"]
    assert "relation" in result.to_pandas("pairs").columns



def test_texts_below_the_minimum_length_are_never_linked_at_either_level():
    from dedup.config import ScanConfig

    texts = {"hi1": "Hi.", "hi2": "Hi.", "s1": "secret", "s2": "secret", "five": "one two three four five"}
    texts["five2"] = texts["five"]
    result = scan(texts, encoder=HashingEncoder(), config=ScanConfig(level="story"))
    assert result.pairs == ()
    assert all(len(g.members) == 1 for g in result.groups)
    assert all(d.too_short for d in result.documents)
    assert {d.doc_id: d.n_words for d in result.documents}["five"] == 5


def test_copies_at_the_minimum_length_are_linked():
    from dedup.config import ScanConfig

    six = "one two three four five six"
    result = scan({"a": six, "b": six}, encoder=HashingEncoder(), config=ScanConfig(min_words=6))
    assert [g.members for g in result.groups] == [("a", "b")]
    assert not any(d.too_short for d in result.documents)


def test_count_words_counts_unspaced_scripts_by_character_pairs():
    from dedup.scoring.signals import count_words

    assert count_words("") == 0
    assert count_words("Hi.") == 1
    assert count_words("Storm hits the west coast tonight") == 6
    assert count_words("大雨") == 1
    assert count_words("東京で大雨が降った") == 5
    assert count_words("COVID-19 cases rose") == 4
