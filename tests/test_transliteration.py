"""One text written in two scripts is a near-duplicate, not a translation."""

from __future__ import annotations

import pytest
from conftest import scan_texts

from dedup.outputs.archive_policy import build_manifest
from dedup.scoring.transliteration import consonant_skeleton, is_transliteration, skeleton_jaccard
from dedup.types import DocumentInfo, Group, Pair, Relation, ScanResult

# A council news item written for these tests, in Serbian Cyrillic, the same text in Serbian Latin
# letters, and an English translation.
SERBIAN_CYRILLIC = (
    "Градско веће Новог Сада усвојило је у среду план за изградњу новог моста преко Дунава.\n"
    "Мост ће бити дугачак 870 метара и имаће две траке за аутомобиле и стазу за бицикле.\n"
    "Радови треба да почну следећег пролећа и трајаће три године.\n"
    "Градоначелник је рекао да ће мост смањити гужве у центру града."
)
SERBIAN_LATIN = (
    "Gradsko veće Novog Sada usvojilo je u sredu plan za izgradnju novog mosta preko Dunava.\n"
    "Most će biti dugačak 870 metara i imaće dve trake za automobile i stazu za bicikle.\n"
    "Radovi treba da počnu sledećeg proleća i trajaće tri godine.\n"
    "Gradonačelnik je rekao da će most smanjiti gužve u centru grada."
)
ENGLISH = (
    "The Novi Sad city council on Wednesday approved a plan to build a new bridge over the Danube.\n"
    "The bridge will be 870 metres long, with two lanes for cars and a cycle path.\n"
    "Work is due to start next spring and will take three years.\n"
    "The mayor said the bridge would ease congestion in the city centre."
)
# Croatian: a related language in Latin letters, worded on its own (not the Serbian text respelled).
CROATIAN = (
    "Gradsko vijeće Novog Sada u srijedu je prihvatilo plan gradnje novog mosta preko Dunava.\n"
    "Most će biti dug 870 metara, s dvije prometne trake za automobile i biciklističkom stazom.\n"
    "Radovi bi trebali započeti idućeg proljeća i trajat će tri godine.\n"
    "Gradonačelnik je rekao da će most smanjiti prometne gužve u središtu grada."
)


def test_serbian_in_cyrillic_and_latin_letters_is_one_text():
    assert skeleton_jaccard(SERBIAN_CYRILLIC, SERBIAN_LATIN) > 0.9
    assert is_transliteration(SERBIAN_CYRILLIC, SERBIAN_LATIN)
    assert is_transliteration(SERBIAN_LATIN, SERBIAN_CYRILLIC)


def test_kazakh_and_uzbek_alphabet_reforms_are_one_text():
    # romanisation tables differ on vowels and digraphs (ч "ch" / č "c", ә / ä, ш / ş)
    assert consonant_skeleton("Қазақстан үкіметі") == consonant_skeleton("Qazaqstan ükımetı")
    assert is_transliteration(
        "Ўзбекистон ҳукумати пайшанба куни янги сув хўжалиги дастурини тасдиқлади.",
        "O‘zbekiston hukumati payshanba kuni yangi suv xo‘jaligi dasturini tasdiqladi.",
    )


def test_a_translation_or_a_related_language_is_not_a_transliteration():
    assert not is_transliteration(SERBIAN_CYRILLIC, ENGLISH)
    assert skeleton_jaccard(SERBIAN_CYRILLIC, CROATIAN) < 0.6
    assert not is_transliteration(SERBIAN_CYRILLIC, CROATIAN)
    # Hindi and Urdu: one spoken language, two vocabularies as written
    assert not is_transliteration(
        "भारतीय रिज़र्व बैंक ने बुधवार को प्रमुख ब्याज दर में कोई बदलाव नहीं किया।",
        "ریزرو بینک آف انڈیا نے بدھ کو اہم شرح سود میں کوئی تبدیلی نہیں کی۔",
    )


def test_texts_in_one_script_are_never_transliterations():
    # the same text twice in Latin letters is compared as written (a copy or near-duplicate there)
    assert not is_transliteration(SERBIAN_LATIN, SERBIAN_LATIN)
    assert not is_transliteration(SERBIAN_LATIN, CROATIAN)


def test_the_manifest_calls_a_transliteration_a_duplicate():
    docs = [
        DocumentInfo("lat.txt", "hr", 4, 300, sha256="1" * 64),
        DocumentInfo("cyr.txt", "sr", 4, 300, sha256="2" * 64),
        DocumentInfo("en.txt", "en", 4, 280, sha256="3" * 64),
    ]
    pairs = [
        Pair("cyr.txt", "lat.txt", "sr", "hr", Relation.NEAR_DUPLICATE, 0.99),
        Pair("cyr.txt", "en.txt", "sr", "en", Relation.TRANSLATION, 0.98),
        Pair("en.txt", "lat.txt", "en", "hr", Relation.TRANSLATION, 0.98),
    ]
    group = Group("g00001", ("cyr.txt", "en.txt", "lat.txt"), 0.98, ("en", "hr", "sr"))
    rows = {r.path: r for r in build_manifest(ScanResult(tuple(docs), tuple(pairs), (group,)))}
    kept = next(path for path, row in rows.items() if row.role == "keep")
    assert kept == "cyr.txt"
    assert rows["lat.txt"].role == "duplicate_of"
    assert rows["en.txt"].role == "translation_of"


@pytest.mark.model
def test_a_scan_calls_the_latin_copy_a_near_duplicate_and_the_english_one_a_translation(tmp_path, real_model):
    result = scan_texts(tmp_path, {"cyr.txt": SERBIAN_CYRILLIC, "lat.txt": SERBIAN_LATIN, "en.txt": ENGLISH})
    pairs = {(p.doc_a, p.doc_b): p for p in result.pairs}
    assert pairs[("cyr.txt", "lat.txt")].relation is Relation.NEAR_DUPLICATE
    assert pairs[("cyr.txt", "lat.txt")].confidence >= 0.9
    assert pairs[("cyr.txt", "en.txt")].relation is Relation.TRANSLATION
    assert pairs[("en.txt", "lat.txt")].relation is Relation.TRANSLATION
    groups = [sorted(g.members) for g in result.groups if len(g.members) > 1]
    assert groups == [["cyr.txt", "en.txt", "lat.txt"]]
