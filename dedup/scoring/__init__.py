"""Pair scoring: centring, sentence alignment, features, calibration and clustering."""
