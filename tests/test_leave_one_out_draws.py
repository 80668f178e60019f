"""What the pooled leave-one-out benchmark (benchmarks/leave_one_out_draws.py) holds out."""

from __future__ import annotations

from benchmarks.leave_one_out_draws import held_out_sets
from models.calibrate import families


def test_every_language_but_english_is_held_out_alone_and_families_as_the_calibration_holds_them():
    languages = ["uk", "en", "cs", "ja", "de", "zh", "he"]
    held = held_out_sets(languages)
    assert held["language"] == {lang: (lang,) for lang in ["cs", "de", "he", "ja", "uk", "zh"]}
    assert held["script_family"] == families(languages) == {"CJK": ("ja", "zh"), "Latn": ("cs", "de")}
