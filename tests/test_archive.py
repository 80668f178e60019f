from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dedup.outputs.archive as archive_mod
import dedup.runners.local as pipeline_mod
from dedup.cli.app import app
from dedup.encoders.base import HashingEncoder
from dedup.errors import InvalidParameterError
from dedup.outputs.archive import copy_kept, manifest_csv, write_manifest
from dedup.outputs.archive_policy import ArchivePolicy, build_manifest, find_dates
from dedup.types import DocumentInfo, Group, Pair, PairFeatures, Relation, ScanResult, Skipped

STORY = [
    "Storm Ingrid hit the west coast on Tuesday night with winds of up to forty metres per second.",
    "Thousands of homes lost power and several ferries were cancelled until further notice.",
    "The police asked people to stay indoors and to keep away from the sea front.",
    "Schools in three municipalities will stay closed on Wednesday, the county said.",
]
OTHER = [
    "The central bank raised its policy rate by half a percentage point on Thursday.",
    "Markets had expected a smaller rise after inflation slowed in the autumn.",
    "The governor said further increases could follow early next year.",
]


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("date 2022-03-02\n" + "\n".join(STORY) + "\n", encoding="utf-8")
    (root / "sub" / "b.txt").write_text("date 2022-03-01\n" + "\n".join(STORY) + "\n", encoding="utf-8")
    (root / "c.txt").write_text("\n".join(STORY[:3]) + "\nRead more on our site.\n", encoding="utf-8")
    (root / "d.txt").write_text("\n".join(OTHER) + "\n", encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    return root


def _snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """sha256, mode and mtime of every entry under root (files and folders)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            out[str(p.relative_to(root))] = (digest, st.st_mode, st.st_mtime_ns)
    return out


@pytest.fixture()
def hashing_scan(monkeypatch):
    """Make every scan (also the CLI's) use the fake encoder, so no model is loaded."""
    real = pipeline_mod.scan

    def fake(inputs, **kwargs):
        kwargs.pop("model", None)
        kwargs["encoder"] = HashingEncoder()
        return real(inputs, **kwargs)

    monkeypatch.setattr(pipeline_mod, "scan", fake)
    return fake


def _doc(doc_id: str, lang: str, n_chars: int, n_sentences: int = 5) -> DocumentInfo:
    return DocumentInfo(doc_id=doc_id, lang=lang, n_sentences=n_sentences, n_chars=n_chars, sha256="0" * 64)


def _feats(cov_a: float, cov_b: float) -> PairFeatures:
    return PairFeatures(cov_a, cov_b, 5, 0.8, 1.3, 1.0, 0.1, 0.9, False, 5, 5)


def _result(docs, pairs, groups, skipped=()) -> ScanResult:
    return ScanResult(documents=tuple(docs), pairs=tuple(pairs), groups=tuple(groups), skipped=tuple(skipped))


# ------------------------------------------------------------------------------------------------
# Rules, on hand-built results


def test_original_language_beats_longer_translation():
    docs = [_doc("en.txt", "en", 3000), _doc("nb.txt", "nb", 2800)]
    pair = Pair("en.txt", "nb.txt", "en", "nb", Relation.TRANSLATION, 0.99, features=_feats(0.90, 1.0))
    rows = build_manifest(_result(docs, [pair], [Group("g00001", ("en.txt", "nb.txt"), 0.99, ("en", "nb"))]))
    by_path = {r.path: r for r in rows}
    assert by_path["nb.txt"].role == "keep"
    assert "original language nb" in by_path["nb.txt"].reason
    assert by_path["en.txt"].role == "translation_of"
    assert by_path["en.txt"].canonical == "nb.txt"
    assert by_path["en.txt"].confidence == 0.99


def test_rule_order_and_preferred_language_are_configurable():
    docs = [_doc("nb.txt", "nb", 3000), _doc("en.txt", "en", 2800, n_sentences=6)]
    pair = Pair("en.txt", "nb.txt", "en", "nb", Relation.TRANSLATION, 0.99, features=_feats(0.90, 1.0))
    result = _result(docs, [pair], [Group("g00001", ("en.txt", "nb.txt"), 0.99, ("en", "nb"))])

    def kept(policy: ArchivePolicy) -> str:
        return next(r.path for r in build_manifest(result, policy=policy) if r.role == "keep")

    assert kept(ArchivePolicy()) == "nb.txt"
    assert kept(ArchivePolicy(rules=("complete", "original"))) == "en.txt"
    assert kept(ArchivePolicy(prefer_languages=("en",))) == "en.txt"
    # a coverage lead below min_coverage_lead decides nothing: the text with more sentences wins
    assert kept(ArchivePolicy(min_coverage_lead=0.2)) == "en.txt"


def test_characters_are_compared_within_one_language_only():
    mixed = [_doc("a-en.txt", "en", 2000), _doc("b-de.txt", "de", 2600)]
    same = [_doc("a-en.txt", "en", 2000), _doc("b-en.txt", "en", 2600)]
    for docs, expected in ((mixed, "a-en.txt"), (same, "b-en.txt")):
        group = Group("g00001", tuple(d.doc_id for d in docs), 0.9, tuple(sorted({d.lang for d in docs})))
        rows = build_manifest(_result(docs, [], [group]), policy=ArchivePolicy(rules=("complete",)))
        assert next(r.path for r in rows if r.role == "keep") == expected


def test_complete_then_earliest_then_path():
    docs = [_doc("x.txt", "en", 100), _doc("y.txt", "en", 100), _doc("z.txt", "en", 90)]
    group = Group("g00001", ("x.txt", "y.txt", "z.txt"), 0.9, ("en",))
    texts = {"x.txt": "date 2022-05", "y.txt": "published 2021-12-31", "z.txt": "date 1999-01-01"}
    rows = build_manifest(_result(docs, [], [group]), texts=texts)
    keep = next(r for r in rows if r.role == "keep")
    assert keep.path == "y.txt"  # z is shorter; y's date is earlier than x's
    assert "earliest date" in keep.reason
    roles = {r.path: r.role for r in rows}
    assert roles == {"x.txt": "duplicate_of", "y.txt": "keep", "z.txt": "duplicate_of"}
    assert all("no direct link" in r.reason for r in rows if r.role == "duplicate_of")
    no_dates = build_manifest(_result(docs, [], [group]), texts={})
    assert next(r.path for r in no_dates if r.role == "keep") == "x.txt"


def test_unique_and_skipped_rows(tmp_path):
    docs = [_doc("a.txt", "en", 10)]
    result = _result(
        docs, [], [Group("g00001", ("a.txt",), 0.8, ("en",))], [Skipped(str(tmp_path / "bad.bin"), "binary")]
    )
    rows = build_manifest(result, tmp_path)
    assert [(r.path, r.role) for r in rows] == [("a.txt", "unique"), ("bad.bin", "skipped")]
    assert rows[0].canonical == "a.txt" and rows[0].confidence == 0.8


def test_policy_validation():
    with pytest.raises(InvalidParameterError, match="rules"):
        ArchivePolicy(rules=("newest",))
    with pytest.raises(InvalidParameterError, match="repeat"):
        ArchivePolicy(rules=("path", "path"))
    with pytest.raises(InvalidParameterError, match="min_coverage_lead"):
        ArchivePolicy(min_coverage_lead=2.0)
    assert ArchivePolicy(rules=("earliest",)).rules == ("earliest", "path")


def test_earliest_reads_dates_from_compressed_and_word_processor_files_under_the_root(tmp_path: Path) -> None:
    import gzip
    import zipfile

    (tmp_path / "x.txt").write_text("date 2022-05", encoding="utf-8")
    (tmp_path / "y.txt.gz").write_bytes(gzip.compress(b"published 2021-12-31"))
    with zipfile.ZipFile(tmp_path / "z.docx", "w") as z:
        w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
        body = "<w:p><w:r><w:t>filed 2020-03-01</w:t></w:r></w:p>"
        z.writestr("word/document.xml", f'<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>')
    docs = [_doc("x.txt", "en", 100), _doc("y.txt.gz", "en", 100)]
    group = Group("g00001", ("x.txt", "y.txt.gz"), 0.9, ("en",))
    rows = build_manifest(_result(docs, [], [group]), root=tmp_path)
    keep = next(r for r in rows if r.role == "keep")
    assert keep.path == "y.txt.gz"
    assert "earliest date" in keep.reason
    docs.append(_doc("z.docx", "en", 100))
    group = Group("g00001", ("x.txt", "y.txt.gz", "z.docx"), 0.9, ("en",))
    rows = build_manifest(_result(docs, [], [group]), root=tmp_path)
    assert next(r for r in rows if r.role == "keep").path == "z.docx"


def test_find_dates():
    assert find_dates(" date 2022-01 I BERLIN") == ["2022-01"]
    assert find_dates("no date 2022-1-5, 3022-01-01 or 2022-00") == []


def test_manifest_csv_quotes_commas_and_newlines():
    rows = build_manifest(
        _result([_doc('we"ird, name.txt', "en", 5)], [], [Group("g1", ('we"ird, name.txt',), 1.0, ("en",))])
    )
    text = manifest_csv(rows)
    assert text.splitlines()[1].startswith('"we""ird, name.txt"')


# ------------------------------------------------------------------------------------------------
# Real scans (fake encoder): determinism, inputs untouched, copy verification


def test_manifest_is_deterministic_and_inputs_untouched(tmp_path):
    root = _tree(tmp_path)
    before = _snapshot(root)
    outputs = []
    for k in range(2):
        result = pipeline_mod.scan(root, encoder=HashingEncoder())
        rows = build_manifest(result, root)
        out = tmp_path / f"out{k}"
        write_manifest(rows, out)
        outputs.append(((out / "manifest.csv").read_bytes(), (out / "manifest.jsonl").read_bytes()))
    assert outputs[0] == outputs[1]
    assert _snapshot(root) == before
    rows = [json.loads(line) for line in outputs[0][1].decode().splitlines()]
    roles = {r["path"]: r["role"] for r in rows}
    assert roles["sub/b.txt"] == "keep"  # same length as a.txt, earlier date
    assert roles["a.txt"] == "duplicate_of"
    assert roles["d.txt"] == "unique"
    assert roles["empty.txt"] == "skipped"
    assert {r["canonical"] for r in rows if r["role"] == "duplicate_of"} == {"sub/b.txt"}
    assert set(rows[0]) == {"path", "sha256", "lang", "group_id", "role", "canonical", "confidence", "reason"}


def test_copy_and_link_verify_and_leave_inputs_untouched(tmp_path):
    root = _tree(tmp_path)
    before = _snapshot(root)
    rows = build_manifest(pipeline_mod.scan(root, encoder=HashingEncoder()), root)
    kept = sorted(r.path for r in rows if r.role in ("keep", "unique"))
    for link in (False, True):
        dest = tmp_path / f"dest-{link}"
        result = copy_kept(rows, root, dest, link=link)
        assert result.ok and sorted(result.copied) == kept
        for rel in kept:
            assert (dest / rel).read_bytes() == (root / rel).read_bytes()
        again = copy_kept(rows, root, dest, link=link)  # idempotent
        assert again.ok
    assert os.path.samefile(root / kept[0], tmp_path / "dest-True" / kept[0])
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "dest-False").rglob("*"))
    assert _snapshot(root) == before


