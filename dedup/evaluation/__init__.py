"""Accuracy against labelled data: readers, metrics, and running a scan on a gold set.

``readers`` reads the eval sets' files; ``grouping``, ``reliability``, ``rated_pairs`` and ``bitext``
score predictions against them (pure functions, no model); ``assess`` runs a scan on a gold folder and
scores it, as ``dedup eval``, ``eval-pairs`` and ``eval-bitext`` do.
"""
