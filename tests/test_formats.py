"""Tests of the file formats (dedup.io.formats, html_text, warc) and the format dispatch of dedup.io.read,
on small fixtures made here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedup.io.html_text import extract_html
from dedup.io.read import read_documents
from dedup.io.records import iter_csv_records, iter_json_records, record_from_object

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Storm leaves thousands without power - Daily Example</title>
<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}</script>
<style>.nav{color:red}</style></head>
<body><header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div></header>
<main><article><h1>Storm leaves thousands without power</h1>
<p>A powerful storm swept across the west coast on Monday night, leaving more than 40,000 homes
without electricity.</p>
<p>Emergency services said they had received hundreds of calls about fallen trees and flooded roads.</p>
<p>The power company expects most customers to be reconnected by Wednesday evening.</p>
</article></main>
<footer><p>© 2022 Daily Example. All rights reserved.</p></footer></body></html>"""


def test_extract_html_keeps_article_drops_chrome() -> None:
    text = extract_html(PAGE)
    assert "Storm leaves thousands without power" in text
    assert "fallen trees and flooded roads" in text
    for junk in ("dataLayer", "color:red", "Accept", "All rights reserved", "Home"):
        assert junk not in text


def test_extract_html_fallback_on_fragment_and_empty() -> None:
    assert extract_html("<p>Only this.</p><script>var x = 1;</script>") == "Only this."
    assert extract_html("   ") == ""


def test_html_file_with_declared_legacy_charset(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="windows-1251"></head><body><p>Шторм оставил без света тысячи домов.</p>'
    )
    (tmp_path / "ru.htm").write_bytes(html.encode("cp1251"))
    (tmp_path / "page.HTML").write_text(PAGE, encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    assert skipped == []
    by_id = {d.doc_id: d.text for d in docs}
    assert by_id["ru.htm"] == "Шторм оставил без света тысячи домов."
    assert by_id["page.HTML"].startswith("Storm leaves thousands without power")


def test_jsonl_ids_fallback_fields_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a1", "title": "Storm", "text": "It rained a lot."}),
        "",
        json.dumps({"body": "No id, so the line number is the key."}),
        "{not json",
        json.dumps({"id": "a1", "content": "A repeated id stays unique."}),
        json.dumps({"id": 9, "summary": "no text field"}),
        json.dumps([1, 2]),
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    assert [(d.doc_id, d.text) for d in docs] == [
        ("feed.jsonl#3", "No id, so the line number is the key."),
        ("feed.jsonl#a1", "Storm\nIt rained a lot."),
        ("feed.jsonl#a1~4", "A repeated id stays unique."),
    ]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons["feed.jsonl#4"].startswith("invalid JSON on line 4")
    assert reasons["feed.jsonl#9"].startswith("no text field")
    assert reasons["feed.jsonl#7"].startswith("not an object")


def test_nested_fields_by_dotted_name_and_texts_given_as_paragraph_lists(tmp_path: Path) -> None:
    rows = [
        {"meta": {"uid": "n1"}, "article": {"title": "Storm", "body": ["It rained.", "", "Roads shut."]}},
        {"meta": {"uid": "n2"}, "article": {"body": "Plain text."}},
        {"meta": {"uid": "n3"}, "article": {"body": [1, 2]}},
    ]
    (tmp_path / "nested.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    docs, skipped = read_documents(tmp_path, text_field="article.body", id_field="meta.uid")
    assert [(d.doc_id, d.text) for d in docs] == [
        ("nested.jsonl#n1", "It rained.\nRoads shut."),
        ("nested.jsonl#n2", "Plain text."),
    ]
    assert [s.reason for s in skipped] == ["text field is not a string (got list)"]
    docs, _ = read_documents(tmp_path / "nested.jsonl", text_field="article.missing")
    assert docs == []


def test_json_array_nested_list_and_custom_fields(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"articles": [{"text": "One."}, {"text": "Two."}]}))
    (tmp_path / "b.json").write_text(json.dumps([{"key": "k1", "story": "Custom field."}]))
    docs, skipped = read_documents(tmp_path)
    ids = [d.doc_id for d in docs]
    assert ids == ["a.json#1", "a.json#2"]
    assert [Path(s.path).name for s in skipped] == ["b.json#1"]
    docs, skipped = read_documents(tmp_path, text_field="story", id_field="key")
    assert [(d.doc_id, d.text) for d in docs] == [("b.json#k1", "Custom field.")]
    assert len(skipped) == 2  # a.json has no "story" field: no fallback once a field is named


