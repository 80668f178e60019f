"""Scenarist closed captions (``.scc``): the CEA-608 line-21 captions of US broadcast archives.

An SCC file is a header line (``Scenarist_SCC V1.0``) and lines of a SMPTE timecode
(``00:00:01:15``, ``;`` before the frames in drop-frame files) followed by the bytes sent to the
caption decoder from that frame on, as four-digit hex words (two bytes each, every byte with an odd
parity bit). :func:`scc_cues` decodes the bytes as a caption decoder would, keeping the words:

- characters: the CEA-608 basic set (ASCII but for a few letters: ``*`` is á, ``\\`` é, ``^`` í,
  ``_`` ó, ``` ` ``` ú, ``{`` ç, ``}`` Ñ, ``~`` ñ), the special characters (♪, °, ½, è, â …)
  and the extended ones (Ä, ß, «, Ç …), which replace the basic character sent before them for
  decoders without them;
- control codes, sent twice (the repeat is ignored): a preamble (row and indent) starts a new
  display line; in pop-on captions ``EOC`` (end of caption) shows the lines loaded since ``RCL``;
  in roll-up and paint-on captions a carriage return (``CR``) ends a line; erase, tab and style
  codes carry no text (a mid-row style code shows as a space).

Each caption shown becomes a :class:`~dedup.io.subtitles.Cue` timed at its timecode, and the cues are
joined into paragraphs as SRT and WebVTT cues are (:func:`dedup.io.subtitles.cues_text`).

Example:
    >>> scc = ("Scenarist_SCC V1.0\\n\\n00:00:01:00\\t9420 9420 94d0 94d0 c845 4c4c cf80 942f 942f\\n\\n"
    ...        "00:00:03:00\\t9420 9420 94d0 94d0 d745 4c43 cf4d 45ae 942f 942f\\n")
    >>> scc_text(scc)
    ('HELLO WELCOME.', '')
"""

from __future__ import annotations

import re

from dedup.io.subtitles import Cue, cues_text, timed_cue

__all__ = ["SCC_EXTENSIONS", "scc_cues", "scc_text"]

SCC_EXTENSIONS = (".scc",)
FRAME_RATE = 30000 / 1001  # NTSC, the rate SCC timecodes count

_LINE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})[:;.,](\d{2})\s+((?:[0-9a-fA-F]{4}\s*)+)$")
# The basic set's departures from ASCII.
_BASIC = {0x27: "’", 0x2A: "á", 0x5C: "é", 0x5E: "í", 0x5F: "ó", 0x60: "ú", 0x7B: "ç", 0x7C: "÷",
          0x7D: "Ñ", 0x7E: "ñ", 0x7F: "█"}  # fmt: skip
_SPECIAL = "®°½¿™¢£♪à èâêîôû"  # second byte 0x30-0x3F after 0x11 (0x39: transparent space)
_EXTENDED_12 = "ÁÉÓÚÜü‘¡*'—©℠•“”ÀÂÇÈÊËëÎÏïÔÙùÛ«»"  # second byte 0x20-0x3F after 0x12
_EXTENDED_13 = "ÃãÍÌìÒòÕõ{}\\^_|~ÄäÖöß¥¤¦ÅåØø┌┐└┘"  # second byte 0x20-0x3F after 0x13
_RCL, _BS, _EDM, _CR, _ENM, _EOC = 0x20, 0x21, 0x2C, 0x2D, 0x2E, 0x2F
_ROLL_UP, _RDC = (0x25, 0x26, 0x27), 0x29


def scc_text(text: str) -> tuple[str | None, str]:
    """The spoken text of an SCC file as paragraphs: ``(text, "")`` or ``(None, why)``."""
    if not text.lstrip("\ufeff").startswith("Scenarist_SCC"):
        return None, "not a Scenarist SCC file (it does not start with Scenarist_SCC)"
    cues = scc_cues(text)
    if not cues:
        return None, "no captions in the SCC file"
    return cues_text(cues), ""


