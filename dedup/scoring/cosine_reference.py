"""Alignment cosines on one scale for every language pair.

The same model gives a Russian sentence and its English translation a centred cosine around
0.6, and a Japanese sentence and its translation one nearer 0.45, while unrelated sentences
sit near 0.3 in both. One cosine threshold, and one calibration over raw cosines, therefore
under-rate the weaker pairs. A :class:`CosineReference` holds, per language pair, two
reference levels measured on the calibration's training corpus: the typical cosine of a
sentence and its translation (``translation``) and the typical best cosine of a sentence to
an unrelated article in the other language (``unrelated``). :meth:`CosineReference.normalise`
maps a cosine onto that pair's scale (0 = unrelated level, 1 = translation level), so a
Japanese-English alignment and a Russian-English one of equal strength count the same.

Rare pairs fall back to their script pair (``Cyrl-Latn``, ``Jpan-Latn``), then to the global
levels, so a language nobody measured is still placed by its writing system. A rare
*same-language* pair (two Japanese articles) falls back to the level of all same-language pairs
together instead: a re-edited copy in one language sits far closer to its original (centred
cosine near 0.8) than a translation does, and on a translation's scale two same-topic Japanese
articles sharing a name look like a near-duplicate.

Example:
    >>> ref = CosineReference(pairs={"en-ja": (0.45, 0.25)}, scripts={"Cyrl-Latn": (0.6, 0.3)},
    ...                       overall=(0.65, 0.3))
    >>> round(ref.normalise(0.45, "ja", "en"), 3), round(ref.normalise(0.6, "ru", "en"), 3)
    (1.0, 1.0)
    >>> ref.levels("xx", "yy")
    (0.65, 0.3)
    >>> ref = CosineReference(pairs={}, scripts={}, overall=(0.65, 0.3), same_language=(0.8, 0.3))
    >>> ref.levels("ja", "ja"), ref.levels("ja", "en")
    ((0.8, 0.3), (0.65, 0.3))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dedup.errors import ModelError

# ISO 639-1 (and a few 639-3) codes by writing system; anything else is taken to be Latin.
_SCRIPTS: dict[str, tuple[str, ...]] = {
    "Cyrl": ("ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "tg", "mn", "sah", "ba", "tt", "cv"),
    "Jpan": ("ja",),
    "Hani": ("zh", "yue", "wuu"),
    "Hang": ("ko",),
    "Hebr": ("he", "yi"),
    "Arab": ("ar", "fa", "ur", "ps", "ug", "ckb", "sd"),
    "Deva": ("hi", "mr", "ne", "sa", "bho", "mai"),
    "Beng": ("bn", "as"),
    "Grek": ("el",),
    "Thai": ("th",),
    "Geor": ("ka",),
    "Armn": ("hy",),
    "Taml": ("ta",),
    "Telu": ("te",),
    "Knda": ("kn",),
    "Mlym": ("ml",),
    "Gujr": ("gu",),
    "Guru": ("pa",),
    "Sinh": ("si",),
    "Khmr": ("km",),
    "Laoo": ("lo",),
    "Mymr": ("my",),
    "Ethi": ("am", "ti"),
}
SCRIPT_OF: dict[str, str] = {lang: script for script, langs in _SCRIPTS.items() for lang in langs}


def script_of(lang: str) -> str:
    """The writing system of a language code (ISO 15924); ``Latn`` when not listed.

    Example:
        >>> script_of("uk"), script_of("is"), script_of("ja")
        ('Cyrl', 'Latn', 'Jpan')
    """
    return SCRIPT_OF.get(lang, "Latn")


def pair_key(lang_a: str, lang_b: str) -> str:
    """Order-free key of a language pair: ``en-ja`` for (ja, en)."""
    return "-".join(sorted((lang_a, lang_b)))


def script_pair_key(lang_a: str, lang_b: str) -> str:
    """Order-free key of the two languages' writing systems: ``Jpan-Latn`` for (ja, en)."""
    return "-".join(sorted((script_of(lang_a), script_of(lang_b))))


@dataclass(frozen=True)
class CosineReference:
    """Per language pair (then script pair, then overall): (translation, unrelated) cosine levels.

    Attributes:
        pairs: ``pair_key -> (translation, unrelated)``, for pairs measured often enough.
        scripts: ``script_pair_key -> (translation, unrelated)``.
        overall: Levels over all pairs.
        same_language: Levels over all same-language pairs, the fallback of a same-language pair
            not in ``pairs`` (``None``: such a pair falls back like any other).
        counts: How many sentence pairs each entry was measured on (for the record).
        from_input: Pairs whose levels were measured on the scan's own input
            (:mod:`dedup.scoring.input_levels`), with the sentence matches behind each; empty in a
            shipped reference, never saved.
    """

    pairs: dict[str, tuple[float, float]]
    scripts: dict[str, tuple[float, float]]
    overall: tuple[float, float]
    counts: dict[str, int] = field(default_factory=dict)
    from_input: dict[str, int] = field(default_factory=dict)
    same_language: tuple[float, float] | None = None

    def levels(self, lang_a: str, lang_b: str) -> tuple[float, float]:
        """(translation, unrelated) cosine levels of a language pair, with fallbacks."""
        key = pair_key(lang_a, lang_b)
        if key in self.pairs:
            return self.pairs[key]
        if lang_a == lang_b and self.same_language is not None:
            return self.same_language
        return self.scripts.get(script_pair_key(lang_a, lang_b), self.overall)

    def normalise(self, cosine: float, lang_a: str, lang_b: str) -> float:
        """A cosine on the pair's scale: 0 at the unrelated level, 1 at the translation level."""
        translation, unrelated = self.levels(lang_a, lang_b)
        return (cosine - unrelated) / max(translation - unrelated, 1e-6)

    def cosine_at(self, level: float, lang_a: str, lang_b: str) -> float:
        """The raw cosine that :meth:`normalise` maps to ``level`` for this pair."""
        translation, unrelated = self.levels(lang_a, lang_b)
        return unrelated + level * (translation - unrelated)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "pairs": {k: [round(v[0], 6), round(v[1], 6)] for k, v in sorted(self.pairs.items())},
            "scripts": {k: [round(v[0], 6), round(v[1], 6)] for k, v in sorted(self.scripts.items())},
            "overall": [round(self.overall[0], 6), round(self.overall[1], 6)],
            "counts": dict(sorted(self.counts.items())),
        }
        if self.same_language is not None:
            d["same_language"] = [round(self.same_language[0], 6), round(self.same_language[1], 6)]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CosineReference:
        try:
            same = d.get("same_language")
            return cls(
                pairs={k: (float(v[0]), float(v[1])) for k, v in d["pairs"].items()},
                scripts={k: (float(v[0]), float(v[1])) for k, v in d["scripts"].items()},
                overall=(float(d["overall"][0]), float(d["overall"][1])),
                counts={k: int(v) for k, v in d.get("counts", {}).items()},
                same_language=None if same is None else (float(same[0]), float(same[1])),
            )
        except (AttributeError, KeyError, TypeError, ValueError, IndexError) as err:
            raise ModelError(f"malformed cosine reference in the calibration file: {err!r}.") from err
