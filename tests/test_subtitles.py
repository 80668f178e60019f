"""Subtitle files (.srt, .vtt): a broadcast's spoken text as one article, its display lines rejoined."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest

from dedup.io.read import read_documents
from dedup.io.subtitles import parse_cues, subtitle_text

# SubRip as subtitlers deliver it: counters, CRLF, italics, a font tag, a SubStation position
# override, an entity, a sound line, a sentence run across two cues, a pause and a new speaker.
REPORT_SRT = (
    "1\r\n00:00:00,500 --> 00:00:03,000\r\n{\\an8}<i>Heavy rain flooded</i> the lower town\r\n"
    "on Sunday night.\r\n\r\n"
    '2\r\n00:00:03,100 --> 00:00:05,900\r\n<font color="#ffff00">About 200 homes</font>\r\n'
    "were evacuated, police said.\r\n\r\n"
    "3\r\n00:00:06,000 --> 00:00:07,000\r\n[sirens]\r\n\r\n"
    "4\r\n00:00:07,100 --> 00:00:09,000\r\nThe river rose faster\r\n\r\n"
    "5\r\n00:00:09,100 --> 00:00:11,000\r\nthan anyone expected.\r\n\r\n"
    "6\r\n00:00:14,000 --> 00:00:16,000\r\nSchools &amp; shops stay shut\r\ntoday.\r\n\r\n"
    "7\r\n00:00:16,100 --> 00:00:18,000\r\n>> We lost everything downstairs.\r\n"
)

# WebVTT with a header, a NOTE and a STYLE block, cue identifiers, cue settings, voice and class
# spans, hours left out, and automatic captions' roll-up (each cue repeats the line before).
ROLLUP_VTT = (
    "WEBVTT\nKind: captions\nLanguage: en\n\n"
    "NOTE exported by the desk\n\n"
    "STYLE\n::cue { color: white }\n\n"
    "intro\n00:01.000 --> 00:03.000 align:start position:0%\n<v Anchor>Good evening.\n\n"
    "00:03.000 --> 00:05.000\nGood evening.\n<c.yellow>the ferry</c><00:03.500><c> strike</c> is over\n\n"
    "00:05.000 --> 00:07.000\nthe ferry strike is over\nafter nine days of talks.\n"
)


def test_an_srt_file_gives_its_spoken_text_in_paragraphs() -> None:
    text, why = subtitle_text(REPORT_SRT)
    assert why == ""
    assert text == (
        "Heavy rain flooded the lower town on Sunday night. About 200 homes were evacuated, police said."
        " The river rose faster than anyone expected.\n"  # a 3 s pause ends the paragraph
        "Schools & shops stay shut today.\n"
        "We lost everything downstairs."  # a new speaker
    )


def test_a_webvtt_file_without_its_header_blocks_markup_and_roll_up_repeats() -> None:
    text, why = subtitle_text(ROLLUP_VTT)
    assert why == ""
    assert text == "Good evening. the ferry strike is over after nine days of talks."


def test_a_youtube_sbv_export_reads_like_srt(tmp_path: Path) -> None:
    sbv = (
        "0:00:00.500,0:00:03.000\nHeavy rain flooded the lower town\non Sunday night.\n\n"
        "0:00:03.100,0:00:05.900\nAbout 200 homes were evacuated.\n\n"
        "0:00:09.000,0:00:11.000\nSchools stay shut today.\n"
    )
    assert [(c.start, c.end) for c in parse_cues(sbv)] == [(0.5, 3.0), (3.1, 5.9), (9.0, 11.0)]
    (tmp_path / "flood.sbv").write_text(sbv, encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    assert [(d.doc_id, d.text) for d in docs] == [
        (
            "flood.sbv",
            "Heavy rain flooded the lower town on Sunday night. About 200 homes were evacuated.\n"
            "Schools stay shut today.",  # a pause of 3 s
        )
    ]
    assert skipped == []
    # a caption line that only lists two times is text, not an SBV timing
    assert subtitle_text("1\n00:00:01,000 --> 00:00:02,000\n10:30,11:45\n")[0] == "10:30,11:45"


def test_cue_times_are_read_with_and_without_hours() -> None:
    cues = parse_cues(ROLLUP_VTT) + parse_cues(REPORT_SRT)
    assert [(c.start, c.end) for c in cues[:2]] == [(1.0, 3.0), (3.0, 5.0)]
    assert (cues[3].start, cues[3].end) == (0.5, 3.0)
    assert parse_cues("1\n01:02:03,040 --> 01:02:04,500\nLate news.\n")[0].start == 3723.04


def test_cues_without_blank_lines_between_them_keep_their_counters_out() -> None:
    squeezed = (
        "1\n00:00:01,000 --> 00:00:02,000\nFirst line.\n2\n00:00:02,100 --> 00:00:03,000\nSecond line.\n"
    )
    assert subtitle_text(squeezed) == ("First line. Second line.", "")


def test_chinese_and_japanese_lines_join_without_a_space_and_korean_with_one() -> None:
    def two_cues(first: str, second: str) -> str:
        return f"1\n00:00:01,000 --> 00:00:02,000\n{first}\n\n2\n00:00:02,100 --> 00:00:03,000\n{second}\n"

    assert subtitle_text(two_cues("大雨で川が", "氾濫しました。"))[0] == "大雨で川が氾濫しました。"
    assert subtitle_text(two_cues("暴雨导致河水", "泛滥。"))[0] == "暴雨导致河水泛滥。"
    assert subtitle_text(two_cues("폭우로 강물이", "범람했습니다."))[0] == "폭우로 강물이 범람했습니다."


def _contiguous_srt(lines: list[str]) -> str:
    """Cues of two seconds each, one after the other (no pause)."""
    cues = []
    for n, line in enumerate(lines):
        cues.append(f"{n + 1}\n00:00:{2 * n:02d},000 --> 00:00:{2 * n + 2:02d},000\n{line}\n")
    return "\n".join(cues)


def test_automatic_captions_without_punctuation_break_into_sentence_sized_lines() -> None:
    words = "so today we are going to look at how the new bridge was built and why it took so long".split()
    cues = [" ".join(words[k % 12 : k % 12 + 6]) for k in range(24)]  # 24 cues of 6 words, no punctuation
    lines = subtitle_text(_contiguous_srt(cues))[0].split("\n")
    assert len(lines) > 1 and " ".join(lines) == " ".join(cues)
    assert all(200 <= len(line) < 200 + 40 for line in lines[:-1])  # each ends at the cue that passes 200
    punctuated = [cue.capitalize() + "." for cue in cues]  # the same words, sentences ending in each cue
    assert subtitle_text(_contiguous_srt(punctuated))[0] == " ".join(punctuated)


def test_speaker_names_in_capitals_start_a_paragraph_and_notes_before_the_words_go() -> None:
    captions = _contiguous_srt(
        [
            "ANCHOR: Good evening.",
            "The ferry strike is over.",
            "DR. BERG: We are relieved.",
            "[laughs] It was a long week.",
            "Note: fares stay the same.",  # a word with a colon, not a name in capitals
        ]
    )
    assert subtitle_text(captions)[0] == (
        "Good evening. The ferry strike is over.\n"
        "We are relieved. It was a long week. Note: fares stay the same."
    )


def test_a_file_without_timed_cues_is_not_a_subtitle() -> None:
    text, why = subtitle_text("WEBVTT\n\nNOTE nothing was said\n")
    assert text is None and "no subtitle cues" in why


def test_subtitle_files_are_read_plain_compressed_and_bundled_and_an_empty_one_is_skipped(
    tmp_path: Path,
) -> None:
    # a legacy code page, decoded as any text file is
    (tmp_path / "flood.srt").write_bytes(REPORT_SRT.encode("cp1252"))
    (tmp_path / "ferry.vtt.gz").write_bytes(gzip.compress(ROLLUP_VTT.encode("utf-8")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("clips/flood.srt", REPORT_SRT)
    (tmp_path / "clips.zip").write_bytes(buf.getvalue())
    (tmp_path / "blank.vtt").write_text("WEBVTT\n\n", encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    by_id = {d.doc_id: d.text for d in docs}
    assert sorted(by_id) == ["clips.zip#clips/flood.srt", "ferry.vtt.gz", "flood.srt"]
    assert by_id["flood.srt"] == by_id["clips.zip#clips/flood.srt"] == subtitle_text(REPORT_SRT)[0]
    assert by_id["ferry.vtt.gz"] == subtitle_text(ROLLUP_VTT)[0]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("blank.vtt", "no subtitle cues (no line timed as 00:00:01,000 --> 00:00:02,000)")
    ]


# The same news item as broadcast captions (English, cut into two-line cues mid-sentence) and as a
# Norwegian article: the captions' sentences only align with the article's once their lines are rejoined.
NEWS_SRT = """1
00:00:01,000 --> 00:00:03,500
The city council in Bergen voted on Tuesday
to build a new bridge

