"""Read the WMT22/WMT23/WMT24 general-task test sets as documents.

The WMT general (formerly "news") translation task publishes, every year, its test set: source
documents, one or more human reference translations, and the outputs of every submitted machine
translation system, all segment-aligned. The organisers keep them in public repositories::

    git clone https://github.com/wmt-conference/wmt22-news-systems
    git clone https://github.com/wmt-conference/wmt23-news-systems
    git clone https://github.com/wmt-conference/wmt24-news-systems

Licence note: the WMT test sets are released for research use (the individual sources keep their
own terms). dedup only derives a *local* training corpus from them for its confidence calibration;
no WMT text is committed to this repository or shipped with dedup.

This script is standalone (stdlib + numpy only; it does not import dedup). It turns the plain
checkouts into :class:`WmtDocument` records, one per (document, text version): the source, each
reference and each system output. Where the layouts differ:

* **WMT22, WMT23** -- ``txt/`` holds one segment per line, line-aligned across
  ``sources/generaltest20XX.<pair>.src.<l>``, ``references/...ref.<id>.<l>`` and
  ``system-outputs/...hyp.<system>.<l>``. The txt files carry no document boundaries; those (and
  the domain) come from ``xml/wmttest20XX.<pair>[.all].xml`` (``<doc id=... domain=...>`` with the
  ``<src>`` segments). An XML file is only used for a pair when its source segments equal the
  pair's ``txt`` source lines one for one; it may belong to another pair with the same source
  (WMT22's en-* pairs share one English source, de-en/de-fr one German source). Pairs with no
  matching XML are skipped with a logged reason.
* **WMT24** -- ``txt/documents/<pair>.docs`` gives ``<domain>\\t<doc id>`` per line, line-aligned
  with ``txt/sources/<pair>.txt``, ``txt/references/<pair>.<ref>.txt`` and
  ``txt/system-outputs/<pair>/<system>.txt`` (``txt/metadata/<pair>.jsonl`` carries the same
  ``domain``/``docid`` and is the fallback). The ``canary`` line is dropped.

The ``txt-ts`` variants (with test suites appended) are not read; test-suite documents in the XML
are ignored.

Documents are grouped into stories by :func:`story_key` (collection, original language, doc id).
A source text shared by several pairs is emitted once; degenerate system outputs are skipped (see
``MIN_LENGTH_CORRELATION``); at most ``--max-systems`` outputs per pair are kept, by sorted name.
``WmtDocument.origlang`` (beyond the fields the calibration asked for) records the original
language, which the story key needs: WMT doc ids such as ``"0"`` recur across source languages,
and WMT22 liv-en / ru-sah translate English / Yakut originals. ``lang`` is ISO 639-1 where one
exists; Livonian and Yakut keep their 639-3 codes ``liv`` and ``sah``.

With the wmt-conference mirrors of 2026-11 most WMT23 XML blobs are missing everywhere in the
history, so WMT23 yields only he-en, ru-en and uk-en (the other pairs are logged and skipped).

Some blobs of the mirrors are missing (git LFS / partial clones). ``--checkout-from-mirrors``
materialises the plain checkouts from bare git mirrors, writing every file under ``txt/``, ``xml/``
and ``README.md`` whose blob is present; for a missing blob it falls back to the newest commit in
the history where that path's blob is present (recorded in ``.wmt-checkout.json``), else skips it.

Usage::

    python models/wmt_documents.py --checkout-from-mirrors /work/.mirror --root /work/data/wmt
    python models/wmt_documents.py --root /work/data/wmt --out /work/data/wmt/wmt-docs.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger("wmt_documents")

COLLECTIONS: tuple[str, ...] = ("wmt22", "wmt23", "wmt24")
ROLES: tuple[str, ...] = ("source", "reference", "system")
DEFAULT_MAX_SYSTEMS = 3
# A system output whose per-line log character lengths correlate less than this with the source
# is degenerate (WMT22 ja-en AIST is word salad, r = 0.02; ru-sah Lan-Bridge repeats itself,
# r = 0.50; WMT24 ONLINE-empty is empty) and is skipped. Real outputs score about 0.75-0.99.
MIN_LENGTH_CORRELATION = 0.5
CHECKOUT_PATHS: tuple[str, ...] = ("txt", "xml", "README.md")
MANIFEST = ".wmt-checkout.json"


@dataclass(frozen=True)
class WmtDocument:
    """One version (source, reference or system output) of one WMT test-set document."""

    collection: str  # "wmt22" | "wmt23" | "wmt24"
    pair: str  # "en-ja"; for a source shared by several pairs, the first pair in sorted order
    doc_id: str  # the WMT document id
    domain: str  # "news", "social", "speech", "literary", ... or "" if unknown
    lang: str  # language of this text (ISO 639-1 where one exists; "liv", "sah" otherwise)
    role: str  # "source" | "reference" | "system"
    producer: str  # "src", "refA", ... or the system name
    segments: tuple[str, ...] = field(repr=False)
    # Original language of the story (XML ``origlang``; WMT24: from the doc id); may differ from
    # the pair's source language (WMT22 liv-en and ru-sah translate en / sah originals).
    origlang: str = ""


def story_key(doc: WmtDocument) -> str:
    """The story a document belongs to: its source document, shared by all its translations.

    ``"<collection>:<original language>:<doc id>"``; a source text shared by several pairs
    (e.g. WMT22's English source of en-de, en-ja, ...) is one story for all of them, and so are
    en-liv and liv-en (both translate the same English originals). The language is needed: doc ids
    such as WMT23's ``"0"`` or WMT22's ``personal-general-55`` recur across source languages.
    """
    lang = doc.origlang or doc.pair.split("-", 1)[0]
    return f"{doc.collection}:{lang}:{doc.doc_id}"


def repo_dir_name(collection: str) -> str:
    return f"{collection}-news-systems"


# --------------------------------------------------------------------------- helpers


def _read_lines(path: Path) -> list[str]:
    """One segment per line; only the line terminator is removed."""
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _norm(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class _DocSpan:
    doc_id: str
    domain: str
    origlang: str
    lines: tuple[int, ...]  # line indices in the pair's files


Label = tuple[str, str, str]  # (doc_id, domain, origlang) of one line


def _spans_from_labels(labels: list[Label]) -> list[_DocSpan]:
    """Group line indices by doc id (first-appearance order)."""
    order: list[str] = []
    lines: dict[str, list[int]] = {}
    first: dict[str, Label] = {}
    for i, label in enumerate(labels):
        doc_id = label[0]
        if doc_id not in lines:
            order.append(doc_id)
            lines[doc_id] = []
            first[doc_id] = label
        lines[doc_id].append(i)
    return [_DocSpan(d, first[d][1], first[d][2], tuple(lines[d])) for d in order]


@dataclass
class _Pair:
    """One language pair of one collection, with aligned files and document spans."""

    pair: str
    spans: list[_DocSpan]
    source: Path
    references: dict[str, Path]  # producer -> file
    systems: dict[str, Path]  # system name -> file


# --------------------------------------------------------------------------- WMT22 / WMT23


_TXT_SRC = re.compile(r"^generaltest(\d{4})\.([a-z]+-[a-z]+)\.src\.([a-z]+)$")
_TXT_REF = re.compile(r"^generaltest(\d{4})\.([a-z]+-[a-z]+)\.ref\.(.+)\.([a-z]+)$")
_TXT_HYP = re.compile(r"^generaltest(\d{4})\.([a-z]+-[a-z]+)\.hyp\.(.+)\.([a-z]+)$")


def _ref_producer(ref_id: str) -> str:
    return ref_id if ref_id.startswith("ref") else f"ref{ref_id}"


XmlDoc = tuple[str, str, str, list[str]]  # (doc_id, domain, origlang, source segments)


def _xml_documents(path: Path) -> list[XmlDoc] | None:
    """``[(doc_id, domain, origlang, source segments)]`` of a WMT XML file, or None if unreadable.

    Test-suite documents (``<doc testsuite=...>``, only in ``txt-ts``) are left out.
    """
    try:
        docs: list[XmlDoc] = []
        for _event, elem in ET.iterparse(path, events=("end",)):
            if elem.tag != "doc":
                continue
            if elem.get("testsuite"):
                elem.clear()
                continue
            src = elem.find("src")
            segs = [seg.text or "" for seg in src.iter("seg")] if src is not None else []
            docs.append((elem.get("id", ""), elem.get("domain", ""), elem.get("origlang", ""), segs))
            elem.clear()
        return docs
    except (ET.ParseError, OSError, UnicodeDecodeError) as exc:
        log.warning("skip %s: unreadable XML (%s)", path, exc)
        return None


def _align_documents(src_lines: list[str], docs: list[XmlDoc]) -> list[Label] | None:
    """``(doc_id, domain, origlang)`` for each txt source line, or None if the XML does not cover them.

    The txt files list documents in another order than the XML, so each XML document is matched
    as a contiguous block of txt lines (normalised whitespace; the longest unused match wins).
    XML documents absent from the txt are ignored.
    """
    key = [_norm(s) for s in src_lines]
    norm_docs = [[_norm(s) for s in doc[3]] for doc in docs]
    by_first: dict[str, list[int]] = {}
    for k, segs in enumerate(norm_docs):
        if segs:
            by_first.setdefault(segs[0], []).append(k)
    used: set[int] = set()
    labels: list[Label] = []
    i = 0
    while i < len(key):
        best: int | None = None
        for k in by_first.get(key[i], []):
            m = len(norm_docs[k])
            if k not in used and key[i : i + m] == norm_docs[k]:
                if best is None or m > len(norm_docs[best]):
                    best = k
        if best is None:
            return None
        used.add(best)
        labels.extend([docs[best][:3]] * len(norm_docs[best]))
        i += len(norm_docs[best])
    return labels


def _pairs_txt_xml(repo: Path, collection: str) -> list[_Pair]:
    year = "20" + collection[-2:]
    txt = repo / "txt"
    sources: dict[str, Path] = {}
    refs: dict[str, dict[str, Path]] = {}
    hyps: dict[str, dict[str, Path]] = {}
    for path in sorted((txt / "sources").glob("*")):
        m = _TXT_SRC.match(path.name)
        if m and m.group(1) == year:
            sources[m.group(2)] = path
    for path in sorted((txt / "references").glob("*")):
        m = _TXT_REF.match(path.name)
        if m and m.group(1) == year:
            refs.setdefault(m.group(2), {})[_ref_producer(m.group(3))] = path
    for path in sorted((txt / "system-outputs").glob("*")):
        m = _TXT_HYP.match(path.name)
        if m and m.group(1) == year:
            hyps.setdefault(m.group(2), {})[m.group(3)] = path

    # Every readable XML file, indexed by its normalised source segments. Prefer a pair's own
    # "<pair>.all.xml", then "<pair>.xml", then any other XML with the same source.
    xml_files = sorted((repo / "xml").glob("*.xml"))
    by_pair: dict[str, list[Path]] = {}
    for path in xml_files:
        m = re.match(r"^wmttest\d{4}\.([a-z]+-[a-z]+)(\.all)?\.xml$", path.name)
        if m:
            by_pair.setdefault(m.group(1), []).append(path)
    parsed: dict[Path, list[XmlDoc] | None] = {p: _xml_documents(p) for p in xml_files}
    # A domain missing from one XML version (older files restored from history lack it) is
    # taken from another XML of the same collection that has the same (origlang, doc id).
    known_domain: dict[tuple[str, str], str] = {}
    for docs in parsed.values():
        for doc_id, domain, origlang, _ in docs or []:
            if domain:
                known_domain.setdefault((origlang, doc_id), domain)

    pairs: list[_Pair] = []
    for pair in sorted(sources):
        src_lines = _read_lines(sources[pair])
        own = sorted(by_pair.get(pair, []), key=lambda p: (not p.name.endswith(".all.xml"), p.name))
        others = [p for p in xml_files if p not in own]
        labels: list[Label] | None = None
        for path in own + others:
            docs = parsed[path]
            if docs is None or sum(len(d[3]) for d in docs) < len(src_lines):
                continue
            labels = _align_documents(src_lines, docs)
            if labels is not None:
                if path not in own:
                    log.info("%s %s: document ids from %s (same source)", collection, pair, path.name)
                break
        if labels is None:
            reason = "no XML whose source documents cover the txt source" if xml_files else "no XML"
            log.warning("skip %s %s: no document ids (%s)", collection, pair, reason)
            continue
        labels = [(d, dom or known_domain.get((o, d), ""), o) for d, dom, o in labels]
        pairs.append(
            _Pair(pair, _spans_from_labels(labels), sources[pair], refs.get(pair, {}), hyps.get(pair, {}))
        )
    return pairs


# --------------------------------------------------------------------------- WMT24


def _wmt24_origlang(doc_id: str, src_lang: str) -> str:
    """WMT24 doc ids read ``test-<lang>-<domain>_...``; otherwise the pair's source language."""
    m = re.match(r"^test-([a-z]{2,3})-", doc_id.strip())
    return m.group(1) if m else src_lang


def _pairs_wmt24(repo: Path, collection: str) -> list[_Pair]:
    txt = repo / "txt"
    pairs: list[_Pair] = []
    names = {p.stem for p in (txt / "documents").glob("*.docs")} | {
        p.stem for p in (txt / "metadata").glob("*.jsonl")
    }
    for pair in sorted(names):
        source = txt / "sources" / f"{pair}.txt"
        if not source.is_file():
            log.warning("skip %s %s: source file missing", collection, pair)
            continue
        labels: list[Label] | None = None
        src_lang = pair.split("-", 1)[0]
        docs_file = txt / "documents" / f"{pair}.docs"
        meta_file = txt / "metadata" / f"{pair}.jsonl"
        if docs_file.is_file():
            labels = []
            for line in _read_lines(docs_file):
                domain, _, doc_id = line.partition("\t")
                labels.append((doc_id.strip(), domain.strip(), _wmt24_origlang(doc_id, src_lang)))
        elif meta_file.is_file():
            labels = []
            for line in _read_lines(meta_file):
                rec = json.loads(line)
                doc_id = str(rec.get("docid", ""))
                labels.append((doc_id, str(rec.get("domain", "")), _wmt24_origlang(doc_id, src_lang)))
        if labels is None:
            log.warning("skip %s %s: no document ids", collection, pair)
            continue
        n_src = len(_read_lines(source))
        if len(labels) != n_src:
            log.warning(
                "skip %s %s: %d document labels vs %d source lines", collection, pair, len(labels), n_src
            )
            continue
        refs = {}
        for path in sorted((txt / "references").glob(f"{pair}.*.txt")):
            refs[path.name[len(pair) + 1 : -len(".txt")]] = path
        systems = {p.stem: p for p in sorted((txt / "system-outputs" / pair).glob("*.txt"))}
        pairs.append(_Pair(pair, _spans_from_labels(labels), source, refs, systems))
    return pairs


# --------------------------------------------------------------------------- reader


def _documents_of(
    collection: str,
    pair: _Pair,
    lines: list[str],
    role: str,
    producer: str,
    lang: str,
    display_pair: str | None = None,
) -> Iterator[WmtDocument]:
    for span in pair.spans:
        if span.doc_id in ("", "canary"):
            continue
        segments = tuple(lines[i] for i in span.lines)
        if not any(s.strip() for s in segments):
            continue
        yield WmtDocument(
            collection,
            display_pair or pair.pair,
            span.doc_id,
            span.domain,
            lang,
            role,
            producer,
            segments,
            span.origlang or pair.pair.split("-", 1)[0],
        )


def _length_correlation(a: list[str], b: list[str]) -> float:
    """Pearson correlation of log(1 + characters) per line.

    1.0 (no evidence) for fewer than 3 lines; 0.0 when either side has constant lengths.
    """
    x = np.log1p(np.array([len(s) for s in a], dtype=np.float64))
    y = np.log1p(np.array([len(s) for s in b], dtype=np.float64))
    if len(x) < 3:
        return 1.0
    if x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


class _SourceDedupe:
    """Pass documents through, dropping those whose (story, lang, text) is an emitted source."""

    def __init__(self) -> None:
        self.sources: set[tuple[str, str, tuple[str, ...]]] = set()
        self.dropped = 0

    def __call__(self, docs: Iterable[WmtDocument]) -> Iterator[WmtDocument]:
        for doc in docs:
            key = (story_key(doc), doc.lang, doc.segments)
            if key in self.sources:
                self.dropped += 1
                continue
            if doc.role == "source":
                self.sources.add(key)
            yield doc


def read_wmt_documents(
    root: Path,
    collections: Iterable[str] = COLLECTIONS,
    max_systems: int = DEFAULT_MAX_SYSTEMS,
) -> Iterator[WmtDocument]:
    """Yield every source, reference and (at most ``max_systems`` per pair) system document.

    ``root`` holds plain checkouts ``wmt22-news-systems``, ``wmt23-news-systems``,
    ``wmt24-news-systems``. Order is deterministic: per collection, first the sources of all pairs
    (pairs sorted, documents in file order), then per pair its references and its systems (both
    sorted by name). A document whose text equals a source already emitted in the same story and
    language is not repeated (see :func:`story_key`): a source shared by several pairs appears
    once, attributed to its first pair; the en-liv reference (liv) that is the liv-en source, and
    the liv-en reference (en) that is the en-liv source, are dropped. Identical references or
    system outputs are all kept.
    Files whose line count disagrees with the pair's source are skipped with a logged warning, and
    so are degenerate system outputs (see ``MIN_LENGTH_CORRELATION``); neither counts towards
    ``max_systems``.
    """
    root = Path(root)
    for collection in collections:
        repo = root / repo_dir_name(collection)
        if not repo.is_dir():
            log.warning("skip %s: %s not found", collection, repo)
            continue
        pairs = _pairs_wmt24(repo, collection) if collection == "wmt24" else _pairs_txt_xml(repo, collection)
        fresh = _SourceDedupe()
        for pair in pairs:
            src_lines = _read_lines(pair.source)
            src_lang = pair.pair.split("-", 1)[0]
            yield from fresh(_documents_of(collection, pair, src_lines, "source", "src", src_lang))
        for pair in pairs:
            src_lang, tgt_lang = pair.pair.split("-", 1)
            src_lines = _read_lines(pair.source)
            n = len(src_lines)
            for producer, path in sorted(pair.references.items()):
                lines = _read_lines(path)
                if len(lines) != n:
                    log.warning("skip %s: %d lines vs %d source lines", path, len(lines), n)
                    continue
                yield from fresh(_documents_of(collection, pair, lines, "reference", producer, tgt_lang))
            kept = 0
            for system, path in sorted(pair.systems.items()):
                if kept >= max_systems:
                    break
                lines = _read_lines(path)
                if len(lines) != n:
                    log.warning("skip %s: %d lines vs %d source lines", path, len(lines), n)
                    continue
                r = _length_correlation(src_lines, lines)
                if r < MIN_LENGTH_CORRELATION:
                    log.warning("skip %s: degenerate output (length correlation %.2f)", path, r)
                    continue
                kept += 1
                yield from fresh(_documents_of(collection, pair, lines, "system", system, tgt_lang))
        log.info(
            "%s: %d documents not repeated (text of a source already emitted)", collection, fresh.dropped
        )


# --------------------------------------------------------------------------- checkout


def _git(git_dir: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args],
        input=input_bytes,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        check=True,
    ).stdout


