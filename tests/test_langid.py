"""Tests of dedup.text.langid: detection, the Nordic resolver, the document prior, code mapping."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dedup.text.langid import (
    DENSE_SCRIPT_WEIGHT,
    ISO639_3_TO_1,
    MIN_LETTERS,
    LanguageDetector,
    nordic_scores,
    to_iso639_1,
)


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


# Short paragraphs written for these tests: the same local news item in the four languages.
NORDIC_PARAGRAPHS = {
    "nb": "Kommunen har bestemt at den gamle skolen skal rives neste år. Mange foreldre er misfornøyde "
    "og sier at de ikke ble spurt. Ordføreren lover et nytt møte før jul.",
    "nn": "Kommunen har bestemt at den gamle skulen skal rivast neste år. Mange foreldre er misnøgde og "
    "seier at dei ikkje vart spurde. Ordføraren lovar eit nytt møte før jul.",
    "da": "Kommunen har besluttet, at den gamle skole skal rives næste år. Mange forældre er utilfredse "
    "og siger, at de ikke blev spurgt. Borgmesteren lover et nyt møde inden jul.",
    "sv": "Kommunen har beslutat att den gamla skolan ska rivas nästa år. Många föräldrar är missnöjda "
    "och säger att de inte blev tillfrågade. Kommunalrådet lovar ett nytt möte före jul.",
}


@pytest.mark.parametrize("lang", sorted(NORDIC_PARAGRAPHS))
def test_nordic_short_paragraphs(detector: LanguageDetector, lang: str) -> None:
    paragraph = NORDIC_PARAGRAPHS[lang]
    assert detector.detect(paragraph) == lang
    assert detector.detect(paragraph.split(". ")[0] + ".") == lang  # its first sentence alone


@pytest.mark.parametrize(
    "text",
    [
        "Í gærkvöldi hélt ríkisstjórnin blaðamannafund þar sem nýjar aðgerðir í húsnæðismálum voru kynntar.",
        "Veðurstofan varar við hvassviðri á Vestfjörðum og biður fólk að fara varlega á vegunum. "
        "Landsmenn kjósa til Alþingis í haust og flokkarnir eru þegar byrjaðir að kynna frambjóðendur sína.",
    ],
)
def test_icelandic_is_not_nynorsk(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == "is"
    assert detector.detect_sentences([text], doc_lang="is") == ["is"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "Í gjár samtykti løgtingið nýggja lóg um fiskiskap, og landsstýrismaðurin segði at hon fer at "
            "styrkja bygdirnar.",
            "fo",
        ),
        ("Veðrið var ringt í Tórshavn, og nógvir bilar stóðu fastir á vegnum millum býirnar.", "fo"),
        (
            "Gaur goizean Eusko Jaurlaritzak neurri berriak aurkeztu ditu etxebizitzaren arazoari "
            "aurre egiteko.",
            "eu",
        ),
        ("Bilbon euria egin du egun osoan, eta trenak berandu iritsi dira geltoki guztietara.", "eu"),
        ("Влада је у среду представила нови закон о запошљавању младих људи.", "sr"),
    ],
)
def test_languages_langdetect_lacks(detector: LanguageDetector, text: str, lang: str) -> None:
    assert detector.detect(text) == lang


def test_croatian_bosnian_serbian_latin_are_reported_as_croatian(detector: LanguageDetector) -> None:
    text = "Vlada je u srijedu predstavila novi zakon o zapošljavanju mladih ljudi u manjim gradovima."
    assert detector.detect(text) == "hr"


def test_sakha_and_livonian_by_their_letters(detector: LanguageDetector) -> None:
    # Sentences written for this test to exercise the letter rules (Sakha ҕ ҥ һ ө ү; Livonian õ with
    # Latvian-style long letters), not checked by a native speaker.
    assert detector.detect("Оҕолор бүгүн оскуолаҕа бардылар, маҥнайгы күн үөрүүлээх этэ.") == "sah"
    assert detector.detect("Mēg ūo līvlizt, mäd kīel um līvõ kēļ, ja mēg rǟkõm sīe kīelkõks.") == "liv"
    # One quoted Sakha name does not make a Russian text Sakha, nor one Latvian place name an
    # Estonian text Livonian.
    russian = (
        "Вчера в Якутске прошёл фестиваль, на котором выступил ансамбль «Оҕо саас». Зрители долго "
        "аплодировали, а организаторы пообещали провести праздник и в следующем году."
    )
    estonian = (
        "Eile käisime Rīga lähedal, aga ilm oli väga külm ja sajas lund terve päeva. Linnas oli palju "
        "inimesi ja kõik poed olid avatud hilisõhtuni."
    )
    assert detector.detect(russian) == "ru"
    assert detector.detect(estonian) == "et"


def test_a_sakha_sentence_without_its_two_marks_is_told_by_its_h(detector: LanguageDetector) -> None:
    # Written for this test, not checked by a native speaker: Sakha һ ө ү, but neither ҕ nor ҥ.
    assert detector.detect("Үөрэнээччилэр бүгүн сарсыарда оскуола иһигэр мустубуттара.") == "sah"
    # Kazakh and Bashkir write һ too, beside letters Sakha does not have (і қ; ҙ ә).
    assert detector.detect("Жиһаз дүкені бүгін қаланың орталығында ашылды.") != "sah"
    assert detector.detect("Беҙҙең ауылда яңы мәктәп асылды, балалар бик шат һәм бәхетле.") != "sah"


def test_norwegian_is_never_no(detector: LanguageDetector) -> None:
    texts = ["Hun er hjemme i dag.", "Det er fint vær i Oslo nå.", "Kor er du no?", "Vi ses i morgen tidlig."]
    assert all(detector.detect(t) != "no" for t in texts)


@pytest.mark.parametrize("text", ["", "   ", "12345 678", "!!! ???", "2024-01-01"])
def test_undetermined(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == "und"


@pytest.mark.parametrize("text", ["Hi.", "secret", "abc", "Ja.", "OK!", "Nei takk.", "政府は", "서울"])
def test_tiny_texts_are_undetermined(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == "und"


def test_minimum_counts_letters_and_cjk_characters(detector: LanguageDetector) -> None:
    assert (MIN_LETTERS, DENSE_SCRIPT_WEIGHT) == (10, 3)
    assert detector.detect("Gut gemacht") != "und"  # 10 letters
    assert detector.detect("Gut macht") == "und"  # 8 letters
    assert detector.detect("政府は水曜日") == "ja"  # 6 characters = 18 letter units
    assert detector.detect("서울에서 회의가") == "ko"
    # Inside a document, a sentence too short to judge takes the document's language.
    assert detector.detect_sentences(["Hi.", "Ja."], doc_lang="en") == ["en", "en"]


def test_deterministic_across_instances(detector: LanguageDetector) -> None:
    texts = [
        "Ja.",
        "Det er bra.",
        "ok ok ok",
        "Hola amigo",
        "Kva er klokka no?",
        "Kari er på kontoret i dag.",
    ]
    other = LanguageDetector(seed=0)
    assert [detector.detect(t) for t in texts] == [other.detect(t) for t in texts]
    assert detector.probabilities(texts[-1]) == other.probabilities(texts[-1])
    assert detector.broad_probabilities(texts[-1]) == other.broad_probabilities(texts[-1])
    assert [detector.detect(t) for t in texts] == [detector.detect(t) for t in texts]


def test_deterministic_across_processes(detector: LanguageDetector) -> None:
    texts = [
        "Ja.",
        "Det er bra.",
        "Kva er klokka no?",
        "Kari er på kontoret i dag.",
        "Hun jobber på sykehuset.",
        "Veðrið var ringt í Tórshavn, og nógvir bilar stóðu fastir.",
    ]
    code = (
        "import sys, json\n"
        "from dedup.text.langid import LanguageDetector\n"
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
        "Kari er på kontoret i dag.",  # alone it is bokmål; a nynorsk document keeps it nynorsk
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
    assert (to_iso639_1("sah"), to_iso639_1("liv")) == ("sah", "liv")  # no ISO 639-1 code exists
