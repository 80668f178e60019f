from __future__ import annotations

import pytest

from dedup.errors import ModelError
from dedup.scoring.cosine_reference import CosineReference, pair_key, script_of, script_pair_key

REF = CosineReference(
    pairs={"en-ja": (0.45, 0.25), "en-ru": (0.65, 0.3)},
    scripts={"Jpan-Latn": (0.5, 0.25), "Cyrl-Latn": (0.6, 0.3)},
    overall=(0.7, 0.3),
)


def test_equal_strength_alignments_of_two_language_pairs_get_equal_levels():
    assert REF.normalise(0.45, "ja", "en") == pytest.approx(1.0)
    assert REF.normalise(0.65, "en", "ru") == pytest.approx(1.0)
    assert REF.normalise(0.35, "ja", "en") == pytest.approx(REF.normalise(0.475, "ru", "en"))


def test_rare_pairs_fall_back_to_their_script_pair_then_overall():
    assert REF.levels("uk", "de") == (0.6, 0.3)
    assert REF.levels("is", "fo") == (0.7, 0.3)


def test_rare_same_language_pairs_fall_back_to_the_same_language_level():
    ref = CosineReference(
        pairs={"en-en": (0.85, 0.1)},
        scripts={"Jpan-Jpan": (0.5, 0.1)},
        overall=(0.6, 0.1),
        same_language=(0.8, 0.1),
    )
    assert ref.levels("ja", "ja") == (0.8, 0.1)  # not the Jpan-Jpan level of translations
    assert ref.levels("en", "en") == (0.85, 0.1)  # a measured pair keeps its own
    assert ref.levels("ja", "zh") == (0.6, 0.1)
    assert REF.levels("is", "is") == (0.7, 0.3)  # no same-language level: the usual fallbacks


def test_cosine_at_inverts_normalise():
    for lang_a, lang_b in (("ja", "en"), ("uk", "de"), ("is", "fo")):
        assert REF.normalise(REF.cosine_at(0.3, lang_a, lang_b), lang_a, lang_b) == pytest.approx(0.3)


def test_keys_do_not_depend_on_order():
    assert pair_key("ja", "en") == pair_key("en", "ja") == "en-ja"
    assert script_pair_key("ja", "en") == "Jpan-Latn"
    assert (script_of("is"), script_of("he"), script_of("hi")) == ("Latn", "Hebr", "Deva")


def test_round_trip_and_malformed_input():
    assert CosineReference.from_dict(REF.to_dict()) == REF
    with_same = CosineReference(pairs={}, scripts={}, overall=(0.7, 0.3), same_language=(0.8, 0.1))
    assert CosineReference.from_dict(with_same.to_dict()) == with_same
    with pytest.raises(ModelError, match="cosine reference"):
        CosineReference.from_dict({"pairs": {}})
