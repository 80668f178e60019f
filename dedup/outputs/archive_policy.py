"""Which document an archive keeps: one canonical document per story group, and the role of every other input.

:func:`build_manifest` is a pure function of a :class:`~dedup.types.ScanResult` (it reads the inputs
only to find dates): one :class:`ManifestRow` per input. :mod:`dedup.outputs.archive` writes the
manifest and copies the kept files.

How the canonical document of a group is chosen: members are ranked by the rules of
:class:`ArchivePolicy`, in order, each rule only breaking the ties left by the ones before it:

``language``
    Members in one of ``prefer_languages`` (e.g. the archive's own language) come first. No-op when
    ``prefer_languages`` is empty (the default).
``original``
    Prefer the likely original language over translations of it. Only translation links carry this
    evidence: per language, the best *aligned coverage* (share of a document's text that has a
    counterpart in the other document) over its translation links in the group. A translation made
    for republication picks up the republisher's own material (site name, menus, captions) that has
    no counterpart in the source, so the source is the side whose text is most fully matched. The
    language whose coverage leads by at least ``min_coverage_lead`` is taken as the original; otherwise
    the rule decides nothing. It guesses wrong for a translation of only part of an article: put
    ``complete`` before ``original``, or leave ``original`` out, for archives full of shortened
    translations.
``complete``
    The most complete text: most sentences (``DocumentInfo.n_sentences``), then, in a group of one
    language only, most characters. Characters are not compared across languages: they favour wordy
    languages (on 23 translation groups of the dev set, comparing characters kept a translation over
    its English original in 21; a full translation keeps the sentence count instead).
``earliest``
    The earliest date found in the text (ISO ``2022-01-31`` or ``2022-01``, as in a ``date 2022-01``
    line), else a WARC record's fetch date; documents without a date come last.
``path``
    The smallest path; always applied last, so the choice is deterministic.

Roles in the manifest: ``keep`` (the canonical document of a group of two or more), ``duplicate_of``
(same language as the canonical one, or linked to it as a copy or near-duplicate: the same text in
another script), ``translation_of`` (another language), ``unique`` (a group of
one; kept too) and ``skipped`` (the scan could not read the file: it is listed, never copied).

Example:
    >>> from dedup.outputs.archive_policy import build_manifest
    >>> from dedup.types import DocumentInfo, Group, Pair, Relation, ScanResult
    >>> texts = {"a.txt": "date 2021-05-02\\nStorm hits the coast.",
    ...          "b.txt": "date 2021-05-01\\nStorm hits the coast.",
    ...          "c.txt": "The central bank raised interest rates."}
    >>> documents = tuple(DocumentInfo(doc_id, "en", 2, len(text)) for doc_id, text in texts.items())
    >>> copy = Pair("a.txt", "b.txt", "en", "en", Relation.EXACT, 1.0)
    >>> groups = (Group("g00001", ("a.txt", "b.txt"), 1.0, ("en",)),
    ...           Group("g00002", ("c.txt",), 1.0, ("en",)))
    >>> rows = build_manifest(ScanResult(documents, (copy,), groups), texts=texts)
    >>> [(r.path, r.role, r.canonical) for r in rows]
    [('a.txt', 'duplicate_of', 'b.txt'), ('b.txt', 'keep', 'b.txt'), ('c.txt', 'unique', 'c.txt')]
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from dedup.errors import InvalidParameterError
from dedup.io.compressed import DECOMPRESSION_ERRORS, open_decompressed, split_compression
from dedup.io.decode import decode_bytes
from dedup.io.formats import BINARY_EXTENSIONS, binary_text
from dedup.types import DocumentInfo, Group, Pair, Relation, ScanResult

__all__ = ["KEPT_ROLES", "ROLES", "RULES", "ArchivePolicy", "ManifestRow", "build_manifest", "find_dates"]

RULES = ("language", "original", "complete", "earliest", "path")
ROLES = ("keep", "duplicate_of", "translation_of", "unique", "skipped")
# Roles of the documents an archive keeps (the others are dropped: a copy or a translation of a kept one).
KEPT_ROLES = ("keep", "unique")

_DATE = re.compile(r"(?<![\d-])((?:19|20)\d{2})-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?(?![\d-])")
_MAX_DATE_BYTES = 1 << 20


@dataclass(frozen=True)
class ArchivePolicy:
    """How the canonical document of a group is chosen (see the module docstring for each rule).

    Attributes:
        rules: Rule names from ``RULES``, most important first; ``path`` is appended when missing.
        prefer_languages: ISO 639-1 codes for the ``language`` rule, e.g. ``("nb",)``.
        min_coverage_lead: Lead in aligned coverage, in [0, 1], the ``original`` rule needs.

    Raises:
        InvalidParameterError: On an unknown or repeated rule, or a lead outside [0, 1].

    Example:
        >>> ArchivePolicy(rules=("complete",)).rules
        ('complete', 'path')
        >>> ArchivePolicy(rules=("newest",))
        Traceback (most recent call last):
        ...
        dedup.errors.InvalidParameterError: rules must be names from language, original, complete, \
