"""Exact copies: the normalised-text key two documents share when one copies the other.

Two texts are copies when they are equal after lower-casing, NFKC normalisation and dropping
everything that is not a letter or digit, so re-wrapped lines, changed quotes or punctuation do
not hide a copy. A text with no letters or digits has no key and copies nothing.

Example:
    >>> from dedup.search.copies import copy_key, copy_pairs
    >>> copy_key("Storm hits the coast!") == copy_key("storm hits\\nthe coast")
    True
    >>> copy_key("...")
    ''
    >>> copy_pairs([copy_key("A b."), copy_key("a B"), copy_key("Other."), copy_key("")])
    [(0, 1)]
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

_NOT_ALNUM = re.compile(r"[\W_]+")  # everything str.isalnum() rejects


def normalise_for_hash(text: str) -> str:
    """Lower-case, NFKC, no whitespace or punctuation: the text an exact copy shares.

    Example:
        >>> normalise_for_hash("Hello,  World!") == normalise_for_hash("hello world")
        True
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return _NOT_ALNUM.sub("", text)  # same as keeping ch.isalnum() (checked on every code point), ~5x faster


def copy_key(text: str) -> str:
    """SHA-256 of :func:`normalise_for_hash`, or ``""`` when nothing is left (no letters or digits)."""
    key = normalise_for_hash(text)
    return hashlib.sha256(key.encode()).hexdigest() if key else ""


def copy_groups(keys: Sequence[str]) -> dict[str, list[int]]:
    """Positions of every non-empty key, by key, in order."""
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key:  # an empty text copies nothing
            groups.setdefault(key, []).append(i)
    return groups


def copy_pairs(keys: Sequence[str]) -> list[tuple[int, int]]:
    """Sorted pairs (i < j) of positions with the same non-empty key."""
    groups = copy_groups(keys).values()
    return sorted((a, b) for members in groups for k, a in enumerate(members) for b in members[k + 1 :])
