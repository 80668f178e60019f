"""Exception hierarchy of dedup.

Every error the library raises on purpose derives from :class:`DedupError`; the
subclasses that correspond to a built-in also inherit it, so code that only knows
``ValueError`` still catches a bad parameter (the scikit-learn convention).

Example:
    >>> from dedup.errors import InvalidParameterError
    >>> isinstance(InvalidParameterError("x"), ValueError)
    True
"""

from __future__ import annotations


class DedupError(Exception):
    """Base class of every error dedup raises on purpose."""


class InvalidParameterError(DedupError, ValueError):
    """A parameter is outside its documented range or of the wrong type."""


class InputError(DedupError):
    """The input path is missing, not a folder, or holds nothing readable."""


class ModelError(DedupError):
    """The offline model is missing, corrupt, or fails verification."""


class OutputError(DedupError):
    """The output location cannot be written."""


class IndexMismatchError(DedupError):
    """An index was built with another model or embedding dimension."""
