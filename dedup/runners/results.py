"""A scan's result tables from its scored links: linked pairs with their evidence, groups, documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from dedup.scoring.cluster import group_confidence
from dedup.scoring.corpus import Corpus
from dedup.scoring.score import Alignment, is_exact_copy
from dedup.scoring.transliteration import TransliterationCheck
from dedup.types import AlignedSentence, Document, DocumentInfo, Group, Pair, PairFeatures, Relation

# (features, alignment, article confidence, story confidence) of one scored pair
ScoredPair = tuple[PairFeatures, Alignment, float, float]


def relation_of(
    corpus: Corpus,
    i: int,
    j: int,
    article: float,
    threshold: float,
    same_text: TransliterationCheck | None = None,
) -> Relation:
    """``exact`` for copies; at or above ``threshold``: ``near_duplicate`` within a language or for one
    text written in two scripts (Serbian Cyrillic and Latin, :mod:`dedup.scoring.transliteration`),
    ``translation`` otherwise; below it ``same_story``. ``same_text`` is the corpus's
    :class:`~dedup.scoring.transliteration.TransliterationCheck`, shared over a scan's pairs so each
    document is romanised once (one is made for this pair when it is None)."""
    if is_exact_copy(corpus, i, j):
        return Relation.EXACT
    if article < threshold:
        return Relation.SAME_STORY
    if corpus.langs[i] == corpus.langs[j]:
        return Relation.NEAR_DUPLICATE
    if same_text is None:
        same_text = TransliterationCheck(lambda k: "\n".join(corpus.sentences[k]))
    return Relation.NEAR_DUPLICATE if same_text(i, j) else Relation.TRANSLATION


def linked_pairs(
    corpus: Corpus,
    ids: list[str],
    scored: Mapping[tuple[int, int], ScoredPair],
    threshold: float,
    report_threshold: float,
) -> list[Pair]:
    """The reported pairs as :class:`~dedup.types.Pair` records, ``doc_a < doc_b``, with their aligned
    sentences as evidence, strongest first; pairs below ``report_threshold`` at both levels are left out."""
    pairs = []
    same_text = TransliterationCheck(lambda k: "\n".join(corpus.sentences[k]))
    for (i, j), (feats, alignment, article, story) in scored.items():
        if max(article, story) < report_threshold:
            continue
        a, b = (i, j) if ids[i] < ids[j] else (j, i)
        relation = relation_of(corpus, i, j, article, threshold, same_text)
        aligned = tuple(
            AlignedSentence(
                i=p[0] if a == i else p[1],
                j=p[1] if a == i else p[0],
                text_a=corpus.sentences[a][p[0] if a == i else p[1]],
                text_b=corpus.sentences[b][p[1] if a == i else p[0]],
                cosine=p[2],
                margin=p[3],
            )
            for p in alignment.pairs
        )
        if a != i:
            feats = replace(
                feats,
                coverage_a=feats.coverage_b,
                coverage_b=feats.coverage_a,
                n_sentences_a=feats.n_sentences_b,
                n_sentences_b=feats.n_sentences_a,
            )
        pairs.append(
            Pair(
                doc_a=ids[a],
                doc_b=ids[b],
                lang_a=corpus.langs[a],
                lang_b=corpus.langs[b],
                relation=relation,
                confidence=article,
                aligned=tuple(sorted(aligned, key=lambda s: s.i)),
                features=feats,
                story_confidence=story,
            )
        )
    return sorted(pairs, key=lambda p: (-p.confidence, p.doc_a, p.doc_b))


def story_groups(
    clusters: list[list[int]], ids: list[str], langs: list[str], link: Mapping[tuple[int, int], float]
) -> list[Group]:
    """Clusters as :class:`~dedup.types.Group` records, largest first, ids ``g00001``...; a singleton's
    confidence is 1 minus its strongest link."""
    strongest = [0.0] * len(ids)
    for (i, j), c in link.items():
        strongest[i] = max(strongest[i], c)
        strongest[j] = max(strongest[j], c)
    ordered = sorted(clusters, key=lambda m: (-len(m), ids[m[0]]))
    groups = []
    for k, members in enumerate(ordered, start=1):
        confidence = group_confidence(members, link) if len(members) > 1 else 1.0 - strongest[members[0]]
        groups.append(
            Group(
                group_id=f"g{k:05d}",
                members=tuple(sorted(ids[m] for m in members)),
                confidence=confidence,
                languages=tuple(sorted({langs[m] for m in members})),
            )
        )
    return groups


def document_infos(
    documents: Sequence[Document], corpus: Corpus, *, min_words: int
) -> tuple[DocumentInfo, ...]:
    """One :class:`~dedup.types.DocumentInfo` per document: language, size, hash, whether too short."""
    return tuple(
        DocumentInfo(
            doc_id=d.doc_id,
            lang=lang,
            n_sentences=len(s),
            n_chars=len(d.text),
            sha256=d.sha256,
            n_words=n_words,
            too_short=n_words < min_words,
            url=d.url,
            date=d.date,
        )
        for d, lang, s, n_words in zip(documents, corpus.langs, corpus.sentences, corpus.n_words, strict=True)
    )
