"""Render a scan as one self-contained HTML page: no CDN, no network, no external file.

The page has a summary (documents, languages, groups, relations), a similarity histogram and the
language mix as inline SVG, a table of groups sortable by confidence (a few lines of inline
JavaScript), and per linked pair the two articles side by side with the aligned sentences
highlighted (hovering one lights up its partner) and listed with their similarities. Every piece of
text is HTML-escaped, and a Content-Security-Policy forbids any fetch, so hostile article text can
neither run script nor reach the network.

Example:
    >>> from dedup.outputs.html_report import render_html
    >>> from dedup.types import AlignedSentence, DocumentInfo, Group, Pair, Relation, ScanResult
    >>> docs = (DocumentInfo("a.txt", "en", 1, 20), DocumentInfo("b.txt", "nb", 1, 20))
    >>> aligned = (AlignedSentence(0, 0, "<b>Storm</b> hits.", "Storm treffer.", 0.91, 1.3),)
    >>> pair = Pair("a.txt", "b.txt", "en", "nb", Relation.TRANSLATION, 0.97, aligned)
    >>> result = ScanResult(docs, (pair,), (Group("g00001", ("a.txt", "b.txt"), 0.97, ("en", "nb")),))
    >>> page = render_html(result, {"a.txt": "<b>Storm</b> hits.", "b.txt": "Storm treffer."})
    >>> "&lt;b&gt;Storm&lt;/b&gt; hits." in page and "<b>Storm</b>" not in page
    True
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Mapping, Sequence

from dedup.types import AlignedSentence, DocumentInfo, Pair, PairFeatures, ScanResult, Skipped

__all__ = ["render_html"]

_PALETTE = ("#fde68a", "#bfdbfe", "#bbf7d0", "#fbcfe8", "#ddd6fe", "#fed7aa", "#a5f3fc", "#e5e7eb")

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1400px;
padding:0 1.5rem 3rem;color:#1f2937}
h1{margin:1.2rem 0 .3rem}h2{margin-top:2rem;border-bottom:1px solid #e5e7eb}
.muted{color:#6b7280}.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #e5e7eb;border-radius:8px;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.6rem}.plots{display:flex;gap:2rem;flex-wrap:wrap}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e5e7eb;padding:.3rem .5rem;
text-align:left;vertical-align:top}th[data-type]{cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.num,th.num{text-align:right}.pair{border:1px solid #e5e7eb;border-radius:8px;padding:.5rem 1rem;
margin:1rem 0}.side{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.doc{white-space:pre-wrap;max-height:32rem;overflow:auto;border:1px solid #f3f4f6;padding:.5rem;
background:#fafafa}mark{border-radius:3px;padding:0 1px}mark.hot{outline:2px solid #dc2626}
.tag{display:inline-block;border-radius:4px;padding:0 .4rem;background:#e5e7eb;font-size:.85em}
.aligned td{font-size:.92em}details{margin:.5rem 0}
"""

