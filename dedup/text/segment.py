"""Split text into sentences, for any script.

Every line is at least one unit (headlines and list items have no final
punctuation). Inside a line the text is split after sentence terminators of many
scripts: ``. ! ? …`` (followed by whitespace; closing quotes and brackets stay with
the sentence), CJK ``。！？`` (no whitespace needed), Arabic ``؟ ۔``, Devanagari
``। ॥``, Armenian ``։``, Ethiopic ``።`` and Myanmar ``။``. The Greek question mark
``;`` is ambiguous with the semicolon and is not used. Khmer ends sentences with ``។``; Thai and
Lao have no terminator and end a sentence with a space, so there a space after a run of at least 6
letters and before a run of at least 12 is a boundary (list items, numbers and words set apart by
spaces are shorter; a new sentence opens with a long unspaced run), unless the run opens with a Thai
word that goes on with the sentence (``และ`` and, ``เพื่อ`` to, ``ที่`` that ...). A period does not end a
sentence after a known abbreviation (Mr., e.g., z.B., f.eks.), after a single
capital initial (J. K. Rowling), inside dotted abbreviations (U.S.), before a
lowercase word, or after a day number in a date (``1. januar``, ``17. Mai``). Georgian letters
count as caseless here: Unicode files Mkhedruli as lowercase, but Georgian text has no capitals
to open a sentence with.

No text is lost: the sentences, concatenated, hold every non-whitespace character
of the input in order.

Example:
    >>> from dedup.text.segment import split_sentences
    >>> split_sentences("Breaking news\\nDr. Smith landed on 17. Mai in the U.S. today. Nobody knew why.")
    ['Breaking news', 'Dr. Smith landed on 17. Mai in the U.S. today.', 'Nobody knew why.']
    >>> split_sentences("東京で地震がありました。被害は確認されていません。")
    ['東京で地震がありました。', '被害は確認されていません。']
"""

from __future__ import annotations

import re
import unicodedata

from dedup.errors import InvalidParameterError

__all__ = ["display_width", "split_sentences"]

# Terminators that end a sentence only when whitespace follows.
_SPACED_TERMINATORS = ".!?…‼⁇⁈⁉"
# Terminators that end a sentence wherever they stand.
_HARD_TERMINATORS = "。！？｡؟۔।॥։።။។៕"
_CLOSERS = "\"'”’»›)]}」』】）〕〉》"
_TERMINATOR_RE = re.compile(
    rf"(?P<term>[{re.escape(_SPACED_TERMINATORS)}]+|[{re.escape(_HARD_TERMINATORS)}]+)"
    rf"(?P<close>[{re.escape(_CLOSERS)}]*)"
)
# Thai and Lao letters (with their vowel signs and tone marks): scripts that end a sentence with a space.
_SPACE_ENDED = "[\u0e01-\u0e4e\u0e81-\u0ecf\u0edc-\u0edf]"
# Thai words that go on with the sentence before them when a space precedes them (and, for, or, so,
# because, that, along with, could, also, to, including (twice), such as, of, that): chosen on the
# Thai TUD treebank as the words that follow a space inside a sentence at least four times as often
# as they open one (and do so at least ten times).
_THAI_CONTINUATIONS = "และ เพื่อ หรือ จึง เนื่องจาก ที่ พร้อม ได้ ก็ ให้ รวมถึง รวมทั้ง เช่น ของ ว่า".split()
# A space ends a sentence there after a run of at least 6 such letters and before a run of 12 that
# does not start with a continuation.
_SPACE_ENDED_RE = re.compile(
    rf"(?<={_SPACE_ENDED}{{6}})\s+(?!{'|'.join(sorted(_THAI_CONTINUATIONS, key=len, reverse=True))})"
    rf"(?={_SPACE_ENDED}{{12}})"
)
# Clause punctuation where an overlong sentence may be cut (the cut goes after it).
_CLAUSE_CUTS = (", ", "; ", ": ", "，", "、", "；", "：", "، ", "؛ ")

