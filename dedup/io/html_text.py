"""Article text of an HTML page, offline: trafilatura's main text, else all visible text.

Functions over decoded text (they never open a path). :func:`html_charset` reads the charset an
HTML page declares, so its bytes can be decoded before extraction.

Example:
    >>> from dedup.io.html_text import extract_html
    >>> extract_html("<html><body><nav>Home</nav><p>Only this.</p><script>x=1</script></body></html>")
    'Only this.'
"""

from __future__ import annotations

import logging
import re

from dedup.io.library_logs import caught_logs
from dedup.text.reflow import goes_on

__all__ = [
    "extract_html",
    "extract_html_with_log",
    "html_charset",
    "markup_to_text",
    "visible_text",
    "without_sentence_breaks",
]

logger = logging.getLogger(__name__)

# Loggers of the HTML extractor and its helpers: their messages are caught during extraction
# and become the reason of a page without text, instead of being printed.
_EXTRACTOR_LOGGERS = ("trafilatura", "htmldate", "justext", "courlan", "readability")

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Tags whose text is never article text (for the fallback extractor).
_DROP_TAGS = (
    "head",
    "title",
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "iframe",
    "svg",
    "figure",
    "select",
)
# Markup that says a record's text is HTML: a tag of an element article bodies are made of, and a
# whole page's <html>/<body>; and the entities escaped text carries.
_MARKUP_TAG = re.compile(
    r"</?(?:p|br|div|span|a|b|i|u|em|strong|ul|ol|li|h[1-6]|blockquote|figure|figcaption|img|table|tr|td"
    r"|section|article|script|style|iframe|html|body)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_PAGE_TAG = re.compile(r"<(?:html|body)\b", re.IGNORECASE)
_ENTITY = re.compile(
    r"&(?:#\d{2,6}|#x[0-9a-fA-F]{2,5}|amp|lt|gt|quot|apos|nbsp|[a-z]{2,7}quo|[a-z]dash|hellip);"
)
_SPACES = re.compile(r"\s+")
_BR_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_BR_AT_END = re.compile(r"<br\s*/?>\s*$", re.IGNORECASE)
_BR_AT_START = re.compile(r"\s*<br\s*/?>", re.IGNORECASE)
_BR_CONTEXT = 200  # characters of markup read on each side of a <br>
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol br tr table blockquote pre section article main dd dt".split()
)


def html_charset(head: bytes) -> str | None:
    """The charset declared in an HTML ``<meta>`` tag, or None.

    Example:
        >>> html_charset(b'<html><head><meta charset="windows-1251">')
        'windows-1251'
    """
    m = _CHARSET_RE.search(head[:4096])
    return m.group(1).decode("ascii", "ignore").lower() if m else None


def extract_html(html: str) -> str:
    """Extract the main article text of an HTML page, offline.

    Uses trafilatura (navigation, scripts, styles, share bars and comments
    dropped; headings and paragraphs kept one per line). When it finds no main
    text (very short pages, fragments) or is not installed, falls back to all
    visible text of the body outside ``script``/``style``/``nav``/``header``/``footer``/``aside``
    (the ``<title>`` alone is not an article).

    Args:
        html: The decoded page.

    Returns:
        The text, one block per line; empty when the page has no visible text.

    Example:
        >>> extract_html("<html><body><nav>Home</nav><p>Only this.</p><script>x=1</script></body></html>")
        'Only this.'
    """
    return extract_html_with_log(html)[0]


def extract_html_with_log(html: str) -> tuple[str, list[str]]:
    """:func:`extract_html`, also returning what the extractor logged instead of letting it print.

    trafilatura and its helpers log through :mod:`logging` (e.g. a bare ``discarding data: None``
    for a page it rejects). Their records are caught while the page is extracted, never reach a
    handler, and are returned, so a caller can turn them into the reason a page gave no text.

    Returns:
        ``(text, messages)``: the text as :func:`extract_html` returns it, and the extractor's log
        messages at level WARNING or above, in order.

    Example:
        >>> extract_html_with_log("<html><head><title>Loading</title></head><body></body></html>")
        ('', ['discarding data: None'])
    """
    if not html.strip():
        return "", []
    html = without_sentence_breaks(html)
    with caught_logs(_EXTRACTOR_LOGGERS, "HTML extractor") as messages:
        text = _trafilatura(html)
    if text and text.strip():
        return text, messages
    return _fallback_text(html), messages


