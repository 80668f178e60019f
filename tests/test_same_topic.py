"""Articles that share a topic but not a text get a low confidence (real model)."""

from __future__ import annotations

from pathlib import Path

import pytest

import dedup

pytestmark = pytest.mark.model

# An organisation's own page (German) and a news item about it (English): same topic, same names,
# no sentence translated from the other.
PAGES = {
    "club-about-de.txt": (
        "Der Alpenverein Süd wurde 1874 in Innsbruck von einer Gruppe von Bergsteigern gegründet.\n"
        "Heute zählt der Verein mehr als 40.000 Mitglieder in 60 Sektionen.\n"
        "Er betreibt 92 Hütten in den Ostalpen, von denen die meisten im Sommer bewirtschaftet sind.\n"
        "Die Mitglieder erhalten eine Bergungsversicherung und Ermäßigungen auf allen Hütten.\n"
        "Der Verein bildet jedes Jahr rund 300 ehrenamtliche Tourenführer aus.\n"
        "Seit 1990 setzt er sich auch für den Schutz der Gletscher und der alpinen Pflanzenwelt ein.\n"
        "Die Geschäftsstelle befindet sich in der Altstadt von Innsbruck und ist werktags geöffnet.\n"
    ),
    "club-news-en.txt": (
        "The Southern Alpine Club has closed three of its mountain huts early this season after a "
        "landslide damaged the access path.\n"
        "A spokesperson for the club said no one was injured when the slope gave way on Tuesday night.\n"
        "Hikers who had booked a stay will be refunded in full, the club said in a statement.\n"
        "Volunteers from the club's Innsbruck section are helping engineers assess the damage.\n"
        "The huts are expected to reopen next summer once the path has been rebuilt.\n"
        "Local authorities have warned walkers to avoid the area until further notice.\n"
    ),
    "floods-en.txt": (
        "Heavy rain caused flooding in several villages in the north of the country on Monday.\n"
        "Emergency services evacuated around 200 residents from their homes overnight.\n"
        "The national weather service has issued a red warning for the coming two days.\n"
        "Schools in the affected districts will remain closed until Thursday.\n"
        "Farmers say the floods have destroyed a large part of this year's harvest.\n"
    ),
}


def test_same_topic_pages_in_two_languages_are_not_linked(tmp_path: Path):
    for name, text in PAGES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    config = dedup.ScanConfig(use_cache=False, report_threshold=0.0)
    result = dedup.scan(tmp_path, encoder=dedup.load_encoder(), config=config)
    assert all(len(g.members) == 1 for g in result.groups)
    confidence = {(p.doc_a, p.doc_b): p.confidence for p in result.pairs}
    # the topic pair scores well above the unrelated pair, and still far below a link
    assert confidence[("club-about-de.txt", "club-news-en.txt")] < 0.3
    assert confidence[("club-about-de.txt", "club-news-en.txt")] > confidence.get(
        ("club-about-de.txt", "floods-en.txt"), 0.0
    )
