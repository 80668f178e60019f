from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dedup.cli.app import app
from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from dedup.errors import InvalidParameterError, ModelError
from dedup.runners.local import scan
from dedup.scoring.signals import char_shingles
from dedup.search.first_tier import (
    build_static_model,
    minhash_partners,
    minhash_signatures,
    select_documents,
    static_document_vectors,
)

STORM = [
    "The storm reached the coast on Monday night, forecasters said.",
    "Thousands of homes lost power across the region after trees fell on lines.",
    "Schools will stay closed until Wednesday, the county announced.",
]
STORM_EDIT = [
    "The storm reached the coast on Monday night, officials said.",
    "Thousands of homes lost power across the region after trees fell on lines.",
    "Schools will stay closed until Wednesday, the county said.",
]
BANK = [
    "The central bank raised interest rates by half a point on Thursday.",
    "Markets fell sharply after the announcement in the afternoon.",
]
FARM = ["Farmers expect a record harvest this year after a wet spring and a warm summer."]


def _fake_static(sentences: list[str]) -> np.ndarray:
    """Deterministic stand-in for the static model (character trigram hashing)."""
    return HashingEncoder(dim=128).encode(sentences)


def test_filter_keeps_near_copies_and_drops_a_unique_document():
    tier = select_documents([STORM, STORM_EDIT, BANK, FARM], ["en"] * 4, encode=_fake_static)
    assert tier.keep.tolist() == [True, True, False, False]
    assert tier.nearest[0] > tier.nearest[2]


def test_minhash_alone_finds_same_language_copies():
    # a static "model" that sees nothing (orthogonal random vectors): only shingles can link
    rng = np.random.RandomState(0)

    def blind(sentences: list[str]) -> np.ndarray:
        return rng.normal(size=(len(sentences), 512)).astype(np.float32)

    tier = select_documents([STORM, STORM_EDIT, BANK, FARM], ["en"] * 4, encode=blind, min_cosine=0.9)
    assert tier.shingle_partner.tolist() == [True, True, False, False]


def test_exact_copies_are_always_kept_and_empty_documents_never_pair():
    tier = select_documents([BANK, BANK, [], []], ["en"] * 4, encode=_fake_static, min_cosine=1.0)
    assert tier.keep.tolist() == [True, True, False, False]


def test_higher_cut_keeps_fewer_documents():
    docs, langs = [STORM, STORM_EDIT, BANK, FARM], ["en"] * 4
    low = select_documents(docs, langs, encode=_fake_static, min_cosine=-1.0, min_jaccard=1.0)
    high = select_documents(docs, langs, encode=_fake_static, min_cosine=0.99, min_jaccard=1.0)
    assert low.n_kept == 4
    assert high.n_kept <= low.n_kept


def test_minhash_estimate_follows_jaccard():
    a = char_shingles(" ".join(STORM))
    sig = minhash_signatures([a, a, char_shingles(" ".join(BANK))])
    assert (sig[0] == sig[1]).all()
    assert minhash_partners(sig, min_jaccard=0.5).tolist() == [True, True, False]
    with pytest.raises(InvalidParameterError, match="bands must divide"):
        minhash_partners(sig, bands=5)


def test_document_vectors_are_unit_and_centred_per_language():
    v = static_document_vectors([STORM, BANK, [], FARM], ["en", "en", "en", "de"], _fake_static)
    assert v.shape == (4, 128)
    assert np.allclose(np.linalg.norm(v[[0, 1, 3]], axis=1), 1.0, atol=1e-5)
    assert not v[2].any()


def test_select_documents_validates_its_arguments():
    with pytest.raises(InvalidParameterError, match="min_cosine"):
        select_documents([STORM], ["en"], encode=_fake_static, min_cosine=2.0)
    with pytest.raises(InvalidParameterError, match="one entry per document"):
        select_documents([STORM], ["en", "de"], encode=_fake_static)


def _folder(tmp_path: Path) -> Path:
    texts = {
        "storm.txt": "Storm hits the west coast\n\n" + "\n".join(STORM),
        "storm-copy.txt": "Storm hits the west coast\n\n" + "\n".join(STORM),
        "storm-edit.txt": "Storm hits the coast\n\n" + "\n".join(STORM_EDIT),
        "bank.txt": "Central bank raises rates\n\n" + "\n".join(BANK),
        "farm.txt": FARM[0],
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_scan_with_first_tier_gives_the_same_groups(tmp_path):
    folder = _folder(tmp_path)
    off = scan(folder, encoder=HashingEncoder(), config=ScanConfig(use_cache=False))
    on = scan(folder, encoder=HashingEncoder(), config=ScanConfig(use_cache=False, first_tier=True))
    assert [g.members for g in on.groups] == [g.members for g in off.groups]
    assert [(p.doc_a, p.doc_b) for p in on.pairs] == [(p.doc_a, p.doc_b) for p in off.pairs]
    # unencoded documents keep their DocumentInfo, with their true sentence count
    assert [d.to_dict() for d in on.documents] == [d.to_dict() for d in off.documents]
    assert on.stats["first_tier"]["n_docs_skipped"] == 2
    assert on.stats["n_sentences"] < off.stats["n_sentences"]


def test_encoder_can_bring_its_own_first_tier_encoder(tmp_path):
    calls: list[int] = []

    class Encoder(HashingEncoder):
        def first_tier_encode(self, sentences: list[str]) -> np.ndarray:
            calls.append(len(sentences))
            return _fake_static(sentences)

    scan(_folder(tmp_path), encoder=Encoder(), config=ScanConfig(use_cache=False, first_tier=True))
    assert calls


def test_config_validates_first_tier():
    with pytest.raises(InvalidParameterError, match="first_tier must be a bool"):
        replace(ScanConfig(), first_tier="yes")


def test_distillation_refuses_a_missing_model_folder(tmp_path):
    with pytest.raises(ModelError, match="not a sentence-transformers folder"):
        build_static_model(tmp_path, source=tmp_path / "missing")


def test_cli_rejects_first_tier_with_against(tmp_path):
    folder = _folder(tmp_path / "docs") if (tmp_path / "docs").mkdir() is None else None
    result = CliRunner().invoke(app, ["scan", str(folder), "--first-tier", "--against", str(tmp_path)])
    assert result.exit_code == 2
    assert "first-tier" in result.output
