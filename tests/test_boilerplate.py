"""Tests of dedup.text.boilerplate: the seeds come out clean, content stays, copies keep shared lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.encoders.base import HashingEncoder
from dedup.errors import InvalidParameterError
from dedup.io.read import read_documents
from dedup.runners.local import scan
from dedup.text.boilerplate import line_rule, strip_boilerplate


@pytest.fixture()
def seed_texts(seeds_dir: Path) -> dict[str, str]:
    docs, _ = read_documents(seeds_dir)
    return {d.doc_id[:3]: d.text for d in docs}


@pytest.fixture()
def cleaned(seed_texts: dict[str, str]) -> dict[str, str]:
    keys = sorted(seed_texts)
    return dict(zip(keys, (c.text for c in strip_boilerplate([seed_texts[k] for k in keys])), strict=True))


def test_seed_002_icons_and_template_junk_removed(cleaned: dict[str, str]) -> None:
    text = cleaned["002"]
    for junk in ("An icon of", "[[title]]", "[[text]]", "Already a subscriber", "By Press Association"):
        assert junk not in text
    assert text.startswith("Sergei Lavrov urges Vladimir Putin to continue talks with West over Ukraine")
    assert "Russia’s top diplomat advised President Vladimir Putin" in text


def test_seed_000_read_also_and_teasers_removed(cleaned: dict[str, str]) -> None:
    text = cleaned["000"]
    for junk in (
        "Read also",
        "VG reports from Ukraine: We are ready for war for the children",
        "Movie review",
        "Stoltenberg to VG: Negotiations on offer",
        "– VG",
    ):
        assert junk not in text
    assert text.startswith("Intensive diplomacy – Russia invites new NATO meetings")
    assert "Lavrov: Russia does not threaten anyone" in text  # a subheading is content
    assert text.rstrip().endswith("Olaf Schulz in Berlin on Wednesday.")


def test_seed_004_donation_appeal_removed(cleaned: dict[str, str]) -> None:
    text = cleaned["004"]
    for junk in ("Support The Moscow Times", "newsletter", "Dear readers", "Remind me later", "Monthly"):
        assert junk not in text
    assert text.startswith("NATO Head Urges Ukraine Withdrawal at Meeting With Lavrov")
    assert text.rstrip().endswith("lowest point since the Cold War.")


def test_seed_date_prefix_trimmed_headline_kept(cleaned: dict[str, str]) -> None:
    assert cleaned["003"].startswith("Stoltenberg etter møtet med Russland: – Vanskelige samtaler")
    assert cleaned["001"].startswith("I BERLIN: Jens Stoltenberg har tirsdag møtt")
    assert "NTB" not in cleaned["003"].split("\n") and "Publisert" not in cleaned["003"]


def test_seed_001_article_body_untouched(seed_texts: dict[str, str], cleaned: dict[str, str]) -> None:
    body = [line for line in seed_texts["001"].split("\n")[1:] if line]
    assert [line for line in cleaned["001"].split("\n")[1:] if line] == body


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Les også: Ny storm i nord", "read_also"),
        ("Les òg", "read_also"),
        ("Læs også: Regeringen falder", "read_also"),
        ("Läs också", "read_also"),
        ("Lesen Sie auch: Sturm über Hamburg", "read_also"),
        ("Lire aussi : La tempête", "read_also"),
        ("Lee también: El temporal", "read_also"),
        ("Читайте также: Шторм", "read_also"),
        ("Czytaj także: Burza", "read_also"),
        ("Lue myös: Myrsky", "read_also"),
        ("関連記事", "read_also"),
        ("Read also Ministers resign over budget...", "read_also"),
        ("あわせて読みたい：台風が九州に上陸", "read_also"),
        ("延伸阅读：台风登陆福建", "read_also"),
        ("相关新闻｜台风登陆福建", "read_also"),
        ("Přečtěte si také: Bouře nad Prahou", "read_also"),
        ("Pročitajte i: Oluja nad Zagrebom", "read_also"),
        ("Preberite tudi: Neurje v Ljubljani", "read_also"),
        ("Baca juga: Banjir di Jakarta", "read_also"),
        ("עוד בנושא: סערה בצפון", "read_also"),
        ("यह भी पढ़ें: दिल्ली में तूफान", "read_also"),
        ("관련기사: 태풍 북상", "read_also"),
        ("写真：共同通信", "credit"),
        ("Von Anna Schmidt", "byline"),
        ("Av Kari Nordmann, NTB", "byline"),
        ("NTB", "credit"),
        ("(AP)", "credit"),
        ("Foto: Heiko Junge / NTB", "credit"),
        ("Photo: Getty Images", "credit"),
        ("Share on Facebook Share on Twitter Email", "share"),
        ("Del artikkelen", "share"),
        ("Sign up for our daily newsletter", "appeal"),
        ("Allerede abonnent? Logg inn", "appeal"),
        ("We use cookies to give you a better experience. Accept all", "cookie"),
        ("{{ byline }}", "template"),
        ("Publisert 14.02.2022 kl. 13.41", "date"),
        ("Oppdatert for 5 minutter siden", "date"),
        ("14. februar 2022", "date"),
        ("Annonse", "advert"),
        ("Home > News > Politics", "navigation"),
    ],
)
def test_line_rules_many_languages(line: str, rule: str) -> None:
    assert line_rule(line) == rule


@pytest.mark.parametrize(
    "line",
    [
        "Stoltenberg said the talks would go on.",
        "By Monday, the storm had passed and schools reopened.",
        "The newspaper said 5,000 readers had cancelled.",
        "Lavrov: Russia does not threaten anyone",
        "Publishers say the market for news subscriptions has doubled since 2019 and that growth continues "
        "in every region they track, from small local papers to national broadcasters.",
        "Share prices fell sharply on Monday after the central bank raised interest rates.",
        "Read more books and watch less television, the minister urged parents.",
        "Přečtěte si také podmínky, než smlouvu podepíšete, radí úřad.",
        "Baca juga petunjuk pemakaian sebelum mencoba alat itu.",
    ],
)
def test_content_lines_are_not_boilerplate(line: str) -> None:
    assert line_rule(line) is None


def test_repeated_lines_removed_across_unrelated_docs_only() -> None:
    shared = "Breaking stories from our network, every hour"
    unrelated = [
        f"{topic} dominated the day in the capital.\n{shared}\nOfficials gave no details about {topic}."
        for topic in ("The budget", "A storm", "The election", "A strike")
    ]
    out = strip_boilerplate(unrelated)
    assert all(shared not in c.text for c in out)
    assert all(any(r.reason.startswith("repeated in 4") for r in c.removed) for c in out)
    # Four re-edited copies of one article share their lines: content, not boilerplate.
    copies = [
        "The budget passed on Tuesday.\nThe finance minister was pleased.\nThe opposition voted against it."
        + (f"\nEdition {k} of the morning paper." if k else "")
        for k in range(4)
    ]
    assert [c.text for c in strip_boilerplate(copies)] == copies


def test_min_share_scales_with_folder_size() -> None:
    docs = [f"Unrelated article number {k}.\nIt is about topic {k * 7}.\nEnd of {k}." for k in range(300)]
    docs[:4] = [d + "\nA line shared by four documents" for d in docs[:4]]
    assert "shared by four" in strip_boilerplate(docs)[0].text  # 4 < 2 % of 300
    assert "shared by four" not in strip_boilerplate(docs, min_share=0.0)[0].text


def test_all_boilerplate_document_keeps_its_text() -> None:
    text = "Read also\nPhoto: NTB"
    assert strip_boilerplate([text])[0].text == text


def test_parameters_validated() -> None:
    with pytest.raises(InvalidParameterError, match="min_docs"):
        strip_boilerplate(["x"], min_docs=1)
    with pytest.raises(InvalidParameterError, match="min_share"):
        strip_boilerplate(["x"], min_share=2.0)


def test_scan_scores_clean_text_but_keeps_original_length(seeds_dir: Path) -> None:
    on = scan(seeds_dir, encoder=HashingEncoder())
    from dataclasses import replace

    from dedup.config import ScanConfig

    off = scan(seeds_dir, encoder=HashingEncoder(), config=replace(ScanConfig(), strip_boilerplate=False))
    n_on = {d.doc_id: d.n_sentences for d in on.documents}
    n_off = {d.doc_id: d.n_sentences for d in off.documents}
    assert n_on["002_6518522b25c7a500.txt"] < n_off["002_6518522b25c7a500.txt"]
    assert {d.doc_id: d.n_chars for d in on.documents} == {d.doc_id: d.n_chars for d in off.documents}
