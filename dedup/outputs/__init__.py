"""Outputs built from a scan: the HTML report and the archive manifest."""
