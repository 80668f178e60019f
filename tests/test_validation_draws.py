"""The validation-draws benchmark's random sources (benchmarks/validation_draws.py), on texts written here."""

from __future__ import annotations

import random

from benchmarks.validation_draws import draw_random
from models.archives import SEED, build_archives

BODY = [
    "The council met on Monday to discuss the budget.",
    "It approved a new bridge across the harbour.",
    "Work is due to start in the spring.",
    "The mayor called it a good day for the town.",
]


def _version(lang: str, role: str, prefix: str) -> dict:
    return {"lang": lang, "role": role, "producer": role, "segments": [f"{prefix}: {s}" for s in BODY]}


def _stories() -> dict[str, list[dict]]:
    return {
        f"wmt:x:doc-{n}": [_version("en", "source", f"Story {n}"), _version("de", "reference", f"Nr. {n}")]
        for n in range(8)
    }


def _texts(rng: random.Random) -> list[str]:
    stories = _stories()
    return sorted(d.text for archive in build_archives(stories, sorted(stories), rng) for d in archive)


def test_draw_zero_is_the_validation_draw_the_calibration_reports_on() -> None:
    assert _texts(draw_random(0)) == _texts(random.Random(SEED + 2))


def test_other_draws_rework_the_same_stories_otherwise() -> None:
    assert _texts(draw_random(1)) == _texts(draw_random(1))
    assert len({tuple(_texts(draw_random(k))) for k in range(3)}) == 3