def test_corrupted_copy_is_detected_and_removed(tmp_path, monkeypatch):
    root = _tree(tmp_path)
    rows = build_manifest(pipeline_mod.scan(root, encoder=HashingEncoder()), root)

    def corrupting_copy(src: Path, dst: Path) -> None:
        shutil.copyfile(src, dst)
        if src.name == "d.txt":
            with open(dst, "r+b") as fh:
                fh.write(b"X")

    monkeypatch.setattr(archive_mod, "_copy_file", corrupting_copy)
    before = _snapshot(root)
    result = copy_kept(rows, root, tmp_path / "dest")
    assert not result.ok
    assert [path for path, _ in result.failed] == ["d.txt"]
    assert "checksum mismatch" in result.failed[0][1]
    assert not (tmp_path / "dest" / "d.txt").exists()
    assert (tmp_path / "dest" / "sub" / "b.txt").exists()
    assert _snapshot(root) == before


def test_dest_inside_folder_is_refused(tmp_path):
    root = _tree(tmp_path)
    with pytest.raises(InvalidParameterError, match="outside the scanned folder"):
        copy_kept([], root, root / "kept")


# ------------------------------------------------------------------------------------------------
# CLI


def test_cli_archive_dry_run_then_copy(tmp_path, hashing_scan):
    root = _tree(tmp_path)
    before = _snapshot(root)
    runner = CliRunner()
    first = runner.invoke(app, ["archive", str(root), "--out", str(tmp_path / "m1")])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["keep"] == 1 and summary["unique"] == 1 and summary["skipped"] == 1
    assert "dry run" in first.stderr
    assert not (tmp_path / "dest").exists()
    second = runner.invoke(
        app, ["archive", str(root), "--out", str(tmp_path / "m2"), "--copy-to", str(tmp_path / "dest")]
    )
    assert second.exit_code == 0, second.output
    for name in ("manifest.csv", "manifest.jsonl"):
        assert (tmp_path / "m1" / name).read_bytes() == (tmp_path / "m2" / name).read_bytes()
        assert (tmp_path / "dest" / name).read_bytes() == (tmp_path / "m1" / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "dest").rglob("*.txt")) == ["b.txt", "d.txt"]
    assert _snapshot(root) == before


