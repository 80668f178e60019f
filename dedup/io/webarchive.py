"""Web pages Safari saved as ``.webarchive``: a property list (binary or XML, read with the standard
library's plistlib) holding the page's main resource (its HTML bytes, text encoding and address)
and its subresources (images, scripts), which are left out.

The article is the main text of the HTML, as for the same page saved as ``.html``, with the page's
address as its ``url``.

Example:
    >>> import plistlib
    >>> page = b"<html><body><nav>Home</nav><article><p>Storm hits the coast.</p></article></body></html>"
    >>> raw = plistlib.dumps({"WebMainResource": {"WebResourceData": page, "WebResourceURL":
    ...     "https://news.example/storm", "WebResourceMIMEType": "text/html",
    ...     "WebResourceTextEncodingName": "UTF-8"}}, fmt=plistlib.FMT_BINARY)
    >>> article = webarchive_article(raw)
    >>> article.text, article.url
    ('Storm hits the coast.', 'https://news.example/storm')
"""

from __future__ import annotations

import codecs
import plistlib

from dedup.io.decode import decode_bytes
from dedup.io.email_messages import EmailArticle
from dedup.io.html_text import extract_html

__all__ = ["WEBARCHIVE_EXTENSIONS", "webarchive_article"]

WEBARCHIVE_EXTENSIONS = (".webarchive",)


def webarchive_article(raw: bytes) -> EmailArticle:
    """The article of a ``.webarchive`` file's bytes (see the module docstring), or one without text
    and the reason."""
    try:
        archive = plistlib.loads(raw)
    except (plistlib.InvalidFileException, ValueError, TypeError, OverflowError, IndexError) as err:
        return EmailArticle("1", None, error=f"not a Safari web archive (no property list: {err})")
    main = archive.get("WebMainResource") if isinstance(archive, dict) else None
    data = main.get("WebResourceData") if isinstance(main, dict) else None
    if not isinstance(data, bytes):
        return EmailArticle("1", None, error="not a Safari web archive (no main resource)")
    url = str(main.get("WebResourceURL", "") or "").strip()
    mime = str(main.get("WebResourceMIMEType", "text/html") or "text/html").lower()
    if not (mime.startswith("text/") or "html" in mime):
        return EmailArticle("1", None, error=f"the saved page is not text ({mime})", url=url)
    text = _decoded(data, str(main.get("WebResourceTextEncodingName", "") or ""))
    if text is None:
        return EmailArticle("1", None, error="undecodable page", url=url)
    article = extract_html(text) if "html" in mime else text
    if not article.strip():
        return EmailArticle("1", None, error="page without article or visible text", url=url)
    return EmailArticle("1", article, url=url)


def _decoded(data: bytes, encoding: str) -> str | None:
    """The page's HTML in the encoding Safari recorded, else as any HTML file's bytes are decoded."""
    try:
        return data.decode(codecs.lookup(encoding).name) if encoding else decode_bytes(data)[0]
    except (LookupError, UnicodeDecodeError):
        return decode_bytes(data)[0]