def test_csv_tsv_with_bom_crlf_and_multiline_cells(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_bytes(
        b'\xef\xbb\xbfID,Headline,Body\r\n1,Hello,"Multi\nline, body."\r\n2,,\r\n,,\r\n3,,Third.\r\n'
    )
    (tmp_path / "y.tsv").write_text("id\ttext\n9\tTab text.\n", encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    assert [(d.doc_id, d.text) for d in docs] == [
        ("x.csv#1", "Hello\nMulti\nline, body."),
        ("x.csv#3", "Third."),
        ("y.tsv#9", "Tab text."),
    ]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [("x.csv#2", "empty or whitespace-only text")]


def test_csv_field_limit_restored_and_long_fields_read() -> None:
    import csv

    before = csv.field_size_limit()
    long_text = "word " * 40_000
    rows = list(iter_csv_records(f"text\n{long_text}\n", max_field_chars=1_000_000))
    assert rows[0].text == long_text
    assert csv.field_size_limit() == before


def test_record_helpers() -> None:
    assert record_from_object("x", "5").error == "not an object (got str)"
    assert record_from_object({"text": 3}, "1").error.startswith("text field is not a string")
    assert [r.key for r in iter_json_records('{"text": "single"}')] == ["1"]


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.csv", "empty.json"])
def test_empty_record_files_are_skipped(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    docs, skipped = read_documents(tmp_path)
    assert docs == [] and [s.reason for s in skipped] == ["empty file"]


def test_json_lines_overlong_line_is_reported_not_loaded(tmp_path: Path) -> None:
    big = json.dumps({"text": "x " * 20_000})
    (tmp_path / "f.jsonl").write_text(big + "\n" + json.dumps({"text": "small"}) + "\n")
    docs, skipped = read_documents(tmp_path, max_chars=1000)
    assert [(d.doc_id, d.text) for d in docs] == [("f.jsonl#2", "small")]
    assert "longer than" in skipped[0].reason


# ------------------------------------------------------------------------------------------------
# Parquet and WARC


def _parquet(path: Path, columns: dict[str, list]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path, row_group_size=2)


def test_parquet_records_same_field_rules_as_jsonl(tmp_path: Path) -> None:
    _parquet(
        tmp_path / "news.parquet",
        {
            "GUID": ["g1", None, "g3", "g1"],
            "Headline": ["Storm", None, None, None],
            "maintext": ["It rained a lot.", "No id: row number.", None, "A repeated id stays unique."],
            "other": [1, 2, 3, 4],
        },
    )
    docs, skipped = read_documents(tmp_path)
    assert [(d.doc_id, d.text) for d in docs] == [
        ("news.parquet#2", "No id: row number."),
        ("news.parquet#g1", "Storm\nIt rained a lot."),
        ("news.parquet#g1~4", "A repeated id stays unique."),
    ]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("news.parquet#g3", "no text (column 'maintext' is null)")
    ]
    docs, _ = read_documents(tmp_path / "news.parquet", text_field="other", id_field="maintext")
    assert skipped and docs == []  # 'other' holds numbers, not text
    _parquet(tmp_path / "bad.parquet", {"x": ["a"]})
    _, skipped = read_documents(tmp_path / "bad.parquet")
    assert skipped[0].reason.startswith("no text column (tried text, body")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    _, skipped = read_documents(tmp_path / "broken.parquet")
    assert skipped[0].reason.startswith("unreadable Parquet file")


REJECTED_PAGE = b"<html><head><title>Loading</title><script>app()</script></head><body></body></html>"


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_warc_response_records_become_documents(tmp_path: Path, make_warc, name: str) -> None:
    page = PAGE.encode()
    ids = make_warc(
        tmp_path / name,
        [
            {"body": page, "url": "https://daily.example/storm", "date": "2024-03-01T10:00:00Z"},
            {"body": b"GET", "type": "request"},
            {"body": b"\x89PNG\r\n\x1a\n" + bytes(100), "content_type": "image/png"},
            {"body": b"<html><body><p>Gone.</p></body></html>", "status": "404 Not Found"},
            {"body": "Vinden blåste hele natta.\n".encode(), "content_type": "text/plain; charset=utf-8"},
            {"body": REJECTED_PAGE},
            {"body": "<p>Vær: sterk vind.</p>".encode("cp1252"), "content_type": "text/html; charset=cp1252"},
        ],
    )
    before = (tmp_path / name).read_bytes()
    docs, skipped = read_documents(tmp_path)
    assert (tmp_path / name).read_bytes() == before
    by_id = {d.doc_id: d for d in docs}
    assert sorted(by_id) == sorted(f"{name}#{ids[k]}" for k in (0, 4, 6))
    storm = by_id[f"{name}#{ids[0]}"]
    assert storm.text.startswith("Storm leaves thousands without power") and "Accept" not in storm.text
    assert (storm.url, storm.date) == ("https://daily.example/storm", "2024-03-01T10:00:00Z")
    assert by_id[f"{name}#{ids[6]}"].text == "Vær: sterk vind."
    reasons = {s.path.rsplit("#", 1)[1]: s.reason for s in skipped}
    assert set(reasons) == {ids[2], ids[3], ids[5]}  # the request record is not an article at all
    assert reasons[ids[2]] == "not HTML or plain text (image/png)"
    assert reasons[ids[3]] == "HTTP error or redirect response (HTTP/1.1 404 Not Found)"
    assert reasons[ids[5]].startswith("HTML page without article or visible text (extractor: discarding data")


def test_not_a_warc_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "x.warc").write_bytes(b"just some text, not WARC\n")
    docs, skipped = read_documents(tmp_path)
    assert docs == [] and len(skipped) == 1 and "WARC" in skipped[0].reason


def test_rejected_page_is_skipped_with_the_extractor_reason_and_nothing_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    (tmp_path / "app.html").write_bytes(REJECTED_PAGE)
    (tmp_path / "ok.html").write_text(PAGE, encoding="utf-8")
    root = logging.getLogger()
    handler = logging.StreamHandler()  # what a CLI or notebook has: warnings reach stderr
    root.addHandler(handler)
    try:
        docs, skipped = read_documents(tmp_path)
    finally:
        root.removeHandler(handler)
    assert [d.doc_id for d in docs] == ["ok.html"]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("app.html", "HTML page without article or visible text (extractor: discarding data: None)")
    ]
    captured = capsys.readouterr()
    assert "discarding" not in captured.err + captured.out