def scc_cues(text: str) -> list[Cue]:
    """The captions an SCC file shows, in order: pop-on captions when ``EOC`` shows them, roll-up and
    paint-on lines when a carriage return ends them."""
    decoder = _Decoder()
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        hours, minutes, seconds, frames, words = match.groups()
        decoder.time = int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(frames) / FRAME_RATE
        for word in words.split():
            decoder.feed(int(word[:2], 16) & 0x7F, int(word[2:], 16) & 0x7F)
    decoder.flush()
    shown = decoder.shown
    # a caption stays on screen until it is erased, else until the next one replaces it
    ends = [end if end is not None else (shown[k + 1][0] if k + 1 < len(shown) else start)
            for k, (start, end, _) in enumerate(shown)]  # fmt: skip
    return [Cue(start, end, lines) for (start, _, lines), end in zip(shown, ends, strict=True)]


class _Decoder:
    """A CEA-608 channel 1 decoder reduced to the text and when it is shown."""

    def __init__(self) -> None:
        self.time = 0.0
        self.shown: list[tuple[float, float | None, tuple[str, ...]]] = []  # (shown, erased, lines)
        self.loading: list[str] = []  # pop-on: the caption being loaded off screen
        self.line: list[str] = []  # roll-up and paint-on: the line being written on screen
        self.pop_on = True
        self.last_control: tuple[int, int] | None = None

    def feed(self, first: int, second: int) -> None:
        if first == 0 and second == 0:  # padding
            return
        if 0x10 <= first <= 0x1F:
            if (first, second) == self.last_control:  # control codes are sent twice
                self.last_control = None
                return
            self.last_control = (first, second)
            self._control(first & 0x17, second)  # channel 2's codes (0x18-0x1F) read as channel 1's
            return
        self.last_control = None
        for byte in (first, second):
            if byte >= 0x20:
                self._write(_BASIC.get(byte, chr(byte)))

    def flush(self) -> None:
        """Whatever is still being written when the file ends."""
        if self.pop_on:
            self._show_loading()
        self._show_line()

    def _control(self, first: int, second: int) -> None:
        if first in (0x14, 0x15) and 0x20 <= second <= 0x2F:
            self._command(second)
        elif first == 0x11 and 0x30 <= second <= 0x3F:
            self._write(_SPECIAL[second - 0x30])
        elif first == 0x11 and 0x20 <= second <= 0x2F:  # a mid-row style change shows as a space
            self._write(" ")
        elif first in (0x12, 0x13) and 0x20 <= second <= 0x3F:
            self._backspace()  # an extended character replaces its basic stand-in
            self._write((_EXTENDED_12 if first == 0x12 else _EXTENDED_13)[second - 0x20])
        elif 0x40 <= second <= 0x7F:  # a preamble: the caption goes on at another row
            self._new_line()

    def _command(self, code: int) -> None:
        if code == _RCL:
            self._show_line()
            self.pop_on = True
        elif code in _ROLL_UP or code == _RDC:
            if self.pop_on:
                self._show_loading()
            self.pop_on = False
        elif code == _EOC and self.pop_on:
            self._show_loading()
        elif code == _CR and not self.pop_on:
            self._show_line()
        elif code == _EDM and self.shown and self.shown[-1][1] is None:
            self.shown[-1] = (self.shown[-1][0], self.time, self.shown[-1][2])
        elif code == _BS:
            self._backspace()
        elif code == _ENM and self.pop_on:
            self.loading = []

    def _write(self, chars: str) -> None:
        target = self.loading if self.pop_on else self.line
        if not target:
            target.append("")
        target[-1] += chars

    def _backspace(self) -> None:
        target = self.loading if self.pop_on else self.line
        if target and target[-1]:
            target[-1] = target[-1][:-1]

    def _new_line(self) -> None:
        target = self.loading if self.pop_on else self.line
        if target and target[-1].strip():
            target.append("")

    def _show_loading(self) -> None:
        """The pop-on caption loaded so far is shown now."""
        self._show(self.loading)
        self.loading = []

    def _show_line(self) -> None:
        """The roll-up or paint-on line written so far is shown now."""
        self._show(self.line)
        self.line = []

    def _show(self, lines: list[str]) -> None:
        cue = timed_cue(self.time, self.time, [part for part in lines if part.strip()])
        if cue.lines:
            self.shown.append((self.time, None, cue.lines))
