"""Zip and tar bundles are read as folders of articles, member by member, and never unpacked."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
import zstandard
from typer.testing import CliRunner

import dedup.io.bundles as bundles
from dedup.cli.app import app
from dedup.io.read import read_documents

STORY = (
    "Storm Ingrid hit the west coast on Tuesday night with winds of up to forty metres per second.\n"
    "Thousands of homes lost power and several ferries were cancelled until further notice.\n"
    "Schools in three municipalities will stay closed on Wednesday, the county said.\n"
)
OTHER = (
    "The central bank raised its policy rate by half a percentage point on Thursday.\n"
    "Markets had expected a smaller rise after inflation slowed in the autumn.\n"
)


def _source_files() -> dict[str, bytes]:
    """What the bundles hold: a text, a page, JSON Lines, a compressed text, Parquet, .docx and .rtf
    (read from a seekable copy), and files a scan passes over (hidden, macOS resource forks, an image)."""
    records = "".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in (("r1", STORY), ("r2", OTHER)))
    return {
        "2024/06/storm.txt": STORY.encode(),
        "2024/06/bank.html": f"<html><body><article><p>{OTHER}</p></article></body></html>".encode(),
        "2024/06/wire.jsonl": records.encode(),
        "2024/06/copy.txt.gz": gzip.compress(STORY.encode(), mtime=0),
        "2024/06/desk.parquet": _parquet(
            [("p1", "The ferry to the islands runs again after the storm."), ("p2", OTHER)]
        ),
        "2024/06/memo.docx": _docx(["Council meeting moved", "The council will meet on Friday instead."]),
        "2024/06/wire.rtf": rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\pard Roads reopened\par Ploughs out.\par}",
        "2024/06/.notes.txt": b"A hidden file.",
        "__MACOSX/2024/06/._storm.txt": b"\x00\x05\x16\x07 resource fork",
        "2024/06/photo.jpg": b"\xff\xd8\xff\xe0 not an article",
    }


def _parquet(rows: list[tuple[str, str]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"id": [r[0] for r in rows], "text": [r[1] for r in rows]}), buf)
    return buf.getvalue()


def _docx(paragraphs: list[str]) -> bytes:
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", f'<w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>')
    return buf.getvalue()


def _zip(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        zf.writestr("2024/", b"")
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar(files: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _mark_encrypted(data: bytes, name: bytes) -> bytes:
    """Set the encryption flag of member ``name`` in the zip's central directory (zipfile cannot
    write encrypted members)."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        name_len = int.from_bytes(out[at + 28 : at + 30], "little")
        if out[at + 46 : at + 46 + name_len] == name:
            out[at + 8] |= 0x1
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"no member {name!r}")