earliest, path. Got 'newest'.
    """

    rules: tuple[str, ...] = RULES
    prefer_languages: tuple[str, ...] = ()
    min_coverage_lead: float = 0.02

    def __post_init__(self) -> None:
        rules = tuple(self.rules)
        for rule in rules:
            if rule not in RULES:
                raise InvalidParameterError(f"rules must be names from {', '.join(RULES)}. Got {rule!r}.")
        if len(set(rules)) != len(rules):
            raise InvalidParameterError(f"rules must not repeat a name. Got {', '.join(rules)}.")
        if "path" not in rules:
            rules += ("path",)
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "prefer_languages", tuple(self.prefer_languages))
        lead = self.min_coverage_lead
        if not isinstance(lead, (int, float)) or isinstance(lead, bool) or not 0.0 <= lead <= 1.0:
            raise InvalidParameterError(f"min_coverage_lead must be a float in [0, 1]. Got {lead!r}.")


@dataclass(frozen=True, slots=True)
class ManifestRow:
    """One input file's fate. Paths are relative to the scanned folder, with ``/`` separators.

    Attributes:
        path: The file.
        sha256: Hex digest of its bytes as the scan read them ("" when skipped).
        lang: Detected ISO 639-1 language ("" when skipped).
        group_id: Its story group ("" when skipped).
        role: One of ``ROLES``.
        canonical: Path of the group's canonical document (the file itself for keep and unique).
        confidence: Link confidence with the canonical document (group confidence for keep and unique).
        reason: Why, in words.
    """

    path: str
    sha256: str
    lang: str
    group_id: str
    role: str
    canonical: str
    confidence: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def find_dates(text: str) -> list[str]:
    """Dates written in ISO form in ``text`` (``YYYY-MM-DD`` or ``YYYY-MM``, years 1900-2099), sorted.

    Example:
        >>> find_dates("date 2022-01\\nUpdated 2021-12-31 10:00. Phone 2022-13-01. Id 12022-01-01")
        ['2021-12-31', '2022-01']
    """
    found = {m.group(0) for m in _DATE.finditer(text)}
    return sorted(found, key=_date_key)


def build_manifest(
    result: ScanResult,
    root: str | os.PathLike[str] | None = None,
    *,
    texts: Mapping[str, str] | None = None,
    policy: ArchivePolicy | None = None,
) -> list[ManifestRow]:
    """Decide, per group, the canonical document to keep and the role of every other input.

    Args:
        result: A scan of ``root`` (``result.documents`` ids are paths relative to it).
        root: The scanned folder. Used only to read each document for the ``earliest`` rule (read-only)
            and to make skipped paths relative; may be None when ``texts`` is given or dates do not matter.
        texts: ``doc_id -> text``; when given, dates are searched here instead of in the files.
        policy: The choice rules; defaults to ``ArchivePolicy()``.

    Returns:
        One row per document and per skipped input, sorted by path.
    """
    policy = policy or ArchivePolicy()
    docs = {d.doc_id: d for d in result.documents}
    pairs = {(p.doc_a, p.doc_b): p for p in result.pairs}
    dates = _dates(docs, root, texts) if "earliest" in policy.rules else {}
    rows: list[ManifestRow] = []
    grouped: set[str] = set()
    for group in result.groups:
        members = [m for m in group.members if m in docs]
        grouped.update(members)
        if len(members) == 1:
            rows.append(_unique_row(docs[members[0]], group.group_id, group.confidence))
            continue
        if not members:
            continue
        ranked, reason = _rank(members, docs, pairs, dates, policy)
        canonical = ranked[0]
        info = docs[canonical]
        rows.append(
            ManifestRow(
                path=canonical,
                sha256=info.sha256,
                lang=info.lang,
                group_id=group.group_id,
                role="keep",
                canonical=canonical,
                confidence=round(group.confidence, 4),
                reason=f"canonical of {len(members)} documents: {reason}",
            )
        )
        for member in ranked[1:]:
            rows.append(_other_row(docs[member], info, group, pairs))
    for doc_id in sorted(set(docs) - grouped):
        rows.append(_unique_row(docs[doc_id], "", 1.0))
    real_root = os.path.realpath(root) if root is not None else None
    for skipped in result.skipped:
        path = skipped.path
        if real_root is not None and os.path.isabs(path):
            rel = os.path.relpath(os.path.realpath(path), real_root)
            if not rel.startswith(os.pardir):
                path = rel
        rows.append(
            ManifestRow(
                path=Path(path).as_posix(),
                sha256="",
                lang="",
                group_id="",
                role="skipped",
                canonical="",
                confidence=0.0,
                reason=f"not read by the scan: {skipped.reason}",
            )
        )
    return sorted(rows, key=lambda r: (r.path, r.role))


# --------------------------------------------------------------------------------------------------------
# Ranking


def _rank(
    members: list[str],
    docs: Mapping[str, DocumentInfo],
    pairs: Mapping[tuple[str, str], Pair],
    dates: Mapping[str, str | None],
    policy: ArchivePolicy,
) -> tuple[list[str], str]:
    """Members best first, and a phrase saying which rule set the first apart from the second."""
    source_lang, lead = _original_language(members, docs, pairs, policy.min_coverage_lead)
    one_language = len({docs[m].lang for m in members}) == 1
    keys: dict[str, Callable[[str], Any]] = {
        "language": lambda m: 0 if docs[m].lang in policy.prefer_languages else 1,
        "original": lambda m: 0 if source_lang is not None and docs[m].lang == source_lang else 1,
        "complete": lambda m: (-docs[m].n_sentences, -docs[m].n_chars if one_language else 0),
        "earliest": lambda m: (0, _date_key(dates[m])) if dates.get(m) else (1, ()),
        "path": lambda m: m,
    }
    ranked = sorted(members, key=lambda m: tuple(keys[r](m) for r in policy.rules))
    best, second = ranked[0], ranked[1]
    for rule in policy.rules:
        if keys[rule](best) != keys[rule](second):
            return ranked, _explain(rule, best, second, docs, dates, source_lang, lead)
    return ranked, "identical under every rule; first path"  # pragma: no cover - paths differ


def _explain(
    rule: str,
    best: str,
    second: str,
    docs: Mapping[str, DocumentInfo],
    dates: Mapping[str, str | None],
    source_lang: str | None,
    lead: str,
) -> str:
    if rule == "language":
        return f"in a preferred language ({docs[best].lang})"
    if rule == "original":
        return f"likely original language {source_lang} ({lead})"
    if rule == "complete":
        b, s = docs[best], docs[second]
        return (
            f"most complete text ({b.n_sentences} sentences, {b.n_chars} chars "
            f"vs {s.n_sentences}, {s.n_chars})"
        )
    if rule == "earliest":
        other = dates.get(second) or "none"
        return f"earliest date in the text ({dates[best]} vs {other})"
    return "first path in sort order"


def _original_language(
    members: list[str],
    docs: Mapping[str, DocumentInfo],
    pairs: Mapping[tuple[str, str], Pair],
    min_lead: float,
) -> tuple[str | None, str]:
    """The language with clearly the best aligned coverage over translation links, if any."""
    best: dict[str, float] = {}
    inside = set(members)
    for (a, b), pair in pairs.items():
        if pair.relation is not Relation.TRANSLATION or pair.features is None:
            continue
        if a not in inside or b not in inside:
            continue
        for doc, coverage in ((a, pair.features.coverage_a), (b, pair.features.coverage_b)):
            lang = docs[doc].lang
            best[lang] = max(best.get(lang, 0.0), float(coverage))
    if len(best) < 2:
        return None, ""
    ordered = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    (lang, top), (other, runner_up) = ordered[0], ordered[1]
    if top - runner_up < min_lead:
        return None, ""
    return lang, f"aligned coverage {top:.2f} vs {runner_up:.2f} for {other}"


def _other_row(
    info: DocumentInfo, canonical: DocumentInfo, group: Group, pairs: Mapping[tuple[str, str], Pair]
) -> ManifestRow:
    a, b = sorted((info.doc_id, canonical.doc_id))
    pair = pairs.get((a, b))
    same_text = pair is not None and pair.relation in (Relation.EXACT, Relation.NEAR_DUPLICATE)
    role = "duplicate_of" if info.lang == canonical.lang or same_text else "translation_of"
    if pair is not None:
        confidence = pair.confidence
        reason = f"{pair.relation.value} of {canonical.doc_id}"
    else:
        confidence = group.confidence
        reason = f"in the group of {canonical.doc_id} through other members (no direct link)"
    if role == "translation_of":
        reason += f" ({info.lang} vs {canonical.lang})"
    return ManifestRow(
        path=info.doc_id,
        sha256=info.sha256,
        lang=info.lang,
        group_id=group.group_id,
        role=role,
        canonical=canonical.doc_id,
        confidence=round(confidence, 4),
        reason=reason,
    )


def _unique_row(info: DocumentInfo, group_id: str, confidence: float) -> ManifestRow:
    return ManifestRow(
        path=info.doc_id,
        sha256=info.sha256,
        lang=info.lang,
        group_id=group_id,
        role="unique",
        canonical=info.doc_id,
        confidence=round(confidence, 4),
        reason="no copy or translation found",
    )


# --------------------------------------------------------------------------------------------------------
# Dates


def _date_key(date: str | None) -> tuple[int, ...]:
    if not date:
        return ()
    return tuple(int(x) for x in date.split("-"))


def _dates(
    docs: Mapping[str, DocumentInfo],
    root: str | os.PathLike[str] | None,
    texts: Mapping[str, str] | None,
) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for doc_id in docs:
        if texts is not None:
            text = texts.get(doc_id)
        elif root is not None:
            text = _read_text(Path(root) / doc_id)
        else:
            text = None
        found = find_dates(text) if text else []
        if not found and docs[doc_id].date:  # a WARC record: when it was fetched
            found = find_dates(docs[doc_id].date[:10])
        out[doc_id] = found[0] if found else None
    return out


def _read_text(path: Path) -> str | None:
    """The head of a document file (decompressed when compressed; a .docx, .odt or .pdf file's
    text), or None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if path.name.lower().endswith(BINARY_EXTENSIONS):
            with open(fd, "rb", closefd=False) as fh:
                return binary_text(
                    fh, path.name, max_chars=_MAX_DATE_BYTES, max_xml_bytes=10 * _MAX_DATE_BYTES
                )[0]
        with open_decompressed(fd, split_compression(path.name)[1]) as stream:
            data = stream.read(_MAX_DATE_BYTES)
    except DECOMPRESSION_ERRORS:
        return None
    finally:
        os.close(fd)
    text, _ = decode_bytes(data, final=len(data) < _MAX_DATE_BYTES)
    return text
