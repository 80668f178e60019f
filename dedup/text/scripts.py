"""Writing systems of a text: its letters, their scripts, and how many letter units it holds.

Example:
    >>> from dedup.text.scripts import letter_counts, letter_units, main_script, script_counts
    >>> scripts = script_counts(letter_counts("東京 Tokyo"))
    >>> main_script(scripts), letter_units(scripts)
    ('latin', 11)
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

DENSE_SCRIPT_WEIGHT = 3
"""Letter units of one CJK (Han, kana) or Hangul character."""
WORD = re.compile(r"[^\W\d_]+")
"""A word: a run of letters (no digits)."""


def letter_counts(text: str) -> Counter[str]:
    """How often each letter occurs in ``text``; combining marks count as letters (Indic vowel signs)."""
    return Counter(
        {ch: n for ch, n in Counter(text).items() if ch.isalpha() or unicodedata.category(ch)[0] == "M"}
    )


def letter_units(scripts: dict[str, int]) -> int:
    """Letters counted by script (:func:`script_counts`), CJK and Hangul ones DENSE_SCRIPT_WEIGHT times."""
    dense = sum(n for name, n in scripts.items() if name in ("cjk", "kana", "hangul"))
    return sum(scripts.values()) + (DENSE_SCRIPT_WEIGHT - 1) * dense


def script_counts(letters: Counter[str]) -> dict[str, int]:
    """Letters per script (kana apart from other CJK), from a count of each letter."""
    counts: dict[str, int] = {}
    for ch, n in letters.items():
        name = "kana" if "\u3040" <= ch <= "\u30ff" else char_script(ch)
        counts[name] = counts.get(name, 0) + n
    return counts


def main_script(scripts: dict[str, int]) -> str:
    """The most frequent script (kana counted as CJK; ties broken by name)."""
    merged = dict(scripts)
    if "kana" in merged:
        merged["cjk"] = merged.get("cjk", 0) + merged.pop("kana")
    return max(sorted(merged), key=merged.__getitem__)


def word_share(text: str, letters: frozenset[str]) -> float:
    """Share of the words of ``text`` that contain one of ``letters`` (lowercase)."""
    words = WORD.findall(text.lower())
    return sum(1 for w in words if not letters.isdisjoint(w)) / len(words) if words else 0.0


SCRIPT_RANGES = (
    ("\u0370", "\u03ff", "greek"),
    ("\u0400", "\u052f", "cyrillic"),
    ("\u0530", "\u058f", "armenian"),
    ("\u0590", "\u05ff", "hebrew"),
    ("\u0600", "\u06ff", "arabic"),
    ("\u0750", "\u077f", "arabic"),
    ("\u0900", "\u097f", "devanagari"),
    ("\u0980", "\u09ff", "bengali"),
    ("\u0a00", "\u0dff", "indic"),
    ("\u0e00", "\u0e7f", "thai"),
    ("\u10a0", "\u10ff", "georgian"),
    ("\u1100", "\u11ff", "hangul"),
    ("\u3040", "\u30ff", "cjk"),
    ("\u3400", "\u9fff", "cjk"),
    ("\uac00", "\ud7af", "hangul"),
    ("\uf900", "\ufaff", "cjk"),
)


LANG_SCRIPT = {
    "ru": "cyrillic", "uk": "cyrillic", "bg": "cyrillic", "mk": "cyrillic", "sr": "cyrillic",
    "be": "cyrillic", "kk": "cyrillic", "el": "greek", "hy": "armenian", "he": "hebrew", "ar": "arabic",
    "fa": "arabic",
    "ur": "arabic", "hi": "devanagari", "mr": "devanagari", "ne": "devanagari", "bn": "bengali",
    "th": "thai", "ka": "georgian", "ko": "hangul", "ja": "cjk", "zh": "cjk",
    "gu": "indic", "pa": "indic", "ta": "indic", "te": "indic", "kn": "indic", "ml": "indic",
    "or": "indic", "si": "indic", "as": "bengali", "ky": "cyrillic", "mn": "cyrillic", "tt": "cyrillic",
    "ba": "cyrillic", "tg": "cyrillic", "sah": "cyrillic", "ps": "arabic", "ug": "arabic", "yi": "hebrew",
}  # fmt: skip


def char_script(ch: str) -> str:
    """The script of one letter (``latin`` below U+0370, else by code-point range)."""
    if ch < "\u0370":
        return "latin"
    for low, high, name in SCRIPT_RANGES:
        if low <= ch <= high:
            return name
    return "latin" if "\u1e00" <= ch <= "\u1eff" else "other"


def script_of_lang(lang: str) -> str:
    """The script a language is written in (``latin`` when not listed)."""
    return LANG_SCRIPT.get(lang, "latin")


# Frequent characters whose traditional and simplified forms differ (traditional first).
_HANT_HANS = (
    "這这 個个 們们 來来 時时 為为 會会 說说 國国 對对 學学 發发 經经 與与 過过 還还 進进 從从 開开 關关 "
    "長长 問问 間间 東东 見见 現现 點点 動动 電电 車车 業业 機机 無无 議议 認认 總总 選选 將将 區区 場场 "
    "產产 實实 員员 給给 讓让 應应 於于 樣样 麼么 頭头 條条 達达 義义 體体 報报 灣湾 華华 書书 萬万 億亿"
).split()
_TRADITIONAL = frozenset(pair[0] for pair in _HANT_HANS)
_SIMPLIFIED = frozenset(pair[1] for pair in _HANT_HANS)


def centring_key(lang: str, text: str) -> str:
    """The key a text's sentence vectors are centred under: its language, with Chinese split by
    script. Traditional and simplified Chinese sit apart in the model's space (their mean vectors
    differ about as much as a language's mean differs from the mean of all languages), so Chinese
    written with more traditional than simplified forms of the characters that differ is
    ``zh-Hant``; everything else keeps its language code.

    Example:
        >>> centring_key("zh", "這個國家"), centring_key("zh", "这个国家"), centring_key("en", "Hi")
        ('zh-Hant', 'zh', 'en')
    """
    if lang != "zh":
        return lang
    traditional = sum(ch in _TRADITIONAL for ch in text)
    simplified = sum(ch in _SIMPLIFIED for ch in text)
    return "zh-Hant" if traditional > simplified else lang
