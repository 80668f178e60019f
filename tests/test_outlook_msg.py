"""Outlook .msg inputs (dedup.io.outlook_msg), on messages written here as Outlook lays them out."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
from compound_files import compound_file
from conftest import scan_texts

from dedup.io.outlook_msg import decompress_rtf, msg_article
from dedup.io.read import read_documents
from dedup.types import Relation

SUBJECT, BODY, HTML, RTF_COMPRESSED, MESSAGE_ID = 0x0037, 0x1000, 0x1013, 0x1009, 0x1035
SUBMIT_TIME, INTERNET_CODEPAGE = 0x0039, 0x3FDE
RTF_PREFIX_LENGTH = 207  # the compressed-RTF dictionary's fixed start


def _filetime(when: datetime) -> int:
    return int((when - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


def _msg(
    strings: dict[int, str],
    *,
    string8: dict[int, bytes] | None = None,
    binary: dict[int, bytes] | None = None,
    sent: datetime | None = None,
    codepage: int | None = None,
) -> bytes:
    """An Outlook message: string properties stored as UTF-16 (``strings``) or 8-bit (``string8``),
    binary ones, and the fixed-size ones in ``__properties_version1.0``."""
    streams = {f"__substg1.0_{prop:04X}001F": text.encode("utf-16-le") for prop, text in strings.items()}
    streams |= {f"__substg1.0_{prop:04X}001E": data for prop, data in (string8 or {}).items()}
    streams |= {f"__substg1.0_{prop:04X}0102": data for prop, data in (binary or {}).items()}
    fixed = b"\0" * 32
    if sent is not None:
        fixed += struct.pack("<IIQ", SUBMIT_TIME << 16 | 0x0040, 6, _filetime(sent))
    if codepage is not None:
        fixed += struct.pack("<IIQ", INTERNET_CODEPAGE << 16 | 0x0003, 6, codepage)
    streams["__properties_version1.0"] = fixed
    return compound_file(streams)


def _compressed_rtf(rtf: bytes) -> bytes:
    """``rtf`` as compressed RTF of literals only, ended by the end marker (a reference to where the
    next byte would be written)."""
    body = bytearray()
    for start in range(0, len(rtf), 8):
        body.append(0)
        body += rtf[start : start + 8]
    end_at = (RTF_PREFIX_LENGTH + len(rtf)) % 4096
    if len(rtf) % 8 == 0:
        body.append(1)
    else:
        body[-(len(rtf) % 8) - 1] |= 1 << (len(rtf) % 8)
    body += struct.pack(">H", end_at << 4)
    return struct.pack("<IIII", len(body) + 12, len(rtf), 0x75465A4C, 0) + bytes(body)


def test_a_plain_text_message_is_its_subject_and_body_keyed_and_dated() -> None:
    article = msg_article(
        _msg(
            {
                SUBJECT: "Ferry strike ends after three days",
                BODY: "Ferry crews went back to work on Tuesday.\r\nThe union and the operators "
                "agreed on a new wage deal.\r\n-- \r\nPress office",
                MESSAGE_ID: "<pr-0611@ferries.example>",
            },
            sent=datetime(2024, 6, 11, 8, 30, tzinfo=UTC),
        )
    )
    assert article.key == "pr-0611@ferries.example"
    assert article.date == "2024-06-11T08:30:00+00:00"
    assert article.text == (
        "Ferry strike ends after three days\n"
        "Ferry crews went back to work on Tuesday.\n"
        "The union and the operators agreed on a new wage deal."
    )


def test_an_html_message_in_its_code_page_gives_its_main_text() -> None:
    html = (
        "<html><body><p>Der Bürgermeister eröffnete am Montag die neue Brücke über den Fluss.</p>"
        "<p>Die Fähre fährt noch bis Ende des Monats.</p></body></html>"
    )
    article = msg_article(
        _msg(
            {},
            string8={SUBJECT: "Neue Brücke eröffnet".encode("cp1252")},
            binary={HTML: html.encode("cp1252")},
            codepage=1252,
        )
    )
    assert article.text == (
        "Neue Brücke eröffnet\n"
        "Der Bürgermeister eröffnete am Montag die neue Brücke über den Fluss.\n"
        "Die Fähre fährt noch bis Ende des Monats."
    )


def test_a_message_with_only_a_compressed_rtf_body_is_read() -> None:
    rtf = b"{\\rtf1\\ansi\\ansicpg1252 Ferry crews went back to work on Tuesday.\\par The deal holds.\\par}"
    assert decompress_rtf(_compressed_rtf(rtf)) == rtf
    article = msg_article(_msg({SUBJECT: "Strike ends"}, binary={RTF_COMPRESSED: _compressed_rtf(rtf)}))
    assert article.text == "Strike ends\nFerry crews went back to work on Tuesday.\nThe deal holds."


def test_msg_files_in_a_folder_and_files_that_are_not_messages(tmp_path: Path) -> None:
    (tmp_path / "release.msg").write_bytes(
        _msg({SUBJECT: "Ferry strike ends", BODY: "Ferry crews went back to work on Tuesday."})
    )
    (tmp_path / "random.msg").write_bytes(b"\x00\x01not a compound file" * 50)
    (tmp_path / "report.msg").write_bytes(compound_file({"WordDocument": b"\0" * 64}))
    docs, skipped = read_documents(tmp_path)
    assert [(d.doc_id, d.text) for d in docs] == [
        ("release.msg", "Ferry strike ends\nFerry crews went back to work on Tuesday.")
    ]
    assert {Path(s.path).name: s.reason for s in skipped} == {
        "random.msg": "not an Outlook message (no OLE2 compound file)",
        "report.msg": "not an Outlook message (no MAPI properties)",
    }


@pytest.mark.model
def test_an_outlook_press_release_links_to_its_translation_in_a_text_file(tmp_path: Path, real_model) -> None:
    body = (
        "Ferry crews on the west coast went back to work on Tuesday after the union and the operators "
        "agreed on a new wage deal.\r\nThe strike had cancelled some 300 crossings and left island "
        "communities without deliveries."
    )
    (tmp_path / "release.msg").write_bytes(_msg({SUBJECT: "Ferry strike ends after three days", BODY: body}))
    norwegian = (
        "Ferjestreiken er over etter tre dager\n"
        "Ferjemannskapene på Vestlandet gikk tilbake på jobb tirsdag etter at forbundet og "
        "rederiene ble enige om en ny lønnsavtale.\n"
        "Streiken hadde ført til at rundt 300 avganger ble innstilt, og øysamfunn sto uten leveranser."
    )
    result = scan_texts(tmp_path, {"ferje.txt": norwegian})
    (pair,) = result.pairs
    assert {pair.doc_a, pair.doc_b} == {"ferje.txt", "release.msg"}
    assert pair.relation is Relation.TRANSLATION
    assert pair.confidence >= 0.9
