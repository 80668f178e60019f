"""Word 97-2003 .doc inputs (dedup.io.word_binary), on compound files written here."""

from __future__ import annotations

import struct
from pathlib import Path

from compound_files import compound_file

from dedup.io.read import read_documents
from dedup.io.word_binary import doc_text


def _doc(
    pieces: list[tuple[str, bool]], *, extra_after: str = "", flags: int = 0, clx: bytes | None = None
) -> bytes:
    """A .doc file whose main text is ``pieces`` ((text, stored 8-bit?) in order), followed by
    ``extra_after`` (footnotes, headers: past ccpText, never read); ``clx`` replaces the piece table."""
    word = bytearray(0x800)
    struct.pack_into("<HH", word, 0, 0xA5EC, 0x00C1)
    struct.pack_into("<H", word, 0x0A, flags)
    cps, pcds, cp = [0], b"", 0
    for text, eight_bit in [*pieces, (extra_after, False)]:
        if not text:
            continue
        offset = len(word)
        if eight_bit:
            word += text.encode("cp1252")
            fc = (offset * 2) | 0x40000000
        else:
            word += text.encode("utf-16-le")
            fc = offset
        cp += len(text)
        cps.append(cp)
        pcds += struct.pack("<HIH", 0, fc, 0)
    main = sum(len(text) for text, _ in pieces)
    struct.pack_into("<I", word, 0x4C, main)
    plc = struct.pack(f"<{len(cps)}I", *cps) + pcds
    if clx is None:
        clx = b"\x01" + struct.pack("<H", 2) + b"\0\0" + b"\x02" + struct.pack("<I", len(plc)) + plc
    struct.pack_into("<II", word, 0x1A2, 0, len(clx))
    return compound_file({"WordDocument": bytes(word), "1Table" if flags & 0x0200 else "0Table": clx})


def test_the_main_text_is_read_from_8_bit_and_unicode_pieces(tmp_path: Path) -> None:
    raw = _doc(
        [
            ("Ferry strike ends\rCrews went back to work on Tuesday after a new wage deal was ", True),
            (
                "signed in Bergen; caf\u00e9 owners on the islands cheered. \u201cFinally,\u201d one said.\r",
                False,
            ),
        ],
        extra_after="A footnote that is not part of the story.\r",
    )
    (tmp_path / "ferry.doc").write_bytes(raw)
    with open(tmp_path / "ferry.doc", "rb") as fh:
        text, why = doc_text(fh, max_chars=10_000)
    assert why == ""
    assert text == (
        "Ferry strike ends\nCrews went back to work on Tuesday after a new wage deal was signed in "
        "Bergen; caf\u00e9 owners on the islands cheered. \u201cFinally,\u201d one said."
    )


def test_fields_keep_their_result_and_controls_become_text(tmp_path: Path) -> None:
    raw = _doc(
        [
            (
                'Cases of COVID\x1e19 fell, said Jean\x1ePierre Martin \x13 HYPERLINK "https://x.example" '
                "\x14(interview)\x15.\x0bHe expects a fur\x1fther drop.\x01\rName\x07Cases\x07\x07"
                "Oslo\x07212\x07\x07\x13 PAGE \x15\r",
                False,
            )
        ],
        flags=0x0200,  # the piece table in the 1Table stream
    )
    (tmp_path / "cases.doc").write_bytes(raw)
    (doc,), skipped = read_documents(tmp_path)
    assert not skipped
    assert doc.text.splitlines() == [
        "Cases of COVID-19 fell, said Jean-Pierre Martin (interview). He expects a further drop.",
        "Name",
        "Cases",
        "Oslo",
        "212",
    ]


