"""Readers of the eval sets' files: gold groups, hard negatives, predictions, rated pairs and bitext.

Each reader matches the scorer shipped with its eval set (``eval/score.py``,
``eval/semeval8-dev/score_pairs.py``) in how it reads ids, headers and blank lines, and raises
:class:`~dedup.errors.InputError` on a file it cannot use.

Example:
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp, "gold.tsv")
    ...     _ = p.write_text("doc_id\\tgroup_id\\na\\tg1\\nb\\tg1\\n")
    ...     read_gold(p).groups()
    {'g1': ['a', 'b']}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from dedup.errors import InputError

__all__ = [
    "Gold",
    "GoldDoc",
    "HardNegative",
    "RatedPair",
    "normalize_doc_id",
    "read_bitext",
    "read_gold",
    "read_predicted",
    "read_rated_pair_ids",
    "read_rated_pairs",
]

# --------------------------------------------------------------------------------------------------------
# Gold groups and predictions


@dataclass(frozen=True, slots=True)
class GoldDoc:
    """Gold label of one document (one row of ``gold.tsv``).

    Attributes:
        group_id: Story group; every document has one (singletons get their own).
        lang: ISO 639-3 language code, or "" when the file has no ``lang`` column.
        role: ``original``, ``translation``, ``near_dup``, ``mt_variant`` or ``distractor`` ("" if absent).
        source: Provenance of the text ("" if absent).
    """

    group_id: str
    lang: str = ""
    role: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class HardNegative:
    """Two documents on the same topic that tell different stories and must stay apart."""

    doc_a: str
    doc_b: str
    topic: str = ""
    lang_a: str = ""
    lang_b: str = ""


@dataclass(frozen=True)
class Gold:
    """Gold labels of an eval set.

    Attributes:
        docs: ``doc_id -> GoldDoc``, in file order. Ids are as written in ``gold.tsv`` (bare file stems).
        hard_negatives: Rows of ``hard_negatives.tsv``, or None when there is no such file.
    """

    docs: Mapping[str, GoldDoc]
    hard_negatives: tuple[HardNegative, ...] | None = None

    def __len__(self) -> int:
        return len(self.docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.docs

    def groups(self) -> dict[str, list[str]]:
        """Return ``group_id -> member doc ids``, groups and members in file order."""
        out: dict[str, list[str]] = {}
        for d, g in self.docs.items():
            out.setdefault(g.group_id, []).append(d)
        return out


def normalize_doc_id(doc_id: object) -> str:
    """Normalise a predicted document id the way ``eval/score.py`` does.

    Surrounding whitespace is stripped, directories are dropped and one trailing ``.txt`` is removed.

    Args:
        doc_id: A doc id, file name or path (relative or absolute); converted with ``str``.

    Returns:
        The bare id, comparable with the ids of ``gold.tsv``.

    Example:
        >>> normalize_doc_id("docs/0a1b2c3d4e5f.txt"), normalize_doc_id(" 0a1b.txt "), normalize_doc_id("x")
        ('0a1b2c3d4e5f', '0a1b', 'x')
    """
    name = os.path.basename(str(doc_id).strip())
    return name.removesuffix(".txt")


def _read_lines(path: str | os.PathLike[str]) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise InputError(f"cannot read {os.fspath(path)!r}: {err.strerror or err}.") from err


def read_gold(path: str | os.PathLike[str], *, hard_negatives: str | os.PathLike[str] | None = None) -> Gold:
    """Read an eval set's ``gold.tsv`` and, when present, the ``hard_negatives.tsv`` next to it.

    Args:
        path: Tab-separated file with a header naming at least ``doc_id`` and ``group_id`` (``lang``,
            ``role`` and ``source`` are read when present). Blank lines are skipped; a repeated id keeps
            its first position and its last label (as ``score.py``).
        hard_negatives: Path of the hard-negative file; by default ``hard_negatives.tsv`` in the same
            folder, used only if it exists. Its first line is a header; each row is
            ``doc_a  doc_b  [topic  lang_a  lang_b]``.

    Returns:
        The gold labels.

    Raises:
        InputError: If a file cannot be read, a required column is missing or a row is too short.

    Example:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p = pathlib.Path(tmp, "gold.tsv")
        ...     _ = p.write_text("doc_id\\tgroup_id\\tlang\\trole\\tsource\\na\\tg1\\teng\\toriginal\\tx\\n")
        ...     gold = read_gold(p)
        >>> gold.docs["a"], gold.hard_negatives
        (GoldDoc(group_id='g1', lang='eng', role='original', source='x'), None)
    """
    lines = _read_lines(path)
    if not lines:
        raise InputError(f"{os.fspath(path)!r} is empty; expected a header with doc_id and group_id.")
    header = lines[0].split("\t")
    col = {column: position for position, column in enumerate(header)}
    for required in ("doc_id", "group_id"):
        if required not in col:
            raise InputError(f"{os.fspath(path)!r} has no {required!r} column. Got header {header}.")
    width = max(col[c] for c in ("doc_id", "group_id", "lang", "role", "source") if c in col) + 1
    docs: dict[str, GoldDoc] = {}
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) < width:
            raise InputError(f"{os.fspath(path)!r} line {n} has {len(f)} fields; expected {width}.")
        docs[f[col["doc_id"]]] = GoldDoc(
            group_id=f[col["group_id"]],
            lang=f[col["lang"]] if "lang" in col else "",
            role=f[col["role"]] if "role" in col else "",
            source=f[col["source"]] if "source" in col else "",
        )
    if hard_negatives is None:
        hn_path = Path(os.path.abspath(path)).parent / "hard_negatives.tsv"
        hn = _read_hard_negatives(hn_path) if hn_path.exists() else None
    else:
        hn = _read_hard_negatives(hard_negatives)
    return Gold(docs=docs, hard_negatives=hn)


def _read_hard_negatives(path: str | os.PathLike[str]) -> tuple[HardNegative, ...]:
    rows = []
    for n, line in enumerate(_read_lines(path)[1:], start=2):
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) < 2:
            raise InputError(f"{os.fspath(path)!r} line {n} has {len(f)} field; expected doc_a and doc_b.")
        rows.append(HardNegative(*f[:5]))
    return tuple(rows)


def read_predicted(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a predicted grouping in the formats ``eval/score.py`` accepts.

    TSV: ``doc_id<TAB>group_id`` per line (optional ``doc_id`` header; further columns ignored). JSONL
    (name ends in ``.jsonl``/``.json`` or the first non-blank character is ``{``): one object a line,
    ``{"doc_id":..,"group_id":..}`` or ``{"group_id":..,"members":[..]}`` (also ``docs``/``doc_ids``).
    Ids are normalised with :func:`normalize_doc_id`; a repeated id keeps its first group.

    Args:
        path: The prediction file.

    Returns:
        ``doc_id -> group_id``.

    Raises:
        InputError: If the file cannot be read or a JSON line does not parse.

    Example:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p = pathlib.Path(tmp, "pred.tsv")
        ...     _ = p.write_text("doc_id\\tgroup_id\\ndocs/a.txt\\t1\\nb.txt\\t1\\n")
        ...     read_predicted(p)
        {'a': '1', 'b': '1'}
    """
    lines = _read_lines(path)
    pred: dict[str, str] = {}
    text_start = next((ln.lstrip() for ln in lines if ln.strip()), "")
    if os.fspath(path).endswith((".jsonl", ".json")) or text_start.startswith("{"):
        for n, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{os.fspath(path)!r} line {n + 1} is not JSON: {err.msg}.") from err
            members = next((obj[k] for k in ("members", "docs", "doc_ids") if k in obj), None)
            if members is not None:
                gid = str(next((obj[k] for k in ("group_id", "group", "id") if k in obj), f"_line{n}"))
                items = [(normalize_doc_id(m), gid) for m in members]
            else:
                items = [(normalize_doc_id(obj["doc_id"]), str(obj.get("group_id", obj.get("group"))))]
            for d, g in items:
                pred.setdefault(d, g)
    else:
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            fields = line.split("\t")
            if i == 0 and fields[0].strip() == "doc_id":
                continue
            d = normalize_doc_id(fields[0])
            pred.setdefault(d, fields[1].strip() if len(fields) > 1 else d)
    return pred