def _find_git_dir(mirror_dir: Path, collection: str) -> Path | None:
    name = repo_dir_name(collection)
    for cand in (
        mirror_dir / f"wmt-conference+{name}" / "repo",
        mirror_dir / f"wmt-conference+{name}",
        mirror_dir / f"{name}.git",
        mirror_dir / name / ".git",
        mirror_dir / name,
    ):
        if (cand / "HEAD").is_file() and (cand / "objects").is_dir():
            return cand
    return None


def _cat_blobs(git_dir: Path, shas: list[str]) -> dict[str, bytes | None]:
    """Contents of each blob (None where the object is missing), via one ``cat-file --batch``."""
    out = _git(git_dir, "cat-file", "--batch", input_bytes="".join(f"{s}\n" for s in shas).encode())
    result: dict[str, bytes | None] = {}
    pos = 0
    for sha in shas:
        end = out.index(b"\n", pos)
        header = out[pos:end].decode()
        pos = end + 1
        if header.endswith(" missing"):
            result[sha] = None
            continue
        size = int(header.split()[2])
        result[sha] = out[pos : pos + size]
        pos += size + 1
    return result


def _ls_tree(git_dir: Path, rev: str, paths: Iterable[str]) -> list[tuple[str, str]]:
    out = _git(git_dir, "ls-tree", "-r", "-z", rev, "--", *paths)
    entries = []
    for rec in out.split(b"\0"):
        if not rec:
            continue
        meta, path = rec.split(b"\t", 1)
        _mode, kind, sha = meta.decode().split()
        if kind == "blob":
            entries.append((path.decode(), sha))
    return entries