# Words (lowercase, without the final period) after which "." is not a sentence end.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st sr sra srta jr mme mlle hr fr frk sgt capt lt gen col rev
    vs e.g i.e cf approx dept univ ca c.a etc.al al vol ed eds fig figs no nos pp
    bl.a f.eks dvs mv osv m.m o.l jf jfr evt pga ifm m.fl mfl t.ex s.k p.g.a fr.o.m t.o.m resp
    z.b u.a d.h bzw ggf usw vgl bspw inkl ekskl exkl str nr tlf tel kl
    т.е т.д т.п т.к др гг ул им тыс млн млрд руб
    """.split()
)
# Words after which "." is not a sentence end when a number follows ("kl. 14", "Jan. 5").
_BEFORE_NUMBER = frozenset(
    """
    no nr nos art kap ch chap sec vol p pp s fig tab ca kl str tlf tel
    jan feb mar apr jun jul aug sep sept oct okt nov dec des dez
    """.split()
)
# Capitalised month names: "17. Mai" is a date, not a sentence end.
_MONTHS = frozenset(
    """
    januar jänner februar märz april mai juni juli august september oktober november dezember
    january february march may june july october december
    """.split()
)
# Words after which "<1-2 digits>." is an ordinal ("am 3. Oktober", "im 2. Weltkrieg").
_ORDINAL_CONTEXT = frozenset("am vom zum zur bis den dem der die das des im ab seit beim".split())


def split_sentences(text: str, *, min_chars: int = 12, max_chars: int = 600) -> list[str]:
    """Split text into sentences: by line, then after sentence terminators of many scripts.

    Args:
        text: Normalised text (see :func:`dedup.io.decode.normalize_text`); each line is
            split on its own, and a line is never joined to another line.
        min_chars: Pieces of a line shorter than this (in characters, stripped; wide
            CJK characters count twice, as they carry about a word each) are
            merged into the neighbouring piece of the same line; a line that is short
            as a whole is kept as its own sentence (a short headline is content). >= 0.
        max_chars: Longer pieces are cut at the last clause punctuation (``, ; :``)
            or space before the limit, or hard-cut for scripts without spaces. >= 1 and
            >= ``min_chars``.

    Returns:
        Stripped, non-empty sentences in text order. Their concatenation holds every
        non-whitespace character of ``text``, in order.

    Raises:
        InvalidParameterError: If ``min_chars`` or ``max_chars`` is out of range.

    Example:
        >>> split_sentences("Hei. Dette er en lang setning om været i dag. Ja! Sol hele uka.")
        ['Hei. Dette er en lang setning om været i dag. Ja!', 'Sol hele uka.']
        >>> split_sentences("क्या हाल है? मैं ठीक हूँ। धन्यवाद बहुत बहुत।")
        ['क्या हाल है?', 'मैं ठीक हूँ।', 'धन्यवाद बहुत बहुत।']
    """
    for name, value, low in (("min_chars", min_chars, 0), ("max_chars", max_chars, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise InvalidParameterError(f"{name} must be an int >= {low}. Got {value!r}.")
    if max_chars < min_chars:
        raise InvalidParameterError(
            f"max_chars must be >= min_chars. Got max_chars={max_chars}, min_chars={min_chars}."
        )
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        pieces = _merge_short(line, _split_line(line), min_chars)
        for start, end in pieces:
            sentences.extend(_split_long(line[start:end].strip(), max_chars, min_chars))
    return [s for s in sentences if s]


def _split_line(line: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` spans of the sentences of one line, covering it."""
    cuts: list[int] = []
    for m in _TERMINATOR_RE.finditer(line):
        end = m.end()
        if end >= len(line):
            break
        if _is_boundary(line, m.start(), m.group("term"), end):
            cuts.append(end)
    cuts += [m.end() for m in _SPACE_ENDED_RE.finditer(line)]
    spans, start = [], 0
    for cut in sorted(set(cuts)):
        spans.append((start, cut))
        start = cut
    spans.append((start, len(line)))
    return [(s, e) for s, e in spans if line[s:e].strip()]


