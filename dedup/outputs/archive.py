"""Archive pre-processing: choose one canonical document per story group and write a keep/drop manifest.

Nothing here modifies, moves or deletes an input. :func:`build_manifest` is a pure function of a
:class:`~dedup.types.ScanResult` (it reads the inputs only to find dates); :func:`write_manifest` writes
``manifest.csv`` and ``manifest.jsonl`` atomically and byte-identically for the same inputs;
:func:`copy_kept` copies (or hard-links) the kept files into a separate folder and checks every copy's
SHA-256 against the digest the scan took.

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
(same language as the canonical one), ``translation_of`` (another language), ``unique`` (a group of
one; kept too) and ``skipped`` (the scan could not read the file: it is listed, never copied).

Example:
    >>> from dedup.outputs.archive import build_manifest
    >>> from dedup.runners.local import scan
    >>> from dedup.encoders.base import HashingEncoder
    >>> texts = {"a.txt": "date 2021-05-02\\nStorm hits the coast.\\nThousands lost power overnight.",
    ...          "b.txt": "date 2021-05-01\\nStorm hits the coast.\\nThousands lost power overnight.",
    ...          "c.txt": "The central bank raised interest rates by half a point on Thursday."}
    >>> result = scan(texts, encoder=HashingEncoder())
    >>> [(r.path, r.role, r.canonical) for r in build_manifest(result, texts=texts)]
    [('a.txt', 'duplicate_of', 'b.txt'), ('b.txt', 'keep', 'b.txt'), ('c.txt', 'unique', 'c.txt')]
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dedup.errors import InvalidParameterError, OutputError
from dedup.io.atomic import atomic_path, write_text_atomic
from dedup.io.decode import decode_bytes
from dedup.io.hashing import sha256_file
from dedup.io.scan_files import jsonl_text
from dedup.io.walk import is_inside
from dedup.types import DocumentInfo, Group, Pair, Relation, ScanResult

__all__ = [
    "RULES",
    "ROLES",
    "ArchivePolicy",
    "ManifestRow",
    "CopyResult",
    "build_manifest",
    "find_dates",
    "manifest_csv",
    "write_manifest",
    "copy_kept",
    "files_with_dropped_records",
]

logger = logging.getLogger(__name__)

RULES = ("language", "original", "complete", "earliest", "path")
ROLES = ("keep", "duplicate_of", "translation_of", "unique", "skipped")
KEPT_ROLES = ("keep", "unique")
MANIFEST_FILES = ("manifest.csv", "manifest.jsonl")

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


@dataclass(frozen=True)
class CopyResult:
    """Outcome of :func:`copy_kept`.

    Attributes:
        copied: Paths copied (or linked) and verified.
        failed: ``(path, reason)`` of copies that failed or did not match the scan's checksum; a bad
            copy is removed from the destination.
    """

    copied: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.failed


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


def manifest_csv(rows: Iterable[ManifestRow]) -> str:
    """The manifest as CSV text: a header, then one row per file; ``\\n`` line ends, minimal quoting.

    Example:
        >>> row = ManifestRow("a.txt", "ab", "en", "g00001", "keep", "a.txt", 0.9, "x, y")
        >>> print(manifest_csv([row]), end="")
        path,sha256,lang,group_id,role,canonical,confidence,reason
        a.txt,ab,en,g00001,keep,a.txt,0.9,"x, y"
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([f.name for f in fields(ManifestRow)])
    for row in rows:
        writer.writerow([getattr(row, f.name) for f in fields(ManifestRow)])
    return buf.getvalue()


