"""Result types shared by every stage: plain frozen dataclasses.

Documents are referred to by ``doc_id`` (the path relative to the scanned folder,
or the key of an in-memory ``{doc_id: text}`` dict), never by object reference.

Example:
    >>> from dedup.types import Pair, Relation
    >>> p = Pair(doc_a="a.txt", doc_b="b.txt", lang_a="en", lang_b="nb",
    ...          relation=Relation.TRANSLATION, confidence=0.97)
    >>> p.to_dict()["relation"]
    'translation'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, is_dataclass
from enum import Enum
from typing import Any

from dedup.errors import InvalidParameterError


class Relation(str, Enum):
    """How two linked documents relate.

    ``exact``: same text after whitespace normalisation. ``near_duplicate``: same
    language, same article (re-edited, boilerplate added, truncated), or the same text
    written in another script (Serbian in Cyrillic and in Latin letters).
    ``translation``: different languages, most sentences align. ``same_story``:
    partial overlap; the same event, not the same article.
    """

    EXACT = "exact"
    NEAR_DUPLICATE = "near_duplicate"
    TRANSLATION = "translation"
    SAME_STORY = "same_story"

    def __str__(self) -> str:  # so f-strings and tables print the value
        return self.value


@dataclass(frozen=True, slots=True)
class Document:
    """One article as read from disk or memory.

    Attributes:
        doc_id: Path relative to the scanned folder, or the caller's key.
        text: The text, decoded and whitespace-normalised (paragraphs kept as lines).
        path: Absolute path of the source file (``bundle.zip#member`` inside a bundle), or None for
            in-memory texts.
        sha256: Hex digest of the raw bytes (or of the UTF-8 text when in memory).
        url: Where the page was fetched from (a WARC record's target URI, a feed item's link); ""
            otherwise.
        date: When it was fetched or published (a WARC record's WARC-Date, a feed item's or news
            item's publication date, an e-mail's Date header; ISO 8601 where readable); "" otherwise.
    """

    doc_id: str
    text: str
    path: str | None = None
    sha256: str = ""
    url: str = ""
    date: str = ""


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input that could not be used, and why. A bad file is data, not an exception."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Skipped:
        """The entry :meth:`to_dict` wrote."""
        return cls(d["path"], d["reason"])


@dataclass(frozen=True, slots=True)
class AlignedSentence:
    """One piece of evidence: sentence ``i`` of doc_a aligned to sentence ``j`` of doc_b.

    ``cosine`` is the raw cosine of the two sentence embeddings after per-language
    centring; ``margin`` the LASER-style ratio margin (>1 means better than the
    sentences' usual neighbours).
    """

    i: int
    j: int
    text_a: str
    text_b: str
    cosine: float
    margin: float

    def to_list(self) -> list[Any]:
        return [self.text_a, self.text_b, round(self.cosine, 4)]


@dataclass(frozen=True, slots=True)
class PairFeatures:
    """Raw scores of one document pair: the inputs of the confidence model.

    Coverage values are length-weighted shares of a document's sentences that have
    an aligned partner in the other document, in [0, 1]. The last four are the
    story-level signals: ``story_cosine`` compares lead-weighted document vectors,
    ``soft_coverage`` is the (larger) weighted mean of each sentence's best cosine in
    the other document, ``entity_overlap`` the Jaccard overlap of names and numbers,
    ``lead_cosine`` the cosine of the first three sentences' mean vectors. ``mean_level`` is
    the aligned pairs' mean cosine on the language pair's own scale (0 = the level of unrelated
    sentences, 1 = that of translations; see :mod:`dedup.scoring.cosine_reference`).
    ``number_agreements`` and ``number_conflicts`` count the aligned sentence pairs with numbers on
    both sides whose figures mostly meet, and those whose do not (see
    :func:`dedup.scoring.numbers.number_checks`).
    """

    coverage_a: float
    coverage_b: float
    n_aligned: int
    mean_cosine: float
    mean_margin: float
    length_ratio: float
    shingle_jaccard: float
    doc_cosine: float
    same_language: bool
    n_sentences_a: int
    n_sentences_b: int
    story_cosine: float = 0.0
    soft_coverage: float = 0.0
    entity_overlap: float = 0.0
    lead_cosine: float = 0.0
    mean_level: float = 0.0
    number_agreements: int = 0
    number_conflicts: int = 0

    @property
    def coverage_min(self) -> float:
        return min(self.coverage_a, self.coverage_b)

    @property
    def coverage_max(self) -> float:
        return max(self.coverage_a, self.coverage_b)

    def to_dict(self) -> dict[str, Any]:
        return {
            "coverage_a": round(self.coverage_a, 4),
            "coverage_b": round(self.coverage_b, 4),
            "n_aligned": self.n_aligned,
            "mean_cosine": round(self.mean_cosine, 4),
            "mean_margin": round(self.mean_margin, 4),
            "length_ratio": round(self.length_ratio, 4),
            "shingle_jaccard": round(self.shingle_jaccard, 4),
            "doc_cosine": round(self.doc_cosine, 4),
            "same_language": self.same_language,
            "n_sentences_a": self.n_sentences_a,
            "n_sentences_b": self.n_sentences_b,
            "story_cosine": round(self.story_cosine, 4),
            "soft_coverage": round(self.soft_coverage, 4),
            "entity_overlap": round(self.entity_overlap, 4),
            "lead_cosine": round(self.lead_cosine, 4),
            "mean_level": round(self.mean_level, 4),
            "number_agreements": self.number_agreements,
            "number_conflicts": self.number_conflicts,
        }


@dataclass(frozen=True, slots=True)
class Pair:
    """A scored link between two documents. Canonical: ``doc_a < doc_b``.

    ``confidence`` is the calibrated probability, in [0, 1], that both are the same
    article (a copy, near-duplicate or translation); ``story_confidence`` that they
    report the same story. A ``same_story`` pair has a low ``confidence`` and a
    ``story_confidence`` above the threshold.
    """

    doc_a: str
    doc_b: str
    lang_a: str
    lang_b: str
    relation: Relation
    confidence: float
    aligned: tuple[AlignedSentence, ...] = ()
    features: PairFeatures | None = None
    story_confidence: float = 0.0

    def to_dict(self, *, with_features: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "doc_a": self.doc_a,
            "doc_b": self.doc_b,
            "lang_a": self.lang_a,
            "lang_b": self.lang_b,
            "relation": self.relation.value,
            "confidence": round(self.confidence, 4),
            "story_confidence": round(self.story_confidence, 4),
            "aligned": [a.to_list() for a in self.aligned],
        }
        if with_features and self.features is not None:
            d["features"] = self.features.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Pair:
        """The pair :meth:`to_dict` wrote, as far as it is kept there.

        Aligned sentences come back without their sentence indices (numbered 0, 1, ... instead) and
        margins (NaN); features that do not fit :class:`PairFeatures` are dropped.

        Example:
            >>> p = Pair("a", "b", "en", "nb", Relation.TRANSLATION, 0.97)
            >>> Pair.from_dict(p.to_dict()) == p
            True
        """
        aligned = tuple(
            AlignedSentence(i=k, j=k, text_a=row[0], text_b=row[1], cosine=float(row[2]), margin=float("nan"))
            for k, row in enumerate(d.get("aligned", ()))
        )
        feats = d.get("features")
        features = None
        if isinstance(feats, Mapping):
            try:
                features = PairFeatures(**feats)
            except TypeError:
                features = None
        return cls(
            doc_a=d["doc_a"],
            doc_b=d["doc_b"],
            lang_a=d.get("lang_a", ""),
            lang_b=d.get("lang_b", ""),
            relation=Relation(d["relation"]),
            confidence=float(d["confidence"]),
            aligned=aligned,
            features=features,
            story_confidence=float(d.get("story_confidence", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Group:
    """A story group: documents linked to each other. Every document is in exactly one.

    ``confidence`` of a multi-document group is the mean link confidence over all
    member pairs (unscored pairs count as 0); of a singleton, 1 minus its strongest
    link to any other document.
    """

    group_id: str
    members: tuple[str, ...]
    confidence: float
    languages: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_id": self.group_id,
            "members": list(self.members),
            "confidence": round(self.confidence, 4),
            "languages": list(self.languages),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Group:
        """The group :meth:`to_dict` wrote."""
        return cls(
            group_id=d["group_id"],
            members=tuple(d["members"]),
            confidence=float(d["confidence"]),
            languages=tuple(d.get("languages", ())),
        )


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What the scan learned about one document.

    ``too_short`` marks a document below the scan's ``min_words``: it is never linked.

    ``url`` and ``date`` are a WARC record's target URI and WARC-Date ("" for other inputs);
    :meth:`to_dict` includes them only when set.
    """

    doc_id: str
    lang: str
    n_sentences: int
    n_chars: int
    sha256: str = ""
    n_words: int = 0
    too_short: bool = False
    url: str = ""
    date: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "doc_id": self.doc_id,
            "lang": self.lang,
            "n_sentences": self.n_sentences,
            "n_chars": self.n_chars,
            "n_words": self.n_words,
            "too_short": self.too_short,
            "sha256": self.sha256,
        }
        if self.url:
            d["url"] = self.url
        if self.date:
            d["date"] = self.date
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DocumentInfo:
        """The document :meth:`to_dict` wrote; missing keys take their defaults."""
        return cls(
            doc_id=d["doc_id"],
            lang=d.get("lang", ""),
            n_sentences=int(d.get("n_sentences", 0)),
            n_chars=int(d.get("n_chars", 0)),
            sha256=d.get("sha256", ""),
            n_words=int(d.get("n_words", 0)),
            too_short=bool(d.get("too_short", False)),
            url=d.get("url", ""),
            date=d.get("date", ""),
        )


@dataclass(frozen=True)
class ScanResult:
    """Everything one scan produced."""

    documents: tuple[DocumentInfo, ...]
    pairs: tuple[Pair, ...]
    groups: tuple[Group, ...]
    skipped: tuple[Skipped, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)

    def to_pandas(self, what: str = "pairs") -> Any:
        """Return ``pairs``, ``groups``, ``documents`` or ``skipped`` as a pandas DataFrame (pandas imported
        lazily): the compact rows of :func:`result_records`, without pair features or group sizes.

        Raises:
            InvalidParameterError: If ``what`` names no table.
        """
        import pandas as pd

        return pd.DataFrame(result_records(self, what=what, compact=True))


TABLES = ("pairs", "groups", "documents", "skipped")


def result_records(items: Any, *, what: str | None = None, compact: bool = False) -> list[dict[str, Any]]:
    """Turn results into plain, JSON-ready dicts, one per pair, group, document, ...: a table's rows.

    Args:
        items: A :class:`ScanResult`, or a sequence of ``Pair``, ``Group``, ``DocumentInfo``,
            ``Skipped`` or other objects with ``to_dict`` (e.g. manifest rows).
        what: For a ScanResult, which table: ``pairs`` (default), ``groups``, ``documents`` or
            ``skipped``. Ignored for sequences.
        compact: Leave out the pairs' features and the groups' sizes.

    Returns:
        Pair records have the relation as a string, ``n_aligned`` instead of the aligned sentences
        and, unless ``compact``, the raw features as flat columns; group records add ``n_members``
        unless ``compact``. Other records are the items' ``to_dict()``.

    Raises:
        InvalidParameterError: If ``what`` is unknown or ``items`` holds something else.

    Example:
        >>> result_records([Group("g00001", ("a", "b"), 0.9, ("en",))], compact=True)
        [{'group_id': 'g00001', 'members': ['a', 'b'], 'confidence': 0.9, 'languages': ['en']}]
    """
    if isinstance(items, ScanResult):
        what = what or "pairs"
        if what not in TABLES:
            raise InvalidParameterError(f"what must be one of {', '.join(TABLES)}. Got {what!r}.")
        items = getattr(items, what)
    if isinstance(items, (Pair, Group, DocumentInfo, Skipped)) or isinstance(items, (str, bytes, Mapping)):
        raise InvalidParameterError(
            f"items must be a ScanResult or a sequence of results. Got {type(items).__name__}."
        )
    records = []
    for item in items:
        if isinstance(item, Pair):
            records.append(_pair_record(item, with_features=not compact))
        elif isinstance(item, Group):
            records.append(item.to_dict() if compact else item.to_dict() | {"n_members": len(item.members)})
        elif hasattr(item, "to_dict"):
            records.append(item.to_dict())
        elif is_dataclass(item):
            raise InvalidParameterError(f"cannot convert {type(item).__name__}: it has no to_dict().")
        else:
            raise InvalidParameterError(
                f"items must hold Pair, Group, DocumentInfo or Skipped objects. Got {type(item).__name__}."
            )
    return records


def _pair_record(pair: Pair, *, with_features: bool) -> dict[str, Any]:
    record = pair.to_dict(with_features=False)
    record.pop("aligned")
    record["n_aligned"] = len(pair.aligned)
    if with_features and pair.features is not None:
        record.update(pair.features.to_dict())
    return record
