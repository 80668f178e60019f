"""E-mail inputs: an .eml file is one article, an .mbox mailbox one article per message."""

from __future__ import annotations

import gzip
import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

import dedup.io.email_messages as email_messages
from dedup.io.read import read_documents

PRESS_RELEASE = (
    "The new bridge across the fjord opened on Wednesday morning.\n"
    "More than 2,000 people walked across it in the first hour.\n"
)


def _press_release_eml() -> bytes:
    """A multipart message as mail clients send it: plain and HTML alternatives, a signature, a PDF."""
    msg = EmailMessage()
    msg["Message-ID"] = "<rel-0042@press.example>"
    msg["Date"] = "Wed, 11 Jun 2025 09:30:00 +0200"
    msg["From"] = "Press office <press@example.org>"
    msg["Subject"] = "Ny bru åpnet – new bridge opened"  # non-ASCII: sent RFC 2047-encoded
    msg.set_content(PRESS_RELEASE + "-- \nPress office, Example County\n", cte="quoted-printable")
    msg.add_alternative(
        "<html><body><p>HTML version that the plain part wins over.</p></body></html>", subtype="html"
    )
    msg.add_attachment(b"%PDF-1.4 not read", maintype="application", subtype="pdf", filename="release.pdf")
    return msg.as_bytes()


def _mbox(*messages: bytes) -> bytes:
    out = b""
    for k, message in enumerate(messages):
        out += (
            f"From desk@wire.example Tue Jun 10 0{k}:00:00 2025\n".encode() + message.rstrip(b"\n") + b"\n\n"
        )
    return out


def test_an_eml_file_is_one_article_subject_then_plain_text_body(tmp_path: Path) -> None:
    raw = _press_release_eml()
    assert b"=?utf-8?" in raw and b"quoted-printable" in raw  # the encodings the reader must undo
    (tmp_path / "release.eml").write_bytes(raw)
    docs, skipped = read_documents(tmp_path)
    assert skipped == []
    [doc] = docs
    assert doc.doc_id == "release.eml"
    assert doc.text == "Ny bru åpnet – new bridge opened\n" + PRESS_RELEASE.strip()  # no signature, no PDF
    assert doc.date == "2025-06-11T09:30:00+02:00"


def test_a_message_with_only_html_gives_the_page_main_text() -> None:
    msg = EmailMessage()
    msg["Subject"] = "Newsletter"
    page = (
        "<html><body><nav>Home | Archive | Unsubscribe</nav><article><p>"
        + "The council approved the budget for next year after a long debate on Tuesday evening. " * 3
        + "</p></article></body></html>"
    )
    msg.set_content(page, subtype="html")
    article = email_messages.message_article(msg.as_bytes(), 1)
    assert article.text is not None
    assert article.text.startswith("Newsletter\nThe council approved the budget")
    assert "Unsubscribe" not in article.text


def test_an_mbox_gives_one_article_per_message_and_unquotes_from_lines(tmp_path: Path) -> None:
    first = b"Message-ID: <a1@x>\nSubject: Storm\n\nStorm hits the coast.\nFrom the north, winds rose.\n"
    second = b"Subject: Rates\n\nThe bank raised rates.\n\n>From Monday, loans cost more.\n"
    (tmp_path / "wire.mbox").write_bytes(_mbox(first, second))
    docs, skipped = read_documents(tmp_path)
    assert skipped == []
    assert [(d.doc_id, d.text) for d in docs] == [
        ("wire.mbox#2", "Rates\nThe bank raised rates.\nFrom Monday, loans cost more."),
        ("wire.mbox#a1@x", "Storm\nStorm hits the coast.\nFrom the north, winds rose."),
    ]


def test_a_compressed_mailbox_and_one_inside_a_zip_read_like_the_plain_one(tmp_path: Path) -> None:
    box = _mbox(b"Subject: One\n\nFirst story.\n", b"Subject: Two\n\nSecond story.\n")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "desk.mbox").write_bytes(box)
    (tmp_path / "packed").mkdir()
    (tmp_path / "packed" / "desk.mbox.gz").write_bytes(gzip.compress(box))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("desk.mbox", box)
        zf.writestr("release.eml", _press_release_eml())
    (tmp_path / "packed" / "mail.zip").write_bytes(buf.getvalue())
    plain = [(d.doc_id, d.text) for d in read_documents(tmp_path / "plain")[0]]
    packed = {d.doc_id: d.text for d in read_documents(tmp_path / "packed")[0]}
    assert plain == [("desk.mbox#1", "One\nFirst story."), ("desk.mbox#2", "Two\nSecond story.")]
    for doc_id, text in plain:
        assert packed[doc_id.replace("desk.mbox", "desk.mbox.gz")] == text
        assert packed[f"mail.zip#{doc_id}"] == text
    assert packed["mail.zip#release.eml"].startswith("Ny bru åpnet")


def test_unusable_mail_is_skipped_with_the_reason_and_the_rest_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes.mbox").write_text("Just some notes, not a mailbox.\n", encoding="utf-8")
    image_only = b"Message-ID: <img@x>\nSubject: Photo\nContent-Type: image/jpeg\n\n\xff\xd8\xff\n"
    huge = b"Message-ID: <big@x>\nSubject: Big\n\n" + b"attachment data line\n" * 400
    fine = b"Message-ID: <ok@x>\nSubject: Fine\n\nA readable story.\n"
    (tmp_path / "desk.mbox").write_bytes(_mbox(image_only, huge, fine))
    monkeypatch.setattr(email_messages, "MAX_MESSAGE_BYTES", 4096)
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["desk.mbox#ok@x"]
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert reasons == {
        "desk.mbox#img@x": "no text/plain or text/html part",
        "desk.mbox#big@x": "message of 8.2 KiB, over the 4.0 KiB read (attachments?)",
        "notes.mbox": "not an mbox mailbox (its first line does not start with 'From ')",
    }


