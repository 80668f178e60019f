"""Small inputs give the answers large ones do (real model, shipped background statistics)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import dedup

pytestmark = pytest.mark.model

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

TRIPLE = {
    "bridge-en.txt": (
        "The town council in Tromsø voted on Tuesday to build a new bridge across the harbour. "
        "The bridge will cost about 400 million kroner and should be finished in 2029. "
        "Local businesses say the project will shorten travel times for thousands of commuters."
    ),
    "bridge-nb.txt": (
        "Bystyret i Tromsø vedtok tirsdag å bygge en ny bro over havnen. "
        "Broen vil koste rundt 400 millioner kroner og skal etter planen stå ferdig i 2029. "
        "Lokale bedrifter sier prosjektet vil gi kortere reisetid for tusenvis av pendlere."
    ),
    "bridge-de.txt": (
        "Der Stadtrat von Tromsø hat am Dienstag beschlossen, eine neue Brücke über den Hafen zu bauen. "
        "Die Brücke wird etwa 400 Millionen Kronen kosten und soll 2029 fertig sein. "
        "Örtliche Unternehmen sagen, das Projekt werde die Fahrzeiten für Tausende Pendler verkürzen."
    ),
}

# Unrelated short articles in the same languages: the "large folder" around the triple.
OTHERS = {
    "school-en.txt": (
        "A primary school in Leeds has banned mobile phones during lessons. Teachers say pupils "
        "concentrate better since the rule came in. Parents were informed by letter last week."
    ),
    "football-en.txt": (
        "The home side won the derby 3-1 after two late goals. The coach praised his young "
        "defenders. The next match is away against the league leaders on Saturday."
    ),
    "weather-en.txt": (
        "Heavy snow closed several mountain passes overnight. Drivers are advised to check road "
        "reports before setting off. More snow is expected towards the weekend."
    ),
    "museum-en.txt": (
        "A new museum of modern design opened its doors in the old harbour warehouse. The first "
        "exhibition shows furniture from five decades. Entry is free for children under twelve."
    ),
    "skole-nb.txt": (
        "Regjeringen vil gi alle elever i ungdomsskolen gratis frukt hver dag. Ordningen skal "
        "prøves ut i tre fylker fra høsten. Lærerne er positive, men spør hvem som skal dele ut maten."
    ),
    "fotball-nb.txt": (
        "Bodø/Glimt snudde kampen og vant 2-1 på bortebane søndag. Treneren var fornøyd med "
        "innsatsen etter pause. Laget ligger nå to poeng bak serielederen."
    ),
    "vaer-nb.txt": (
        "Meteorologene varsler kraftig vind langs kysten i natt. Fergesambandet til øyene kan bli "
        "innstilt. Folk bes sikre løse gjenstander rundt huset."
    ),
    "bibliotek-nb.txt": (
        "Det nye biblioteket i sentrum har fått over tusen besøkende den første uka. Mange kommer "
        "for å lese aviser og låne spill. Kommunen vurderer nå lengre åpningstider."
    ),
    "schule-de.txt": (
        "Die Landesregierung will an allen Grundschulen mehr Sportunterricht einführen. Geplant "
        "ist eine zusätzliche Stunde pro Woche. Die Gewerkschaft fordert dafür mehr Lehrkräfte."
    ),
    "fussball-de.txt": (
        "Der Aufsteiger gewann überraschend gegen den Tabellenführer. Das entscheidende Tor fiel "
        "in der Nachspielzeit. Die Fans feierten noch lange nach dem Abpfiff."
    ),
    "wetter-de.txt": (
        "Ein Unwetter hat in der Nacht zahlreiche Keller überflutet. Die Feuerwehr war mit "
        "mehreren hundert Kräften im Einsatz. Verletzt wurde nach ersten Angaben niemand."
    ),
    "bahn-de.txt": (
        "Die Bahn erneuert im Sommer die Strecke zwischen zwei Großstädten. Reisende müssen mit "
        "Umwegen und längeren Fahrzeiten rechnen. Ersatzbusse sollen die Lücke schließen."
    ),
}


def _write(folder: Path, texts: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder


def _link_confidences(result: dedup.ScanResult) -> dict[tuple[str, str], float]:
    return {(p.doc_a, p.doc_b): p.confidence for p in result.pairs}


@pytest.fixture(scope="module")
def encoder():
    return dedup.load_encoder()


def test_three_sentence_translations_form_one_group_with_strong_links(tmp_path, encoder):
    config = dedup.ScanConfig(use_cache=False, report_threshold=0.0)
    result = dedup.scan(_write(tmp_path / "triple", TRIPLE), encoder=encoder, config=config)
    assert [g.members for g in result.groups] == [tuple(sorted(TRIPLE))]
    links = _link_confidences(result)
    assert len(links) == 3
    assert min(links.values()) >= 0.9, links


def test_a_pair_among_three_texts_gets_its_confidence_from_a_larger_folder(tmp_path, encoder):
    config = dedup.ScanConfig(use_cache=False, report_threshold=0.0)
    small = _link_confidences(dedup.scan(_write(tmp_path / "small", TRIPLE), encoder=encoder, config=config))
    large_dir = _write(tmp_path / "large", TRIPLE | OTHERS)
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, large_dir / seed.name)
    large = _link_confidences(dedup.scan(large_dir, encoder=encoder, config=config))
    for pair, confidence in small.items():
        assert abs(confidence - large[pair]) <= 0.05, (pair, confidence, large[pair])


# One-line records, as a title feed holds them: a headline in three languages, another storm
# headline (the same weather, another event) and an unrelated one.
HEADLINES = {
    "power-en.txt": "Storm cuts power to 40,000 homes in western Norway",
    "power-nb.txt": "Uvær kutter strømmen til 40 000 husstander på Vestlandet",
    "power-de.txt": "Sturm: 40.000 Haushalte in Westnorwegen ohne Strom",
    "roads-en.txt": "Storm closes mountain roads in western Norway",
    "museum-de.txt": "Einbrecher stehlen zwei Gemälde aus dem Kunstmuseum in Bergen",
}


def test_headline_translations_link_and_weigh_more_than_a_headline_on_the_same_weather(tmp_path, encoder):
    config = dedup.ScanConfig(use_cache=False, report_threshold=0.0)
    result = dedup.scan(_write(tmp_path / "headlines", HEADLINES), encoder=encoder, config=config)
    confidence = {frozenset(pair): c for pair, c in _link_confidences(result).items()}
    translations = [confidence[frozenset(p)] for p in (("power-en.txt", "power-nb.txt"),
                    ("power-en.txt", "power-de.txt"), ("power-de.txt", "power-nb.txt"))]  # fmt: skip
    assert min(translations) >= 0.9, translations
    # One sentence is all the evidence there is: the other storm headline links too (0.80-0.84 over
    # bank draws of the calibration recipe), but clearly below its translations (0.99).
    assert confidence.get(frozenset(("power-en.txt", "roads-en.txt")), 0.0) < min(translations) - 0.1
    assert all(confidence.get(frozenset((n, "museum-de.txt")), 0.0) < 0.1 for n in HEADLINES)
    assert ("museum-de.txt",) in [g.members for g in result.groups]
