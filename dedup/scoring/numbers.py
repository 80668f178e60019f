"""The figures of a sentence, read so a translation's figures meet the original's.

Two articles written on one template (two earnings reports, two match reports) align sentence by
sentence; only their figures tell them apart. A translation keeps its figures, but writes them its
own way: other separators, other digits, a 24-hour clock, kilometres for miles, an era year.
:func:`number_keys` reads what is written, :func:`number_equivalents` what a translator may have
written instead, :func:`score_pairs` the scores and ranges written as two numbers ("2-1", "3:1",
"10–15"), and :func:`number_checks` counts aligned sentence pairs that agree or conflict.

Example:
    >>> from dedup.scoring.numbers import number_checks
    >>> number_checks([("The line runs 130 miles.", "Linjen er 210 km lang.")])
    (1, 0)
    >>> number_checks([("High of 75°F today.", "High of 68°F today.")])
    (0, 1)
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

# A number as written: digit groups joined by thousands separators (".", ",", "'", spaces before three
# digits), then an optional decimal part or minutes ("3,5", "09:30", "9.30").
_NUMBER = re.compile(r"\d+(?:[.,'\u00a0\u202f ]\d{3})*(?:[.,:]\d+)?")

# A score or range: two numbers of one or two digits joined by a colon, a dash or the CJK "to" of a
# score ("2-1", "3:1", "10–15", "3比1", "2対0", "1대0"), not part of a longer run of figures (a date
# "13-6-2022", a year span "2020-21").
_SCORE = re.compile(
    r"(?<![\d.,:\u2013-])(\d{1,2})\s?(?:[:\u2013-]|比|対|對|대)\s?(\d{1,2})(?![\d]|[.,:\u2013-]\d)"
)

# An afternoon time on a 12-hour clock: "1 pm", "5.30pm", "7:15 p.m.".
_PM_TIME = re.compile(r"\b(\d{1,2})(?:[.:](\d{2}))?\s?p\.?\s?m\b\.?", re.IGNORECASE)

# A time written the French way: "23 h 15", "9h30".
_H_TIME = re.compile(r"\b(\d{1,2})\s?h\s?(\d{2})\b")

# A date written as digits with a two- or four-digit year: "13.6.22", "13/06/2022", "6-13-22".
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})\b")

# A day and month without a year, written the Central European and Nordic way with a full stop after
# each ("am 19.07.", "1.5. klo 12"): a translation writes them as two numbers ("le 19/07").
_DAY_MONTH = re.compile(r"(?<![\d.,])(\d{1,2})\.(\d{1,2})\.(?!\d)")

# A quantity in an imperial unit (an English text's number), with the factor to the metric unit a
# translation gives; the longer unit names come first so "square miles" is not read as miles.
_IMPERIAL_FACTORS: tuple[tuple[str, float], ...] = (
    (r"(?:square|sq\.?)\s?miles?", 2.589988),
    (r"(?:square|sq\.?)\s?(?:yards?|yds?)", 0.8361274),
    (r"(?:square|sq\.?)\s?(?:feet|foot|ft)", 0.09290304),
    (r"miles?|mi|mph", 1.609344),
    (r"feet|foot|ft", 0.3048),
    (r"inch(?:es)?", 2.54),
    (r"yards?|yds?", 0.9144),
    (r"pounds?|lbs?", 0.4535924),
    (r"ounces?|oz", 28.34952),
    (r"gallons?", 3.785412),
    (r"acres?", 0.4046856),
)
_QUANTITY = r"(\d+(?:,\d{3})*(?:\.\d+)?)[\s\u00a0-]?"
_IMPERIAL = [(re.compile(_QUANTITY + rf"(?:{unit})\b", re.IGNORECASE), f) for unit, f in _IMPERIAL_FACTORS]
_FAHRENHEIT = re.compile(
    r"(?:(?<!\d)([-\u2212]))?" + _QUANTITY + r"(?:°\s?F\b|degrees? Fahrenheit|Fahrenheit)", re.IGNORECASE
)

# Japanese era years and the Minguo (Republic of China) calendar: the year before the era's first.
_ERA_YEAR = re.compile(r"(令和|平成|昭和|民國|民国)\s?(\d{1,3}|元)\s?年")
_ERA_BASE = {"令和": 2018, "平成": 1988, "昭和": 1925, "民國": 1911, "民国": 1911}


# A century by its number ("16th century", "16. Jahrhundert", "16世纪", "abad ke-16"): its years are
# written (N - 1) * 100 elsewhere ("1500-talet", "the 1500s"). Roman numerals are not read.
_CENTURY_WORDS = (
    r"century|centuries|siècles?|siglos?|séculos?|secol[oi]|jahrhunderts?|eeuw|århundre(?:de|t|det)?|"
    r"århundradet|vuosisa\w*|wiek\w*|stolet\w*|век\w*|столітт\w*|yüzyıl\w*|öld|aldar|世纪|世紀|세기|"
    r"सदी|शताब्दी"
)
_CENTURY_AFTER = re.compile(
    rf"(?<![\d.,])(\d{{1,2}})(?:st|nd|rd|th|e|er|ème|º|\.|-?(?:й|го|м))?\s?(?:{_CENTURY_WORDS})",
    re.IGNORECASE,
)
_CENTURY_BEFORE = re.compile(r"(?:abad\s?ke-?|ศตวรรษที่\s?|القرن\s?)(\d{1,2})(?!\d)", re.IGNORECASE)

# A decade in two digits ("the '70s", "70er-Jahre", "70年代", "años 70") is the years of the decade
# ("1970s", "décadas de 1970"); Icelandic counts decades by ordinal ("8. áratugnum": the 1970s).
_SHORT_DECADE = re.compile(
    r"(?<![\d.,])'?([1-9]0)(?:s\b|'s\b|er\b|er-|年代|-[ех]\b|'l[ae]r|-lu[kv]\w*|-tal(?:et|let)\b|-an\b)",
    re.IGNORECASE,
)
_DECADE_AFTER_WORD = re.compile(r"(?:años|anos|anni|années|lata)\s'?([1-9]0)(?![\d])", re.IGNORECASE)
_ORDINAL_DECADE = re.compile(r"(?<![\d.,])([1-9]|10)\.\s?áratug", re.IGNORECASE)

# A decade within a century, the Chinese and Japanese way: "19世纪80年代" is the 1880s.
_CENTURY_DECADE = re.compile(r"(?<![\d.,])(\d{1,2})\s?(?:世纪|世紀)\s?(\d0)\s?年代")

# A year in two digits, as Japanese newspapers shorten the years of this century ("２０年度", FY 2020).
_TWO_DIGIT_YEAR = re.compile(r"(?<![\d.,])(\d{2})\s?年(?!代)")

# A decimal written with the Japanese middle dot, as Japanese newspapers write it ("２・５メートル", 2.5 m);
# the dot also joins an enumeration ("１・２月", January and February), so this is only an equivalent.
_MIDDLE_DOT_DECIMAL = re.compile(r"(?<![\d.,・･])(\d+)\s?[・･]\s?(\d+)(?![\d・･])")

# A large number written in East Asian myriads: "1101億9400万" (110,194,000,000), "3万5000", "73억 7700만".
# Its written keys are its pieces ("1101", "94"); a translation writes the whole ("1101.94亿", "110.194
# billion"), so the whole is an equivalent.
_MYRIADS = re.compile(
    r"(?<![\d.,])(\d{1,4})\s?[億亿억]\s?(?:(\d{1,4})\s?[万萬만])?|(?<![\d.,])(\d{1,4})\s?[万萬만]\s?(\d{1,4})(?![\d.,])"
)


def number_keys(text: str) -> frozenset[str]:
    """The numbers of a text, each reduced to its significant digits, so a translation's numbers meet
    the original's however it writes them: separators dropped ("1,5" and "1.5", "40 000" and
    "40,000", "09:30" and "9.30"), leading and trailing zeros dropped (40 million and 4000万 are both
    "4"), any script's digits read as 0-9. A time written with a colon is one figure ("09:30" meets
    "9.30"); a score or range written with a dash is left to :func:`score_pairs`, so its two
    numbers do not meet another text's one by one (a 2-1 win is not a 3-1 win).

    Example:
        >>> sorted(number_keys("It costs 1,500 euros (3.5 %) from 2029."))
        ['15', '2029', '35']
        >>> number_keys("Det koster 1 500 euro.") == number_keys("费用为１５００欧元。")
        True
        >>> sorted(number_keys("Kick-off at 20:45, final score 2-1."))
        ['2045']
    """
    return _read_figures(text)[0]


def score_pairs(text: str) -> frozenset[tuple[str, str]]:
    """The scores and ranges of a text: two numbers of one or two digits joined by a colon, a dash or
    a CJK score's 比, 対 or 대, each pair in ascending order, so "2:1", "2-1" and "1–2" (a result told
    from the loser's side) are one score.

    Example:
        >>> sorted(score_pairs("Brann won 2-1; the first leg ended 0:0, crowds of 10–15 thousand."))
        [('0', '0'), ('1', '2'), ('10', '15')]
        >>> score_pairs("Dated 13-6-2022, the 2020-21 season.")
        frozenset()
    """
    return _read_figures(text)[1]


def _read_figures(text: str) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """(:func:`number_keys`, :func:`score_pairs`) of a text, read in one pass over its scores."""
    scores: set[tuple[str, str]] = set()
    pieces: list[str] = []
    end = 0
    for match in _SCORE.finditer(text):
        low, high = sorted((int(match.group(1)), int(match.group(2))))
        scores.add((str(low), str(high)))
        if ":" not in match.group():  # a colon score is also a time ("20:45"), kept as one number
            pieces += [text[end : match.start()], " "]
            end = match.end()
    dashed = "".join(pieces) + text[end:]
    keys = frozenset(significant_digits(match.group()) for match in _NUMBER.finditer(dashed))
    return keys, frozenset(scores)


def number_equivalents(text: str) -> frozenset[str]:
    """Keys (as :func:`number_keys` makes them) of what a translation may write for this text's
    figures: an afternoon time on the 24-hour clock ("5.30pm" as 17.30), an imperial quantity in
    metric units, rounded as translators round (130 miles as 209 or 210 km, 75°F as 24 °C), an
    era year as its Gregorian year (令和5年 as 2023), a French time as the dotted one ("23 h 15" as
    23.15), a date written as digits as its day, month and full year ("13.6.22" as 13, 6 and 2022
    or 1922: the order of day and month is not guessed), a day and month written with a full stop
    after each ("19.07.") as its day and month, a century by its number as its first year
    ("16世纪" as 1500, how "1500-talet" and "the 1500s" write it) and a decade in two digits or by
    ordinal as its years ("70年代", "80er-Jahre" and Icelandic "8. áratugnum" as 1970 and 1980;
    "19世纪80年代" as 1880), a year in two digits followed by 年 as a year of this century ("２０年度"
    as 2020), a number written in East Asian myriads as the whole ("1101億9400万" as 110194, how
    "1101.94亿" reads), and two numbers joined by the Japanese middle dot as a decimal ("２・５メートル"
    as 2.5).

    They are compared with the other text's written figures only, never with its equivalents: two
    weather reports in Fahrenheit must not meet through their rounded conversions.

    Example:
        >>> sorted(number_equivalents("The train leaves at 5.30pm."))
        ['17', '173']
        >>> "21" in number_equivalents("a 130-mile line")
        True
        >>> sorted(number_equivalents("令和5年4月"))
        ['2023']
        >>> sorted(number_equivalents("Booked before 13.6.22"))
        ['13', '1922', '2022', '6']
        >>> sorted(number_equivalents("Gekündigt am 19.07. wegen Unfähigkeit"))
        ['19', '7']
        >>> sorted(number_equivalents("in the 16th century and the 70s"))
        ['15', '197', '207']
        >>> sorted(number_equivalents("19世纪80年代的纽约"))
        ['18', '188', '198', '208']
        >>> sorted(number_equivalents("売上高は1101億9400万円"))
        ['110194']
        >>> sorted(number_equivalents("高さ最大２・５メートル"))
        ['25']
    """
    keys: set[str] = set()
    for match in _PM_TIME.finditer(text):
        hour = int(match.group(1))
        if 1 <= hour <= 11:
            keys.add(significant_digits(str(hour + 12)))
            if match.group(2):
                keys.add(significant_digits(f"{hour + 12}{match.group(2)}"))
    for pattern, factor in _IMPERIAL:
        for match in pattern.finditer(text):
            keys.update(_rounded_keys(_english_value(match.group(1)) * factor))
    for match in _FAHRENHEIT.finditer(text):
        fahrenheit = _english_value(match.group(2)) * (-1 if match.group(1) else 1)
        celsius = (fahrenheit - 32) * 5 / 9
        keys.update(_rounded_keys(abs(celsius)))  # keys do not read a minus: -20 °C is "2"
    for match in _H_TIME.finditer(text):
        keys.add(significant_digits(match.group(1) + match.group(2)))
    for match in _NUMERIC_DATE.finditer(text):
        day_or_month, month_or_day, year = match.group(1), match.group(3), match.group(4)
        keys.update({significant_digits(day_or_month), significant_digits(month_or_day)})
        years = [c + year for c in ("20", "19")] if len(year) == 2 else [year]
        keys.update(significant_digits(y) for y in years)
    for match in _DAY_MONTH.finditer(text):
        day, month = int(match.group(1)), int(match.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            keys.update({significant_digits(match.group(1)), significant_digits(match.group(2))})
    for match in _ERA_YEAR.finditer(text):
        year = 1 if match.group(2) == "元" else int(match.group(2))
        keys.add(significant_digits(str(_ERA_BASE[match.group(1)] + year)))
    for pattern in (_CENTURY_AFTER, _CENTURY_BEFORE):
        for match in pattern.finditer(text):
            if 1 <= int(match.group(1)) <= 21:
                keys.add(significant_digits(str((int(match.group(1)) - 1) * 100)))
    decades = [m.group(1) for p in (_SHORT_DECADE, _DECADE_AFTER_WORD) for m in p.finditer(text)]
    decades += [str((int(m.group(1)) - 1) * 10) for m in _ORDINAL_DECADE.finditer(text)]
    for decade in decades:
        keys.update(significant_digits(century + decade.rjust(2, "0")) for century in ("19", "20"))
    for match in _CENTURY_DECADE.finditer(text):
        if 1 <= int(match.group(1)) <= 21:
            keys.add(significant_digits(str((int(match.group(1)) - 1) * 100 + int(match.group(2)))))
    for match in _TWO_DIGIT_YEAR.finditer(text):
        keys.add(significant_digits("20" + match.group(1)))
    for match in _MIDDLE_DOT_DECIMAL.finditer(text):
        keys.add(significant_digits(f"{match.group(1)}.{match.group(2)}"))
    for match in _MYRIADS.finditer(text):
        hundred_millions, ten_thousands, ten_thousands_alone, units = match.groups()
        if hundred_millions:  # 億, then perhaps 万
            value = int(hundred_millions) * 10**8 + int(ten_thousands or 0) * 10**4
        else:  # 万, then units
            value = int(ten_thousands_alone) * 10**4 + int(units)
        keys.add(significant_digits(str(value)))
    return frozenset(keys)


def number_checks(pairs: Sequence[tuple[str, str]]) -> tuple[int, int]:
    """(agreements, conflicts): of the sentence pairs that both hold numbers, how many agree and how
    many do not. A pair agrees when a score of one side meets the other's (:func:`score_pairs`), or
    when at least half the figures of one side meet the other side's: written figures meeting, or one
    side's :func:`number_equivalents` meeting the other's written figures. The aligned sentences of
    two articles built on one template ("the project will cost 120 million ... by 2029" against
    "... 40 billion ... by 2030") read alike to a sentence encoder, but a translation keeps its
    numbers; a sentence full of figures can share one by chance (the "1" of "1 May" and of "100
    people"), so one shared figure among many other ones is no agreement. Counted, not divided: each
    pair is one more piece of evidence, so an updated story (one figure changed, the others kept) is
    not read as a template filled with other figures.

    Example:
        >>> number_checks([("Cost: 120 million by 2029.", "Kostnad: 40 milliarder innen 2030."),
        ...                ("Hello there.", "Hei.")])
        (0, 1)
        >>> number_checks([("Cost: 120 million by 2029.", "Kostnad: 120 millioner innen 2029.")])
        (1, 0)
        >>> number_checks([("Doors open at 7 pm.", "Dørene åpner kl. 19.00.")])
        (1, 0)
        >>> number_checks([("Brann vant 2-1.", "Brann won 2:1."), ("Betis won 3:1.", "Brann won 2-1.")])
        (1, 1)
        >>> number_checks([("Flight 7258 left at 1 am with 444 people, 6 crew.",
        ...                 "Flight 1282 left at 5 am with 171 people, 6 crew.")])
        (0, 1)
    """
    agreements = conflicts = 0
    for text_a, text_b in pairs:
        (keys_a, scores_a), (keys_b, scores_b) = _read_figures(text_a), _read_figures(text_b)
        if (keys_a or scores_a) and (keys_b or scores_b):
            agree = (
                _scores_meet(scores_a, scores_b, keys_b)
                or _scores_meet(scores_b, scores_a, keys_a)
                or _mostly_met(keys_a, keys_b | number_equivalents(text_b))
                or _mostly_met(keys_b, keys_a | number_equivalents(text_a))
            )
            agreements += agree
            conflicts += not agree
    return agreements, conflicts


def _mostly_met(keys: frozenset[str], other: frozenset[str]) -> bool:
    """Whether at least half of ``keys`` (and at least one) are among ``other``."""
    return bool(keys) and 2 * len(keys & other) >= len(keys)


def _scores_meet(
    scores: frozenset[tuple[str, str]], other_scores: frozenset[tuple[str, str]], other_keys: frozenset[str]
) -> bool:
    """Whether one of ``scores`` is among the other text's scores, or written there as two separate
    numbers ("3-4 days" against "3 bis 4 Tage")."""
    return any(
        score in other_scores or {significant_digits(n) for n in score} <= other_keys for score in scores
    )


def significant_digits(number: str) -> str:
    """The digits of a written number, read as 0-9, without leading and trailing zeros ("0" if none).

    Example:
        >>> significant_digits("04.500")
        '45'
    """
    digits = "".join(str(unicodedata.digit(ch)) for ch in number if ch.isdigit())
    return digits.strip("0") or "0"


def _english_value(number: str) -> float:
    """The value of a number written the English way ("1,250.5")."""
    return float(number.replace(",", ""))


def _rounded_keys(value: float) -> set[str]:
    """Keys of ``value`` as a translator may round it: to one decimal, to a whole number, and to 2 or 3
    significant digits (to 1 as well from 100 up: "about 200 km")."""
    if value <= 0:
        return set()
    forms = {f"{value:.1f}", f"{round(value)}"}
    magnitude = math.floor(math.log10(value))
    for digits in (1, 2, 3) if value >= 100 else (2, 3):
        step = 10.0 ** (magnitude - digits + 1)
        forms.add(f"{round(value / step) * step:.{max(0, digits - magnitude - 1)}f}")
    return {significant_digits(form) for form in forms}