2
00:00:03,600 --> 00:00:06,000
over the harbour, ending ten years
of argument about the crossing.

3
00:00:06,100 --> 00:00:09,000
Work on the bridge will start in the spring
and should take about three years.

4
00:00:09,100 --> 00:00:12,000
The old ferry will keep running
until the bridge opens, the mayor said.
"""

NEWS_NB = (
    "Bystyret i Bergen vedtok tirsdag å bygge en ny bro over havnen, og avsluttet dermed ti år med "
    "strid om kryssingen. Arbeidet med broen starter til våren og skal ta omtrent tre år. Den gamle "
    "fergen fortsetter å gå til broen åpner, sa ordføreren."
)

UNRELATED_EN = (
    "A new exhibition of Viking jewellery opened at the university museum on Friday. The pieces were "
    "found by farmers over the past century. The museum expects many visitors during the summer holiday."
)


@pytest.mark.model
def test_broadcast_captions_link_to_their_article_with_whole_sentences_as_evidence(tmp_path: Path) -> None:
    import dedup

    (tmp_path / "bridge.srt").write_text(NEWS_SRT, encoding="utf-8")
    (tmp_path / "bro.txt").write_text(NEWS_NB, encoding="utf-8")
    (tmp_path / "museum.txt").write_text(UNRELATED_EN, encoding="utf-8")
    result = dedup.scan(tmp_path, encoder=dedup.load_encoder(), config=dedup.ScanConfig(use_cache=False))
    assert [sorted(g.members) for g in result.groups if len(g.members) > 1] == [["bridge.srt", "bro.txt"]]
    (pair,) = [p for p in result.pairs if {p.doc_a, p.doc_b} == {"bridge.srt", "bro.txt"}]
    assert pair.relation.value == "translation" and pair.confidence >= 0.9
    assert {a.text_a if a.text_a.startswith("The city") else a.text_b for a in pair.aligned} >= {
        "The city council in Bergen voted on Tuesday to build a new bridge over the harbour, ending ten"
        " years of argument about the crossing."
    }


# TTML as broadcasters archive it (EBU-TT): frames at 25 per second, a div that starts 10 s in, a
# styled span and a <br/> in one paragraph, source line breaks that are only whitespace, a sound
# line, a pause and a new speaker.
EBU_TT = """<?xml version="1.0" encoding="UTF-8"?>
<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"
    xmlns:tts="http://www.w3.org/ns/ttml#styling" ttp:frameRate="25" xml:lang="en">
  <head><metadata><p>Not a caption: head metadata.</p></metadata></head>
  <body><div begin="00:00:10:00">
    <p begin="00:00:00:00" end="00:00:02:12"><span tts:color="yellow">Floods closed the main
      road</span><br/>into the valley on Monday.</p>
    <p begin="00:00:02:15" end="00:00:05:00">Crews expect to reopen it by Friday.</p>
    <p begin="00:00:05:05" end="00:00:06:00">[sirens]</p>
    <p begin="00:00:09:00" end="00:00:11:00">The river rose faster than expected.</p>
    <p begin="00:00:11:05" end="00:00:13:00">&gt;&gt; We lost everything downstairs.</p>
  </div></body>
