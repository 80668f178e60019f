"""Tests of dedup.langid: detection, the Nordic resolver, the document prior, code mapping."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dedup.langid import ISO639_3_TO_1, LanguageDetector, nordic_scores, to_iso639_1


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(seed=0)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The central bank raised interest rates again on Thursday, citing inflation.", "en"),
        ("Die Bundesregierung hat am Mittwoch ein neues Klimaschutzgesetz beschlossen.", "de"),
        ("Le gouvernement a annoncé mercredi de nouvelles mesures pour les agriculteurs.", "fr"),
        ("Правительство объявило о новых мерах поддержки экономики в среду.", "ru"),
        ("政府は水曜日に新しい経済対策を発表しました。", "ja"),
        ("政府周三宣布了新的经济刺激措施，以支持中小企业发展。", "zh"),
        ("أعلنت الحكومة يوم الأربعاء عن إجراءات جديدة لدعم الاقتصاد.", "ar"),
    ],
)
def test_major_languages(detector: LanguageDetector, text: str, lang: str) -> None:
    assert detector.detect(text) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Regjeringen vil ikke si hva som skjer med skatten, men statsministeren lover mye.", "nb"),
        ("Politiet fikk melding om brannen i natt, og ingen ble skadet.", "nb"),
        ("Regjeringa vil ikkje seie kva som skjer med skatten, men statsministeren lovar mykje.", "nn"),
        ("Politiet fekk melding om brannen i natt, og ingen vart skadde.", "nn"),
        ("Regeringen vil ikke sige, hvad der sker med skatten, men statsministeren lover meget.", "da"),
        ("Politiet fik en anmeldelse om branden i nat, og ingen kom til skade.", "da"),
        ("Regeringen vill inte säga vad som händer med skatten, men statsministern lovar mycket.", "sv"),
        ("Polisen fick larm om branden i natt och ingen skadades.", "sv"),
    ],
)
def test_nordic_family(detector: LanguageDetector, text: str, lang: str) -> None:
    assert detector.detect(text) == lang


def test_norwegian_is_never_no(detector: LanguageDetector) -> None:
    texts = ["Hun er hjemme i dag.", "Det er fint vær i Oslo nå.", "Kor er du?", "Vi ses i morgen."]
    assert all(detector.detect(t) != "no" for t in texts)


@pytest.mark.parametrize("text", ["", "   ", "12345 678", "!!! ???", "2024-01-01"])
def test_undetermined(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == "und"


def test_deterministic_across_instances(detector: LanguageDetector) -> None:
    texts = ["Ja.", "Det er bra.", "ok ok ok", "Hola amigo", "Kva er klokka?", "Tom har fri."]
    other = LanguageDetector(seed=0)
    assert [detector.detect(t) for t in texts] == [other.detect(t) for t in texts]
    assert detector.probabilities("Tom har fri.") == other.probabilities("Tom har fri.")


def test_deterministic_across_processes(detector: LanguageDetector) -> None:
    texts = ["Ja.", "Det er bra.", "Kva er klokka?", "Tom har fri.", "Han jobber i bank."]
    code = (
        "import sys, json\n"
        "from dedup.langid import LanguageDetector\n"
        "d = LanguageDetector(seed=0)\n"
        "print(json.dumps([d.detect(t) for t in json.loads(sys.argv[1])]))\n"
    )
    import json

    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(texts)], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == [detector.detect(t) for t in texts]


def test_detect_sentences_uses_document_prior(detector: LanguageDetector) -> None:
    sentences = [
        "Ja.",
        "Tom har fri.",  # langdetect alone says Swedish; a nynorsk document keeps it nynorsk
        "Det er bra.",
        "Президент заявил, что переговоры продолжатся на следующей неделе.",
        "The talks will resume next week, the president said in a statement.",
    ]
    assert detector.detect_sentences(sentences, doc_lang="nn") == ["nn", "nn", "nn", "ru", "en"]
    assert detector.detect_sentences(["Det er bra."], doc_lang="da") == ["da"]
    assert detector.detect_sentences(["12"], doc_lang="nb") == ["nb"]
    assert detector.detect_sentences(["Hello there, my friend!"], doc_lang="und") == ["en"]
    assert detector.detect_sentences(["Det er bra."], doc_lang="nob") == ["nb"]  # ISO 639-3 accepted


def test_nordic_scores_are_transparent() -> None:
    scores = nordic_scores("Eg veit ikkje korleis dei gjer det.")
    assert max(scores, key=scores.get) == "nn"
    assert nordic_scores("") == {"nb": 0.0, "nn": 0.0, "da": 0.0, "sv": 0.0}
    assert (
        max(nordic_scores("Hvad siger du? Jeg ved ikke noget om det.").items(), key=lambda kv: kv[1])[0]
        == "da"
    )
    assert nordic_scores("Jag vet inte.")["sv"] > nordic_scores("Jag vet inte.")["nb"]


def test_iso639_mapping() -> None:
    expected = {
        "eng": "en", "nob": "nb", "nno": "nn", "dan": "da", "swe": "sv", "deu": "de", "fra": "fr",
        "spa": "es", "rus": "ru", "ukr": "uk", "pol": "pl", "fin": "fi", "jpn": "ja", "zho": "zh",
        "ara": "ar", "hin": "hi", "isl": "is", "tur": "tr", "ita": "it",
    }  # fmt: skip
    assert {k: to_iso639_1(k) for k in expected} == expected
    assert all(len(v) == 2 for v in ISO639_3_TO_1.values())
    assert to_iso639_1("NOB") == "nb"
    assert to_iso639_1("no") == "nb"
    assert to_iso639_1("zh-cn") == "zh"
    assert to_iso639_1("en") == "en"
    assert to_iso639_1("qqq") == "und"