# --------------------------------------------------------------------------------------------------------
# Rated pairs (SemEval-2022 Task 8)


class RatedPair(NamedTuple):
    """One human-rated article pair; ``overall`` runs from 1 (same story) to 4 (unrelated)."""

    pair_id: str
    overall: float
    lang1: str
    lang2: str
    synthetic: bool


def read_rated_pairs(folder: str | os.PathLike[str]) -> list[RatedPair]:
    """Read ``pairs.tsv`` of a SemEval-style folder (such as ``eval/semeval8-dev``).

    Args:
        folder: The folder holding ``pairs.tsv`` (a path to the file itself is accepted too). Columns used:
            ``pair_id``, ``overall``, ``lang1``, ``lang2`` and ``synthetic`` (``1`` = machine-translated;
            absent means 0).

    Returns:
        The pairs in file order.

    Raises:
        InputError: If the file cannot be read, a column is missing or ``overall`` is not a number.
    """
    path = Path(folder)
    if path.is_dir():
        path = path / "pairs.tsv"
    lines = _read_lines(path)
    if not lines:
        raise InputError(f"{os.fspath(path)!r} is empty; expected a header with pair_id and overall.")
    head = lines[0].split("\t")
    for required in ("pair_id", "overall", "lang1", "lang2"):
        if required not in head:
            raise InputError(f"{os.fspath(path)!r} has no {required!r} column. Got header {head}.")
    out = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        row = dict(zip(head, line.split("\t"), strict=False))
        try:
            overall = float(row["overall"])
        except (KeyError, ValueError) as err:
            raise InputError(f"{os.fspath(path)!r} line {n}: overall must be a number.") from err
        out.append(
            RatedPair(
                row["pair_id"],
                overall,
                row.get("lang1", ""),
                row.get("lang2", ""),
                row.get("synthetic", "0") == "1",
            )
        )
    return out


