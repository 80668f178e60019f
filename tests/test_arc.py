"""ARC files (the web-archive format before WARC) read one article per HTML or text response."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from dedup.io.read import read_documents

STORY = (
    "<html><head><title>Storm</title></head><body><article>"
    "<h1>Storm leaves thousands without power</h1>"
    "<p>A storm swept across the west coast on Monday night, and thousands of homes lost power.</p>"
    "<p>The utility said repairs in the valley would take until Wednesday at the earliest.</p>"
    "<p>Schools in the region stay closed, and the ferry to the islands is cancelled.</p>"
    "</article></body></html>"
)


def _response(status: str, content_type: str, body: bytes) -> bytes:
    return f"HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\n\r\n".encode() + body


def _record(url: str, date: str, mime: str, content: bytes, *, version: int = 1) -> bytes:
    """One ARC record: its header line (version 1: five fields; version 2: ten), the content, a newline."""
    if version == 1:
        line = f"{url} 192.0.2.7 {date} {mime} {len(content)}\n"
    else:
        line = f"{url} 192.0.2.7 {date} {mime} 200 SHA1CHECKSUM - 0 test.arc {len(content)}\n"
    return line.encode() + content + b"\n"


def _file_header(version: int = 1) -> bytes:
    block = (
        b"1 0 Example Archive\nURL IP-address Archive-date Content-type Archive-length\n"
        if version == 1
        else b"2 0 Example Archive\nURL IP-address Archive-date Content-type Result-code Checksum "
        b"Location Offset Filename Archive-length\n"
    )
    return _record("filedesc://test.arc", "19961104142000", "text/plain", block)  # five fields in both


RECORDS = [
    (
        "http://www.daily.example:80/storm.html",
        "19961104142103",
        "text/html",
        _response("200 OK", "text/html", STORY.encode()),
    ),
    (
        "http://www.daily.example:80/old.html",
        "19961104142105",
        "text/html",
        _response("404 Not Found", "text/html", b"<p>Gone.</p>"),
    ),
    (
        "http://www.daily.example:80/logo.gif",
        "19961104142107",
        "image/gif",
        _response("200 OK", "image/gif", b"GIF89a" + bytes(40)),
    ),
    (
        "http://www.avis.example:80/vaer.html",
        "19961104142109",
        "text/html",
        _response(
            "200 OK",
            "text/html; charset=iso-8859-1",
            "<p>Været: sterk vind på kysten i natt.</p>".encode("latin-1"),
        ),
    ),
]


def test_arc_responses_become_documents_keyed_by_their_offset(tmp_path: Path) -> None:
    parts = [_file_header(), *(_record(*r) for r in RECORDS)]
    path = tmp_path / "crawl.arc"
    path.write_bytes(b"".join(parts))
    offsets = [sum(len(p) for p in parts[:k]) for k in range(1, len(parts))]
    before = path.read_bytes()
    docs, skipped = read_documents(tmp_path)
    assert path.read_bytes() == before
    by_id = {d.doc_id: d for d in docs}
    assert sorted(by_id) == sorted(f"crawl.arc#{offsets[k]}" for k in (0, 3))
    storm = by_id[f"crawl.arc#{offsets[0]}"]
    assert "thousands of homes lost power" in storm.text
    assert (storm.url, storm.date) == ("http://www.daily.example:80/storm.html", "1996-11-04T14:21:03Z")
    assert by_id[f"crawl.arc#{offsets[3]}"].text == "Været: sterk vind på kysten i natt."  # its HTTP charset
    reasons = {s.path.rsplit("#", 1)[1]: s.reason for s in skipped}
    assert reasons == {
        str(offsets[1]): "HTTP error or redirect response (HTTP/1.0 404 Not Found)",
        str(offsets[2]): "not HTML or plain text (image/gif)",
    }


def test_gzipped_arc_is_read_member_by_member(tmp_path: Path) -> None:
    members = [gzip.compress(_file_header(), mtime=0)]
    members += [gzip.compress(_record(*r), mtime=0) for r in RECORDS[:2]]
    (tmp_path / "crawl.arc.gz").write_bytes(b"".join(members))
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == [
        f"crawl.arc.gz#{len(members[0])}"
    ]  # the member's offset, as CDX gives it
    assert docs[0].date == "1996-11-04T14:21:03Z" and "thousands of homes lost power" in docs[0].text
    assert [s.reason for s in skipped] == ["HTTP error or redirect response (HTTP/1.0 404 Not Found)"]


def test_a_version_2_arc_is_skipped_with_its_version_named(tmp_path: Path) -> None:
    (tmp_path / "alexa.arc").write_bytes(_file_header(version=2) + _record(*RECORDS[0], version=2))
    (tmp_path / "alexa.arc.gz").write_bytes(
        gzip.compress(_file_header(version=2) + _record(*RECORDS[0], version=2))
    )
    docs, skipped = read_documents(tmp_path)
    assert docs == []
    assert sorted(s.path.rsplit("/", 1)[1] for s in skipped) == ["alexa.arc", "alexa.arc.gz"]
    assert all("ARC version 2" in s.reason for s in skipped)


def test_a_record_with_a_wrong_length_is_read_past_and_nothing_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _record(*RECORDS[0])
    wrong = _record(*RECORDS[3]).replace(b" text/html 106\n", b" text/html 94\n", 1)  # 12 bytes short
    assert wrong != _record(*RECORDS[3])
    (tmp_path / "crawl.arc").write_bytes(_file_header() + wrong + good)
    docs, skipped = read_documents(tmp_path)
    assert any("thousands of homes lost power" in d.text for d in docs)
    assert capsys.readouterr().err == ""


def test_a_file_that_is_not_an_arc_is_skipped_and_the_folder_still_read(tmp_path: Path) -> None:
    (tmp_path / "notes.arc").write_bytes(b"just some text, not an archive\n")
    (tmp_path / "crawl.arc").write_bytes(_file_header() + _record(*RECORDS[0]))
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id.split("#")[0] for d in docs] == ["crawl.arc"]
    assert len(skipped) == 1 and skipped[0].path.endswith("notes.arc") and "ARC" in skipped[0].reason
