"""The seed articles with the real model: the acceptance check of the foundation issue."""

from __future__ import annotations

import json

import pytest

from dedup.evaluation.assess import evaluate_gold_dir
from dedup.runners.local import scan
from dedup.types import Relation


def _key(doc_id: str) -> str:
    return doc_id[:3]


@pytest.fixture(scope="module")
def seeds_result(_real_model, seeds_dir_module):
    return scan(seeds_dir_module, model=_real_model)


@pytest.fixture(scope="module")
def seeds_dir_module():
    from conftest import SEEDS

    return SEEDS


@pytest.mark.model
def test_seed_translation_pair_is_one_high_confidence_group(seeds_result):
    groups = [sorted(_key(m) for m in g.members) for g in seeds_result.groups]
    assert ["000", "001"] in groups
    pair = next(p for p in seeds_result.pairs if {_key(p.doc_a), _key(p.doc_b)} == {"000", "001"})
    assert pair.relation is Relation.TRANSLATION
    assert pair.confidence >= 0.9
    assert {pair.lang_a, pair.lang_b} == {"en", "nb"}
    assert len(pair.aligned) >= 10


@pytest.mark.model
def test_other_seeds_stay_out_of_the_translation_group(seeds_result):
    group = next(g for g in seeds_result.groups if any(_key(m) == "000" for m in g.members))
    assert sorted(_key(m) for m in group.members) == ["000", "001"]
    for pair in seeds_result.pairs:
        if "003" in {_key(pair.doc_a), _key(pair.doc_b)}:
            assert pair.relation is Relation.SAME_STORY
            assert pair.confidence < 0.5
    assert sorted(_key(m) for g in seeds_result.groups for m in g.members) == [
        "000",
        "001",
        "002",
        "003",
        "004",
    ]


@pytest.mark.model
def test_seed_languages(seeds_result):
    langs = {_key(d.doc_id): d.lang for d in seeds_result.documents}
    assert langs == {"000": "en", "001": "nb", "002": "en", "003": "nb", "004": "en"}


@pytest.mark.model
def test_eval_on_seeds_as_a_tiny_gold_set(tmp_path, _real_model, seeds_dir_module):
    docs = tmp_path / "docs"
    docs.mkdir()
    rows = ["doc_id\tgroup_id\tlang\trole\tsource"]
    for path in sorted(seeds_dir_module.glob("*.txt")):
        (docs / path.name).write_bytes(path.read_bytes())
        group = "g0" if path.name[:3] in ("000", "001") else f"g{path.name[:3]}"
        rows.append(f"{path.stem}\t{group}\t{'nob' if path.name[:3] in ('001', '003') else 'eng'}\tx\tseed")
    (tmp_path / "gold.tsv").write_text("\n".join(rows) + "\n")
    metrics = evaluate_gold_dir(tmp_path, model=_real_model, out_dir=tmp_path / "out")
    assert metrics["pairwise"]["f1"] == 1.0
    assert metrics["ari"] == 1.0
    assert (tmp_path / "out" / "groups.jsonl").exists()
    groups = [json.loads(line) for line in (tmp_path / "out" / "groups.jsonl").read_text().splitlines()]
    assert len(groups) == 4


@pytest.mark.model
def test_a_mojibake_copy_of_the_norwegian_seed_scans_as_the_clean_one(
    seeds_result, seeds_dir_module, _real_model, tmp_path
):
    """UTF-8 read as Windows-1252 and saved again (``mÃ¸tt`` for ``møtt``), as old archives hold it."""
    for path in sorted(seeds_dir_module.iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.name.startswith("001"):
            text = text.encode("utf-8").decode("cp1252", errors="replace")
            assert "Ã¸" in text or "Ã¥" in text
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    mangled = scan(tmp_path, model=_real_model)

    def links(result):
        return sorted((_key(p.doc_a), _key(p.doc_b), p.relation, p.confidence) for p in result.pairs)

    assert links(mangled) == links(seeds_result)
    assert {_key(d.doc_id): d.lang for d in mangled.documents} == {
        _key(d.doc_id): d.lang for d in seeds_result.documents
    }


@pytest.mark.model
def test_the_english_seed_in_capitals_links_as_the_written_one(seeds_dir_module, real_onnx_encoder, tmp_path):
    """Old wire copy is set in capitals: the default encoder reads it in its sentence-case form."""
    for path in sorted(seeds_dir_module.iterdir()):
        text = path.read_text(encoding="utf-8")
        (tmp_path / path.name).write_text(
            text.upper() if path.name.startswith("000") else text, encoding="utf-8"
        )
    clean = scan(seeds_dir_module, encoder=real_onnx_encoder)
    shouted = scan(tmp_path, encoder=real_onnx_encoder)
    assert sorted(sorted(_key(m) for m in g.members) for g in shouted.groups) == sorted(
        sorted(_key(m) for m in g.members) for g in clean.groups
    )
    linked = {(_key(p.doc_a), _key(p.doc_b)): p for p in shouted.pairs if p.confidence >= 0.5}
    assert list(linked) == [("000", "001")] and linked["000", "001"].relation is Relation.TRANSLATION
    assert linked["000", "001"].confidence >= 0.9
    assert linked["000", "001"].aligned[0].text_a.isupper()  # the evidence shows the text as written


@pytest.mark.model
def test_the_english_seed_wrapped_at_70_columns_links_as_the_written_one(
    seeds_dir_module, real_onnx_encoder, tmp_path
):
    """Plain-text archives and e-mail wrap lines at a fixed width; sentences come from the rejoined text."""
    import textwrap

    for path in sorted(seeds_dir_module.iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.name.startswith("000"):
            text = "\n".join(textwrap.fill(line, 70) if line.strip() else "" for line in text.splitlines())
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    clean = scan(seeds_dir_module, encoder=real_onnx_encoder)
    wrapped = scan(tmp_path, encoder=real_onnx_encoder)
    assert [d.n_sentences for d in wrapped.documents] == [d.n_sentences for d in clean.documents]
    linked = {(_key(p.doc_a), _key(p.doc_b)): p for p in wrapped.pairs if p.confidence >= 0.5}
    assert list(linked) == [("000", "001")] and linked["000", "001"].confidence >= 0.9
    expected = {(_key(p.doc_a), _key(p.doc_b)): p.confidence for p in clean.pairs}
    assert {(_key(p.doc_a), _key(p.doc_b)): p.confidence for p in wrapped.pairs} == pytest.approx(
        expected, abs=0.01
    )