def checkout_from_mirrors(
    mirror_dir: Path,
    root: Path,
    collections: Iterable[str] = COLLECTIONS,
    paths: Iterable[str] = CHECKOUT_PATHS,
    history_fallback: bool = True,
) -> dict[str, dict[str, object]]:
    """Write plain checkouts ``root/wmt2X-news-systems`` from bare mirrors; returns the manifests."""
    paths = tuple(paths)
    manifests: dict[str, dict[str, object]] = {}
    for collection in collections:
        git_dir = _find_git_dir(Path(mirror_dir), collection)
        if git_dir is None:
            log.warning("no mirror for %s under %s", collection, mirror_dir)
            continue
        target = Path(root) / repo_dir_name(collection)
        head = _git(git_dir, "rev-parse", "HEAD").decode().strip()
        entries = _ls_tree(git_dir, head, paths)
        missing: list[str] = []
        restored: dict[str, str] = {}
        written = 0
        batch = 200
        for start in range(0, len(entries), batch):
            chunk = entries[start : start + batch]
            blobs = _cat_blobs(git_dir, [sha for _, sha in chunk])
            for path, sha in chunk:
                data = blobs[sha]
                if data is None and history_fallback:
                    for commit in _git(git_dir, "rev-list", head, "--", path).decode().split():
                        old = _ls_tree(git_dir, commit, [path])
                        if old and old[0][1] != sha:
                            data = _cat_blobs(git_dir, [old[0][1]])[old[0][1]]
                            if data is not None:
                                restored[path] = commit
                                break
                if data is None:
                    missing.append(path)
                    continue
                dest = target / path
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(dest.name + ".tmp")
                tmp.write_bytes(data)
                os.replace(tmp, dest)
                written += 1
        manifest: dict[str, object] = {
            "mirror": str(git_dir),
            "head": head,
            "paths": list(paths),
            "written": written,
            "missing": missing,
            "restored_from_history": restored,
        }
        target.mkdir(parents=True, exist_ok=True)
        (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        log.info(
            "%s: %d files written, %d restored from history, %d missing",
            collection,
            written,
            len(restored),
            len(missing),
        )
        manifests[collection] = manifest
    return manifests


# --------------------------------------------------------------------------- CLI


def write_jsonl(docs: Iterable[WmtDocument], out: Path) -> dict[str, object]:
    """Write one JSON object (sorted keys, plus ``story_key``) per document; return summary counts."""
    counts: dict[str, int] = {}
    seg_counts: list[int] = []
    stories: set[str] = set()
    langs: set[str] = set()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as f:
        for doc in docs:
            rec = asdict(doc)
            rec["segments"] = list(doc.segments)
            rec["story_key"] = story_key(doc)
            f.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
            k = f"{doc.collection}\t{doc.lang}\t{doc.role}"
            counts[k] = counts.get(k, 0) + 1
            seg_counts.append(len(doc.segments))
            stories.add(rec["story_key"])
            langs.add(doc.lang)
    os.replace(tmp, out)
    return {
        "documents": len(seg_counts),
        "by_collection_lang_role": dict(sorted(counts.items())),
        "median_segments_per_doc": float(np.median(seg_counts)) if seg_counts else 0.0,
        "stories": len(stories),
        "languages": sorted(langs),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, required=True, help="folder holding wmt2X-news-systems checkouts")
    ap.add_argument("--out", type=Path, help="output .jsonl.gz")
    ap.add_argument("--max-systems", type=int, default=DEFAULT_MAX_SYSTEMS)
    ap.add_argument("--collections", nargs="+", default=list(COLLECTIONS), choices=COLLECTIONS)
    ap.add_argument("--checkout-from-mirrors", type=Path, metavar="MIRROR_DIR")
    ap.add_argument("--no-history-fallback", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.checkout_from_mirrors is not None:
        checkout_from_mirrors(
            args.checkout_from_mirrors,
            args.root,
            args.collections,
            history_fallback=not args.no_history_fallback,
        )
    if args.out is not None:
        docs = read_wmt_documents(args.root, args.collections, max_systems=args.max_systems)
        summary = write_jsonl(docs, args.out)
        print(json.dumps(summary, indent=1))
    elif args.checkout_from_mirrors is None:
        ap.error("nothing to do: give --out and/or --checkout-from-mirrors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