@pytest.fixture()
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty input folder for CLI runs, whose scans use the fake encoder (no model is loaded)."""
    import dedup.encoders.loading
    from dedup.encoders.base import HashingEncoder

    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", lambda *a, **k: HashingEncoder())
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


BUNDLES = {
    "june.zip": lambda files: _zip(files),
    "june.tar": lambda files: _tar(files),
    "june.tar.gz": lambda files: _tar(files, "w:gz"),
    "june.tgz": lambda files: _tar(files, "w:gz"),
    "june.tar.bz2": lambda files: _tar(files, "w:bz2"),
    "june.tar.xz": lambda files: _tar(files, "w:xz"),
    "june.tar.zst": lambda files: zstandard.ZstdCompressor().compress(_tar(files)),
}


@pytest.mark.parametrize("bundle_name", sorted(BUNDLES))
def test_a_bundle_gives_the_documents_of_its_files_unpacked(tmp_path: Path, bundle_name: str) -> None:
    files = _source_files()
    unpacked = tmp_path / "unpacked"
    for name, data in files.items():
        (unpacked / name).parent.mkdir(parents=True, exist_ok=True)
        (unpacked / name).write_bytes(data)
    packed = tmp_path / "packed"
    packed.mkdir()
    (packed / bundle_name).write_bytes(BUNDLES[bundle_name](files))
    before = (packed / bundle_name).read_bytes()

    plain_docs, plain_skipped = read_documents(unpacked)
    docs, skipped = read_documents(packed)

    assert [d.doc_id for d in docs] == [f"{bundle_name}#{d.doc_id}" for d in plain_docs]
    assert [d.text for d in docs] == [d.text for d in plain_docs]
    assert [d.sha256 for d in docs] == [d.sha256 for d in plain_docs]  # a member is an exact copy of its file
    assert len(plain_docs) == 9 and skipped == plain_skipped == []
    assert docs[0].path == f"{packed / bundle_name}#2024/06/bank.html"
    assert (packed / bundle_name).read_bytes() == before
    assert sorted(p.name for p in packed.iterdir()) == [bundle_name]  # nothing unpacked beside it


def test_a_bundle_inside_a_bundle_is_read_down_to_the_depth_limit(tmp_path: Path) -> None:
    level = _zip({"storm.txt": STORY.encode()})
    for depth in range(1, bundles.MAX_BUNDLE_DEPTH + 1):
        level = _zip({f"level{depth}.zip": level, f"note{depth}.txt": OTHER.encode()})
    (tmp_path / "archive.zip").write_bytes(level)
    docs, skipped = read_documents(tmp_path)
    ids = [d.doc_id for d in docs]
    assert "archive.zip#level3.zip#level2.zip#note1.txt" in ids
    assert not any(i.endswith("storm.txt") for i in ids)
    [deepest] = skipped
    assert deepest.path.endswith("archive.zip#level3.zip#level2.zip#level1.zip")
    assert deepest.reason == f"a bundle inside {bundles.MAX_BUNDLE_DEPTH} bundles, not read (unpack it first)"


def test_a_cut_short_bundle_keeps_the_members_before_the_cut_and_names_the_one_cut(tmp_path: Path) -> None:
    random_text = {f"story{k}.txt": os.urandom(20_000).hex().encode() for k in range(3)}  # compresses evenly
    data = _tar(random_text, "w:gz")
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) * 5 // 6])  # inside the third member
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["cut.tar.gz#story0.txt", "cut.tar.gz#story1.txt"]
    [why] = [s.reason for s in skipped]
    assert why.startswith("unreadable tar data: ")
    assert why.endswith("(after 2 members; story2.txt cut short)")


def test_files_that_are_not_the_bundle_their_name_says_are_skipped_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "fake.zip").write_text("Not a zip file at all, but a note.", encoding="utf-8")
    (tmp_path / "fake.tar.gz").write_bytes(gzip.compress(b"x" * 600))
    (tmp_path / "empty.zip").write_bytes(_zip({}))
    (tmp_path / "images.zip").write_bytes(_zip({"a.jpg": b"\xff\xd8", "b.png": b"\x89PNG"}))
    (tmp_path / "ok.txt").write_text(STORY, encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["ok.txt"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons["fake.zip"] == "unreadable zip: File is not a zip file"
    assert reasons["fake.tar.gz"].startswith("unreadable tar")
    assert reasons["empty.zip"] == "an empty bundle (no files)"
    assert reasons["images.zip"] == "no file in the bundle has an ending dedup reads (2 other files)"


def test_a_damaged_zip_member_ends_the_bundle_after_the_members_before_it(tmp_path: Path) -> None:
    data = bytearray(_zip({"a.txt": STORY.encode(), "b.txt": OTHER.encode()}, compression=zipfile.ZIP_STORED))
    at = data.index(OTHER.encode()[:20])
    data[at : at + 5] = b"XXXXX"  # the stored bytes no longer match the member's CRC
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["bad.zip#a.txt"]
    [why] = [s.reason for s in skipped]
    assert "Bad CRC-32" in why and why.endswith("(after 1 member; b.txt cut short)")


def test_encrypted_linked_and_oversized_members_are_listed_with_their_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("open.txt", STORY)
        zf.writestr("secret.txt", OTHER)
        zf.writestr("zeros.txt", b"\0" * 120_000, compress_type=zipfile.ZIP_BZIP2)
    (tmp_path / "mixed.zip").write_bytes(_mark_encrypted(buf.getvalue(), b"secret.txt"))
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w") as tf:
        link = tarfile.TarInfo("latest.txt")
        link.type, link.linkname = tarfile.SYMTYPE, "../../etc/passwd"
        tf.addfile(link)
        big = tarfile.TarInfo("big.txt")
        big.size = 160_000
        tf.addfile(big, io.BytesIO(b"a" * 160_000))
    (tmp_path / "links.tar").write_bytes(tar_buf.getvalue())
    monkeypatch.setattr(bundles, "_BOMB_MIN_BYTES", 100_000)
    monkeypatch.setattr(bundles, "MAX_MEMBER_BYTES", 150_000)

    docs, skipped = read_documents(tmp_path)

    assert [d.doc_id for d in docs] == ["mixed.zip#open.txt"]
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert reasons["mixed.zip#secret.txt"] == "encrypted zip member (dedup asks for no password)"
    assert reasons["mixed.zip#zeros.txt"].endswith(":1, not read (a zip bomb?)")
    assert reasons["links.tar#latest.txt"] == "link inside the bundle (to ../../etc/passwd), not followed"
    too_large = "156.2 KiB uncompressed, over the 146.5 KiB read from a bundle (unpack it to read it)"
    assert reasons["links.tar#big.txt"] == too_large


def test_members_with_one_name_get_distinct_ids(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("a.txt", STORY)
        zf.writestr("a.txt", OTHER)
    (tmp_path / "twice.zip").write_bytes(buf.getvalue())
    docs, _ = read_documents(tmp_path)
    assert [(d.doc_id, d.text[:9]) for d in docs] == [
        ("twice.zip#a.txt", "Storm Ing"),
        ("twice.zip#a.txt~2", "The centr"),
    ]


def test_bundle_progress_counts_the_bundle_bytes(tmp_path: Path) -> None:
    files = {f"s{k:03d}.txt": os.urandom(40_000).hex().encode() for k in range(60)}
    (tmp_path / "big.zip").write_bytes(_zip(files, compression=zipfile.ZIP_STORED))
    size = (tmp_path / "big.zip").stat().st_size
    calls: list[tuple[int, int]] = []
    read_documents(tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (size, size)
    assert len(calls) >= 2 and all(0 < done <= size for done, _ in calls)  # reported while reading


def test_archive_copies_a_bundle_whole_and_refuses_one_with_a_dropped_member(
    tmp_path: Path, root: Path
) -> None:
    wire = json.dumps({"id": "w1", "text": "A ferry ran aground near Bergen on Friday.\nNobody was hurt."})
    (root / "june.zip").write_bytes(
        _zip({"storm.txt": STORY.encode(), "bank.txt": OTHER.encode(), "wire.jsonl": wire.encode()})
    )
    (root / "a-storm.txt").write_text(STORY, encoding="utf-8")  # kept: first by path
    out, dest = tmp_path / "manifest", tmp_path / "dest"
    result = CliRunner().invoke(app, ["archive", str(root), "--out", str(out), "--copy-to", str(dest)])
    assert result.exit_code == 2
    flat = " ".join(result.output.replace("│", " ").split())
    assert "june.zip (1 dropped)" in flat and "nothing was copied" in flat
    rows = {r["path"]: r["role"] for r in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())}
    assert rows == {
        "june.zip#bank.txt": "unique",
        "june.zip#storm.txt": "duplicate_of",
        "june.zip#wire.jsonl#w1": "unique",
        "a-storm.txt": "keep",
    }

    (root / "a-storm.txt").unlink()
    result = CliRunner().invoke(app, ["archive", str(root), "--out", str(out), "--copy-to", str(dest)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in dest.iterdir()) == ["june.zip", "manifest.csv", "manifest.jsonl"]
    copied = hashlib.sha256((dest / "june.zip").read_bytes()).hexdigest()
    assert copied == hashlib.sha256((root / "june.zip").read_bytes()).hexdigest()


def test_bundle_endings_are_told_apart_from_compressed_files() -> None:
    assert bundles.bundle_kind("a.TAR.BZ2") == "tar"
    assert bundles.bundle_kind("crawl.warc.gz") is None
    assert bundles.bundle_kind("news.jsonl.zst") is None


def test_scan_links_a_zipped_story_to_its_copy_outside_and_lists_bundle_problems(
    tmp_path: Path, root: Path
) -> None:
    (root / "june.zip").write_bytes(_zip({"2024/storm.txt": STORY.encode(), "2024/bank.txt": OTHER.encode()}))
    (root / "storm.txt").write_text(STORY, encoding="utf-8")
    (root / "broken.tgz").write_bytes(b"\x1f\x8b\x08\x00 cut")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    assert [(p["doc_a"], p["doc_b"], p["relation"]) for p in pairs] == [
        ("june.zip#2024/storm.txt", "storm.txt", "exact")
    ]
    documents = {d["doc_id"]: d for d in map(json.loads, (out / "documents.jsonl").read_text().splitlines())}
    assert sorted(documents) == ["june.zip#2024/bank.txt", "june.zip#2024/storm.txt", "storm.txt"]
    skipped = [json.loads(line) for line in (out / "skipped.jsonl").read_text().splitlines()]
    assert [Path(s["path"]).name for s in skipped] == ["broken.tgz"]
    assert skipped[0]["reason"].startswith("unreadable tar")
