"""Runners that execute the stages: local, Ray, and against an archive index."""
