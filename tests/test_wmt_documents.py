"""models/wmt_documents.py on tiny fake checkouts in each year's layout (no network, no mirrors)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "wmt_documents", Path(__file__).resolve().parents[1] / "models" / "wmt_documents.py"
)
assert _SPEC is not None and _SPEC.loader is not None
wd = importlib.util.module_from_spec(_SPEC)
sys.modules["wmt_documents"] = wd
_SPEC.loader.exec_module(wd)

EN = ["Hello there.", "Your order is late.", "Stocks fell today.", "Markets were calm."]
# txt order: d1 (2 lines), news-1 (2 lines); the XML lists them the other way round.
DE = ["Hallo.", "Ihre Bestellung ist spät.", "Aktien fielen heute.", "Die Märkte waren ruhig."]
JA = ["こんにちは。", "ご注文が遅れています。", "今日株価が下がった。", "市場は落ち着いていた。"]


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _xml(pair: str, docs: list[tuple[str, str, str, list[str]]], testsuite: bool = False) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<dataset id="wmttest"><collection id="general">']
    if testsuite:
        out.append('<doc origlang="en" testsuite="ts" id="ts-1"><src lang="en"><p>')
        out.append('<seg id="1">Suite line.</seg></p></src></doc>')
    for doc_id, domain, origlang, segs in docs:
        dom = f' domain="{domain}"' if domain else ""
        out.append(f'<doc origlang="{origlang}" id="{doc_id}"{dom}><src lang="{pair[:2]}"><p>')
        out.extend(f'<seg id="{i + 1}">{s}</seg>' for i, s in enumerate(segs))
        out.append('</p></src><ref lang="x" translator="A"><p><seg id="1">r</seg></p></ref></doc>')
    out.append("</collection></dataset>")
    return "\n".join(out)


def _make_wmt22(root: Path) -> None:
    repo = root / "wmt22-news-systems"
    txt = repo / "txt"
    for pair, tgt, lines in (("en-de", "de", DE), ("en-ja", "ja", JA)):
        _write(txt / "sources" / f"generaltest2022.{pair}.src.en", EN)
        _write(txt / "references" / f"generaltest2022.{pair}.ref.A.{tgt}", lines)
    for system in ("SysC", "SysA", "SysB"):
        _write(
            txt / "system-outputs" / f"generaltest2022.en-de.hyp.{system}.de", [f"{system} {s}" for s in DE]
        )
    # Word salad whose line lengths have nothing to do with the source: skipped, not counted.
    salad = ["a b c d e f g h i j k l m n", "x", "y", "z z z z z z z z z z"]
    _write(txt / "system-outputs" / "generaltest2022.en-de.hyp.AAA-Salad.de", salad)
    # An empty output (WMT24's ONLINE-empty) is skipped too.
    _write(txt / "system-outputs" / "generaltest2022.en-de.hyp.AAB-Empty.de", [""] * 4)
    # A reference with the wrong number of lines is skipped.
    _write(txt / "references" / "generaltest2022.en-de.ref.B.de", DE[:3])
    # A pair without any XML covering its source is skipped.
    _write(txt / "sources" / "generaltest2022.cs-en.src.cs", ["Ahoj.", "Nazdar."])
    _write(txt / "references" / "generaltest2022.cs-en.ref.A.en", ["Hi.", "Hello."])
    # Only en-ja has an XML; en-de (same English source) borrows its document ids.
    (repo / "xml").mkdir(parents=True)
    (repo / "xml" / "wmttest2022.en-ja.all.xml").write_text(
        _xml(
            "en-ja", [("news-1", "news", "en", EN[2:]), ("d1", "conversation", "en", EN[:2])], testsuite=True
        ),
        encoding="utf-8",
    )


def _make_wmt23(root: Path) -> None:
    repo = root / "wmt23-news-systems"
    txt = repo / "txt"
    _write(txt / "sources" / "generaltest2023.ru-en.src.ru", ["Привет.", "Мир."])
    _write(txt / "references" / "generaltest2023.ru-en.ref.refA.en", ["Hi.", "World."])
    _write(txt / "sources" / "generaltest2023.uk-en.src.uk", ["Привіт."])
    _write(txt / "references" / "generaltest2023.uk-en.ref.refA.en", ["Hi."])
    _write(txt / "system-outputs" / "generaltest2023.uk-en.hyp.GPT4-5shot.en", ["Hello."])
    (repo / "xml").mkdir(parents=True)
    # Doc id "0" in both pairs: different stories (different original languages).
    (repo / "xml" / "wmttest2023.ru-en.all.xml").write_text(
        _xml("ru-en", [("0", "", "ru", ["Привет."]), ("1", "", "ru", ["Мир."])]), encoding="utf-8"
    )
    (repo / "xml" / "wmttest2023.uk-en.all.xml").write_text(
        _xml("uk-en", [("0", "voice", "uk", ["Привіт."])]), encoding="utf-8"
    )


def _make_wmt24(root: Path) -> None:
    txt = root / "wmt24-news-systems" / "txt"
    docs = ["canary\tcanary"] + ["news\ttest-en-news_a.1"] * 2 + ["speech\ttest-en-speech_b"]
    src = ["CANARY"] + EN[:3]
    for pair, lines in (("en-de", DE), ("en-ja", JA)):
        _write(txt / "documents" / f"{pair}.docs", docs)
        _write(txt / "sources" / f"{pair}.txt", src)
        _write(txt / "references" / f"{pair}.refA.txt", ["CANARY"] + lines[:3])
        _write(txt / "system-outputs" / pair / "Aya23.txt", ["CANARY"] + [f"aya {s}" for s in lines[:3]])
        _write(txt / "system-outputs" / pair / "ONLINE-empty.txt", ["", "", "", ""])
    _write(txt / "metadata" / "en-de.jsonl", [json.dumps({"domain": d.split("\t")[0]}) for d in docs])
    # Labels and source disagree in length: pair skipped.
    _write(txt / "documents" / "cs-uk.docs", ["news\ttest-cs-news_x"] * 3)
    _write(txt / "sources" / "cs-uk.txt", ["Ahoj."] * 2)


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    _make_wmt22(tmp_path)
    _make_wmt23(tmp_path)
    _make_wmt24(tmp_path)
    return tmp_path


def _by(docs: list, **kw: str) -> list:
    return [d for d in docs if all(getattr(d, k) == v for k, v in kw.items())]


def test_wmt22_xml_ids_shared_source_and_max_systems(root: Path) -> None:
    docs = list(wd.read_wmt_documents(root, ("wmt22",), max_systems=2))
    sources = _by(docs, role="source")
    # One English source per document, although en-de and en-ja both have it; cs-en is skipped.
    assert [(d.pair, d.doc_id, d.domain, d.segments) for d in sources] == [
        ("en-de", "d1", "conversation", tuple(EN[:2])),
        ("en-de", "news-1", "news", tuple(EN[2:])),
    ]
    assert all(d.lang == "en" and d.producer == "src" and d.origlang == "en" for d in sources)
    refs = _by(docs, role="reference")
    assert [(d.pair, d.producer, d.lang, d.doc_id) for d in refs] == [
        ("en-de", "refA", "de", "d1"),
        ("en-de", "refA", "de", "news-1"),
        ("en-ja", "refA", "ja", "d1"),
        ("en-ja", "refA", "ja", "news-1"),
    ]
    assert _by(refs, lang="ja", doc_id="news-1")[0].segments == tuple(JA[2:])
    systems = _by(docs, role="system")
    assert sorted({d.producer for d in systems}) == ["SysA", "SysB"]  # not AAA-Salad, AAB-Empty, SysC
    assert _by(systems, producer="SysA", doc_id="d1")[0].segments == (
        "SysA Hallo.",
        "SysA Ihre Bestellung ist spät.",
    )
    # Every translation of the English document shares the source's story key.
    key = wd.story_key(sources[0])
    assert key == "wmt22:en:d1"
    assert {d.lang for d in docs if wd.story_key(d) == key} == {"en", "de", "ja"}
    assert len({wd.story_key(d) for d in docs}) == 2


def test_wmt23_same_doc_id_in_two_languages_is_two_stories(root: Path) -> None:
    docs = list(wd.read_wmt_documents(root, ("wmt23",)))
    keys = {wd.story_key(d) for d in docs}
    assert keys == {"wmt23:ru:0", "wmt23:ru:1", "wmt23:uk:0"}
    uk = [d for d in docs if wd.story_key(d) == "wmt23:uk:0"]
    assert [(d.role, d.producer, d.lang, d.domain) for d in uk] == [
        ("source", "src", "uk", "voice"),
        ("reference", "refA", "en", "voice"),
        ("system", "GPT4-5shot", "en", "voice"),
    ]


def test_wmt24_docs_files_canary_and_empty_systems(root: Path) -> None:
    docs = list(wd.read_wmt_documents(root, ("wmt24",)))
    assert all(d.doc_id != "canary" and "CANARY" not in d.segments for d in docs)
    assert {d.pair for d in docs} == {"en-de", "en-ja"}  # cs-uk: label/line mismatch
    sources = _by(docs, role="source")
    assert [(d.doc_id, d.domain, d.segments) for d in sources] == [
        ("test-en-news_a.1", "news", tuple(EN[:2])),
        ("test-en-speech_b", "speech", (EN[2],)),
    ]
    assert {d.producer for d in _by(docs, role="system")} == {"Aya23"}
    news = [d for d in docs if wd.story_key(d) == "wmt24:en:test-en-news_a.1"]
    assert sorted((d.role, d.lang) for d in news) == [
        ("reference", "de"),
        ("reference", "ja"),
        ("source", "en"),
        ("system", "de"),
        ("system", "ja"),
    ]


def test_order_is_deterministic_and_cli_writes_jsonl(root: Path, tmp_path: Path) -> None:
    first = list(wd.read_wmt_documents(root))
    assert first == list(wd.read_wmt_documents(root))
    out = tmp_path / "out" / "docs.jsonl.gz"
    assert wd.main(["--root", str(root), "--out", str(out), "--max-systems", "1"]) == 0
    with gzip.open(out, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    recs = [json.loads(line) for line in lines]
    assert all(list(r) == sorted(r) for r in recs)
    assert {r["collection"] for r in recs} == {"wmt22", "wmt23", "wmt24"}
    assert recs[0]["story_key"] == "wmt22:en:d1"
    assert len({r["producer"] for r in recs if r["role"] == "system" and r["pair"] == "en-de"}) == 2  # 22, 24


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_checkout_from_mirrors_skips_and_restores_missing_blobs(tmp_path: Path) -> None:
    work = tmp_path / "src"
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t"]
    _write(work / "txt" / "a.txt", ["one"])
    _write(work / "xml" / "b.xml", ["<old/>"])
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    _write(work / "xml" / "b.xml", ["<new/>"])
    _write(work / "txt" / "gone.txt", ["lost"])
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "two"], check=True)
    mirrors = tmp_path / "mirrors"
    bare = mirrors / "wmt-conference+wmt22-news-systems" / "repo"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    # Drop the newest blobs of b.xml and gone.txt, as in the real mirrors.
    for path in ("xml/b.xml", "txt/gone.txt"):
        sha = subprocess.run(
            ["git", f"--git-dir={bare}", "rev-parse", f"HEAD:{path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        (bare / "objects" / sha[:2] / sha[2:]).unlink()
    out = tmp_path / "root"
    manifests = wd.checkout_from_mirrors(mirrors, out, ("wmt22", "wmt23"))
    repo = out / "wmt22-news-systems"
    assert (repo / "txt" / "a.txt").read_text() == "one\n"
    assert (repo / "xml" / "b.xml").read_text() == "<old/>\n"  # from the previous commit
    assert not (repo / "txt" / "gone.txt").exists()
    assert manifests["wmt22"]["missing"] == ["txt/gone.txt"]
    assert list(manifests["wmt22"]["restored_from_history"]) == ["xml/b.xml"]
    assert "wmt23" not in manifests