# ------------------------------------------------------------------------------------------------
# The seed translation pair found inside a single JSONL file, a Parquet file and a WARC (real model)


def _seed_texts() -> dict[str, str]:
    from conftest import SEEDS

    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


def _seed_pair(result) -> list[tuple[str, str, str]]:  # noqa: ANN001
    return [(p.doc_a, p.doc_b, p.relation.value) for p in result.pairs if p.confidence >= 0.5]


@pytest.mark.model
def test_seed_pair_found_in_single_jsonl_compressed_jsonl_parquet_and_warc(
    tmp_path: Path, real_onnx_encoder, make_warc
) -> None:
    import lzma

    import pyarrow as pa
    import pyarrow.parquet as pq

    from dedup import scan

    texts = _seed_texts()
    keys = sorted(texts)
    (tmp_path / "dump.jsonl").write_text(
        "".join(json.dumps({"id": f"s{k}", "text": texts[k]}, ensure_ascii=False) + "\n" for k in keys),
        encoding="utf-8",
    )
    (tmp_path / "dump.ndjson.xz").write_bytes(lzma.compress((tmp_path / "dump.jsonl").read_bytes()))
    pq.write_table(
        pa.table({"uuid": [f"s{k}" for k in keys], "article": [texts[k] for k in keys]}),
        tmp_path / "dump.parquet",
        row_group_size=2,
    )
    html = "<html><body><article>{}</article></body></html>"
    ids = make_warc(
        tmp_path / "crawl.warc.gz",
        [
            {
                "body": html.format("".join(f"<p>{line}</p>" for line in texts[k].splitlines())).encode(),
                "url": f"https://news.example/{k}",
            }
            for k in keys
        ],
    )
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    expected = {
        "dump.jsonl": ("dump.jsonl#s000", "dump.jsonl#s001"),
        "dump.ndjson.xz": ("dump.ndjson.xz#s000", "dump.ndjson.xz#s001"),
        "dump.parquet": ("dump.parquet#s000", "dump.parquet#s001"),
        "crawl.warc.gz": (f"crawl.warc.gz#{ids[0]}", f"crawl.warc.gz#{ids[1]}"),
    }
    for name, (a, b) in expected.items():
        result = scan(tmp_path / name, encoder=real_onnx_encoder)
        assert len(result.documents) == len(keys), name
        assert _seed_pair(result) == [(a, b, "translation")], name
        group = next(g for g in result.groups if a in g.members)
        assert group.members == (a, b)
    info = {d.doc_id: d for d in scan(tmp_path / "crawl.warc.gz", encoder=real_onnx_encoder).documents}
    assert info[f"crawl.warc.gz#{ids[1]}"].url == "https://news.example/001"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def _compress(path: Path, data: bytes) -> None:
    import bz2
    import gzip
    import lzma

    if path.suffix == ".zst":
        import zstandard

        path.write_bytes(zstandard.ZstdCompressor().compress(data))
        return
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[path.suffix]
    with opener(path, "wb") as fh:
        fh.write(data)