def test_cli_archive_corrupted_copy_exits_1(tmp_path, hashing_scan, monkeypatch):
    root = _tree(tmp_path)

    def corrupting_copy(src: Path, dst: Path) -> None:
        dst.write_bytes(src.read_bytes() + b"\0")

    monkeypatch.setattr(archive_mod, "_copy_file", corrupting_copy)
    result = CliRunner().invoke(
        app, ["archive", str(root), "--out", str(tmp_path / "m"), "--copy-to", str(tmp_path / "dest")]
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "did not copy or verify" in errors[0]
    assert json.loads(result.stdout)["failed"] == 2


@pytest.mark.parametrize(
    "args, hint",
    [
        (["--out", "{root}/manifest"], "--out"),
        (["--out", "{tmp}/m", "--copy-to", "{root}/kept"], "--copy-to"),
        (["--out", "{tmp}/m", "--link"], "--link"),
        (["--out", "{tmp}/m", "--rules", "newest,path"], "--rules"),
    ],
)
def test_cli_archive_usage_errors(tmp_path, hashing_scan, args, hint):
    root = _tree(tmp_path)
    before = _snapshot(root)
    argv = ["archive", str(root)] + [a.format(root=root, tmp=tmp_path) for a in args]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert hint in result.stderr
    assert _snapshot(root) == before


def test_copy_to_refuses_record_files_with_dropped_records(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import dedup.encoders.loading
    from dedup.encoders.base import HashingEncoder

    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", lambda *a, **k: HashingEncoder())
    story = "Storm hits the coast.\nThousands lost power overnight.\nSchools are closed on Monday."
    other = "The central bank raised interest rates by half a point on Thursday.\nMarkets fell."
    root = tmp_path / "in"
    root.mkdir()
    (root / "mixed.jsonl").write_text(
        "".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in (("a", story), ("b", story))),
        encoding="utf-8",
    )
    (root / "kept.jsonl").write_text(json.dumps({"id": "c", "text": other}) + "\n", encoding="utf-8")
    out, dest = tmp_path / "manifest", tmp_path / "dest"
    result = CliRunner().invoke(app, ["archive", str(root), "--out", str(out), "--copy-to", str(dest)])
    assert result.exit_code == 2
    flat = " ".join(result.output.replace("│", " ").split())
    assert "mixed.jsonl (1 dropped)" in flat and "nothing was copied" in flat
    assert not dest.exists() or not any(dest.iterdir())
    rows = {r["path"]: r["role"] for r in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())}
    assert rows == {"kept.jsonl#c": "unique", "mixed.jsonl#a": "keep", "mixed.jsonl#b": "duplicate_of"}
    (root / "mixed.jsonl").write_text(json.dumps({"id": "a", "text": story}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["archive", str(root), "--out", str(out), "--copy-to", str(dest)])
    assert result.exit_code == 0, result.output
    copied = sorted(p.name for p in dest.iterdir())
    assert copied == ["kept.jsonl", "manifest.csv", "manifest.jsonl", "mixed.jsonl"]
    # a single file: the manifest may go beside it (its folder is not scanned), copies may not
    single = CliRunner().invoke(app, ["archive", str(root / "kept.jsonl"), "--out", str(root / "m")])
    assert single.exit_code == 0, single.output
    assert (root / "m" / "manifest.csv").is_file()
    inside = CliRunner().invoke(
        app, ["archive", str(root / "kept.jsonl"), "--out", str(out), "--copy-to", str(root / "c")]
    )
    assert inside.exit_code == 2 and not (root / "c").exists()
