"""The form a sentence is encoded in: as written, but text in capitals in sentence case."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.encoders.base import HashingEncoder, embed_sentences, encoder_form


@pytest.mark.parametrize(
    "written, encoded",
    [
        ("OSLO (NTB): STORM HITS THE WEST COAST.", "Oslo (ntb): storm hits the west coast."),
        ("«STORMEN HAR NÅDD KYSTEN», SIER POLITIET.", "«Stormen har nådd kysten», sier politiet."),
        ("ΣΕΙΣΜΟΣ ΣΤΗΝ ΚΡΗΤΗ ΧΘΕΣ ΤΟ ΒΡΑΔΥ", "Σεισμος στην κρητη χθες το βραδυ"),
        ("2024: BREAKING NEWS", "2024: Breaking news"),
    ],
)
def test_sentences_in_capitals_are_encoded_in_sentence_case(written: str, encoded: str) -> None:
    assert encoder_form(written) == encoded


@pytest.mark.parametrize(
    "sentence",
    [
        "NATO and the EU met in Brussels on Tuesday.",  # acronyms in normal text
        "Storm Hits The West Coast Of Norway",  # title case
        "UN, EU, NATO",  # too few letters to be shouting
        "台风今天登陆，数千户停电。",  # no case
        "הסערה הגיעה לחוף",
    ],
)
def test_normal_text_and_scripts_without_case_are_encoded_as_written(sentence: str) -> None:
    assert encoder_form(sentence) == sentence


def test_a_sentence_in_capitals_gets_the_vector_of_its_sentence_case_form() -> None:
    enc = HashingEncoder(dim=64)
    vectors = embed_sentences(enc, ["STORM HITS THE WEST COAST.", "Storm hits the west coast.", "Other."])
    np.testing.assert_array_equal(vectors[0], vectors[1])
    assert not np.array_equal(vectors[1], vectors[2])
