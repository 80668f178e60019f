"""Markdown articles (``.md``, ``.markdown``): the posts of a static news site (Hugo, Jekyll,
Eleventy), notes, and articles converted for a data pipeline.

The front matter, YAML between ``---`` lines or TOML between ``+++`` lines at the top, is the
page's metadata: its ``title`` becomes the first line and the rest (date, tags, layout, aliases)
is left out, as a page's menus are. The body is rendered with markdown-it-py (CommonMark and
tables) and read as an HTML fragment is read (:func:`dedup.io.html_text.visible_text`): headings,
paragraphs, list items and table rows become lines, links keep their text and lose their address,
emphasis marks go, and images and code blocks are left out.

Example:
    >>> page = ('---\\ntitle: "Storm hits the coast"\\ndate: 2024-06-11\\ntags: [weather]\\n---\\n'
    ...         'Thousands of homes lost **power** on [Tuesday](https://example.org/a).\\n\\n'
    ...         '![the harbour](harbour.jpg)\\n\\n- Ferries were cancelled.\\n- Schools closed.\\n')
    >>> print(markdown_text(page)[0])
    Storm hits the coast
    Thousands of homes lost power on Tuesday.
    Ferries were cancelled.
    Schools closed.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from dedup.io.html_text import visible_text

__all__ = ["MARKDOWN_EXTENSIONS", "markdown_text"]

MARKDOWN_EXTENSIONS = (".md", ".markdown")

_FRONT_MATTER = re.compile(r"\A\ufeff?\s*(---|\+\+\+)[ \t]*\r?\n(.*?)\r?\n\1[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_TITLE = re.compile(r"""^title[ \t]*[:=][ \t]*(?:"(.*)"|'(.*)'|(.*?))[ \t]*$""", re.MULTILINE)
_CODE_BLOCK = re.compile(r"<pre\b.*?</pre>", re.DOTALL)


def markdown_text(text: str) -> tuple[str | None, str]:
    """The article text of a Markdown file's decoded text: ``(text, "")``, or ``(None, why)`` when it
    has none (see the module docstring)."""
    title = ""
    if front := _FRONT_MATTER.match(text):
        if found := _TITLE.search(front.group(2)):
            title = next(g for g in found.groups() if g is not None).strip()
        text = text[front.end() :]
    html = MarkdownIt("commonmark").enable("table").render(text)
    html = _CODE_BLOCK.sub("", html)
    body = visible_text(html) if html.strip() else ""
    if title and body.split("\n", 1)[0].casefold() != title.casefold():
        body = f"{title}\n{body}" if body else title
    if not body.strip():
        return None, "Markdown file without text (front matter, images or code only)"
    return body, ""