def test_files_that_are_not_readable_doc_files_are_skipped_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "a.doc").write_bytes(b"{\\rtf1 an RTF file named .doc}")
    (tmp_path / "b.doc").write_bytes(compound_file({"Book": b"spreadsheet"}))
    (tmp_path / "c.doc").write_bytes(_doc([("Secret.\r", True)], flags=0x0100))
    (tmp_path / "d.doc").write_bytes(_doc([("Cut short.\r", True)], clx=b"\x01"))
    docs, skipped = read_documents(tmp_path)
    assert not docs
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons == {
        "a.doc": "not a Word .doc file (no OLE2 compound file header)",
        "b.doc": "not a Word .doc file (an OLE2 file without a WordDocument stream)",
        "c.doc": "encrypted .doc file (dedup asks for no password)",
        "d.doc": "damaged .doc file (unreadable piece table)",
    }


def _word6_doc(
    text: bytes, *, footnotes: bytes = b"", fonts: tuple[int, ...] = (0, 2), pieces: list[bytes] | None = None
) -> bytes:
    """A Word 6.0/95 .doc file: ``text`` (8-bit) from fcMin, then ``footnotes`` (past ccpText); the
    font table lists fonts of the character sets ``fonts``; ``pieces`` instead stores the main text
    fast-saved, each piece in reverse order in the stream, listed in order by the piece table."""
    word = bytearray(0x300)
    struct.pack_into("<HH", word, 0, 0xA5DC, 0x0065)
    struct.pack_into("<II", word, 0x18, len(word), len(word) + len(text) + len(footnotes))
    word += text + footnotes
    struct.pack_into("<I", word, 0x34, len(text) if pieces is None else sum(len(p) for p in pieces))
    table = b"".join(bytes([len(b"Font") + 6, 0x26, 0x90, 0x01, chs, 0]) + b"Font\0" for chs in fonts)
    struct.pack_into("<II", word, 0xD0, len(word), 2 + len(table))
    word += struct.pack("<H", 2 + len(table)) + table
    if pieces is not None:
        struct.pack_into("<H", word, 0x0A, 0x0004)  # fComplex: fast-saved
        fcs = {}
        for piece in reversed(pieces):
            fcs[piece] = len(word)
            word += piece
        cps = [0]
        for piece in pieces:
            cps.append(cps[-1] + len(piece))
        plc = struct.pack(f"<{len(cps)}I", *cps) + b"".join(struct.pack("<HIH", 0, fcs[p], 0) for p in pieces)
        clx = b"\x02" + struct.pack("<I", len(plc)) + plc
        struct.pack_into("<II", word, 0x160, len(word), len(clx))
        word += clx
    return compound_file({"WordDocument": bytes(word)})


def test_word_6_and_95_files_give_their_main_text(tmp_path: Path) -> None:
    (tmp_path / "west.doc").write_bytes(
        _word6_doc("Blåbær i Bergen\rPrisen stiger\x07 i år.\r".encode("cp1252"), footnotes=b"A footnote.\r")
    )
    (tmp_path / "cyrillic.doc").write_bytes(
        _word6_doc("Шторм в Москве\rШколы закрыты.\r".encode("cp1251"), fonts=(0, 2, 204, 0))
    )
    docs, skipped = read_documents(tmp_path)
    assert not skipped
    texts = {d.doc_id: d.text for d in docs}
    assert texts == {
        "west.doc": "Blåbær i Bergen\nPrisen stiger\ni år.",  # the footnote past ccpText is left out
        "cyrillic.doc": "Шторм в Москве\nШколы закрыты.",  # the Cyrillic font's code page, not cp1252
    }


def test_a_fast_saved_word_6_file_is_read_in_piece_table_order(tmp_path: Path) -> None:
    pieces = ["Storm hits the coast\r".encode("cp1252"), "Schools are closed.\r".encode("cp1252")]
    (tmp_path / "fast.doc").write_bytes(_word6_doc(b"Old text that a fast save replaced.\r", pieces=pieces))
    with (tmp_path / "fast.doc").open("rb") as stream:
        text, why = doc_text(stream, max_chars=10_000)
    assert (text, why) == ("Storm hits the coast\nSchools are closed.", "")
