"""The lead tier (dedup.search.lead_tier): what it must never drop, and what it must not encode."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from dedup.runners.local import scan
from dedup.search.lead_tier import lead_indices, select_documents

STORM = [
    "A violent storm hit the western coast of Norway on Tuesday night.",
    "More than forty thousand homes were left without electricity until morning.",
    "Ferries between Bergen and Stavanger stayed in port for a second day.",
    "Forecasters expect calmer weather from Thursday onwards.",
]
UNRELATED = [
    [
        "The central bank raised its main interest rate by half a point yesterday.",
        "Analysts had expected a smaller move after weak retail figures.",
        "Mortgage lenders said they would pass the increase on within weeks.",
        "Currency traders pushed the krone up against the euro.",
    ],
    [
        "Archaeologists uncovered a Viking burial ship under a farmer's field.",
        "Radar scans showed the outline of a vessel nearly twenty metres long.",
        "Excavation is planned for next summer if funding can be found.",
        "Local schools have already organised visits to the site.",
    ],
    [
        "A new football stadium opened in the capital with a sold-out derby.",
        "Supporters queued for hours before the gates opened in the rain.",
        "The club hopes the arena will host European finals within five years.",
        "Ticket prices for next season rose by about ten percent.",
    ],
]


class CountingEncoder(HashingEncoder):
    """The hashing encoder, recording every sentence it is asked to encode."""

    def __init__(self) -> None:
        super().__init__(dim=128)
        self.seen: list[str] = []

    def encode(self, sentences: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        self.seen.extend(sentences)
        return super().encode(sentences, batch_size=batch_size)


def _docs(*extra: list[str]) -> list[list[str]]:
    return [list(d) for d in UNRELATED] + [list(d) for d in extra]


def test_never_drops_an_exact_copy() -> None:
    docs = _docs(STORM, STORM)
    tier = select_documents(
        docs, ["en"] * len(docs), encode=HashingEncoder(dim=128).encode, min_level=99.0, min_shared=99
    )
    assert tier.keep.tolist() == [False, False, False, True, True]


def test_never_drops_a_pair_whose_leads_align() -> None:
    # Same lead, different bodies: not a copy, and the MinHash Jaccard of the full texts stays low.
    other_body = [STORM[0], STORM[1], *(s.upper() for s in UNRELATED[0])]
    docs = _docs(STORM, other_body)
    tier = select_documents(docs, ["en"] * len(docs), encode=HashingEncoder(dim=128).encode, min_shared=99)
    assert tier.keep[3] and tier.keep[4]
    assert not tier.copies[3]


def test_no_partner_means_lead_only() -> None:
    encoder = CountingEncoder()
    texts = {f"d{k}": "\n".join(doc) for k, doc in enumerate(_docs(STORM, STORM))}
    result = scan(texts, encoder=encoder, lead_tier=True, use_cache=False)
    unrelated_rest = {s for doc in UNRELATED for s in doc[3:]}
    assert not unrelated_rest & set(encoder.seen)  # only their leads were encoded
    assert len(encoder.seen) == len(set(encoder.seen))  # no sentence encoded twice
    assert {("d3", "d4")} == {(p.doc_a, p.doc_b) for p in result.pairs}


def test_unencoded_documents_keep_their_sentence_counts() -> None:
    texts = {f"d{k}": "\n".join(doc) for k, doc in enumerate(_docs(STORM, STORM))}
    result = scan(texts, encoder=HashingEncoder(dim=128), lead_tier=True, use_cache=False)
    counts = {d.doc_id: d.n_sentences for d in result.documents}
    assert counts == {f"d{k}": 4 for k in range(5)}
    assert sorted(len(g.members) for g in result.groups) == [1, 1, 1, 2]


def test_lead_skips_header_lines_and_shared_furniture() -> None:
    banner = "This site uses cookies to improve your experience on our pages."
    docs = [
        ["Skip to main content", "News | Sport | Weather", banner, *STORM],
        [banner, *UNRELATED[0]],
        [banner, *UNRELATED[1]],
    ]
    leads = lead_indices(docs, n_lead=2)
    assert [docs[0][k] for k in leads[0]] == STORM[:2]


@pytest.mark.parametrize("n_lead", [1, 2, 3])
def test_lead_length(n_lead: int) -> None:
    assert all(len(lead) == n_lead for lead in lead_indices(_docs(STORM), n_lead=n_lead))


def test_the_lead_tier_is_refused_where_it_would_drop_documents(tmp_path: Path) -> None:
    from dedup.errors import InvalidParameterError
    from dedup.io.index_maintenance import index_info
    from dedup.runners.archive_index import build_index
    from dedup.runners.ray import scan_with_ray

    texts = {
        "a": "Storm hits the coast tonight and thousands lose power.",
        "b": "Markets fell sharply on Friday.",
    }
    with pytest.raises(InvalidParameterError):
        scan_with_ray(texts, config=ScanConfig(lead_tier=True))
    # an index holds every document whole: the tier is off there
    build_index(texts, tmp_path / "idx", config=ScanConfig(lead_tier=True), encoder=HashingEncoder())
    assert index_info(tmp_path / "idx").n_sentences == 2
    with pytest.raises(InvalidParameterError):
        scan(texts, against=tmp_path / "idx", lead_tier=True, encoder=HashingEncoder())
