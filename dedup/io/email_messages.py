"""E-mail: ``.eml`` files (one message) and ``.mbox`` mailboxes (one article per message, streamed);
and web pages saved as MHTML (``.mht``/``.mhtml``, a browser's "save as a single file"), which are
MIME messages too.

Press releases, newsletters and wire copy often reach an archive by mail. A message's article is its
subject, then its body: the ``text/plain`` part, else the ``text/html`` one (its main text, as for
an ``.html`` file), decoded from its transfer encoding and charset; attachments are left out, and
so is a plain-text signature (after a ``-- `` line). Its key is its Message-ID (without ``<>``),
else its position, and its date the ``Date`` header as ISO 8601.

An mbox is split at each line starting with ``From `` that begins the file or follows a blank line
(``>From`` lines of mboxrd are unquoted), so a mailbox of any size is read one message at a time; a
message over :data:`MAX_MESSAGE_BYTES` (a large attachment) is passed over with its reason. A saved
page's article is the main text of its HTML part (:func:`web_page_article`), as for an ``.html`` file.

Example:
    >>> raw = (b"Message-ID: <a1@wire.example>\\nDate: Tue, 10 Jun 2025 04:00:00 +0000\\n"
    ...        b"Subject: Storm hits the coast\\nContent-Type: text/plain; charset=utf-8\\n\\n"
    ...        b"Thousands lost power.\\n-- \\nThe news desk\\n")
    >>> article = message_article(raw, 1)
    >>> article.key, article.text, article.date
    ('a1@wire.example', 'Storm hits the coast\\nThousands lost power.', '2025-06-10T04:00:00+00:00')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from itertools import takewhile
from typing import BinaryIO

from dedup.io.html_text import extract_html
from dedup.io.news_xml import iso_date
from dedup.io.progress import format_bytes

__all__ = [
    "EMAIL_EXTENSIONS",
    "MAX_MESSAGE_BYTES",
    "MHTML_EXTENSIONS",
    "EmailArticle",
    "emlx_article",
    "emlx_message",
    "iter_mbox_articles",
    "mail_article",
    "message_article",
    "web_page_article",
]

EMAIL_EXTENSIONS = (".eml", ".emlx", ".mbox")
"""File name endings read as e-mail: one message (``.emlx``: as Apple Mail stores it), or a mailbox
of them."""

MHTML_EXTENSIONS = (".mht", ".mhtml")
"""File name endings read as a web page saved with its resources in one MIME file."""

MAX_MESSAGE_BYTES = 64 << 20
"""A message larger than this (attachments included) is not read."""

_FROM_QUOTED = re.compile(rb"^>+From ")


@dataclass(frozen=True, slots=True)
class EmailArticle:
    """One message as an article.

    Attributes:
        key: Its Message-ID (without ``<>``), else its 1-based position in the mailbox.
        text: Subject and body as lines; None when unusable.
        date: Its ``Date`` header, as ISO 8601 where readable, else as written; "" when absent.
        error: Why it is unusable, or None.
        url: A saved web page's address (its ``Snapshot-Content-Location``); "" for mail.
    """

    key: str
    text: str | None
    date: str = ""
    error: str | None = None
    url: str = ""


def message_article(raw: bytes, n: int) -> EmailArticle:
    """The article of one message's bytes (headers and body); ``n`` is its position, the fallback key.

    Example:
        >>> message_article(b"Subject: Hello\\nContent-Type: image/png\\n\\n...", 3)
        EmailArticle(key='3', text=None, date='', error='no text/plain or text/html part', url='')
    """
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    key, date = _key_and_date(message, n)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return EmailArticle(key, None, date, "no text/plain or text/html part")
    content, why = _content(body)
    if content is None:
        return EmailArticle(key, None, date, why)
    subject = str(message.get("Subject", "") or "")
    return mail_article(key, date, subject, content, html=body.get_content_subtype() == "html")


def mail_article(key: str, date: str, subject: str, body: str, *, html: bool) -> EmailArticle:
    """A message's article from its parts: the subject on one line, then the body's lines (an HTML
    body's main text, as for an ``.html`` file; a plain one without its signature).

    Example:
        >>> mail_article("a1", "", "Storm  hits", "Thousands lost power.\\n-- \\nThe desk", html=False).text
        'Storm hits\\nThousands lost power.'
    """
    text = extract_html(body) if html else _without_signature(body)
    subject = " ".join(subject.split())
    lines = [line.strip() for line in f"{subject}\n{text}".splitlines() if line.strip()]
    if not lines:
        return EmailArticle(key, None, date, "no subject or body text")
    return EmailArticle(key, "\n".join(lines), date)


def emlx_message(raw: bytes) -> bytes | None:
    """The message inside an Apple Mail ``.emlx`` file: the file's first line gives its length in
    bytes, and Mail's flags follow it as a property list. None when the first line is no length.

    Example:
        >>> emlx_message(b"20\\nSubject: Hi\\n\\nHello.\\n<?xml version=...")
        b'Subject: Hi\\n\\nHello.\\n'
    """
    first, _, rest = raw.partition(b"\n")
    return rest[: int(first)] if first.strip().isdigit() else None


def emlx_article(raw: bytes) -> EmailArticle:
    """The article of an Apple Mail ``.emlx`` file's bytes (:func:`emlx_message`), as its ``.eml``
    would give it.

    Example:
        >>> emlx_article(b"Subject: no length line").error
        'not an Apple Mail message (no length on its first line)'
    """
    message = emlx_message(raw)
    if message is None:
        return EmailArticle("1", None, error="not an Apple Mail message (no length on its first line)")
    return message_article(message, 1)


def web_page_article(raw: bytes) -> EmailArticle:
    """The article of a web page saved as MHTML: the main text of its HTML part, as for an ``.html``
    file (the page's title, which browsers write as the subject, is not added), with the page's
    address and the date it was saved.

    Example:
        >>> page = (b"Snapshot-Content-Location: https://news.example/storm\\n"
        ...         b"Subject: Storm | News\\nDate: Tue, 10 Jun 2025 04:00:00 +0000\\n"
        ...         b'Content-Type: multipart/related; type="text/html"; boundary="B"\\n\\n'
        ...         b"--B\\nContent-Type: text/html; charset=utf-8\\n\\n"
        ...         b"<html><body><nav>Home</nav><p>Storm hits the coast.</p></body></html>\\n"
        ...         b"--B\\nContent-Type: image/png\\nContent-Transfer-Encoding: base64\\n\\n"
        ...         b"iVBORw0K\\n--B--\\n")
        >>> article = web_page_article(page)
        >>> article.text, article.url, article.date
        ('Storm hits the coast.', 'https://news.example/storm', '2025-06-10T04:00:00+00:00')
    """
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    key, date = _key_and_date(message, 1)
    url = str(message.get("Snapshot-Content-Location", "") or "").strip()
    body = message.get_body(preferencelist=("html",))
    if body is None:
        return EmailArticle(key, None, date, "no text/html part (not a saved web page?)", url)
    content, why = _content(body)
    if content is None:
        return EmailArticle(key, None, date, why, url)
    url = url or str(body.get("Content-Location", "") or "").strip()
    text = extract_html(content)
    if not text.strip():
        return EmailArticle(key, None, date, "HTML part without article or visible text", url)
    return EmailArticle(key, text, date, None, url)


def _content(part: EmailMessage) -> tuple[str | None, str]:
    """A text part's content, decoded from its transfer encoding and charset, or ``(None, why)``."""
    try:
        content = part.get_content()
    except (LookupError, ValueError) as err:  # an unknown charset, broken base64
        return None, f"unreadable message body: {err}"
    if not isinstance(content, str):
        return None, "message body is not text"
    return content, ""


def iter_mbox_articles(stream: BinaryIO) -> Iterator[EmailArticle]:
    """The articles of an mbox mailbox, one message at a time.

    Args:
        stream: The mailbox, a binary stream at its start.

    Yields:
        One :class:`EmailArticle` per message; a file that does not start as an mbox does yields one
        article with an error, keyed ``file``.

    Example:
        >>> import io
        >>> box = (b"From desk@example Tue Jun 10 04:00:00 2025\\nSubject: One\\n\\nFirst.\\n\\n"
        ...        b"From desk@example Tue Jun 10 05:00:00 2025\\nSubject: Two\\n\\n>From the desk.\\n")
        >>> [a.text for a in iter_mbox_articles(io.BytesIO(box))]
        ['One\\nFirst.', 'Two\\nFrom the desk.']
    """
    first = stream.readline()
    if not first.startswith(b"From "):
        yield EmailArticle(
            "file", None, error="not an mbox mailbox (its first line does not start with 'From ')"
        )
        return
    n = 0
    lines: list[bytes] = []
    size = 0
    previous_blank = False
    for line in stream:
        if line.startswith(b"From ") and previous_blank:
            n += 1
            yield _mbox_message(lines, size, n)
            lines, size = [], 0
            previous_blank = False
            continue
        previous_blank = not line.strip()
        size += len(line)
        if size <= MAX_MESSAGE_BYTES:
            lines.append(_FROM_QUOTED.sub(lambda m: m.group(0)[1:], line))
    n += 1
    yield _mbox_message(lines, size, n)


def _mbox_message(lines: list[bytes], size: int, n: int) -> EmailArticle:
    if size > MAX_MESSAGE_BYTES:
        headers = b"".join(takewhile(lambda line: line.strip(), lines))
        key, date = _key_and_date(BytesParser(policy=policy.default).parsebytes(headers, headersonly=True), n)
        why = (
            f"message of {format_bytes(size)}, over the {format_bytes(MAX_MESSAGE_BYTES)} read (attachments?)"
        )
        return EmailArticle(key, None, date, why)
    return message_article(b"".join(lines), n)


def _key_and_date(message: Message, n: int) -> tuple[str, str]:
    """A message's Message-ID without ``<>`` (else ``n``) and its Date as ISO 8601."""
    key = str(message.get("Message-ID", "") or "").strip().strip("<>").strip() or str(n)
    return key, iso_date(str(message.get("Date", "") or ""))


def _without_signature(text: str) -> str:
    """A plain-text body without its signature block (from the last ``-- `` line on)."""
    lines = text.splitlines()
    for k in range(len(lines) - 1, -1, -1):
        if lines[k] == "-- ":
            return "\n".join(lines[:k])
    return text
