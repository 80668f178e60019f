"""The ``dedup`` command line."""

from __future__ import annotations

from dedup.cli.app import app

__all__ = ["app"]