def write_manifest(rows: Sequence[ManifestRow], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``manifest.csv`` and ``manifest.jsonl`` into ``out_dir``, each atomically.

    Returns:
        The two paths written.

    Raises:
        OutputError: If ``out_dir`` cannot be created or written.
    """
    out = Path(out_dir)
    csv_path, jsonl_path = (out / name for name in MANIFEST_FILES)
    write_text_atomic(csv_path, manifest_csv(rows))
    write_text_atomic(jsonl_path, jsonl_text(r.to_dict() for r in rows))
    return [csv_path, jsonl_path]


def check_outside(root: str | os.PathLike[str], target: str | os.PathLike[str], *, name: str) -> None:
    """Refuse an output location inside (or equal to) the scanned folder, which is never written.

    Raises:
        InvalidParameterError: If ``target`` resolves to ``root`` or a path under it.

    Example:
        >>> check_outside("/data/news", "/data/news/out", name="out")
        Traceback (most recent call last):
        ...
        dedup.errors.InvalidParameterError: out must be outside the scanned folder /data/news, \
which is never written. Got /data/news/out.
    """
    if is_inside(os.path.realpath(target), os.path.realpath(root)):
        raise InvalidParameterError(
            f"{name} must be outside the scanned folder {os.fspath(root)}, which is never written. "
            f"Got {os.fspath(target)}."
        )


def copy_kept(
    rows: Iterable[ManifestRow],
    root: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    link: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> CopyResult:
    """Copy (or hard-link) the kept files (roles ``keep`` and ``unique``) from ``root`` into ``dest``.

    Each file keeps its relative path. A copy goes to a temporary file in the destination folder and
    is renamed into place; then its SHA-256 is compared with the digest the scan recorded, so both a
    damaged copy and a source changed since the scan are caught. Records (``file.jsonl#3``,
    ``crawl.warc.gz#urn:uuid:...``): a file whose records are all kept is copied whole, checked
    against the source's digest taken just before copying; records are never rewritten, so when a
    file holds a dropped record (``duplicate_of``/``translation_of``) nothing is copied and
    :class:`InvalidParameterError` names those files (see :func:`files_with_dropped_records`). A file
    that fails is removed from
    ``dest`` and reported; the others are still copied. Nothing under ``root`` is written. Note that a
    hard link shares its data with the original: editing a linked file in ``dest`` edits the original.

    Args:
        rows: The manifest, from :func:`build_manifest`.
        root: The scanned folder.
        dest: Destination folder, outside ``root``; created when missing.
        link: Hard-link instead of copying (same file system only).
        progress: Optional callback ``(stage, done, total)``.

    Returns:
        The verified and the failed paths.

    Raises:
        InvalidParameterError: If ``dest`` is inside ``root``, or a kept record's file also holds
            dropped records.
        OutputError: If ``dest`` cannot be created.
    """
    check_outside(root, dest, name="dest")
    rows = list(rows)
    mixed = files_with_dropped_records(rows, root)
    if mixed:
        listed = ", ".join(f"{name} ({n} dropped)" for name, n in list(mixed.items())[:5])
        more = f" and {len(mixed) - 5} more" if len(mixed) > 5 else ""
        raise InvalidParameterError(
            f"copying needs whole files, but {len(mixed)} record files also hold dropped records: "
            f"{listed}{more}. Records are never rewritten, so nothing was copied; the manifest names "
            "every record's role (keep and unique are kept): filter the records with it."
        )
    root_path, dest_path = Path(root), Path(dest)
    try:
        dest_path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create {dest_path}: {err.strerror or err}.") from err
    targets: dict[str, str | None] = {}  # file -> expected digest (None: the source's, for containers)
    failed: list[tuple[str, str]] = []
    for row in rows:
        if row.role not in KEPT_ROLES or not row.sha256:
            continue
        if (root_path / row.path).is_file():
            targets[row.path] = row.sha256
        elif "#" in row.path and (root_path / row.path.rsplit("#", 1)[0]).is_file():
            targets.setdefault(row.path.rsplit("#", 1)[0], None)  # a record: keep its whole file
        else:
            failed.append((row.path, "not a file under the scanned folder any more"))
    copied: list[str] = []
    verb = "link" if link else "copy"
    for k, (rel, expected) in enumerate(sorted(targets.items())):
        src, dst = root_path / rel, dest_path / rel
        try:
            if expected is None:
                expected = sha256_file(src)
            dst.parent.mkdir(parents=True, exist_ok=True)
            (_link_file if link else _copy_file)(src, dst)
            digest = sha256_file(dst)
        except OSError as err:
            failed.append((rel, f"could not {verb}: {err.strerror or err}"))
            continue
        if digest != expected:
            _remove_bad(dst)
            why = f"checksum mismatch after {verb}: expected {expected}, got {digest}; removed"
            failed.append((rel, why))
        else:
            copied.append(rel)
        if progress is not None:
            progress(verb, k + 1, len(targets))
    logger.info("%s: %d verified, %d failed", verb, len(copied), len(failed))
    return CopyResult(copied=tuple(copied), failed=tuple(sorted(failed)))


def files_with_dropped_records(
    rows: Iterable[ManifestRow], root: str | os.PathLike[str] | None = None
) -> dict[str, int]:
    """Files holding records (``file#id``) of which some are dropped as duplicates or translations.

    With ``root``, a path that is itself a file under it (a name containing ``#``) is not a record.

    Returns:
        ``file -> number of dropped records``, sorted by file; empty when every record file is kept whole.

    Example:
        >>> rows = [ManifestRow("d.jsonl#1", "x", "en", "g1", "keep", "d.jsonl#1", 1.0, ""),
        ...         ManifestRow("d.jsonl#2", "x", "en", "g1", "duplicate_of", "d.jsonl#1", 1.0, ""),
        ...         ManifestRow("e.jsonl#1", "y", "en", "g2", "unique", "e.jsonl#1", 1.0, "")]
        >>> files_with_dropped_records(rows)
        {'d.jsonl': 1}
    """
    dropped: dict[str, int] = {}
    for row in rows:
        if "#" in row.path and row.role in ("duplicate_of", "translation_of"):
            if root is not None and (Path(root) / row.path).is_file():
                continue
            name = row.path.rsplit("#", 1)[0]
            dropped[name] = dropped.get(name, 0) + 1
    return dict(sorted(dropped.items()))


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
    role = "duplicate_of" if info.lang == canonical.lang else "translation_of"
    a, b = sorted((info.doc_id, canonical.doc_id))
    pair = pairs.get((a, b))
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
# Dates and files


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
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_DATE_BYTES)
    except OSError:
        return None
    text, _ = decode_bytes(data, final=len(data) < _MAX_DATE_BYTES)
    return text


def _copy_file(src: Path, dst: Path) -> None:
    """Copy ``src`` (read-only) to a temp file beside ``dst`` with its timestamps, then rename."""
    with atomic_path(dst) as tmp:
        shutil.copy2(src, tmp)


def _link_file(src: Path, dst: Path) -> None:
    """Hard-link ``dst`` to ``src``; an existing different file at ``dst`` is replaced."""
    if dst.exists() or dst.is_symlink():
        if dst.exists() and os.path.samefile(src, dst):
            return
        dst.unlink()
    os.link(src, dst)


def _remove_bad(dst: Path) -> None:
    try:
        dst.unlink()
    except OSError:  # pragma: no cover - reported through the checksum failure anyway
        logger.warning("could not remove the bad copy %s", dst)