_JS = """
(function(){
  function key(row, idx, numeric){
    var cell = row.cells[idx], v = cell.getAttribute('data-sort');
    if (v === null) { v = cell.textContent; }
    return numeric ? parseFloat(v) : v.toLowerCase();
  }
  document.querySelectorAll('table.sortable th[data-type]').forEach(function(th){
    th.addEventListener('click', function(){
      var table = th.closest('table'), body = table.tBodies[0];
      var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
      var asc = th.getAttribute('aria-sort') !== 'ascending', numeric = th.dataset.type === 'num';
      th.parentNode.querySelectorAll('th').forEach(function(h){ h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function(a, b){
        var x = key(a, idx, numeric), y = key(b, idx, numeric);
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function(r){ body.appendChild(r); });
    });
  });
  document.querySelectorAll('[data-k]').forEach(function(el){
    function light(on){
      var box = el.closest('.pair');
      box.querySelectorAll('[data-k="' + el.dataset.k + '"]').forEach(function(m){
        m.classList.toggle('hot', on);
      });
    }
    el.addEventListener('mouseenter', function(){ light(true); });
    el.addEventListener('mouseleave', function(){ light(false); });
  });
})();
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def render_html(
    result: ScanResult,
    texts: Mapping[str, str] | None = None,
    *,
    title: str = "dedup report",
    max_pairs: int = 200,
    max_chars: int = 50_000,
) -> str:
    """Render ``result`` as a single self-contained HTML document.

    Args:
        result: A scan result.
        texts: ``doc_id -> text`` as the scan read it (``dedup.io.read.read_documents``), for the
            side-by-side view with aligned sentences highlighted; without it each pair shows only its
            table of aligned sentences.
        title: Page title.
        max_pairs: Pairs shown in full (strongest first); the others appear in the groups table only.
        max_chars: Each article shown is cut after this many characters.

    Returns:
        The page, UTF-8 text. Opens offline; loads nothing.
    """
    docs = {d.doc_id: d for d in result.documents}
    pairs = sorted(result.pairs, key=lambda p: (-p.confidence, p.doc_a, p.doc_b))
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        _summary(result),
        _plots(result),
        _groups_table(result, pairs),
        _pairs_section(pairs[:max_pairs], docs, texts, max_chars, n_total=len(pairs)),
        _skipped(result.skipped),
        f"<script>{_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


# --------------------------------------------------------------------------------------------------------
# Sections


def _summary(result: ScanResult) -> str:
    langs = Counter(d.lang for d in result.documents)
    relations = Counter(p.relation.value for p in result.pairs)
    multi = [g for g in result.groups if len(g.members) > 1]
    in_multi = sum(len(g.members) for g in multi)
    cards = [
        ("documents", len(result.documents)),
        ("languages", len(langs)),
        ("groups of 2+", len(multi)),
        ("documents in them", in_multi),
        ("linked pairs", len(result.pairs)),
        ("skipped", len(result.skipped)),
    ]
    html_cards = "".join(f'<div class="card"><b>{n}</b>{_e(label)}</div>' for label, n in cards)
    rel = ", ".join(f"{_e(r)}: {n}" for r, n in sorted(relations.items())) or "none"
    by_count = sorted(langs.items(), key=lambda x: (-x[1], x[0]))
    lang_text = ", ".join(f"{_e(lang)}: {n}" for lang, n in by_count)
    config = result.stats.get("config", {}) if isinstance(result.stats, dict) else {}
    settings = ""
    if config:
        settings = (
            f'<p class="muted">threshold {_e(config.get("threshold", "?"))}, '
            f'level {_e(config.get("level", "?"))}</p>'
        )
    return (
        f'<section id="summary"><h2>Summary</h2><div class="cards">{html_cards}</div>'
        f"<p>Relations: {rel}</p><p>Languages: {lang_text or 'none'}</p>{settings}</section>"
    )


def _plots(result: ScanResult) -> str:
    confidences = [p.confidence for p in result.pairs]
    cosines = [a.cosine for p in result.pairs for a in p.aligned]
    langs = Counter(d.lang for d in result.documents)
    return (
        '<section id="plots"><h2>Plots</h2><div class="plots">'
        + _histogram(confidences, "Confidence of linked pairs", "hist-confidence")
        + _histogram(cosines, "Cosine of aligned sentences", "hist-cosine")
        + _bars(langs, "Documents per language", "lang-mix")
        + "</div></section>"
    )


def _groups_table(result: ScanResult, pairs: Sequence[Pair]) -> str:
    relations: dict[str, set[str]] = {}
    anchor: dict[tuple[str, str], int] = {(p.doc_a, p.doc_b): k for k, p in enumerate(pairs, start=1)}
    group_of = {m: g.group_id for g in result.groups for m in g.members}
    for p in pairs:
        if group_of.get(p.doc_a) == group_of.get(p.doc_b):
            relations.setdefault(group_of.get(p.doc_a, ""), set()).add(p.relation.value)
    multi = [g for g in result.groups if len(g.members) > 1]
    singles = [g for g in result.groups if len(g.members) == 1]
    rows = []
    for g in multi:
        links = [
            f'<a href="#pair-{anchor[(a, b)]}">#{anchor[(a, b)]}</a>'
            for k, a in enumerate(g.members)
            for b in g.members[k + 1 :]
            if (a, b) in anchor
        ]
        rows.append(
            "<tr>"
            f"<td>{_e(g.group_id)}</td>"
            f'<td class="num" data-sort="{len(g.members)}">{len(g.members)}</td>'
            f"<td>{'<br>'.join(_e(m) for m in g.members)}</td>"
            f"<td>{_e(', '.join(g.languages))}</td>"
            f"<td>{_e(', '.join(sorted(relations.get(g.group_id, ()))))}</td>"
            f'<td class="num" data-sort="{g.confidence:.6f}">{g.confidence:.3f}</td>'
            f"<td>{' '.join(links)}</td>"
            "</tr>"
        )
    table = (
        '<table id="groups-table" class="sortable"><thead><tr>'
        '<th data-type="text">group</th><th class="num" data-type="num">size</th><th>members</th>'
        '<th data-type="text">languages</th><th data-type="text">relations</th>'
        '<th class="num" data-type="num" id="sort-confidence">confidence</th><th>pairs</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No group of two or more documents.</p>"
    )
    single_list = ""
    if singles:
        items = "".join(
            f"<li>{_e(g.members[0])} <span class=\"muted\">({_e(', '.join(g.languages))}, "
            f"confidence {g.confidence:.3f})</span></li>"
            for g in singles
        )
        single_list = (
            f"<details><summary>{len(singles)} documents with no partner</summary><ul>{items}</ul></details>"
        )
    hint = '<p class="muted">Click a column header to sort.</p>' if rows else ""
    return f'<section id="groups"><h2>Groups</h2>{hint}{table}{single_list}</section>'


def _pairs_section(
    pairs: Sequence[Pair],
    docs: Mapping[str, DocumentInfo],
    texts: Mapping[str, str] | None,
    max_chars: int,
    *,
    n_total: int,
) -> str:
    if not pairs:
        return '<section id="pairs"><h2>Pairs</h2><p>No linked pair.</p></section>'
    note = ""
    if n_total > len(pairs):
        note = f'<p class="muted">The {len(pairs)} strongest of {n_total} pairs.</p>'
    blocks = [_pair_block(k, p, docs, texts, max_chars) for k, p in enumerate(pairs, start=1)]
    return f'<section id="pairs"><h2>Pairs</h2>{note}{"".join(blocks)}</section>'


def _pair_block(
    k: int, pair: Pair, docs: Mapping[str, DocumentInfo], texts: Mapping[str, str] | None, max_chars: int
) -> str:
    head = (
        f'<h3>#{k} <span class="tag">{_e(pair.relation.value)}</span> '
        f"{_e(pair.doc_a)} <span class=\"muted\">({_e(pair.lang_a)})</span> &harr; "
        f"{_e(pair.doc_b)} <span class=\"muted\">({_e(pair.lang_b)})</span></h3>"
        f"<p>confidence {pair.confidence:.3f}, story confidence {pair.story_confidence:.3f}, "
        f"{len(pair.aligned)} aligned sentences{_coverage(pair.features)}</p>"
    )
    side = ""
    if texts is not None and pair.doc_a in texts and pair.doc_b in texts:
        text_a = _highlight(texts[pair.doc_a], [a.text_a for a in pair.aligned], pair.aligned, max_chars)
        text_b = _highlight(texts[pair.doc_b], [a.text_b for a in pair.aligned], pair.aligned, max_chars)
        side = (
            '<div class="side">'
            f'<div><h4>{_e(pair.doc_a)}</h4><div class="doc" data-doc="a">{text_a}</div></div>'
            f'<div><h4>{_e(pair.doc_b)}</h4><div class="doc" data-doc="b">{text_b}</div></div>'
            "</div>"
        )
    rows = "".join(
        f'<tr data-k="{n}"><td class="num">{n + 1}</td>'
        f'<td><mark style="background:{_PALETTE[n % len(_PALETTE)]}">{_e(a.text_a)}</mark></td>'
        f'<td><mark style="background:{_PALETTE[n % len(_PALETTE)]}">{_e(a.text_b)}</mark></td>'
        f'<td class="num">{a.cosine:.3f}</td><td class="num">{_fmt(a.margin)}</td></tr>'
        for n, a in enumerate(pair.aligned)
    )
    table = (
        '<details open><summary>Aligned sentences</summary><table class="aligned"><thead><tr>'
        f'<th class="num">#</th><th>{_e(pair.doc_a)}</th><th>{_e(pair.doc_b)}</th>'
        '<th class="num">cosine</th><th class="num">margin</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></details>"
        if rows
        else ""
    )
    return f'<div class="pair" id="pair-{k}">{head}{side}{table}</div>'


def _coverage(features: PairFeatures | None) -> str:
    if features is None:
        return ""
    return f"; coverage {features.coverage_a:.2f} / {features.coverage_b:.2f}"


def _fmt(x: float) -> str:
    return "&ndash;" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def _highlight(
    text: str, sentences: Sequence[str], aligned: Sequence[AlignedSentence], max_chars: int
) -> str:
    """Escape ``text`` and wrap each aligned sentence in a coloured ``<mark data-k>``."""
    text = text[:max_chars]
    spans: list[tuple[int, int, int]] = []
    cursor = 0
    for n, sentence in enumerate(sentences):
        if not sentence:
            continue
        start = text.find(sentence, cursor)
        if start < 0:
            start = text.find(sentence)
        if start < 0:
            continue
        spans.append((start, start + len(sentence), n))
        cursor = start + len(sentence)
    spans.sort()
    out, pos = [], 0
    for start, end, n in spans:
        if start < pos:  # overlaps a sentence already marked
            continue
        a = aligned[n]
        out.append(_e(text[pos:start]))
        out.append(
            f'<mark data-k="{n}" style="background:{_PALETTE[n % len(_PALETTE)]}" '
            f'title="#{n + 1}: cosine {a.cosine:.3f}">{_e(text[start:end])}</mark>'
        )
        pos = end
    out.append(_e(text[pos:]))
    return "".join(out)


def _skipped(skipped: Sequence[Skipped]) -> str:
    if not skipped:
        return ""
    items = "".join(f"<li>{_e(s.path)}: {_e(s.reason)}</li>" for s in skipped)
    return f'<section id="skipped"><h2>Skipped inputs</h2><ul>{items}</ul></section>'


# --------------------------------------------------------------------------------------------------------
# Inline SVG


def _histogram(values: Sequence[float], title: str, element_id: str, *, n_bins: int = 10) -> str:
    width, height, left, bottom, top = 360, 200, 36, 28, 24
    counts = [0] * n_bins
    for v in values:
        counts[min(n_bins - 1, max(0, int(v * n_bins)))] += 1
    peak = max(counts) or 1
    plot_w, plot_h = width - left - 8, height - bottom - top
    bar_w = plot_w / n_bins
    bars = []
    for b, c in enumerate(counts):
        h = plot_h * c / peak
        x = left + b * bar_w
        y = top + plot_h - h
        bars.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#3b82f6">'
            f"<title>{b / n_bins:.1f}-{(b + 1) / n_bins:.1f}: {c}</title></rect>"
        )
    ticks = "".join(
        f'<text x="{left + t * plot_w / 5:.1f}" y="{height - 10}" font-size="10" text-anchor="middle">'
        f"{t / 5:.1f}</text>"
        for t in range(6)
    )
    return (
        f'<svg id="{_e(element_id)}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}">'
        f'<text x="{left}" y="15" font-size="12" font-weight="bold">{_e(title)} (n={len(values)})</text>'
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#9ca3af"/>'
        f'<text x="{left - 4}" y="{top + 8}" font-size="10" text-anchor="end">{peak if values else 0}</text>'
        f"{''.join(bars)}{ticks}</svg>"
    )


def _bars(counts: Mapping[str, int], title: str, element_id: str) -> str:
    items = sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    row_h, left, width = 20, 48, 360
    height = 28 + row_h * max(1, len(items))
    peak = max(counts.values(), default=1)
    rows = []
    for k, (label, n) in enumerate(items):
        y = 24 + k * row_h
        w = (width - left - 40) * n / peak
        rows.append(
            f'<text x="{left - 6}" y="{y + 13}" font-size="11" text-anchor="end">{_e(label)}</text>'
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{_PALETTE[k % len(_PALETTE)]}" stroke="#6b7280" stroke-width="0.5"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 13}" font-size="11">{n}</text>'
        )
    return (
        f'<svg id="{_e(element_id)}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}">'
        f'<text x="0" y="15" font-size="12" font-weight="bold">{_e(title)}</text>{"".join(rows)}</svg>'
    )