def read_rated_pair_ids(folder: str | os.PathLike[str]) -> list[tuple[str, str, str]]:
    """The ``(pair_id, id1, id2)`` rows of a SemEval-style folder's ``pairs.tsv``, in file order.

    ``id1`` and ``id2`` name the two texts of the pair (file stems in ``texts/``). Rows with fewer
    fields than the header are left out.

    Raises:
        InputError: If the file cannot be read.

    Example:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = pathlib.Path(tmp, "pairs.tsv").write_text("pair_id\\tid1\\tid2\\np1\\t10\\t20\\n")
        ...     read_rated_pair_ids(tmp)
        [('p1', '10', '20')]
    """
    rows = _read_lines(Path(folder) / "pairs.tsv")
    header = rows[0].split("\t")
    col = {name: k for k, name in enumerate(header)}
    out = []
    for row in rows[1:]:
        cells = row.split("\t")
        if len(cells) >= len(header):
            out.append((cells[col["pair_id"]], cells[col["id1"]], cells[col["id2"]]))
    return out


# --------------------------------------------------------------------------------------------------------
# Sentence bitext


def read_bitext(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """Read a sentence bitext file: header ``src<TAB>eng``, then one tab-separated pair a line, no quoting.

    Args:
        path: The ``<lang>-eng.tsv`` file. Blank lines are skipped.

    Returns:
        ``(src_sentences, eng_sentences)``, aligned by index.

    Raises:
        InputError: If the file cannot be read, the header is not ``src<TAB>eng`` or a row lacks
            exactly one tab.

    Example:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p = pathlib.Path(tmp, "nob-eng.tsv")
        ...     _ = p.write_text('src\\teng\\nHei "du"\\tHi "you"\\n', encoding="utf-8")
        ...     read_bitext(p)
        (['Hei "du"'], ['Hi "you"'])
    """
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except OSError as err:
        raise InputError(f"cannot read {os.fspath(path)!r}: {err.strerror or err}.") from err
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
    if not lines or lines[0].split("\t") != ["src", "eng"]:
        got = lines[0] if lines else ""
        raise InputError(f"{os.fspath(path)!r} must start with the header 'src<TAB>eng'. Got {got!r}.")
    src, eng = [], []
    for n, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        f = line.split("\t")
        if len(f) != 2:
            raise InputError(f"{os.fspath(path)!r} line {n} has {len(f)} tab-separated fields; expected 2.")
        src.append(f[0])
        eng.append(f[1])
    return src, eng
