"""dedup: find copies, near-duplicates and translations among news articles."""

from __future__ import annotations
