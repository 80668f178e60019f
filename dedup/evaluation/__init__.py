"""Accuracy against labelled data: readers, metrics, and running a scan on a gold set."""