</tt>
"""

# DFXP as streaming services deliver it: times in ticks, one paragraph given a duration.
DFXP = """<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"
    ttp:tickRate="10000000"><body><div>
  <p begin="10000000t" end="30000000t">The ferry strike is over</p>
  <p begin="30500000t" dur="20000000t">after nine days of talks.</p>
  <p begin="90000000t" end="110000000t">Services resume on Monday.</p>
</div></body></tt>
"""


def test_ttml_captions_give_their_spoken_text_in_paragraphs(tmp_path: Path) -> None:
    (tmp_path / "evening.ttml").write_text(EBU_TT, encoding="utf-8")
    (tmp_path / "ferry.dfxp").write_text(DFXP, encoding="utf-8")
    (tmp_path / "archive.xml").write_text(EBU_TT.replace("Monday", "Tuesday"), encoding="utf-8")
    (tmp_path / "empty.ttml").write_text(
        '<tt xmlns="http://www.w3.org/ns/ttml"><body/></tt>', encoding="utf-8"
    )
    docs, skipped = read_documents(tmp_path)
    by_id = {d.doc_id: d.text for d in docs}
    assert by_id["evening.ttml#1"] == (
        "Floods closed the main road into the valley on Monday. Crews expect to reopen it by Friday.\n"
        "The river rose faster than expected.\n"  # 3 s after the last caption (the sound line is no text)
        "We lost everything downstairs."
    )
    assert by_id["archive.xml#1"] == by_id["evening.ttml#1"].replace("Monday", "Tuesday")
    assert (
        by_id["ferry.dfxp#1"]
        == "The ferry strike is over after nine days of talks.\nServices resume on Monday."
    )
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("empty.ttml#1", "no captions in the TTML body (no <p> with text)")
    ]


def _odd(byte: int) -> int:
    """The byte with CEA-608's odd parity bit."""
    return byte | 0x80 if bin(byte).count("1") % 2 == 0 else byte


def _words(*pairs: tuple[int, int]) -> str:
    return " ".join(f"{_odd(a):02x}{_odd(b):02x}" for a, b in pairs)