RECORDS = [
    {"id": "s1", "title": "Storm", "text": "It rained for three days in the valley."},
    {"id": "s2", "text": "The bridge reopened on Friday after repairs."},
]


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zst"])
@pytest.mark.parametrize("inner", [".jsonl", ".json", ".csv"])
def test_compressed_record_files_read_like_the_plain_file(tmp_path: Path, inner: str, suffix: str) -> None:
    if inner == ".jsonl":
        data = "\n".join(json.dumps(r) for r in RECORDS) + "\n"
    elif inner == ".json":
        data = json.dumps(RECORDS)
    else:
        data = "id,title,text\n" + "".join(f'{r["id"]},{r.get("title", "")},"{r["text"]}"\n' for r in RECORDS)
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    (plain / f"news{inner}").write_text(data, encoding="utf-8")
    _compress(packed / f"news{inner}{suffix}", data.encode("utf-8"))
    plain_docs, plain_skipped = read_documents(plain)
    packed_docs, packed_skipped = read_documents(packed)
    assert not plain_skipped and not packed_skipped
    assert [d.text for d in packed_docs] == [d.text for d in plain_docs]
    assert [d.doc_id for d in packed_docs] == [f"news{inner}{suffix}#s1", f"news{inner}{suffix}#s2"]
    assert [d.sha256 for d in packed_docs] == [d.sha256 for d in plain_docs]


@pytest.mark.parametrize("name", ["story.txt.gz", "page.html.xz", "notes.md.bz2", "brief.txt.zst"])
def test_a_compressed_text_or_page_is_one_document_and_an_exact_copy_of_its_plain_twin(
    tmp_path: Path, name: str
) -> None:
    data = (PAGE if ".html" in name else "A storm swept the coast.\nPower is back.\n").encode("utf-8")
    plain = name.rsplit(".", 1)[0]
    (tmp_path / plain).write_bytes(data)
    _compress(tmp_path / name, data)
    docs, skipped = read_documents(tmp_path)
    assert not skipped
    by_id = {d.doc_id: d for d in docs}
    assert set(by_id) == {plain, name}
    assert by_id[name].text == by_id[plain].text
    assert by_id[name].sha256 == by_id[plain].sha256


