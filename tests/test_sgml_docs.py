"""News collections in LDC/TREC SGML (<DOC> per article): Gigaword, TDT, TREC, CLEF."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from conftest import scan_texts

from dedup.io.read import read_documents
from dedup.io.sgml_docs import iter_sgml_articles
from dedup.types import Relation

# Articles written for these tests, laid out as the collections lay them out.
GIGAWORD = b"""<DOC id="XYZ_ENG_20240611.0007" type="story" >
<HEADLINE>
Ferry strike ends after three days
</HEADLINE>
<DATELINE>
BERGEN, June 11, 2024 (XYZ)
</DATELINE>
<TEXT>
<P>
Ferry crews on the west coast went back to work on Tuesday after the
union and the operators agreed on a new wage deal.
</P>
<P>
The strike had cancelled some 300 crossings &amp; left island
communities without deliveries.
</P>
</TEXT>
</DOC>
<DOC id="XYZ_ENG_20240611.0008" type="advis" >
<HEADLINE>
Editors: schedule
</HEADLINE>
<TEXT>
</TEXT>
</DOC>
"""

TREC = b"""<DOC>
<DOCNO> CITY880102-0042 </DOCNO>
<DATE>
<P>
January 2, 1988, Saturday, Late Edition
</P>
</DATE>
<HEADLINE>
<P>
COUNCIL BACKS NEW BRIDGE
</P>
</HEADLINE>
<TEXT>
<P>
The city council voted on Friday to build a bridge over the river&hyph;mouth,
ending a decade of argument about the crossing.
</P>
<P>
Work is to start in the spring&blank;and take three years.
</P>
</TEXT>
</DOC>
"""


def test_a_gigaword_doc_is_its_headline_and_paragraphs_with_wrapped_lines_joined():
    articles = list(iter_sgml_articles(io.BytesIO(GIGAWORD)))
    assert [a.key for a in articles] == ["XYZ_ENG_20240611.0007", "XYZ_ENG_20240611.0008"]
    story, advisory = articles
    assert story.text == (
        "Ferry strike ends after three days\n"
        "Ferry crews on the west coast went back to work on Tuesday after the union and the "
        "operators agreed on a new wage deal.\n"
        "The strike had cancelled some 300 crossings & left island communities without deliveries."
    )
    assert story.date == "2024-06-11"  # from the id
    assert "BERGEN" not in story.text  # the agency's dateline is not the story
    assert advisory.text is None and advisory.error == "an empty <TEXT>"


def test_a_trec_doc_is_keyed_by_its_docno_and_dated_by_its_written_date():
    (article,) = iter_sgml_articles(io.BytesIO(TREC))
    assert article.key == "CITY880102-0042"
    assert article.date == "1988-01-02"
    assert article.text.splitlines() == [
        "COUNCIL BACKS NEW BRIDGE",
        "The city council voted on Friday to build a bridge over the river-mouth, ending a decade of "
        "argument about the crossing.",
        "Work is to start in the spring and take three years.",
    ]


def test_a_legacy_encoded_collection_and_chinese_paragraphs_are_read():
    clef = "<DOC>\n<DOCNO>LEMONDE94-000001</DOCNO>\n<TEXT>\nLe conseil a approuvé le pont.\n</TEXT>\n</DOC>\n"
    (french,) = iter_sgml_articles(io.BytesIO(clef.encode("latin-1")))
    assert french.text == "Le conseil a approuvé le pont."
    chinese = "<DOC>\n<DOCNO>X1</DOCNO>\n<TEXT>\n<P>\n市议会周五投票决定\n在河口修建一座桥。\n</P>\n"
    chinese += "</TEXT>\n</DOC>\n"
    (article,) = iter_sgml_articles(io.BytesIO(chinese.encode("utf-8")))
    assert article.text == "市议会周五投票决定在河口修建一座桥。"  # CJK lines join without a space


def test_a_doc_cut_off_by_the_end_of_the_file_is_reported():
    articles = list(iter_sgml_articles(io.BytesIO(TREC + b"<DOC>\n<DOCNO> X2 </DOCNO>\n<TEXT>\nHalf a")))
    assert articles[0].text is not None
    assert articles[1].text is None and "no </DOC>" in (articles[1].error or "")


def test_a_folder_of_collections_gives_one_document_per_doc(tmp_path: Path):
    (tmp_path / "xyz_eng_202406.sgml.gz").write_bytes(gzip.compress(GIGAWORD))
    (tmp_path / "city88.sgm").write_bytes(TREC)
    (tmp_path / "notes.sgml").write_bytes(b"<html>no collection here</html>\n")
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == [
        "city88.sgm#CITY880102-0042",
        "xyz_eng_202406.sgml.gz#XYZ_ENG_20240611.0007",
    ]
    assert docs[1].date == "2024-06-11"
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons["xyz_eng_202406.sgml.gz#XYZ_ENG_20240611.0008"] == "an empty <TEXT>"
    assert reasons["notes.sgml"] == "no <DOC> element"


@pytest.mark.model
def test_a_wire_story_in_a_collection_links_to_its_translation_in_a_text_file(tmp_path: Path, real_model):
    norwegian = (
        "Ferjestreiken er over etter tre dager\n"
        "Ferjemannskapene på Vestlandet gikk tilbake på jobb tirsdag etter at forbundet og "
        "rederiene ble enige om en ny lønnsavtale.\n"
        "Streiken hadde ført til at rundt 300 avganger ble innstilt, og øysamfunn sto uten leveranser."
    )
    (tmp_path / "wire.sgml").write_bytes(GIGAWORD)
    result = scan_texts(tmp_path, {"ferje.txt": norwegian})
    pair = next(
        p for p in result.pairs if {p.doc_a, p.doc_b} == {"ferje.txt", "wire.sgml#XYZ_ENG_20240611.0007"}
    )
    assert pair.relation is Relation.TRANSLATION
    assert pair.confidence >= 0.9


def test_gigaword_files_compressed_without_an_ending_inside_are_read_as_collections(tmp_path: Path):
    (tmp_path / "data" / "xyz_eng").mkdir(parents=True)
    (tmp_path / "data" / "xyz_eng" / "xyz_eng_202406.gz").write_bytes(gzip.compress(GIGAWORD))
    notes = b"Call the harbour office about the ferry times.\n"
    (tmp_path / "desk_notes.gz").write_bytes(gzip.compress(notes))
    docs, skipped = read_documents(tmp_path)
    assert [(d.doc_id, d.date) for d in docs] == [
        ("data/xyz_eng/xyz_eng_202406.gz#XYZ_ENG_20240611.0007", "2024-06-11"),
        ("desk_notes.gz", ""),  # no <DOC> at its start: compressed text
    ]
    assert docs[1].text == "Call the harbour office about the ferry times."
    assert [Path(s.path).name for s in skipped] == ["xyz_eng_202406.gz#XYZ_ENG_20240611.0008"]


def test_trec_files_without_an_ending_are_read_and_other_such_files_passed_over(tmp_path: Path):
    (tmp_path / "CITY880102").write_bytes(TREC)  # TREC ships its collections without an ending
    (tmp_path / "FR880104.0").write_bytes(TREC.replace(b"CITY880102-0042", b"FR880104-0-00001"))
    (tmp_path / "README").write_bytes(b"Disk 1 of the collection. See the guide.\n")
    (tmp_path / "Makefile").write_bytes(b"all:\n\ttrue\n")
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["CITY880102#CITY880102-0042", "FR880104.0#FR880104-0-00001"]
    assert docs[0].date == "1988-01-02" and docs[0].text.startswith("COUNCIL BACKS NEW BRIDGE\n")
    assert skipped == []


def test_trec_files_without_an_ending_inside_a_tarball_are_read(tmp_path: Path):
    import tarfile

    bundle = tmp_path / "disk1.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        for name, data in (("city/CITY880102", TREC), ("city/README", b"Disk 1 of the collection.\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["disk1.tar.gz#city/CITY880102#CITY880102-0042"]
    assert skipped == []
