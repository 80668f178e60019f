"""The calibration recipe's corpus: synthetic archives of reworked WMT22-24 stories.

The WMT22, WMT23 and WMT24 general-task test sets (source documents, human references and machine
translations, read by ``models/wmt_documents.py``) give stories told in up to 15 languages. Stories
are split by a hash of their key: one in five is *validation* (never used to fit anything), the
rest *training*. Each story contributes to a synthetic archive either one version (an article
with no partner) or its source plus one to three translations, sometimes with a second machine
translation in one of those languages (a same-language near duplicate). An archive takes its
stories from one test set and domain where it can, as an outlet's archive would. Now and then a
long article quotes one or two sentences of another story: it stays its own story's (different
from the quoted one). With ``other_facts_share``, some stories also get an article on their template
with other facts (:func:`other_facts`: every number changed), a story of its own, as automated
earnings, sports and election reports are one template filled with different figures. Every version
is reworked independently by ``models/rework.py`` the way archives rework articles
(re-paragraphed, condensed, truncated, cut to a brief, sentences merged, accents dropped, site
furniture and "read also" teasers in the text's language). Archives hold about 150 documents, so
unrelated articles of one domain are the hard negatives.

WMT sometimes holds one text twice under two ids (WMT22's Ukrainian set carries about a hundred
of its documents as both ``news-N`` and ``test_uk_M``; a few chats, reviews and listings recur).
Two such documents are a copy, not two stories, so :func:`duplicate_stories` gives stories that
share a document one label (the split into training and validation stays by each story's own key).

Used by ``models/calibrate.py``, ``benchmarks/block_alignment.py`` and ``benchmarks/bench_lead_tier.py``
(``from models import archives``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dedup.config import ScanConfig
from dedup.runners.prepare import Embedded, embed_documents
from dedup.scoring.background import Background
from dedup.scoring.corpus import Corpus, build_corpus
from dedup.scoring.signals import count_words
from dedup.search.copies import normalise_for_hash
from dedup.text.segment import split_sentences
from models.rework import rework

SEED = 20261127
MAX_STORIES = 3000  # stories drawn (training + validation)
ARCHIVE_SIZE = 150
VALIDATION_SHARE = 5  # one story in five
MIN_SENTENCES = 4
MAX_SENTENCES = 30
# Two documents are one text held twice when they share this share of their distinctive sentences
# (those found in at most two stories), and at least DUPLICATE_MIN_SHARED of them.
DUPLICATE_SHARE = 0.8
DUPLICATE_MIN_SHARED = 3
# Stories the calibration recipe gives an other-facts article (one in two drawn; one whose drawn version
# does not report figures is skipped, so about one in fifteen has one), and its label suffix.
OTHER_FACTS_SHARE = 0.5
OTHER_FACTS = ":other-facts"
# An other-facts article is made of a version that reports figures: at least this many sentences,
# and this share of its sentences, hold a number.
OTHER_FACTS_MIN_SENTENCES = 3
OTHER_FACTS_MIN_SHARE = 0.4
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class ArchiveDoc:
    """One document of a synthetic archive and what is known about it (``story``: the WMT story key)."""

    doc_id: str
    text: str
    story: str
    lang: str  # the WMT language (truth), not the detected one
    domain: str


def read_stories(path: Path) -> dict[str, list[dict]]:
    """WMT documents (``models/wmt_documents.py`` output) grouped by story, long enough to use.

    Segments are split into sentences (WMT24's segments are paragraphs); a document needs
    ``MIN_SENTENCES`` of them and keeps at most ``MAX_SENTENCES``.
    """
    stories: dict[str, list[dict]] = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            sentences = [s for seg in doc["segments"] if seg.strip() for s in split_sentences(seg.strip())]
            if len(sentences) >= MIN_SENTENCES:
                stories[doc["story_key"]].append(doc | {"segments": sentences[:MAX_SENTENCES]})
    return {k: v for k, v in sorted(stories.items()) if any(d["role"] == "source" for d in v)}


def is_validation(story: str) -> bool:
    return int(hashlib.sha256(story.encode()).hexdigest(), 16) % VALIDATION_SHARE == 0


def split_stories(stories: dict[str, list[dict]], max_stories: int) -> tuple[list[str], list[str]]:
    """Training and validation story keys: ``max_stories`` keys drawn with ``SEED``, split by hash."""
    keys = sorted(stories)
    random.Random(SEED).shuffle(keys)
    keys = sorted(keys[:max_stories])
    return [k for k in keys if not is_validation(k)], [k for k in keys if is_validation(k)]


def duplicate_stories(stories: dict[str, list[dict]]) -> dict[str, str]:
    """The label of every story: the smallest key among the stories it shares a document with.

    Two documents of one language are the same text when, of the shorter one's distinctive
    sentences (normalised as exact copies are; found in at most two stories, so templates such
    as a chat's greeting do not count), at least ``DUPLICATE_SHARE`` and ``DUPLICATE_MIN_SHARED``
    recur in the other. Stories are joined transitively.
    """
    docs = [(key, d) for key, versions in stories.items() for d in versions]
    sentences = [{normalise_for_hash(s) for s in d["segments"]} - {""} for _, d in docs]
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (key, d), keys in zip(docs, sentences, strict=True):
        for s in keys:
            holders[(d["lang"], s)].add(key)
    distinctive = [
        {s for s in keys if len(holders[(d["lang"], s)]) <= 2}
        for (_, d), keys in zip(docs, sentences, strict=True)
    ]
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, ((_, d), keys) in enumerate(zip(docs, distinctive, strict=True)):
        for s in keys:
            index[(d["lang"], s)].append(n)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for holders_of in index.values():
        for a in range(len(holders_of)):
            for b in range(a + 1, len(holders_of)):
                if docs[holders_of[a]][0] != docs[holders_of[b]][0]:
                    shared[(holders_of[a], holders_of[b])] += 1
    label = {key: key for key in stories}

    def root(key: str) -> str:
        while label[key] != key:
            key = label[key]
        return key

    for (a, b), count in sorted(shared.items()):
        shorter = min(len(distinctive[a]), len(distinctive[b]))
        if count >= DUPLICATE_MIN_SHARED and count >= DUPLICATE_SHARE * shorter:
            ra, rb = root(docs[a][0]), root(docs[b][0])
            if ra != rb:
                label[max(ra, rb)] = min(ra, rb)
    return {key: root(key) for key in stories}


def story_versions(docs: list[dict], rng: random.Random, rarity: dict[str, float]) -> list[dict]:
    """The versions of one story that go into an archive (one, or a source and its translations).

    Translations into rare languages (``rarity``: 1 / stories with that language) are drawn first.
    """
    source = next(d for d in docs if d["role"] == "source")
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for d in docs:
        if d["lang"] != source["lang"]:
            by_lang[d["lang"]].append(d)
    if rng.random() < 0.25 or not by_lang:
        return [rng.choice(docs)]
    pool = sorted(by_lang)
    langs: list[str] = []
    for _ in range(min(len(pool), rng.choice((1, 1, 2, 3)))):
        lang = rng.choices(pool, weights=[rarity[x] for x in pool])[0]
        pool.remove(lang)
        langs.append(lang)
    chosen = [source]
    for lang in langs:
        options = sorted(by_lang[lang], key=lambda d: (d["role"] != "reference", d["producer"]))
        picked = options[0] if rng.random() < 0.6 else rng.choice(options)
        chosen.append(picked)
        others = [d for d in options if d is not picked]
        if others and rng.random() < 0.3:  # a second translation: a same-language near duplicate
            chosen.append(rng.choice(others))
    return chosen


def other_facts(segments: list[str], rng: random.Random) -> list[str] | None:
    """The same text reporting other figures: every run of digits replaced by another of the same
    length and a different first digit. None unless the text reports figures (at least
    ``OTHER_FACTS_MIN_SENTENCES`` sentences, and ``OTHER_FACTS_MIN_SHARE`` of them, hold a number):
    changing a text's one or two incidental numbers makes a corrected copy, not another report.

    Example:
        >>> import random
        >>> other_facts(["Profit rose 12 % to 4.1 billion.", "Shares fell 3 % in 2024.", "Sales: 7 %."],
        ...             random.Random(0))
        ['Profit rose 86 % to 1.6 billion.', 'Shares fell 9 % in 8475.', 'Sales: 4 %.']
    """
    numeric = sum(1 for s in segments if _DIGITS.search(s))
    if numeric < max(OTHER_FACTS_MIN_SENTENCES, OTHER_FACTS_MIN_SHARE * len(segments)):
        return None

    def replace(match: re.Match[str]) -> str:
        old = match.group()
        first = rng.choice([d for d in "123456789" if d != old[0]])
        return first + "".join(rng.choice("0123456789") for _ in old[1:])

    return [_DIGITS.sub(replace, s) for s in segments]


def story_domain(docs: list[dict]) -> str:
    """The domain (news, e-commerce, speech ...) of a story's source document, "" if unknown."""
    return next((d.get("domain", "") for d in docs if d["role"] == "source"), "")


COARSE_DOMAINS = ("news", "conversation", "speech", "ecommerce", "social", "other")
_OUTLET_ID = re.compile(r"^[a-z_]+(?:[.-][a-z]{2,})*(?:-\d+)?\.\d+$")  # aktualne-cs.22127, guardian.44781


def coarse_domain(doc: ArchiveDoc) -> str:
    """The document's domain as one of :data:`COARSE_DOMAINS`.

    WMT23-24 record a domain per document; WMT22 does not, so its domain is read off the document
    id: a customer-service chat (``..._CLIENT-05_...``), a product page (``ecommerce_...``,
    ``review_...``), a social post (``social_...``, reddit's ``t1_``/``t3_``) or a news outlet's
    article (``news-...``, ``<outlet>.<number>``); anything else is ``other``.

    Example:
        >>> coarse_domain(ArchiveDoc("d", "", "wmt22:cs:blesk.cz.25585", "cs", ""))
        'news'
        >>> coarse_domain(ArchiveDoc("d", "", "wmt22:zh:en_zh-TW_CLIENT-05_2020-12-13-1_doc0", "zh", ""))
        'conversation'
    """
    domain = doc.domain
    doc_id = doc.story.removesuffix(OTHER_FACTS).split(":", 2)[-1]
    if (
        domain in ("conversation", "conversational")
        or "_CLIENT-" in doc_id
        or doc_id.startswith("conversational")
    ):
        return "conversation"
    if domain in ("speech", "voice"):
        return "speech"
    if domain in ("ecommerce", "reviews") or doc_id.startswith(("ecommerce", "review_")):
        return "ecommerce"
    if domain == "social" or doc_id.startswith(("social", "t1_", "t3_")):
        return "social"
    if domain == "news" or (not domain and (doc_id.startswith("news") or _OUTLET_ID.match(doc_id))):
        return "news"
    return "other"


def archive_order(
    stories: dict[str, list[dict]], keys: list[str], rng: random.Random
) -> tuple[list[str], dict[str, float]]:
    """The story keys shuffled, then ordered by test set and domain (an archive takes its stories
    from one where it can); and each language's rarity, 1 / the stories that have it."""
    keys = list(keys)
    rng.shuffle(keys)
    keys.sort(key=lambda k: (k.split(":", 1)[0], story_domain(stories[k])))
    counts: dict[str, int] = defaultdict(int)
    for key in keys:
        for lang in {d["lang"] for d in stories[key]}:
            counts[lang] += 1
    return keys, {lang: 1.0 / n for lang, n in counts.items()}


def story_random(set_seed: float, key: str) -> random.Random:
    """The random source of one story's versions and rework in an archive set: seeded by the set's
    ``set_seed`` and the story's key, so a change to one story's texts (its sentence count, say)
    leaves every other story's draws as they were.

    Example:
        >>> story_random(0.5, "wmt23:de:7").random() == story_random(0.5, "wmt23:de:7").random()
        True
        >>> story_random(0.5, "wmt23:de:7").random() == story_random(0.5, "wmt23:de:8").random()
        False
    """
    return random.Random(f"{set_seed!r}:{key}")


def _fill_archives(
    keys: list[str], archives: list[list[ArchiveDoc]]
) -> Iterator[tuple[int, str, list[ArchiveDoc]]]:
    """Each story key with its number and the archive its documents go into: the last one of
    ``archives``, or a new one appended once that holds ``ARCHIVE_SIZE`` documents."""
    for n, key in enumerate(keys):
        if not archives or len(archives[-1]) >= ARCHIVE_SIZE:
            archives.append([])
        yield n, key, archives[-1]


def build_archives(
    stories: dict[str, list[dict]], keys: list[str], rng: random.Random, *, other_facts_share: float = 0.0
) -> list[list[ArchiveDoc]]:
    """Reworked archives of about ``ARCHIVE_SIZE`` documents from the given stories.

    Like a real archive, which holds one outlet's articles, an archive takes its stories from one
    test set and domain where it can (shuffled within it), so unrelated articles on related
    topics (the hard negatives) meet in it. Each archive lists its documents by ``doc_id``, the
    order a scan reads them in (:func:`embed_archive` checks it), so document ``i`` of an archive
    is document ``i`` of its corpus.

    ``other_facts_share`` of the stories also get a version of theirs with other figures
    (:func:`other_facts`), labelled a story of its own. It is drawn with a random source seeded by
    the story key, so the other documents' texts are the same with or without it. Each story's
    versions and rework draw from a source of their own (:func:`story_random`), so a change to one
    story's texts leaves the others' as they were.
    """
    keys, rarity = archive_order(stories, keys, rng)
    headlines = [stories[k][0]["segments"][0] for k in keys]
    label = duplicate_stories(stories)
    set_seed = rng.random()
    archives: list[list[ArchiveDoc]] = []
    for n, key, docs in _fill_archives(keys, archives):
        story_rng = story_random(set_seed, key)
        for version in story_versions(stories[key], story_rng, rarity):
            text = rework(version["segments"], story_rng, lang=version["lang"], teasers=headlines)
            doc_id = f"{n:05d}-{version['lang']}-{version['role']}-{len(docs):03d}"
            docs.append(ArchiveDoc(doc_id, text, label[key], version["lang"], version.get("domain", "")))
        # Now and then another article (the host) quotes one or two of this story's sentences.
        if story_rng.random() < 0.08:
            host_key = story_rng.choice(keys)
            host = next(d for d in stories[host_key] if d["role"] == "source")
            own = next(d for d in stories[key] if d["role"] == "source")
            long_enough = len(host["segments"]) >= 8 and len(own["segments"]) >= 6
            if label[host_key] != label[key] and host["lang"] == own["lang"] and long_enough:
                quoted = story_rng.sample(own["segments"][1:], story_rng.randint(1, 2))
                body = host["segments"][:3] + quoted + host["segments"][3:]
                docs.append(
                    ArchiveDoc(
                        f"{n:05d}-quote-{len(docs):03d}",
                        rework(body, story_rng, lang=host["lang"], edit="none"),
                        label[host_key],
                        host["lang"],
                        host.get("domain", ""),
                    )
                )
        facts_rng = random.Random(f"{SEED}:other-facts:{key}")
        if facts_rng.random() < other_facts_share:
            base = facts_rng.choice(stories[key])
            segments = other_facts(base["segments"], facts_rng)
            if segments is not None:
                docs.append(
                    ArchiveDoc(
                        f"{n:05d}-facts-{len(docs):03d}",
                        rework(segments, facts_rng, lang=base["lang"], teasers=headlines),
                        label[key] + OTHER_FACTS,
                        base["lang"],
                        base.get("domain", ""),
                    )
                )
    return [sorted(a, key=lambda d: d.doc_id) for a in archives if len(a) > 1]


def build_headline_archives(
    stories: dict[str, list[dict]], keys: list[str], rng: random.Random
) -> list[list[ArchiveDoc]]:
    """Archives of headlines only: each version of a story reduced to its first segment.

    Feeds, wire flashes and title indexes hold one line per article, and a scan of them compares
    one-sentence documents, which the article archives (documents of 4 or more sentences) never
    show the models. The versions are drawn as in :func:`build_archives` (a source alone, or with
    translations and second translations), the archive is ordered by test set and domain the same
    way, and a headline shorter than ``ScanConfig().min_words`` words is left out (a scan never
    links it). A first segment is the headline of a news article, and the first line of a chat, a
    review or a post elsewhere.
    """
    keys, rarity = archive_order(stories, keys, rng)
    label = duplicate_stories(stories)
    min_words = ScanConfig().min_words
    set_seed = rng.random()
    archives: list[list[ArchiveDoc]] = []
    for n, key, docs in _fill_archives(keys, archives):
        story_rng = story_random(set_seed, key)
        for version in story_versions(stories[key], story_rng, rarity):
            headline = version["segments"][0].strip()
            if count_words(headline) >= min_words:
                doc_id = f"{n:05d}-{version['lang']}-{version['role']}-{len(docs):03d}"
                domain = version.get("domain", "")
                docs.append(ArchiveDoc(doc_id, headline, label[key], version["lang"], domain))
    return [sorted(a, key=lambda d: d.doc_id) for a in archives if len(a) > 1]


# --------------------------------------------------------------------------------------------
# Embedding


def embed_archive(archive: list[ArchiveDoc], config: ScanConfig, encoder) -> Embedded:
    """The archive read and embedded as a scan does it.

    Raises:
        ValueError: If the scan's documents are not the archive's, in its order (labels and
            languages are looked up by position).
    """
    embedded = embed_documents({d.doc_id: d.text for d in archive}, config=config, encoder=encoder)
    if [d.doc_id for d in embedded.documents] != [d.doc_id for d in archive]:
        raise ValueError("the archive's documents are not in the order a scan reads them (doc_id order).")
    return embedded


def archive_corpus(e: Embedded, background: Background | None) -> Corpus:
    return build_corpus(e.sentences, e.vectors.copy(), e.langs, texts=e.texts, background=background)
