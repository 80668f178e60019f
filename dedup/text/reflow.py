"""Hard-wrapped text (e-mail, old plain-text archives, a PDF's layout lines) joined back into paragraphs.

dedup splits sentences within a line and never across one (:mod:`dedup.text.segment`), so text
wrapped at a fixed width would give line fragments for sentences. :func:`reflow` joins a line to
the next unless it ends a sentence or is a short line of its own (a headline, a byline); a word
hyphenated at a line end is rejoined; CJK lines are joined without a space. :func:`is_hard_wrapped`
tells wrapped text from text with one paragraph (or one list item) per line, and :func:`unwrap`
reflows only the former.

Example:
    >>> page = ("Storm closes the pass\\nSnow closed the pass on Monday and crews\\n"
    ...         "hope to reopen it on Wednesday after-\\nnoon, the agency said.\\n"
    ...         "Traffic was diverted via the valley road.")
    >>> print(reflow(page))
    Storm closes the pass
    Snow closed the pass on Monday and crews hope to reopen it on Wednesday afternoon, the agency said.
    Traffic was diverted via the valley road.
"""

from __future__ import annotations

import re

__all__ = ["goes_on", "is_hard_wrapped", "join_continued_lines", "reflow", "unwrap"]

_SENTENCE_END = re.compile(r"[.!?。！？…:;\"'”’»)\]]$")
_SHORT_LINE = 0.6  # a line under this share of the usual line length ends its paragraph
# Hard wrapping: the 90th-percentile line is at most this long (wider lines are paragraphs) ...
_WRAP_WIDTHS = (30, 120)
# ... and at least this share of the lines run near that width (_FULL_LINE of it), end mid-sentence
# and go on in the next line, whose first word mostly would not have fit (or which starts in lower case).
_FULL_LINE = 0.7
_JOINT_SHARE = 0.4
_CONTINUED_SHARE = 0.5
_LIST_MARKERS = "-•*–·▪"


def reflow(text: str) -> str:
    """Join wrapped lines into paragraphs, one per line (see the module docstring); blank lines go."""
    lines = [line.strip() for line in text.splitlines()]
    lengths = [len(line) for line in lines if line]
    if not lengths:
        return ""
    usual = sorted(lengths)[int(0.8 * (len(lengths) - 1))]  # most lines run the full width
    out: list[str] = []
    joinable = False
    for line in lines:
        if not line:
            joinable = False
            continue
        if joinable and out:
            prev = out[-1]
            if prev.endswith("-") and line[:1].islower():
                out[-1] = prev[:-1] + line
            elif _is_cjk(prev[-1]) and _is_cjk(line[0]):
                out[-1] = prev + line
            else:
                out[-1] = f"{prev} {line}"
        else:
            out.append(line)
        joinable = not _SENTENCE_END.search(line) and len(line) >= _SHORT_LINE * usual
    return "\n".join(out)


def is_hard_wrapped(text: str) -> bool:
    """Whether ``text`` was wrapped at a fixed width: most of its lines run near one width and break
    off mid-sentence where the next line's first word would not have fit. Text with one paragraph per
    line, lists and short chat lines are not.

    Example:
        >>> wrapped = ("The council voted on Monday to build a new bridge over the\\n"
        ...            "river, ending a decade of argument about the crossing. Work\\n"
        ...            "starts in the spring and should take about three years, the\\n"
        ...            "mayor said, adding that the old ferry will keep running until\\n"
        ...            "then.")
        >>> is_hard_wrapped(wrapped), is_hard_wrapped(reflow(wrapped))
        (True, False)
    """
    lines = [line.strip() for line in text.splitlines()]
    lengths = sorted(len(line) for line in lines if line)
    if len(lengths) < 4:
        return False
    width = lengths[int(0.9 * (len(lengths) - 1))]
    if not _WRAP_WIDTHS[0] <= width <= _WRAP_WIDTHS[1]:
        return False
    joints = [
        (line, following)
        for line, following in zip(lines, lines[1:], strict=False)
        if line and following and len(line) >= _FULL_LINE * width and not _SENTENCE_END.search(line)
    ]
    widest = max((len(line) for line in lines if " " in line), default=width)
    going_on = sum(1 for line, following in joints if _goes_on(line, following, widest))
    return (
        len(joints) >= 2
        and len(joints) >= _JOINT_SHARE * len(lengths)
        and going_on >= _CONTINUED_SHARE * len(joints)
    )


def unwrap(text: str) -> str:
    """``text`` reflowed when it is hard-wrapped (:func:`is_hard_wrapped`), else as it is.

    Example:
        >>> unwrap("Storm hits the coast.\\nThousands lost power.")  # one paragraph per line: kept
        'Storm hits the coast.\\nThousands lost power.'
    """
    return reflow(text) if is_hard_wrapped(text) else text


def join_continued_lines(text: str) -> str:
    """Join a line to the one before when it goes on with that line's sentence: the line before
    ends without a sentence's end (see :func:`reflow`) and this one starts with a word in lower case
    (``on Monday``, not ``iPhone`` or ``Oslo``). An RTF ``\\line`` breaks a sentence that way (the
    RTF reader calls this; the HTML reader asks :func:`goes_on` at each ``<br>``); scripts without
    case are left as they are. Not for captions or plain text, whose lines may break sentences on
    purpose (a caption reader's segments) or be wrapped (:func:`unwrap`).

    Example:
        >>> join_continued_lines("Bridge approved\\nThe council voted to build\\na bridge.\\nWork starts.")
        'Bridge approved\\nThe council voted to build a bridge.\\nWork starts.'
    """
    out: list[str] = []
    for line in text.split("\n"):
        if out and goes_on(out[-1], line):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line)
    return "\n".join(out)


def goes_on(before: str, after: str) -> bool:
    """Whether the text ``after`` a line break goes on with the sentence ``before`` it: ``before``
    ends without a sentence's end and ``after`` starts with a word in lower case (see
    :func:`join_continued_lines`).

    Example:
        >>> goes_on("The council voted", "on Monday."), goes_on("Bridge approved", "The council")
        (True, False)
    """
    before, after = before.rstrip(), after.lstrip()
    first_word = after.split(maxsplit=1)[0] if after else ""
    return bool(before) and _is_lower_word(first_word) and not _SENTENCE_END.search(before)


def _goes_on(line: str, following: str, width: int) -> bool:
    """Whether ``following`` continues ``line`` as wrapping breaks it: its first word would not have
    fit on ``line`` within ``width``, the widest line with a space (a greedy wrap), or it starts in
    lower case, with a digit or punctuation (not a list marker)."""
    first = following[0]
    if first in _LIST_MARKERS:
        return False
    return len(line) + 1 + len(following.split()[0]) > width or first.islower() or not first.isalpha()


def _is_lower_word(word: str) -> bool:
    """A word of letters all in lower case, maybe followed by punctuation (``on``, ``la,``; not
    ``iPhone``, ``Oslo``, ``2024`` or a word of a script without case)."""
    letters = word.rstrip(".,;:!?)]}\"'»”’…")
    return letters.isalpha() and letters.islower()


def _is_cjk(ch: str) -> bool:
    """Kana and CJK ideographs, written without spaces between words (Korean puts spaces between
    its words, so Hangul lines are joined with one)."""
    return "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff"