def _trafilatura(html: str) -> str | None:
    try:
        import trafilatura
    except ImportError:  # optional at runtime: the fallback still extracts visible text
        return None
    try:
        return trafilatura.extract(
            html,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            favor_precision=True,
            with_metadata=False,
            deduplicate=False,
        )
    except Exception:  # a third-party extractor must never fail a scan
        logger.debug("trafilatura failed", exc_info=True)
        return None


def markup_to_text(text: str) -> str:
    """A record's text as plain text: HTML (a CMS export's body, a crawl's page) becomes its text, and
    HTML entities in otherwise plain text are unescaped; plain text is returned as it is.

    A whole page (``<html>``/``<body>``) gets its main text (:func:`extract_html`); a body fragment its
    visible text, one line per block (:func:`visible_text`), since all of it is the article.

    Example:
        >>> markup_to_text("<p>Storm hits the coast &amp; ferries stop.</p><p>Schools close.</p>")
        'Storm hits the coast & ferries stop.\\nSchools close.'
        >>> markup_to_text("Q&amp;A: what the rate rise means"), markup_to_text("AT&T said 3 < 5.")
        ('Q&A: what the rate rise means', 'AT&T said 3 < 5.')
    """
    if _MARKUP_TAG.search(text):
        return extract_html(text) if _PAGE_TAG.search(text) else visible_text(text)
    if "&" in text and _ENTITY.search(text):
        import html

        return html.unescape(text)
    return text


def visible_text(html: str) -> str:
    """The visible text of an HTML page or fragment, one line per block (no article extraction).

    Example:
        >>> visible_text("<p>One <b>bold</b> line.</p><script>x()</script><p>Two.</p>")
        'One bold line.\\nTwo.'
    """
    return _fallback_text(without_sentence_breaks(html))


def without_sentence_breaks(html: str) -> str:
    """``html`` with each ``<br>`` that breaks a sentence made a space: the text before it ends
    without a sentence's end and the text after it starts with a word in lower case
    (:func:`dedup.text.reflow.goes_on`); other ``<br>`` tags stay and start a line, and so do two in a
    row (a paragraph break).

    Example:
        >>> without_sentence_breaks("<p>The council voted<br>on Monday.<br/>Work starts.</p>")
        '<p>The council voted on Monday.<br/>Work starts.</p>'
    """
    if "<br" not in html.lower():
        return html

    def replace(m: re.Match[str]) -> str:
        raw_before = html[max(0, m.start() - _BR_CONTEXT) : m.start()]
        raw_after = html[m.end() : m.end() + _BR_CONTEXT]
        if _BR_AT_END.search(raw_before) or _BR_AT_START.match(raw_after):
            return m.group(0)  # <br><br>: a paragraph break
        return " " if goes_on(_TAG.sub(" ", raw_before), _TAG.sub(" ", raw_after)) else m.group(0)

    return _BR_TAG.sub(replace, html)


def _fallback_text(html: str) -> str:
    try:
        import lxml.html
    except ImportError:
        return _strip_tags(html)
    try:
        root = lxml.html.document_fromstring(html)
    except Exception:  # malformed beyond repair (or empty after parsing)
        return _strip_tags(html)
    from lxml import etree

    for el in list(root.iter(*_DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        if el.getparent() is not None:
            el.drop_tree()  # its tail is text of the page, and stays
    # An element's text, then its children, then (after it ends) its tail: a block's tail follows
    # its inline children, so "<p>lost <b>power</b>.</p>\n<ul>" stays one line. As a browser shows
    # it, a line break in the source is a space; only blocks (and <br>) start lines, and so does a
    # blank line, which is how WordPress stores paragraphs in a post's raw content (WXR exports).
    parts: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if el.tag in _BLOCK_TAGS:
            parts.append("\n")
        elif el.tag in ("td", "th") and event == "end":
            parts.append(" ")  # cells of a row: apart, on the row's line
        text = el.text if event == "start" else el.tail
        if text:
            parts.append("\n".join(_SPACES.sub(" ", p) for p in _BLANK_LINE.split(text)))
    lines = "".join(parts).splitlines()
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def _strip_tags(html: str) -> str:
    html = re.sub(r"(?is)<(script|style|noscript)\b.*?</\1\s*>", " ", html)
    text = re.sub(r"(?s)<[^>]*>", "\n", html)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())