def test_messages_sharing_a_message_id_get_distinct_ids(tmp_path: Path) -> None:
    one = b"Message-ID: <same@x>\nSubject: A\n\nFirst text.\n"
    two = b"Message-ID: <same@x>\nSubject: B\n\nSecond text.\n"
    (tmp_path / "dup.mbox").write_bytes(_mbox(one, two))
    assert [d.doc_id for d in read_documents(tmp_path)[0]] == ["dup.mbox#same@x", "dup.mbox#same@x~2"]


def _saved_page(html: str) -> bytes:
    """A web page saved as MHTML the way browsers write it: multipart/related, the page
    quoted-printable, an image beside it."""
    page = EmailMessage()
    page["From"] = "<Saved by Blink>"
    page["Snapshot-Content-Location"] = "https://news.example/2025/06/storm"
    page["Subject"] = "Storm hits the coast | Example News"
    page["Date"] = "Tue, 10 Jun 2025 06:15:00 -0000"
    page.set_content(html, subtype="html", cte="quoted-printable")
    page.make_related()
    page.attach(EmailMessage())
    image = page.get_payload()[1]
    image.set_content(b"\x89PNG not really", maintype="image", subtype="png", cte="base64")
    image["Content-Location"] = "https://news.example/logo.png"
    return page.as_bytes()


def test_a_saved_web_page_reads_as_the_same_page_saved_as_html(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Storm hits the coast | Example News</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>Storm hits the coast</h1>"
        + "<p>Thousands of homes in the west lost power overnight as the storm moved inland.</p>" * 3
        + "</article><footer>© Example News</footer></body></html>"
    )
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    raw = _saved_page(html)
    assert b"multipart/related" in raw and b"quoted-printable" in raw
    (tmp_path / "page.mhtml").write_bytes(raw)
    (tmp_path / "mail-only.mht").write_bytes(b"Subject: note\nContent-Type: text/plain\n\nNo page here.\n")
    docs, skipped = read_documents(tmp_path)
    by_id = {d.doc_id: d for d in docs}
    assert sorted(by_id) == ["page.html", "page.mhtml"]
    assert by_id["page.mhtml"].text == by_id["page.html"].text
    assert (
        "Thousands of homes" in by_id["page.mhtml"].text and "© Example News" not in by_id["page.mhtml"].text
    )
    assert by_id["page.mhtml"].url == "https://news.example/2025/06/storm"
    assert by_id["page.mhtml"].date == "2025-06-10T06:15:00"  # -0000: a time in no stated zone (RFC 5322)
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("mail-only.mht", "no text/html part (not a saved web page?)")
    ]


def test_an_apple_mail_emlx_file_is_read_as_its_eml_would_be(tmp_path: Path) -> None:
    raw = _press_release_eml()
    flags = b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>flags</key>'
    flags += b"<integer>8590195713</integer></dict></plist>\n"
    (tmp_path / "123.emlx").write_bytes(f"{len(raw)}\n".encode() + raw + flags)
    (tmp_path / "release.eml").write_bytes(raw)
    (tmp_path / "broken.emlx").write_bytes(b"Subject: no length line\n\nHello.\n")
    docs, skipped = read_documents(tmp_path)
    emlx, eml = docs
    assert (emlx.doc_id, emlx.text, emlx.date) == ("123.emlx", eml.text, eml.date)
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("broken.emlx", "not an Apple Mail message (no length on its first line)")
    ]


def test_a_safari_webarchive_gives_its_page_main_text_and_address(tmp_path: Path) -> None:
    import plistlib

    page = (
        "<html><head><meta charset='windows-1252'></head><body><nav>Home | Sport | Weather</nav>"
        "<article><h1>Ny bru åpnet</h1><p>Den nye brua over fjorden åpnet onsdag morgen.</p>"
        "<p>Over 2000 personer gikk over den første timen.</p></article></body></html>"
    )
    main = {
        "WebResourceData": page.encode("cp1252"),
        "WebResourceMIMEType": "text/html",
        "WebResourceTextEncodingName": "windows-1252",
        "WebResourceURL": "https://news.example/bru",
    }
    image = {"WebResourceData": b"\x89PNG...", "WebResourceMIMEType": "image/png", "WebResourceURL": "x.png"}
    archive = {"WebMainResource": main, "WebSubresources": [image]}
    (tmp_path / "bru.webarchive").write_bytes(plistlib.dumps(archive, fmt=plistlib.FMT_BINARY))
    (tmp_path / "notes.webarchive").write_bytes(b"plain text, not a property list")
    docs, skipped = read_documents(tmp_path)
    [doc] = docs
    assert doc.url == "https://news.example/bru"
    assert doc.text == (
        "Ny bru åpnet\nDen nye brua over fjorden åpnet onsdag morgen.\n"
        "Over 2000 personer gikk over den første timen."
    )
    assert [Path(s.path).name for s in skipped] == ["notes.webarchive"]
    assert skipped[0].reason.startswith("not a Safari web archive")
