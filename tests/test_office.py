"""Word-processor inputs (dedup.io.office): .docx, .odt and .sxw files written here with zipfile."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from dedup.io.read import read_documents

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX = f"""<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="{W}"><w:body>
  <w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>Ferry enters service</w:t></w:r></w:p>
  <w:p>
    <w:r><w:t xml:space="preserve">The new ferry made its </w:t></w:r>
    <w:r><w:rPr><w:b/></w:rPr><w:t>first</w:t></w:r>
    <w:r><w:t xml:space="preserve"> crossing</w:t></w:r><w:r><w:tab/><w:t>on Tuesday.</w:t></w:r>
    <w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del>
  </w:p>
  <w:p/>
  <w:tbl><w:tr><w:tc><w:p><w:r><w:t>Passengers: 212</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>"""

T = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODT = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="{T}">
<office:body><office:text>
<text:h>Ferry enters service</text:h>
<text:p>The new ferry made its <text:span>first</text:span> crossing<text:s text:c="2"/>on Tuesday.<text:note>
<text:note-body><text:p>A footnote.</text:p></text:note-body></text:note></text:p>
<text:p>Passengers: 212<!-- check this figure --></text:p>
</office:text></office:body></office:document-content>"""


OOO_OFFICE, OOO_TEXT = "http://openoffice.org/2000/office", "http://openoffice.org/2000/text"
SXW = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="{OOO_OFFICE}" xmlns:text="{OOO_TEXT}">
<office:body>
<text:h text:level="1">Ferry enters service</text:h>
<text:p>The new ferry made its <text:span>first</text:span> crossing<text:s text:c="2"/>on Tuesday.
<text:footnote><text:footnote-citation>1</text:footnote-citation>
<text:footnote-body><text:p>A footnote.</text:p></text:footnote-body></text:footnote></text:p>
<text:p>Passengers: 212</text:p>
</office:body></office:document-content>"""


def _zip(path: Path, member: str, xml: str) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(member, xml)


def test_docx_and_odt_give_their_paragraphs_without_deletions_or_footnotes(tmp_path: Path) -> None:
    _zip(tmp_path / "ferry.docx", "word/document.xml", DOCX)
    _zip(tmp_path / "ferry.odt", "content.xml", ODT)
    docs, skipped = read_documents(tmp_path)
    assert not skipped
    texts = {d.doc_id: d.text for d in docs}
    assert (
        texts["ferry.docx"]
        == "Ferry enters service\nThe new ferry made its first crossing on Tuesday.\nPassengers: 212"
    )
    assert (
        texts["ferry.odt"]
        == "Ferry enters service\nThe new ferry made its first crossing on Tuesday.\nPassengers: 212"
    )


def test_an_openoffice_1_writer_file_gives_its_paragraphs_without_footnotes(tmp_path: Path) -> None:
    _zip(tmp_path / "ferry.sxw", "content.xml", SXW)
    docs, skipped = read_documents(tmp_path)
    assert not skipped
    assert [d.text for d in docs] == [
        "Ferry enters service\nThe new ferry made its first crossing on Tuesday.\nPassengers: 212"
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.docx", b"PK\x03\x04 not really a zip", "not a .docx file (unreadable zip"),
        ("other.docx", None, "not a .docx file (no word/document.xml inside)"),
        ("empty.odt", b"", "empty file"),
    ],
)
def test_unusable_word_processor_files_are_skipped_with_the_reason(
    tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    if content is None:
        _zip(tmp_path / name, "content.xml", ODT)
    else:
        (tmp_path / name).write_bytes(content)
    docs, skipped = read_documents(tmp_path)
    assert docs == []
    assert len(skipped) == 1 and skipped[0].reason.startswith(reason)


def test_a_docx_cut_at_the_byte_cap_keeps_the_paragraphs_before_the_cut(tmp_path: Path) -> None:
    paragraphs = "".join(
        f"<w:p><w:r><w:t>Paragraph {k} of the long report.</w:t></w:r></w:p>" for k in range(2000)
    )
    _zip(
        tmp_path / "long.docx",
        "word/document.xml",
        f'<w:document xmlns:w="{W}"><w:body>{paragraphs}</w:body></w:document>',
    )
    docs, skipped = read_documents(tmp_path, max_chars=2000)
    assert not skipped
    (doc,) = docs
    assert doc.text.startswith("Paragraph 0 of the long report.\nParagraph 1 of")
    assert len(doc.text) <= 2000


def test_word_s_non_breaking_hyphen_is_a_hyphen(tmp_path: Path) -> None:
    xml = (
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>Cases of COVID</w:t><w:noBreakHyphen/>'
        "<w:t>19 fell, said Jean</w:t><w:noBreakHyphen/><w:t>Pierre Martin.</w:t></w:r></w:p>"
        "</w:body></w:document>"
    )
    _zip(tmp_path / "cases.docx", "word/document.xml", xml)
    (doc,), _ = read_documents(tmp_path)
    assert doc.text == "Cases of COVID-19 fell, said Jean-Pierre Martin."
