"""RTF files: one article each, in the file's own code page, without its tables of fonts and pictures."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from dedup.io.read import read_documents
from dedup.io.rtf import rtf_text

# An RTF file as word processors write it: header tables, a Cyrillic code page (\'xx escapes),
# \uN escapes, a table, a picture and a footnote.
WIRE_RTF = (
    rb"{\rtf1\ansi\ansicpg1251\deff0{\fonttbl{\f0\froman Times New Roman;}}"
    rb"{\colortbl;\red0\green0\blue0;}{\stylesheet{\s0 Normal;}}{\*\generator Msftedit 5.41;}"
    rb"{\info{\title Internal title}{\author Desk}}"
    rb"\pard\b \'d8\'f2\'ee\'f0\'ec \'ed\'e0 \'ef\'ee\'e1\'e5\'f0\'e5\'e6\'fc\'e5\b0\par"
    rb"\pard Thousands of homes lost power overnight, the utility said.\line Ferries were cancelled.\par"
    rb"{\pict\pngblip\picw20\pich20 89504e470d0a1a0a0000000d49484452}"
    rb"\pard Caf\u233?s in the harbour stayed closed{\footnote \pard A footnote.}.\par"
    rb"\trowd\cellx2000\cellx4000\intbl Wind\cell 40 m/s\cell\row"
    rb"}"
)


def test_an_rtf_file_gives_its_paragraphs_in_its_code_page() -> None:
    text, why = rtf_text(io.BytesIO(WIRE_RTF), max_bytes=100_000)
    assert why == ""
    assert text == (
        "Шторм на побережье\n"
        "Thousands of homes lost power overnight, the utility said.\n"
        "Ferries were cancelled.\n"
        "Cafés in the harbour stayed closed.\n"
        "Wind|40 m/s|"
    )


def test_rtf_files_are_read_from_folders_and_bundles_and_a_false_one_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "storm.rtf").write_bytes(WIRE_RTF)
    (tmp_path / "notes.rtf").write_text("Plain notes saved with the wrong ending.", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("wire/storm.rtf", WIRE_RTF)
    (tmp_path / "wire.zip").write_bytes(buf.getvalue())
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["storm.rtf", "wire.zip#wire/storm.rtf"]
    assert docs[0].text == docs[1].text and docs[0].text.startswith("Шторм на побережье\n")
    assert docs[0].sha256 == docs[1].sha256
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("notes.rtf", "not an RTF file (it does not start with {\\rtf)")
    ]