def _is_boundary(line: str, start: int, term: str, end: int) -> bool:
    if term[0] in _HARD_TERMINATORS:
        return True
    nxt = line[end]
    if not nxt.isspace():
        # "本当?はい": ASCII ?/! directly followed by CJK text still ends a sentence.
        return term[-1] in "!?" and _is_cjk(nxt)
    rest = line[end:].lstrip()
    if not rest:
        return False
    first = rest[0]
    if first.islower() and not _is_georgian(first):
        return False
    if term != ".":
        return True
    token = line[:start].rsplit(None, 1)[-1] if line[:start].strip() else ""
    token = token.lstrip("\"'“‘«‹([{¿¡")
    word = token.lower()
    if not word:
        return True
    if word in _ABBREVIATIONS:
        return False
    if len(token) == 1 and token.isalpha() and token.isupper():
        return False  # an initial: "J. K. Rowling"
    if re.fullmatch(r"(?:\w\.)+\w", token):
        return False  # dotted abbreviation: "U.S", "e.g", "z.B"
    if first.isdigit() and (word in _BEFORE_NUMBER or (len(token) == 1 and token.isalpha())):
        return False
    if token.isdigit() and len(token) <= 2:
        next_word = re.match(r"\w+", rest)
        if next_word and next_word.group(0).lower() in _MONTHS:
            return False
        before = line[:start].rsplit(None, 2)
        if len(before) >= 2 and before[-2].lower() in _ORDINAL_CONTEXT:
            return False
    return True


def _is_georgian(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("GEORGIAN LETTER")  # Mkhedruli, the everyday script


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))


def display_width(text: str) -> int:
    """Characters, a wide (CJK) one counting two: how much of a line ``text`` takes.

    Example:
        >>> display_width("Oslo"), display_width("東京")
        (4, 4)
    """
    return len(text) + sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")


def _merge_short(line: str, spans: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    """Merge spans shorter than ``min_chars`` into the previous span (the first into the next)."""
    merged: list[tuple[int, int]] = []
    carry: int | None = None
    for start, end in spans:
        if carry is not None:
            start, carry = carry, None
        if display_width(line[start:end].strip()) >= min_chars:
            merged.append((start, end))
        elif merged:
            merged[-1] = (merged[-1][0], end)
        else:
            carry = start
    if carry is not None:
        if merged:
            merged[-1] = (merged[-1][0], len(line))
        else:
            merged.append((carry, len(line)))
    return merged


def _split_long(sentence: str, max_chars: int, min_chars: int) -> list[str]:
    out: list[str] = []
    while len(sentence) > max_chars:
        limit = max_chars
        if len(sentence) - limit < min_chars:
            limit = max(len(sentence) - min_chars, max_chars // 2, 1)
        cut = _cut_point(sentence, limit)
        head, sentence = sentence[:cut].strip(), sentence[cut:].strip()
        if head:
            out.append(head)
    if sentence:
        out.append(sentence)
    return out


def _cut_point(sentence: str, limit: int) -> int:
    """Index at which to cut so the head has at most ``limit`` characters."""
    window = sentence[: limit + 1]
    ends = (window.rfind(p) + len(p.rstrip()) for p in _CLAUSE_CUTS if p in window)
    best = max((e for e in ends if e <= limit), default=-1)
    if best >= limit // 2:
        return best
    space = window.rfind(" ")
    if space >= limit // 4:
        return space + 1
    cut = limit
    while cut > 1 and unicodedata.combining(sentence[cut]):
        cut -= 1  # never separate a combining mark from its base
    return cut
