"""The validation-draws benchmark's random sources (benchmarks/validation_draws.py), on texts written here."""

from __future__ import annotations

import random
from pathlib import Path

from benchmarks.validation_draws import draw_random
from models.archives import OTHER_FACTS_SHARE, SEED, build_archives

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


def test_a_draw_count_is_a_whole_number_of_at_least_one():
    import argparse

    import pytest

    from benchmarks.validation_draws import draw_count, draws_parser

    assert draw_count("3") == 3
    for bad in ("0", "-1", "2.5", "two"):
        with pytest.raises(argparse.ArgumentTypeError):
            draw_count(bad)
    with pytest.raises(SystemExit):
        draws_parser("x", Path("out.json")).parse_args(["--draws", "0"])


def test_a_validation_draw_is_the_recipe_run_with_that_draws_random_source():
    from benchmarks.validation_draws import validation_draw

    stories = _stories()
    drawn = validation_draw(stories, sorted(stories), 1)
    assert [d.text for a in drawn for d in a] == [
        d.text
        for a in build_archives(stories, sorted(stories), draw_random(1), other_facts_share=OTHER_FACTS_SHARE)
        for d in a
    ]
