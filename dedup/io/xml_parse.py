"""XML as dedup parses it (news feeds, word-processor files): streamed with lxml, safely.

:func:`iterparse` is lxml's ``iterparse`` with entity expansion and network access off and comments
dropped, so a file can neither expand into gigabytes nor make dedup fetch anything; every XML input
goes through it. :func:`local_name` is an element's tag without its namespace.

Example:
    >>> import io
    >>> events = iterparse(io.BytesIO(b'<a xmlns="urn:x"><b/><!-- note --></a>'), ("end",))
    >>> [(event, local_name(el)) for event, el in events]
    [('end', 'b'), ('end', 'a')]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

__all__ = ["iterparse", "local_name"]


def iterparse(source: BinaryIO, events: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """``(event, element)`` pairs of ``source`` (lxml's ``iterparse``, safe options; see the module).

    Raises:
        lxml.etree.XMLSyntaxError: Where the XML is not well-formed (after the events before it).
    """
    from lxml import etree

    return etree.iterparse(
        source, events=events, resolve_entities=False, no_network=True, remove_comments=True
    )


def local_name(el: Any) -> str:
    """An element's tag without its namespace; "" for comments and processing instructions.

    Example:
        >>> from lxml import etree
        >>> local_name(etree.fromstring(b'<w:t xmlns:w="urn:w"/>'))
        't'
    """
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
