"""Tests of dedup.text.segment.split_sentences."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import InvalidParameterError
from dedup.text.segment import split_sentences


def _ink(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_latin_basic() -> None:
    text = "The storm hit the coast on Monday. Thousands lost power! Will it return? Nobody knows yet."
    assert split_sentences(text) == [
        "The storm hit the coast on Monday.",
        "Thousands lost power!",
        "Will it return?",
        "Nobody knows yet.",
    ]


def test_closing_quotes_stay_with_sentence() -> None:
    text = 'She said: "We will win." Then the crowd cheered loudly.'
    assert split_sentences(text) == ['She said: "We will win."', "Then the crowd cheered loudly."]


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Smith and Dr. Jones met St. John at the U.S. embassy in Oslo.",
        "The author J. K. Rowling spoke to the press on Friday evening.",
        "Inflation rose to 3.5 percent while 1.000 workers were laid off.",
        "Møtet holdes 1. januar kl. 14 i rådhuset i Bergen sentrum.",
        "Die Wahl findet am 17. Mai statt, sagte der Sprecher der Partei.",
        "Das Spiel im 2. Weltkrieg wurde nie wieder aufgenommen, hieß es.",
        "Prisene steg med bl.a. strøm og mat, dvs. det meste folk kjøper.",
        "Sie kauften z.B. Brot und Milch, u.a. auch etwas Käse dazu.",
        "He used tools, e.g. a hammer, and worked until late evening.",
    ],
)
def test_no_split_after_abbreviations_numbers_and_dates(text: str) -> None:
    assert split_sentences(text) == [text]


def test_headline_and_list_lines_are_units() -> None:
    text = (
        "Storm in the north\n\nHeavy rain fell overnight. Roads were closed.\n- Schools shut\n- Trains late"
    )
    assert split_sentences(text) == [
        "Storm in the north",
        "Heavy rain fell overnight.",
        "Roads were closed.",
        "- Schools shut",
        "- Trains late",
    ]


def test_short_line_is_kept_short_fragment_merged() -> None:
    assert split_sentences("Oslo") == ["Oslo"]
    assert split_sentences("The minister resigned today. Why? Nobody said.") == [
        "The minister resigned today. Why?",
        "Nobody said.",
    ]
    assert split_sentences("Ja. The minister resigned on Tuesday.") == [
        "Ja. The minister resigned on Tuesday."
    ]


def test_japanese_and_chinese_without_spaces() -> None:
    ja = "東京で大きな地震がありました。被害の状況はまだ分かっていません。政府が調査しています。"
    assert split_sentences(ja) == [
        "東京で大きな地震がありました。",
        "被害の状況はまだ分かっていません。",
        "政府が調査しています。",
    ]
    zh = "他说：“我们明天去北京开会。”会议将讨论经济问题！你知道结果吗？"
    assert split_sentences(zh) == ["他说：“我们明天去北京开会。”", "会议将讨论经济问题！", "你知道结果吗？"]


def test_arabic_and_hindi() -> None:
    ar = "هل وصل الوفد إلى المدينة؟ نعم، وصل الوفد صباح اليوم. وبدأت المحادثات فورا."
    assert split_sentences(ar) == [
        "هل وصل الوفد إلى المدينة؟",
        "نعم، وصل الوفد صباح اليوم.",
        "وبدأت المحادثات فورا.",
    ]
    hi = "सरकार ने नई नीति की घोषणा की। विपक्ष ने इसकी आलोचना की॥ क्या यह सफल होगी?"
    assert split_sentences(hi) == [
        "सरकार ने नई नीति की घोषणा की।",
        "विपक्ष ने इसकी आलोचना की॥",
        "क्या यह सफल होगी?",
    ]


def test_other_scripts_terminators() -> None:
    assert split_sentences("Բարեւ ձեզ, ինչպես եք։ Ես լավ եմ, շնորհակալություն։") == [
        "Բարեւ ձեզ, ինչպես եք։",
        "Ես լավ եմ, շնորհակալություն։",
    ]
    assert len(split_sentences("ሰላም ነው ወዳጄ እንዴት ነህ።ደህና ነኝ አመሰግናለሁ ወዳጄ።")) == 2
    # The Greek question mark ";" is ambiguous with the semicolon: not a boundary.
    assert split_sentences("Τι κάνεις σήμερα; Είμαι καλά, ευχαριστώ πολύ.") == [
        "Τι κάνεις σήμερα; Είμαι καλά, ευχαριστώ πολύ."
    ]


def test_khmer_sentence_sign() -> None:
    text = "ព្រឹកនេះភ្លៀងធ្លាក់ខ្លាំងនៅភ្នំពេញ។ ផ្លូវជាច្រើនត្រូវបានលិចទឹក។"
    assert split_sentences(text) == ["ព្រឹកនេះភ្លៀងធ្លាក់ខ្លាំងនៅភ្នំពេញ។", "ផ្លូវជាច្រើនត្រូវបានលិចទឹក។"]


def test_georgian_sentences_end_at_a_period_although_unicode_files_its_letters_as_lowercase() -> None:
    sentences = [
        "ქალაქის საბჭომ ახალი ხიდის მშენებლობა დაამტკიცა.",
        "სამუშაოები გაზაფხულზე დაიწყება.",
        "მერმა თქვა, რომ ხიდი საცობებს შეამცირებს.",
    ]
    assert split_sentences(" ".join(sentences)) == sentences
    # a period before a lowercase Latin word still does not end a sentence
    assert split_sentences("The plan was approved by the council, i.a. by the mayor.") == [
        "The plan was approved by the council, i.a. by the mayor."
    ]


def test_thai_and_lao_sentences_end_at_a_space_between_long_runs() -> None:
    thai = (
        "สภาเมืองอนุมัติการสร้างสะพานแห่งใหม่เมื่อวันอังคาร "
        "โครงการนี้จะมีค่าใช้จ่ายประมาณ 900 ล้านบาท "
        "ชาวบ้านบ่นเรื่องการจราจรติดขัดมาหลายปี"
    )
    assert split_sentences(thai) == [
        "สภาเมืองอนุมัติการสร้างสะพานแห่งใหม่เมื่อวันอังคาร",
        "โครงการนี้จะมีค่าใช้จ่ายประมาณ 900 ล้านบาท",
        "ชาวบ้านบ่นเรื่องการจราจรติดขัดมาหลายปี",
    ]
    lao = "ລັດຖະບານລາວໄດ້ອະນຸມັດໂຄງການຂົວໃໝ່ ໂຄງການນີ້ຈະໃຊ້ເວລາສາມປີ"
    assert split_sentences(lao) == ["ລັດຖະບານລາວໄດ້ອະນຸມັດໂຄງການຂົວໃໝ່", "ໂຄງການນີ້ຈະໃຊ້ເວລາສາມປີ"]


def test_thai_list_items_and_numbers_stay_in_their_sentence() -> None:
    # Spaces around short list items, numbers and Latin words are not sentence ends.
    text = "สะพานจะรองรับรถยนต์ รถประจำทาง และจักรยาน ราคา 30 บาท ที่ Bangkok Post รายงานเมื่อวานนี้"
    assert split_sentences(text) == [text]


def test_overlong_sentences_are_cut() -> None:
    words = " ".join(f"word{i}" for i in range(300))
    parts = split_sentences(words, max_chars=100)
    assert all(len(p) <= 100 for p in parts)
    assert " ".join(parts) == words
    clauses = ", ".join(["a clause of some length"] * 40)
    assert all(p.endswith(",") for p in split_sentences(clauses, max_chars=120)[:-1])
    cjk = "漢" * 1500
    parts = split_sentences(cjk, max_chars=600)
    assert [len(p) for p in parts] == [600, 600, 300]


def test_invalid_parameters() -> None:
    with pytest.raises(InvalidParameterError, match="min_chars"):
        split_sentences("x", min_chars=-1)
    with pytest.raises(InvalidParameterError, match="max_chars"):
        split_sentences("x", max_chars=0)
    with pytest.raises(InvalidParameterError, match="max_chars must be >= min_chars"):
        split_sentences("x", min_chars=50, max_chars=10)


def test_empty() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n \t") == []


_ALPHABET = st.sampled_from(list('ab Z.!?…。！？؟।\n\t"”)1., ;:漢あ̈') + ["Mr. ", "U.S. ", "17. Mai "])


@settings(deadline=None, max_examples=50)
@given(st.lists(_ALPHABET, max_size=400).map("".join), st.integers(0, 30), st.integers(1, 80))
def test_no_text_lost_and_deterministic(text: str, min_chars: int, extra: int) -> None:
    max_chars = min_chars + extra
    sentences = split_sentences(text, min_chars=min_chars, max_chars=max_chars)
    assert _ink("".join(sentences)) == _ink(text)
    assert all(s and s == s.strip() for s in sentences)
    assert all(len(s) <= max_chars for s in sentences)
    assert split_sentences(text, min_chars=min_chars, max_chars=max_chars) == sentences


@settings(deadline=None, max_examples=50)
@given(st.text(min_size=0, max_size=700))
def test_no_text_lost_any_unicode(text: str) -> None:
    sentences = split_sentences(text)
    assert _ink("".join(sentences)) == _ink(text)


def test_a_thai_clause_opened_by_a_continuing_word_stays_in_its_sentence() -> None:
    # "Fire crews fought the flames on Tuesday and received help from several aircraft": a space before
    # "and" (และ) joins a clause, not a sentence; a new sentence after it still starts one.
    first = "เจ้าหน้าที่ดับเพลิงต่อสู้กับเปลวไฟเมื่อวันอังคาร และได้รับความช่วยเหลือจากเครื่องบินดับเพลิงหลายลำ"
    second = "ชาวบ้านหลายพันคนต้องอพยพออกจากหมู่บ้าน"
    assert split_sentences(f"{first} {second}") == [first, second]
