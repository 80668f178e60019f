"""Language identification: py3langid for breadth, langdetect and a Nordic resolver for nb/nn/da/sv.

The broad decision is py3langid's (139 languages, among them Icelandic, Faroese, Basque,
Serbian and Northern Sami, which langdetect's 55 profiles lack), restricted to the
languages that have an ISO 639-1 code. When its guess is in the Scandinavian family (or
the family holds a fair share of its probability), a small transparent scorer decides
between ``nb``, ``nn``, ``da`` and ``sv`` from function words and spelling
(:func:`nordic_scores`) together with langdetect's posterior, as before. Two languages
no packaged detector knows are recognised by their letters: Sakha (``sah``, Cyrillic
with ``ҕ``/``ҥ``, or with ``һ`` and none of the letters Kazakh, Tatar, Bashkir and Kalmyk write
beside it) and Livonian (``liv``, Latin with both ``õ`` and Latvian-style long
or palatal letters). Codes are ISO 639-1, or ISO 639-3 for those two; ``und`` means
undetermined. Norwegian is never reported as ``no``.

A text with fewer than :data:`MIN_LETTERS` letter units is too short to judge and gets
``und`` ("Hi.", "secret", "abc"); a CJK or Hangul character counts as
:data:`DENSE_SCRIPT_WEIGHT` letters, since one such character carries about as much as a
short word's worth of alphabetic letters.

Every :class:`LanguageDetector` builds its own py3langid identifier and its own
langdetect ``DetectorFactory`` (bundled profiles, loaded in sorted order and seeded from
``seed``), so results do not depend on module state, on other detectors or on the
process. py3langid is deterministic (naive Bayes over byte n-grams); langdetect's
sampling is what the seed fixes.

Example:
    >>> from dedup.text.langid import LanguageDetector, to_iso639_1
    >>> detector = LanguageDetector(seed=0)
    >>> detector.detect("Eg veit ikkje kva ho heiter, men ho bur i Bergen.")
    'nn'
    >>> detector.detect("Veðrið var gott í Reykjavík í gær og margir fóru í sund.")
    'is'
    >>> detector.detect("1234 5678"), detector.detect("Hi.")
    ('und', 'und')
    >>> to_iso639_1("nob")
    'nb'
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dedup.text.nordic import NORDIC, nordic_scores
from dedup.text.scripts import (
    DENSE_SCRIPT_WEIGHT,
    WORD,
    letter_counts,
    letter_units,
    main_script,
    script_counts,
    script_of_lang,
    word_share,
)

if TYPE_CHECKING:
    from langdetect.detector_factory import DetectorFactory
    from py3langid.langid import LanguageIdentifier

__all__ = [
    "LanguageDetector",
    "ISO639_3_TO_1",
    "to_iso639_1",
    "nordic_scores",
    "UNDETERMINED",
    "MIN_LETTERS",
    "DENSE_SCRIPT_WEIGHT",
]

UNDETERMINED = "und"

ISO639_3_TO_1: dict[str, str] = {
    "afr": "af", "amh": "am", "ara": "ar", "arb": "ar", "aze": "az", "bel": "be", "ben": "bn",
    "bos": "bs", "bul": "bg", "cat": "ca", "ces": "cs", "cym": "cy", "dan": "da", "deu": "de",
    "ell": "el", "eng": "en", "est": "et", "eus": "eu", "fao": "fo", "fas": "fa", "pes": "fa",
    "fin": "fi", "fra": "fr", "gle": "ga", "glg": "gl", "guj": "gu", "heb": "he", "hin": "hi",
    "hrv": "hr", "hun": "hu", "hye": "hy", "ind": "id", "isl": "is", "ita": "it", "jpn": "ja",
    "kat": "ka", "kaz": "kk", "kan": "kn", "kor": "ko", "lav": "lv", "lit": "lt", "mal": "ml",
    "mar": "mr", "mkd": "mk", "mlt": "mt", "msa": "ms", "zsm": "ms", "mya": "my", "nep": "ne",
    "nld": "nl", "nno": "nn", "nob": "nb", "nor": "nb", "pan": "pa", "pol": "pl", "por": "pt",
    "ron": "ro", "rus": "ru", "sin": "si", "slk": "sk", "slv": "sl", "som": "so", "spa": "es",
    "sqi": "sq", "als": "sq", "srp": "sr", "swa": "sw", "swh": "sw", "swe": "sv", "tam": "ta",
    "tel": "te", "tgl": "tl", "tha": "th", "tur": "tr", "ukr": "uk", "urd": "ur", "uzb": "uz",
    "vie": "vi", "zho": "zh", "cmn": "zh", "yue": "zh", "sme": "se",
}  # fmt: skip

# Languages reported with their ISO 639-3 code because they have no ISO 639-1 code.
_NO_639_1 = frozenset({"liv", "sah"})

# A text needs this many letter units to be judged; below it the answer is ``und``.
MIN_LETTERS = 10
"""Minimum letter units of a text :meth:`LanguageDetector.detect` judges (fewer: ``und``)."""

_NORDIC_LANGDETECT = frozenset({"no", "da", "sv", "nn", "nb"})
# Scandinavian probability mass (py3langid, or langdetect inside the resolver) above which
# the Nordic resolver is asked.
_NORDIC_MASS = 0.2
# py3langid cannot tell Croatian from Bosnian and Latin-script Serbian (one pluricentric
# language; its WMT Croatian documents went to bs 5 % of the time, sentences 25 %). In Latin
# script the three are reported as ``hr``, as langdetect (which only knows hr) did; Serbian
# in Cyrillic stays ``sr``.
_LATIN_FOLD = {"bs": "hr", "sr": "hr"}
# Sakha: Cyrillic with ҕ or ҥ (used by no language py3langid knows), and >= 10 % of the words
# with one of Sakha's extra letters ҕ ҥ һ ө ү (a quoted Sakha name in a Russian text stays Russian).
_SAKHA_MARKS = frozenset("ҕҥ")
_SAKHA_LETTERS = frozenset("ҕҥһөү")
_SAKHA_SHARE = 0.1
# A Sakha sentence without ҕ or ҥ is still told by its һ, which Kyrgyz and Mongolian do not write,
# when it has none of the letters the other Cyrillic languages with һ write beside it (Kazakh ә ғ қ
# ң ұ і, Tatar ә җ ң, Bashkir ә ғ ҙ ҡ ң ҫ, Kalmyk ә җ ң). Buryat (һ ө ү only) would pass too;
# no detector here knows it.
_SAKHA_H = "һ"
_OTHER_H_LANGUAGE_LETTERS = frozenset("әғқңұіҗҙҡҫ")
# Livonian: words with Estonian-style õ *and* words with Latvian-style long or palatal letters,
# each >= 10 % of the words (Estonian has no macrons, Latvian no õ).
_LIVONIAN_OTILDE = frozenset("õ")
_LIVONIAN_LONG = frozenset("āēīōūļņțḑŗǟȯȱǭ")
_LIVONIAN_SHARE = 0.1
# Inside a Sakha or Livonian document (languages py3langid does not know), a sentence in the same
# script with one of the language's extra letters keeps the document language.
_OWN_LETTERS = {"sah": _SAKHA_LETTERS, "liv": _LIVONIAN_OTILDE | _LIVONIAN_LONG}
# Weight of langdetect's probability next to the marker counts in the Nordic resolver.
_LANGDETECT_WEIGHT = 0.6
# Sentences with fewer letters than this lean on the document language.
_SHORT_LETTERS = 40
# Below this top probability a (long) sentence gets the document language.
_MIN_CONFIDENCE = 0.8
# A short Nordic sentence leaves the (Nordic) document language only with this lead in marker score.
_CLEAR_NORDIC_MARGIN = 2.0


def to_iso639_1(code: str) -> str:
    """Map an ISO 639-3 (or 639-1, or langdetect) code to ISO 639-1.

    ``nor``/``no`` become ``nb`` (bokmål, the common written form); ``zh-cn``/``zh-tw``
    become ``zh``; ``liv`` and ``sah``, which have no two-letter code, stay as they are; an
    unknown code gives ``und``.

    Args:
        code: A language code such as ``"nob"``, ``"eng"``, ``"en"`` or ``"zh-cn"``.

    Returns:
        A two-letter ISO 639-1 code, ``"liv"``, ``"sah"``, or ``"und"``.

    Example:
        >>> [to_iso639_1(c) for c in ("eng", "nno", "swe", "zh-tw", "no", "sah", "xyz")]
        ['en', 'nn', 'sv', 'zh', 'nb', 'sah', 'und']
    """
    code = code.strip().lower().replace("_", "-")
    if code in ("no", "nor"):
        return "nb"
    base = code.split("-")[0]
    if base in _NO_639_1:
        return base
    if len(base) == 2 and base.isalpha():
        return base
    return ISO639_3_TO_1.get(base, UNDETERMINED)


class LanguageDetector:
    """Seeded language detector; no global state.

    Args:
        seed: Seed of langdetect's sampling (>= 0), used inside the Nordic resolver. The
            same seed gives the same answers in every process.

    Example:
        >>> det = LanguageDetector()
        >>> det.detect("The government announced new measures on Tuesday.")
        'en'
        >>> det.detect_sentences(["Regjeringen la fram budsjettet i dag.", "Ok."], doc_lang="nb")
        ['nb', 'nb']
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._factory: DetectorFactory | None = None
        self._identifier: LanguageIdentifier | None = None

    def __repr__(self) -> str:
        return f"LanguageDetector(seed={self.seed!r})"

    # -- public API ---------------------------------------------------------------------------

    def detect(self, text: str) -> str:
        """Return the language code of ``text``, or ``und``.

        Args:
            text: Any text. With fewer than :data:`MIN_LETTERS` letter units (CJK and
                Hangul characters count :data:`DENSE_SCRIPT_WEIGHT` each) the answer is
                ``und``.

        Returns:
            An ISO 639-1 code such as ``en``, ``is``, ``nb``, ``nn``, ``zh`` (never ``no``),
            ``liv`` or ``sah`` (no two-letter code exists), or ``und``.

        Example:
            >>> LanguageDetector().detect("Hvad sagde hun til dig i går?")
            'da'
            >>> LanguageDetector().detect("secret")
            'und'
        """
        lang, _ = self._detect(text)
        return lang

    def languages(self) -> list[str]:
        """Every code :meth:`detect` can return for a text long enough to judge (``und`` aside).

        py3langid's languages as ISO 639-1 codes (Bosnian is reported as ``hr``, see the module
        notes), plus ``sah`` and ``liv``, which are recognised by their letters.

        Example:
            >>> langs = LanguageDetector().languages()
            >>> {"en", "is", "eu", "sah", "nb"} <= set(langs), "bs" in langs, "und" in langs
            (True, False, False)
        """
        broad = {to_iso639_1(code) for code in self._get_identifier().nb_classes}
        return sorted((broad | set(_OWN_LETTERS)) - {"bs", "zxx", UNDETERMINED})

    def detect_sentences(self, sentences: Sequence[str], doc_lang: str) -> list[str]:
        """Detect the language of each sentence, with the document language as prior.

        A short sentence (fewer than 40 letters) gets ``doc_lang`` unless another
        language is clearly more probable: it is written in another script, or, when
        both are Nordic, another Nordic language leads by >= 2 marker points
        (:func:`nordic_scores`). A longer sentence gets its own language unless the
        detector is unsure (top probability < 0.8). Inside the Nordic family the
        document language gets a 2-point head start in the vote. A sentence with no
        letters, or too few to judge, gets ``doc_lang``.

        Args:
            sentences: Sentences of one document.
            doc_lang: Code of the document (from :meth:`detect`); ``und`` means no prior.

        Returns:
            One code (or ``und``) per sentence.

        Example:
            >>> LanguageDetector().detect_sentences(["Hei!", "Я не знаю, где он живёт."], doc_lang="nn")
            ['nn', 'ru']
        """
        doc_lang = to_iso639_1(doc_lang) if doc_lang != UNDETERMINED else UNDETERMINED
        return [self._detect_with_prior(s, doc_lang) for s in sentences]

    def probabilities(self, text: str) -> dict[str, float]:
        """Return langdetect's posterior over its languages (codes as langdetect spells them).

        langdetect is the second opinion inside the Nordic resolver; the broad decision is
        py3langid's (:meth:`broad_probabilities`).

        Args:
            text: Any text.

        Returns:
            ``{code: probability}`` with every probability > 0.001, or ``{}`` when the
            text has no usable features.

        Example:
            >>> p = LanguageDetector().probabilities("Das ist ein Haus.")
            >>> max(p, key=p.get)
            'de'
        """
        from langdetect.lang_detect_exception import LangDetectException

        if not WORD.search(text):
            return {}
        detector = self._get_factory().create()
        detector.append(text)
        try:
            detector.get_probabilities()
        except LangDetectException:
            return {}
        if detector.langprob is None:
            return {}
        return {
            lang: float(p) for lang, p in zip(detector.langlist, detector.langprob, strict=True) if p > 1e-3
        }

    def broad_probabilities(self, text: str) -> dict[str, float]:
        """Return py3langid's posterior over the languages that have an ISO 639-1 code.

        py3langid's ``no`` is reported as ``nb``; ``zxx`` (no linguistic content) is kept.

        Args:
            text: Any text.

        Returns:
            ``{code: probability}`` with every probability > 0.001, or ``{}`` when the
            text has no letters.

        Example:
            >>> p = LanguageDetector().broad_probabilities("Kaixo, zer moduz zaude gaur goizean?")
            >>> max(p, key=p.get)
            'eu'
        """
        if not WORD.search(text):
            return {}
        probs: dict[str, float] = {}
        for lang, p in self._get_identifier().rank(text):
            if p > 1e-3:
                code = "nb" if lang == "no" else lang
                probs[code] = probs.get(code, 0.0) + float(p)
        return probs

    # -- internals --------------------------------------------------------------------------

    def _get_factory(self) -> DetectorFactory:
        if self._factory is None:
            from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

            profiles = []
            for name in sorted(os.listdir(PROFILES_DIRECTORY)):
                path = os.path.join(PROFILES_DIRECTORY, name)
                if not name.startswith(".") and os.path.isfile(path):
                    with open(path, encoding="utf-8") as f:
                        profiles.append(f.read())
            factory = DetectorFactory()
            factory.load_json_profile(profiles)
            factory.set_seed(self.seed)
            self._factory = factory
        return self._factory

    def _get_identifier(self) -> LanguageIdentifier:
        if self._identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            keep = sorted(lang for lang in identifier.labels if len(lang) == 2 or lang == "zxx")
            identifier.set_languages(keep)
            self._identifier = identifier
        return self._identifier

    def _detect(self, text: str, prior: str = UNDETERMINED) -> tuple[str, float]:
        """Return ``(code, probability)``; the probability is py3langid's, summed over a family."""
        letters = letter_counts(text)
        scripts = script_counts(letters)
        if letter_units(scripts) < MIN_LETTERS:
            return UNDETERMINED, 0.0
        probs = self._plausible_probabilities(text, letters, scripts)
        if not probs:
            return UNDETERMINED, 0.0
        top = max(probs, key=probs.__getitem__)
        if top == "zxx":
            return UNDETERMINED, 0.0
        nordic_mass = sum(probs.get(lang, 0.0) for lang in NORDIC)
        if top in NORDIC or nordic_mass >= _NORDIC_MASS:
            lang = self._resolve_nordic(text, self.probabilities(text), prior)
            return lang, nordic_mass
        return to_iso639_1(top), probs[top]

    def _plausible_probabilities(
        self, text: str, letters: Counter[str], scripts: dict[str, int]
    ) -> dict[str, float]:
        """py3langid's posterior, made consistent with the script, plus Sakha and Livonian by letter.

        ``letters`` counts the letters of ``text``; ``scripts`` is :func:`script_counts` of them.
        """
        n_letters = sum(scripts.values())
        kana = scripts.get("kana", 0)
        if scripts.get("hangul", 0) >= 0.3 * n_letters:
            return {"ko": 1.0}
        if kana and kana >= 0.05 * n_letters:
            return {"ja": 1.0}
        if scripts.get("cjk", 0) >= 0.5 * n_letters:
            return {"zh": 1.0}
        script = main_script(scripts)
        if script == "cyrillic" and _looks_sakha(text, letters):
            return {"sah": 1.0}
        if script == "latin" and letters["õ"]:
            if min(word_share(text, _LIVONIAN_OTILDE), word_share(text, _LIVONIAN_LONG)) >= _LIVONIAN_SHARE:
                return {"liv": 1.0}
        probs = self.broad_probabilities(text)
        probs.pop("ko", None)
        if script == "latin":
            for lang, into in _LATIN_FOLD.items():
                if lang in probs:
                    probs[into] = probs.get(into, 0.0) + probs.pop(lang)
        return probs

    def _resolve_nordic(
        self, text: str, probs: dict[str, float], prior: str, prior_bonus: float = 0.0
    ) -> str:
        """Pick nb, nn, da or sv from marker scores plus langdetect's posterior ``probs``."""
        scores = nordic_scores(text)
        for lang in NORDIC:
            ld = probs.get("no", 0.0) if lang in ("nb", "nn") else probs.get(lang, 0.0)
            scores[lang] += _LANGDETECT_WEIGHT * ld
        if prior in scores:
            scores[prior] += prior_bonus
        # Ties go to the order nb, da, sv, nn (bokmål is the most common written Norwegian).
        order = {"nb": 0, "da": 1, "sv": 2, "nn": 3}
        return max(NORDIC, key=lambda lang: (round(scores[lang], 6), -order[lang]))

    def _detect_with_prior(self, sentence: str, doc_lang: str) -> str:
        if doc_lang == UNDETERMINED:
            return self.detect(sentence)
        letters = letter_counts(sentence)
        scripts = script_counts(letters)
        if letter_units(scripts) < MIN_LETTERS:
            return doc_lang
        if main_script(scripts) != script_of_lang(doc_lang):
            return self.detect(sentence)
        if doc_lang in _OWN_LETTERS and any(letters[ch] for ch in _OWN_LETTERS[doc_lang]):
            return doc_lang
        probs = self._plausible_probabilities(sentence, letters, scripts)
        if not probs:
            return doc_lang
        top = max(probs, key=probs.__getitem__)
        short = letters.total() < _SHORT_LETTERS
        nordic_mass = sum(probs.get(lang, 0.0) for lang in NORDIC)
        if doc_lang in NORDIC and (top in NORDIC or nordic_mass >= _NORDIC_MASS):
            scores = nordic_scores(sentence)
            ld = self.probabilities(sentence)
            best = self._resolve_nordic(sentence, ld, doc_lang, prior_bonus=_CLEAR_NORDIC_MARGIN)
            if best != doc_lang and short and scores[best] - scores[doc_lang] < _CLEAR_NORDIC_MARGIN:
                return doc_lang
            return best
        own = UNDETERMINED if top == "zxx" else to_iso639_1(top)
        if own in (doc_lang, UNDETERMINED):
            return doc_lang
        if short:
            # Detectors are often confidently wrong on a few words ("I'm scared of spiders." -> cy
            # for langdetect), so their probability is no evidence here; only script or Nordic
            # markers override the prior.
            return doc_lang
        return own if probs[top] >= _MIN_CONFIDENCE else doc_lang


def _looks_sakha(text: str, letters: Counter[str]) -> bool:
    """Whether a Cyrillic text is Sakha by its letters: ``ҕ`` or ``ҥ``, or ``һ`` without a letter of
    the other Cyrillic languages that write ``һ``; and at least ``_SAKHA_SHARE`` of its words hold
    one of Sakha's extra letters (a quoted Sakha name in a Russian text stays Russian).

    ``letters``: :func:`letter_counts` of ``text``.
    """
    lower = {ch.lower() for ch in letters}
    marked = not lower.isdisjoint(_SAKHA_MARKS) or (
        _SAKHA_H in lower and lower.isdisjoint(_OTHER_H_LANGUAGE_LETTERS)
    )
    return marked and word_share(text, _SAKHA_LETTERS) >= _SAKHA_SHARE
