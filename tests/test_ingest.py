"""Tests of reading inputs (dedup.io.read, walk, decode, hashing): folders, lists and dicts in;
Documents and Skipped out."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import InputError, InvalidParameterError
from dedup.io.decode import decode_bytes, normalize_text, normalize_whitespace, repair_mojibake
from dedup.io.hashing import sha256_bytes
from dedup.io.read import iter_documents, read_documents
from dedup.types import Document, Skipped

TEXT_NB = "Regjeringen la fram statsbudsjettet i dag.\n\nFinansministeren var fornøyd."


def _tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _reasons(skipped: list[Skipped]) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in skipped}


def test_folder_nested_sorted_and_inputs_untouched(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "z.txt").write_text("Last one.\n", encoding="utf-8")
    (tmp_path / "b" / "c" / "deep.md").write_text(TEXT_NB, encoding="utf-8")
    (tmp_path / "a.txt").write_text("First\r\nline\r\n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")  # not a listed extension: ignored
    (tmp_path / ".hidden.txt").write_text("hidden", encoding="utf-8")
    before = _tree_digest(tmp_path)

    docs, skipped = read_documents(tmp_path)

    assert [d.doc_id for d in docs] == ["a.txt", "b/c/deep.md", "z.txt"]
    assert skipped == []
    assert docs[0].text == "First\nline"
    assert docs[0].path == str(tmp_path / "a.txt")
    assert docs[0].sha256 == hashlib.sha256(b"First\r\nline\r\n").hexdigest()
    assert _tree_digest(tmp_path) == before


def test_creation_order_does_not_matter(tmp_path: Path) -> None:
    names = [f"d{i % 3}/f{i:02d}.txt" for i in range(12)]
    results = []
    for run, seed in enumerate((1, 2)):
        root = tmp_path / f"run{run}"
        order = names[:]
        random.Random(seed).shuffle(order)
        for name in order:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(f"Text of {name}.", encoding="utf-8")
        docs, _ = read_documents(root)
        results.append([(d.doc_id, d.text, d.sha256) for d in docs])
    assert results[0] == results[1]
    assert [r[0] for r in results[0]] == sorted(names)


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\t\n  ", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" + bytes(range(256)) * 8)
    (tmp_path / "ok.txt").write_text("Fine text here.", encoding="utf-8")
    (tmp_path / "broken.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "loop_a.txt").symlink_to(tmp_path / "loop_b.txt")
    (tmp_path / "loop_b.txt").symlink_to(tmp_path / "loop_a.txt")

    docs, skipped = read_documents(tmp_path)

    assert [d.doc_id for d in docs] == ["ok.txt"]
    reasons = _reasons(skipped)
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.txt"] == "whitespace-only file"
    assert reasons["binary.txt"].startswith("binary")
    assert reasons["broken.txt"].startswith("broken symlink")
    assert reasons["loop_a.txt"] == "symlink loop"
    assert reasons["loop_b.txt"] == "symlink loop"
    assert all(isinstance(s, Skipped) for s in skipped)


def test_folder_symlink_loop_terminates(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("Inside the loop.", encoding="utf-8")
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    docs, skipped = read_documents(tmp_path, follow_symlinks=True)
    assert [d.doc_id for d in docs] == ["sub/a.txt"]
    assert "inside the scanned folder" in _reasons(skipped)["up"]


def test_symlink_outside_root_needs_follow_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Outside text.", encoding="utf-8")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "linkdir").symlink_to(outside)
    (root / "inside.txt").write_text("Inside text.", encoding="utf-8")
    (root / "alias.txt").symlink_to(root / "inside.txt")

    docs, skipped = read_documents(root)
    assert [d.doc_id for d in docs] == ["alias.txt", "inside.txt"]
    assert set(_reasons(skipped)) == {"link.txt", "linkdir"}
    assert all("follow_symlinks=True" in s.reason for s in skipped)

    docs, skipped = read_documents(root, follow_symlinks=True)
    assert [d.doc_id for d in docs] == ["alias.txt", "inside.txt", "link.txt", "linkdir/secret.txt"]
    assert skipped == []


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("You may not read this.", encoding="utf-8")
    path.chmod(0)
    try:
        can_read = os.access(path, os.R_OK)  # root reads anything: then it is simply a document
        docs, skipped = read_documents(tmp_path)
    finally:
        path.chmod(0o644)
    if can_read:
        assert [d.doc_id for d in docs] == ["locked.txt"]
    else:
        assert _reasons(skipped) == {"locked.txt": "permission denied"}


def test_permission_denied_is_reported_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("Some text.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Other text.", encoding="utf-8")
    real_open = os.open

    def deny(path, flags, *args, **kwargs):  # simulate EACCES even when running as root
        if str(path).endswith("a.txt"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["b.txt"]
    assert _reasons(skipped) == {"a.txt": "permission denied"}


def test_file_vanishing_mid_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gone.txt").write_text("Soon deleted.", encoding="utf-8")
    (tmp_path / "stays.txt").write_text("Still here.", encoding="utf-8")
    real_lstat = os.lstat

    def vanish(path, *args, **kwargs):
        if str(path).endswith("gone.txt"):
            os.remove(path)
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", vanish)
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["stays.txt"]
    assert _reasons(skipped) == {"gone.txt": "file vanished during the scan"}


def test_encodings(tmp_path: Path) -> None:
    text = "Blåbærsyltetøy og rødgrøt. Grüße aus Zürich, señor."
    (tmp_path / "latin1.txt").write_bytes(text.encode("latin-1"))
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16"))  # with BOM
    (tmp_path / "utf8bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (tmp_path / "cp1251.txt").write_bytes("Москва готовится к зиме, сообщают власти города.".encode("cp1251"))
    docs, skipped = read_documents(tmp_path)
    assert skipped == []
    by_id = {d.doc_id: d.text for d in docs}
    assert by_id["latin1.txt"] == by_id["utf16.txt"] == by_id["utf8bom.txt"] == text
    assert by_id["cp1251.txt"].startswith("Москва готовится")


def test_list_of_paths_relative_to_common_parent(tmp_path: Path) -> None:
    (tmp_path / "x" / "y").mkdir(parents=True)
    (tmp_path / "x" / "z").mkdir()
    a = tmp_path / "x" / "y" / "a.txt"
    b = tmp_path / "x" / "z" / "b.log"  # extensions do not filter an explicit list
    a.write_text("Alpha text.", encoding="utf-8")
    b.write_text("Beta text.", encoding="utf-8")
    docs, skipped = read_documents([str(b), a, a])
    assert [d.doc_id for d in docs] == ["y/a.txt", "z/b.log"]
    assert skipped == []
    docs, _ = read_documents([a])
    assert docs[0].doc_id == "a.txt"


def test_single_file_and_mixed_paths(tmp_path: Path) -> None:
    (tmp_path / "news" / "sub").mkdir(parents=True)
    (tmp_path / "news" / "sub" / "a.txt").write_text("Alpha text.", encoding="utf-8")
    (tmp_path / "news" / "notes.log").write_text("not read from a folder", encoding="utf-8")
    dump = tmp_path / "dump.jsonl"
    dump.write_text('{"id": "k1", "text": "Kappa one."}\n{"text": "Line two."}\n', encoding="utf-8")
    before = _tree_digest(tmp_path)
    docs, skipped = read_documents(dump)  # a single file: ids as if its folder were scanned
    assert [d.doc_id for d in docs] == ["dump.jsonl#2", "dump.jsonl#k1"]
    assert skipped == []
    docs, _ = read_documents(str(tmp_path / "news" / "sub" / "a.txt"))
    assert [(d.doc_id, d.text) for d in docs] == [("a.txt", "Alpha text.")]
    # several paths: a folder is walked (extensions apply), ids are relative to the common parent
    docs, _ = read_documents([tmp_path / "news", dump])
    assert [d.doc_id for d in docs] == ["dump.jsonl#2", "dump.jsonl#k1", "news/sub/a.txt"]
    assert _tree_digest(tmp_path) == before


def test_progress_counts_bytes_to_the_total(tmp_path: Path) -> None:
    rows = "".join(f'{{"id": {i}, "text": "Article number {i} about the storm."}}\n' for i in range(3000))
    (tmp_path / "big.jsonl").write_text(rows, encoding="utf-8")
    (tmp_path / "a.txt").write_text("Alpha text.", encoding="utf-8")
    calls: list[tuple[int, int]] = []
    docs, _ = read_documents(tmp_path, progress=lambda done, total: calls.append((done, total)))
    total = len(rows.encode()) + len(b"Alpha text.")
    assert len(docs) == 3001
    assert calls[-1] == (total, total)
    assert all(t == total for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_iter_documents_streams_records_in_file_order(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"id": "z", "text": "Last id."}\n{"id": "a", "text": ""}\n')
    results = list(iter_documents(tmp_path / "d.jsonl"))
    assert [type(r).__name__ for r in results] == ["Document", "Skipped"]
    assert results[0].doc_id == "d.jsonl#z"


def test_list_with_missing_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Alpha text.", encoding="utf-8")
    docs, skipped = read_documents([tmp_path / "a.txt", tmp_path / "missing.txt"])
    assert [d.doc_id for d in docs] == ["a.txt"]
    assert _reasons(skipped) == {"missing.txt": "file vanished during the scan"}


def test_dict_input() -> None:
    docs, skipped = read_documents(
        {"b": "Beta\u00a0text.", "a": "Alpha\r\ntext.", "e": "", "raw": b"caf\xe9"}
    )
    assert [(d.doc_id, d.text) for d in docs] == [("a", "Alpha\ntext."), ("b", "Beta text."), ("raw", "café")]
    assert docs[0].path is None
    assert docs[0].sha256 == sha256_bytes(b"Alpha\r\ntext.")
    assert skipped == [Skipped("e", "empty or whitespace-only text")]


def test_caller_mistakes_raise(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_documents(tmp_path / "missing")
    with pytest.raises(InputError, match="empty"):
        read_documents([])
    with pytest.raises(InvalidParameterError, match="max_chars"):
        read_documents({"a": "b"}, max_chars=0)
    with pytest.raises(InvalidParameterError, match="must be str"):
        read_documents({1: "b"})  # type: ignore[dict-item]


def test_max_chars_cuts_at_line_boundary(tmp_path: Path) -> None:
    lines = [f"Line number {i} of a long article." for i in range(200)]
    (tmp_path / "long.txt").write_text("\n".join(lines), encoding="utf-8")
    docs, _ = read_documents(tmp_path, max_chars=1000)
    text = docs[0].text
    assert len(text) <= 1000
    assert text.split("\n") == lines[: len(text.split("\n"))]
    assert docs[0].sha256 == hashlib.sha256("\n".join(lines).encode()).hexdigest()  # of the whole file


def _normalize_by_category(text: str) -> str:
    """Reference: normalize_whitespace written with unicodedata categories, character by character."""
    import re
    import unicodedata

    text = text.replace("\u2029", "\n\n")
    text = re.sub(r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028]", "\n", text)
    invisible = "\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    text = text.translate(dict.fromkeys(map(ord, invisible)))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if ch != " " and unicodedata.category(ch) == "Zs" else ch for ch in text)
    text = re.sub(r"[ \t]+", " ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def test_normalize_whitespace_matches_the_unicode_categories() -> None:
    import sys
    import unicodedata

    odd = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in ("Cc", "Zs")]
    text = "".join(f"x{ch}y" for ch in odd)
    assert normalize_whitespace(text) == _normalize_by_category(text)
    for ch in odd[:160]:  # ASCII-only texts take the fast path
        for text in (f"a{ch}b", f"a {ch} \t b\n\n\n\nc", f"  {ch}{ch}  "):
            assert normalize_whitespace(text) == _normalize_by_category(text), repr(text)


@settings(deadline=None, max_examples=200)
@given(st.text())
def test_normalize_whitespace_matches_reference(text: str) -> None:
    assert normalize_whitespace(text) == _normalize_by_category(text)
    once = normalize_whitespace(repair_mojibake(text))
    assert normalize_text(text) == normalize_text(once)


CLEAN_TEXTS = {
    "nb": "Den nye brua over fjorden ble åpnet i dag, og ordføreren var fornøyd.",
    "is": "Nýja brúin yfir fjörðinn var opnuð í dag og bæjarstjórinn var ánægður.",
    "ru": "Новый мост через фьорд открыли сегодня, мэр был доволен.",
    "el": "Η νέα γέφυρα άνοιξε σήμερα και ο δήμαρχος ήταν ικανοποιημένος.",
    "he": "הגשר החדש מעל הפיורד נפתח היום וראש העיר היה מרוצה.",
    "hi": "फ़्योर्ड पर बना नया पुल आज खोला गया और महापौर संतुष्ट थे।",
    "ja": "フィヨルドに架かる新しい橋が今日開通し、市長は満足していた。",
    "zh": "峡湾上的新桥今天通车，市长很满意。",
    "de": "„Die neue Brücke ist eröffnet“ – sagte der Bürgermeister, sichtlich zufrieden…",
}


@pytest.mark.parametrize("lang", sorted(CLEAN_TEXTS))
def test_mojibake_is_repaired_and_clean_text_of_any_script_is_left_alone(lang: str) -> None:
    clean = CLEAN_TEXTS[lang]
    assert repair_mojibake(clean) == clean
    codecs = ("cp1252", "latin-1", "cp437") + (("cp1251",) if lang == "ru" else ())
    for codec in codecs:
        try:
            mangled = clean.encode("utf-8").decode(codec)
        except UnicodeDecodeError:  # bytes this code page has no character for: no such mojibake
            continue
        assert repair_mojibake(mangled) == clean, (lang, codec)


def test_windows_punctuation_stored_as_control_characters_is_restored(tmp_path: Path) -> None:
    text = "The night train from Oslo \x96 Bergen \x97 is \x93full\x94 every Friday, the operator says\x85"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    docs, _ = read_documents(tmp_path)
    assert docs[0].text == "The night train from Oslo – Bergen — is “full” every Friday, the operator says…"


def test_normalize_text_rules() -> None:
    raw = "  Head\u00a0line \r\n\r\n\r\n\r\nBody\x00 text\u200b\ttab\u3000end.\rNext\u2028line\n\n\n"
    assert normalize_text(raw) == "Head line\n\nBody text tab end.\nNext\nline"
    assert normalize_text("Cafe\u0301") == "Café"  # NFC
    assert normalize_text("") == ""


@settings(deadline=None, max_examples=50)
@given(st.text())
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert "\r" not in once and "\x00" not in once and "\n\n\n" not in once


@settings(deadline=None, max_examples=50)
@given(st.binary(max_size=2000))
def test_any_bytes_give_document_or_skipped(data: bytes) -> None:
    text, _ = decode_bytes(data)
    assert text is None or isinstance(text, str)
    docs, skipped = read_documents({"x": data})
    assert len(docs) + len(skipped) == 1
    assert all(isinstance(d, Document) for d in docs)