def _chars(text: str) -> str:
    data = text.encode("ascii") + (b"\x00" if len(text) % 2 else b"")
    return _words(*zip(data[::2], data[1::2], strict=True))


def _control(first: int, second: int) -> str:
    return _words((first, second), (first, second))  # control codes go out twice


RCL, EOC, EDM, CR, RU2 = (0x14, 0x20), (0x14, 0x2F), (0x14, 0x2C), (0x14, 0x2D), (0x14, 0x25)
ROW_14, ROW_15 = (0x14, 0x50), (0x14, 0x70)  # preambles: rows 14 and 15, indent 0


def _scc_line(timecode: str, *words: str) -> str:
    return f"{timecode}\t" + " ".join(words)


def test_scc_pop_on_and_roll_up_captions_give_their_spoken_text(tmp_path: Path) -> None:
    rcl, eoc, edm, cr = _control(*RCL), _control(*EOC), _control(*EDM), _control(*CR)
    row_14, row_15 = _control(*ROW_14), _control(*ROW_15)
    pop_on = "\n\n".join(
        [
            "Scenarist_SCC V1.0",
            # row 14 then row 15: one caption of two lines; "*" is the basic set's á
            _scc_line(
                "00:00:01:00", rcl, row_14, _chars("Rain fell in M*laga"), row_15, _chars("all night."), eoc
            ),
            # a music note (special set, left out as sound), "A" replaced by "Ä" (extended set), a
            # mid-row style code (a space)
            _scc_line(
                "00:00:03:00",
                *(rcl, row_15, _words((0x11, 0x37)), _chars("A"), _words((0x13, 0x30)), _chars("rzte")),
                *(_words((0x11, 0x2E)), _chars("warn."), eoc),
            ),
            _scc_line("00:00:05:00", edm),
            # shown 6 s after the last caption was erased: a new paragraph
            _scc_line("00:00:11:00", rcl, row_15, _chars("Roads reopen today."), eoc),
        ]
    )
    roll_up = "\n\n".join(
        [
            "Scenarist_SCC V1.0",
            _scc_line("00:00:01:00", _control(*RU2), row_15, _chars(">> The council met"), cr),
            _scc_line("00:00:02:10", _chars("on Monday night."), cr),
            # written by hand: RCL, a preamble, HELLO, EOC
            "00:00:04:00\t9420 9420 94d0 94d0 c845 4c4c cf80 942f 942f",
        ]
    )
    (tmp_path / "storm.scc").write_text(pop_on, encoding="ascii")
    (tmp_path / "council.scc.gz").write_bytes(gzip.compress(roll_up.encode("ascii")))
    (tmp_path / "notes.scc").write_text("00:00:01:00\t9420 9420\n", encoding="ascii")  # no header
    (tmp_path / "empty.scc").write_text("Scenarist_SCC V1.0\n\n00:00:01:00\t942c 942c\n", encoding="ascii")
    docs, skipped = read_documents(tmp_path)
    by_id = {d.doc_id: d.text for d in docs}
    assert by_id == {
        "storm.scc": "Rain fell in Málaga all night. Ärzte warn.\nRoads reopen today.",
        "council.scc.gz": "The council met on Monday night. HELLO",
    }
    assert sorted((Path(s.path).name, s.reason) for s in skipped) == [
        ("empty.scc", "no captions in the SCC file"),
        ("notes.scc", "not a Scenarist SCC file (it does not start with Scenarist_SCC)"),
    ]


def test_caption_tracks_in_a_web_crawl_are_read_as_captions(tmp_path: Path, make_warc) -> None:
    vtt = ROLLUP_VTT.encode("utf-8")
    plain_url = "https://tv.example/b.vtt?v=2"  # a caption track served as plain text: the ending tells
    make_warc(
        tmp_path / "crawl.warc.gz",
        [
            {"body": vtt, "content_type": "text/vtt", "id": "urn:uuid:vtt", "url": "https://tv.example/a"},
            {"body": REPORT_SRT.encode(), "content_type": "application/x-subrip", "id": "urn:uuid:srt"},
            {"body": vtt, "content_type": "text/plain", "id": "urn:uuid:plain", "url": plain_url},
            {"body": b"Just a note.", "content_type": "text/plain", "id": "urn:uuid:note"},
        ],
    )
    docs, skipped = read_documents(tmp_path)
    assert {d.doc_id: d.text for d in docs} == {
        "crawl.warc.gz#urn:uuid:vtt": subtitle_text(ROLLUP_VTT)[0],
        "crawl.warc.gz#urn:uuid:srt": subtitle_text(REPORT_SRT)[0],
        "crawl.warc.gz#urn:uuid:plain": subtitle_text(ROLLUP_VTT)[0],
        "crawl.warc.gz#urn:uuid:note": "Just a note.",
    }
    assert skipped == []