def test_truncated_gzip_keeps_the_records_before_the_damage_and_says_where(tmp_path: Path) -> None:
    import gzip
    import random

    rng = random.Random(0)
    rows = [
        json.dumps({"id": f"r{k}", "text": " ".join(rng.choice("abcdefghij") * 5 for _ in range(40))})
        for k in range(2000)
    ]
    blob = gzip.compress(("\n".join(rows) + "\n").encode("utf-8"))
    (tmp_path / "dump.jsonl.gz").write_bytes(blob[: len(blob) // 2])
    docs, skipped = read_documents(tmp_path)
    assert 0 < len(docs) < 2000
    assert all(d.doc_id.startswith("dump.jsonl.gz#r") for d in docs)
    assert len(skipped) == 1
    assert skipped[0].reason.startswith(f"unreadable .gz data after {len(docs)} records")


def test_a_zstandard_dump_of_several_frames_is_read_whole_and_a_cut_one_says_so(tmp_path: Path) -> None:
    import zstandard

    rows = [
        json.dumps({"id": f"r{k}", "text": f"Article number {k} about the harbour."}) + "\n"
        for k in range(3000)
    ]
    frames = [
        zstandard.ZstdCompressor().compress("".join(rows[k : k + 1000]).encode()) for k in (0, 1000, 2000)
    ]
    blob = b"".join(frames)
    (tmp_path / "whole.jsonl.zst").write_bytes(blob)
    (tmp_path / "cut.jsonl.zst").write_bytes(blob[: len(frames[0]) + len(frames[1]) // 2])
    docs, skipped = read_documents(tmp_path)
    whole = [d for d in docs if d.doc_id.startswith("whole")]
    cut = [d for d in docs if d.doc_id.startswith("cut")]
    assert len(whole) == 3000
    assert 1000 <= len(cut) < 2000
    (only,) = skipped
    assert only.reason.startswith(f"unreadable .zst data after {len(cut)} records")
    assert "cut short" in only.reason


def test_a_file_named_gz_that_is_not_gzip_is_skipped_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "feed.jsonl.gz").write_text('{"text": "not compressed at all"}\n', encoding="utf-8")
    (tmp_path / "story.txt.gz").write_text("Not compressed either.", encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    assert docs == []
    reasons = sorted(s.reason for s in skipped)
    assert len(reasons) == 2
    assert all(r.startswith("unreadable .gz data") for r in reasons)


def test_compressed_files_of_unknown_formats_are_not_read_from_a_folder(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "image.png.gz").write_bytes(gzip.compress(b"\x89PNG"))
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(b"One article."))
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["a.txt.gz"]
    assert skipped == []


def test_records_holding_html_are_read_as_their_text(tmp_path: Path) -> None:
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    body = (
        '<p>Storm Ingrid hit the coast &amp; <a href="/power">thousands lost power</a>.</p>'
        "<p>Ferries were cancelled until further notice.</p>"
        '<div class="ad"><script>loadAds();</script></div>'
    )
    page = (
        "<html><head><title>Storm | News</title></head><body><nav>Home | World | Sport</nav><article>"
        + "<p>The council approved next year's budget after a long debate on Tuesday evening.</p>" * 3
        + "</article><footer>Contact us</footer></body></html>"
    )
    rows = [
        {"id": "body", "title": "Storm Ingrid", "text": body},
        {"id": "page", "text": page},
        {"id": "entities", "text": "Q&amp;A: what the rate rise means for your loan &#8211; in short"},
        {"id": "plain", "text": "AT&T said profits rose 3 < 5 per cent; <this> is not markup."},
    ]
    (tmp_path / "cms.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    pq.write_table(
        pa.table({k: [r[k] for r in rows[:1]] for k in ("id", "title", "text")}), tmp_path / "cms.parquet"
    )
    docs, skipped = read_documents(tmp_path)
    assert skipped == []
    texts = {d.doc_id: d.text for d in docs}
    lines = [
        "Storm Ingrid",
        "Storm Ingrid hit the coast & thousands lost power.",
        "Ferries were cancelled until further notice.",
    ]
    expected_body = "\n".join(lines)
    assert texts["cms.jsonl#body"] == texts["cms.parquet#body"] == expected_body
    assert texts["cms.jsonl#page"].startswith("The council approved next year's budget")
    assert "Home" not in texts["cms.jsonl#page"] and "Contact us" not in texts["cms.jsonl#page"]
    assert texts["cms.jsonl#entities"] == "Q&A: what the rate rise means for your loan – in short"
    assert texts["cms.jsonl#plain"] == rows[3]["text"]


def _page(title: str, body: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body><nav>Home | News</nav>"
        f"<article><h1>{title}</h1><p>{body}</p></article></body></html>"
    ).encode()


def test_a_site_mirror_s_pages_are_read_whatever_their_server_named_them(tmp_path: Path) -> None:
    import zipfile

    story = "Thousands of homes lost power on Tuesday as the storm reached the coast."
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "storm-hits-coast").write_bytes(_page("Storm hits the coast", story))
    (tmp_path / "article.php?id=7").write_bytes(_page("Ferries cancelled", "All ferries stayed in port."))
    (tmp_path / "story.aspx").write_bytes(_page("Schools closed", "Schools in the region closed early."))
    (tmp_path / "index.shtml").write_bytes(_page("Front page", "The storm moved north overnight."))
    (tmp_path / "feed.php").write_bytes(b'{"items": []}')  # not a page
    (tmp_path / "robots").write_bytes(b"User-agent: *\nDisallow: /search\n")
    (tmp_path / "render.php").write_bytes(b"<?php echo render($page); ?>\n")
    with zipfile.ZipFile(tmp_path / "mirror.zip", "w") as bundle:
        bundle.writestr("site/news/storm-update", _page("Storm update", "Power is back in most homes."))
        bundle.writestr("site/robots", "User-agent: *\n")
    docs, skipped = read_documents(tmp_path)
    assert skipped == []
    assert [d.doc_id for d in docs] == [
        "article.php?id=7",
        "index.shtml",
        "mirror.zip#site/news/storm-update",
        "news/storm-hits-coast",
        "story.aspx",
    ]
    assert docs[3].text == f"Storm hits the coast\n{story}"
