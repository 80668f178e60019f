"""Subtitle and caption files (``.srt``, ``.vtt``, ``.sbv``): what a broadcast said, as one article.

A newsroom's video archive keeps its reports' words as SubRip (``.srt``) or WebVTT (``.vtt``)
captions, or as YouTube's SubViewer export (``.sbv``, cues timed ``0:00:01.000,0:00:03.500``): cues,
each a time span and one to three display lines. :func:`subtitle_text` keeps the words and drops the
rest: cue numbers and identifiers, timings and cue settings, WebVTT's header and its ``NOTE``,
``STYLE`` and ``REGION`` blocks, markup (``<i>``, ``<font …>``, ``<v Anchor>``, ``<c.yellow>``,
inline timestamps, ``{\\an8}``), lines that only describe sound (``[music]``, ``(applause)``,
``♪``), such notes before the words (``[laughs] Yes.``) and HTML entities.

dedup splits sentences within a line and never across one (:mod:`dedup.text.segment`), and a spoken
sentence runs across display lines and cues, so the lines are joined back into paragraphs (Chinese
and Japanese lines without a space). A paragraph ends at a pause of :data:`PAUSE_SECONDS` or more
between two cues, where the speaker changes (a line opening with ``>>``, as broadcast closed
captions mark a new speaker and ``>>>`` a new story, with a dialogue dash, or with a name in
capitals and a colon, ``REPORTER:``; the mark is dropped), and at the first cue after
:data:`UNPUNCTUATED_CHARS` characters without a sentence end (automatic captions carry no
punctuation). Roll-up captions (live television, automatic captions) repeat the line the previous
cue ended with as the next cue's first line; such a repeated line is kept once.

Example:
    >>> srt = '''1
    ... 00:00:01,000 --> 00:00:03,500
    ... <i>Floods closed the main road</i>
    ... into the valley on Monday.
    ...
    ... 2
    ... 00:00:03,600 --> 00:00:06,000
    ... Crews expect to reopen it by Friday.
    ...
    ... 3
    ... 00:00:09,000 --> 00:00:11,000
    ... >> The school stays shut.
    ... '''
    >>> print(subtitle_text(srt)[0])
    Floods closed the main road into the valley on Monday. Crews expect to reopen it by Friday.
    The school stays shut.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from dedup.text.segment import display_width

__all__ = [
    "PAUSE_SECONDS",
    "UNPUNCTUATED_CHARS",
    "SUBTITLE_EXTENSIONS",
    "Cue",
    "cues_text",
    "parse_cues",
    "subtitle_text",
    "timed_cue",
    "ttml_seconds",
]

SUBTITLE_EXTENSIONS = (".srt", ".vtt", ".sbv")
PAUSE_SECONDS = 2.0
"""A gap this long between two cues ends a paragraph (a new shot, a new report); sentences spoken
in one go follow each other within a fraction of a second."""

UNPUNCTUATED_CHARS = 200
"""Automatic captions carry no punctuation, and one paragraph of them would reach the sentence
splitter as one overlong sentence: a paragraph that has run this many characters (a CJK character
counts two) without a sentence end ends at the next cue. Measured on 99 English WMT speech
transcripts made into unpunctuated captions, scanned with a human translation of each
(``benchmarks/caption_layout.py``): 64 of the 99 pairs linked with the cues joined whole, 83, 86
and 80 with breaks after 100, 200 and 300 characters (24 Japanese ones: 15, then 19, 18, 16)."""
_SENTENCE_ENDS = ".!?…。！？"

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})(?:[,.](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")  # SRT, WebVTT: "00:00:01,000 --> 00:00:03,500"
_SBV_TIME = r"(\d+):(\d{2}):(\d{2})\.(\d{3})"
# YouTube's SubViewer export: "0:00:01.000,0:00:03.500"
_SBV_TIMING = re.compile(rf"^\s*{_SBV_TIME},{_SBV_TIME}\s*$")
_TAG = re.compile(r"<[^<>]*>")  # <i>, </i>, <font color="…">, <v Anchor>, <c.yellow>, <00:00:01.000>
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")  # {\an8}, {\i1}: SubStation overrides that SRT files carry
_SOUND_ONLY = re.compile(r"^(?:\[[^\[\]]*\]|\([^()]*\)|[♪♫#\s])+$")
_LEADING_NOTE = re.compile(r"^(?:\[[^\[\]]*\]|\([^()]*\))\s*")  # "[laughs] Yes.", "(JOHN) I was there."
# a new speaker: ">>" (">>>" a new story), a dialogue dash, or a name in capitals and a colon ("ANCHOR: ")
_SPEAKER = re.compile(r"^(?:>>+|[-–—](?=\s)|(?P<name>[^\W\d_][^:]{0,30}):(?=\s))\s*")
_VTT_BLOCKS = ("WEBVTT", "NOTE", "STYLE", "REGION")


@dataclass(frozen=True, slots=True)
class Cue:
    """One timed caption: its span in seconds and its display lines, markup removed."""

    start: float
    end: float
    lines: tuple[str, ...]


def parse_cues(text: str) -> list[Cue]:
    """The cues of an SRT, WebVTT or SBV file's text, in file order, with their markup removed.

    A cue is a timing line (``00:00:01,000 --> 00:00:03,500``, WebVTT's ``00:01.000 --> …`` with
    optional settings after it, SBV's ``0:00:01.000,0:00:02.500``) and the lines after it up to a
    blank line; a counter or identifier line before the timing is not text. Blocks without a timing
    line (the ``WEBVTT`` header, ``NOTE``, ``STYLE`` and ``REGION`` blocks) are passed over.

    Example:
        >>> parse_cues("WEBVTT\\n\\nNOTE made by hand\\n\\nintro\\n00:01.000 --> 00:02.500 align:start\\n"
        ...            "<v Anchor>Good <b>evening</b>.\\n")
        [Cue(start=1.0, end=2.5, lines=('Good evening.',))]
    """
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = block.strip("\n").split("\n")
        if lines[0].lstrip("\ufeff").strip().startswith(_VTT_BLOCKS) and not _TIMING.match(lines[0]):
            continue
        start = end = 0.0
        current: list[str] | None = None
        for line in lines:
            timing = _TIMING.match(line) or _SBV_TIMING.match(line)
            if timing:
                if current is not None:
                    if current and current[-1].strip().isdigit():  # the next cue's counter (no blank line)
                        current.pop()
                    cues.append(Cue(start, end, _clean_lines(current)))
                start, end = _seconds(timing.groups()[:4]), _seconds(timing.groups()[4:])
                current = []
            elif current is not None:
                current.append(line)
        if current is not None:
            cues.append(Cue(start, end, _clean_lines(current)))
    return [cue for cue in cues if cue.lines]


def subtitle_text(text: str) -> tuple[str | None, str]:
    """The spoken text of an SRT or WebVTT file as paragraphs: ``(text, "")`` or ``(None, why)``.

    See the module docstring for what is kept and how lines are joined.
    """
    cues = parse_cues(text)
    if not cues:
        return None, "no subtitle cues (no line timed as 00:00:01,000 --> 00:00:02,000)"
    return cues_text(cues), ""


def timed_cue(start: float, end: float, lines: list[str]) -> Cue:
    """A cue of display lines whose markup is already gone (a TTML paragraph's), cleaned as SRT and
    WebVTT cue lines are: sound descriptions and entities out, whitespace collapsed.

    Example:
        >>> timed_cue(1.0, 2.0, ["  Rain  &amp; wind", "[thunder]"])
        Cue(start=1.0, end=2.0, lines=('Rain & wind',))
    """
    return Cue(start, end, _clean_lines(lines))


def cues_text(cues: list[Cue]) -> str:
    """The cues' lines joined into paragraphs (see the module docstring): a paragraph ends at a
    pause of :data:`PAUSE_SECONDS`, at a new speaker, and at the first cue boundary after
    :data:`UNPUNCTUATED_CHARS` without a sentence end; roll-up repeats are kept once."""
    paragraphs: list[list[str]] = []
    previous: Cue | None = None
    unended = 0  # width of the current paragraph's text since its last sentence end
    for cue in cues:
        lines = list(cue.lines)
        if previous is not None:
            lines = _without_repeat(previous.lines, lines)
        for k, line in enumerate(lines):
            speaker = _SPEAKER.match(line)
            if speaker and (speaker.group("name") is None or speaker.group("name").isupper()):
                line = line[speaker.end() :]
            else:
                speaker = None
            paused = k == 0 and previous is not None and cue.start - previous.end >= PAUSE_SECONDS
            if not paragraphs or speaker or paused or (k == 0 and unended >= UNPUNCTUATED_CHARS):
                paragraphs.append([])
                unended = 0
            if line:
                paragraphs[-1].append(line)
                last_end = max(line.rfind(ch) for ch in _SENTENCE_ENDS)
                if last_end >= 0:
                    unended = display_width(line[last_end + 1 :])
                else:
                    unended += 1 + display_width(line)
        previous = cue
    return "\n".join(_join(words) for words in paragraphs if words)


_OFFSET = re.compile(r"^([\d.]+)(h|ms|m|s|f|t)$")
_CLOCK = re.compile(r"^(\d+):(\d{2}):(\d{2})(?:\.(\d+)|:(\d+(?:\.\d+)?))?$")


def ttml_seconds(value: str, *, frame_rate: float = 30.0, tick_rate: float = 1.0) -> float | None:
    """A TTML time expression in seconds: clock time (``00:01:02.5``, or ``00:01:02:12`` with frames
    at ``frame_rate``) or an offset (``62.5s``, ``1500ms``, ``2m``, ``1h``, ``75f``, ``625000t`` in
    ticks at ``tick_rate``); None when it is neither.

    Example:
        >>> ttml_seconds("00:01:02.500"), ttml_seconds("00:00:01:15", frame_rate=25), ttml_seconds("1500ms")
        (62.5, 1.6, 1.5)
        >>> ttml_seconds("20000000t", tick_rate=10_000_000), ttml_seconds("soon") is None
        (2.0, True)
    """
    value = value.strip()
    clock = _CLOCK.match(value)
    if clock:
        hours, minutes, seconds, fraction, frames = clock.groups()
        total = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
        if fraction:
            total += float(f"0.{fraction}")
        if frames:
            total += float(frames) / frame_rate
        return total
    offset = _OFFSET.match(value)
    if not offset:
        return None
    try:
        amount = float(offset.group(1))
    except ValueError:
        return None
    unit = offset.group(2)
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "f": 1.0 / frame_rate, "t": 1.0 / tick_rate}
    return amount * scale[unit]


def _clean_lines(lines: list[str]) -> tuple[str, ...]:
    out = []
    for line in lines:
        line = html.unescape(_ASS_OVERRIDE.sub("", _TAG.sub("", line))).replace("\u00a0", " ")
        line = " ".join(line.split())
        if line and not _SOUND_ONLY.match(line):
            while note := _LEADING_NOTE.match(line):
                line = line[note.end() :]
            out.append(line.replace("♪", "").strip())
    return tuple(line for line in out if line)


def _without_repeat(before: tuple[str, ...], lines: list[str]) -> list[str]:
    """``lines`` without the leading lines that repeat the end of the previous cue (roll-up captions)."""
    for n in range(min(len(before), len(lines)), 0, -1):
        if tuple(lines[:n]) == before[-n:]:
            return lines[n:]
    return lines


def _join(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        text = text + line if _is_cjk(text[-1]) and _is_cjk(line[0]) else f"{text} {line}"
    return text


def _is_cjk(ch: str) -> bool:
    """Kana, CJK ideographs and their punctuation: scripts written without spaces (Korean has them)."""
    return "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or ch in "。、！？「」"


def _seconds(parts: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, fraction = parts
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0) + float(f"0.{fraction or 0}")
