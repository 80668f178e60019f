"""Hard-wrapped text is split as the paragraphs it wraps; a paragraph or item per line is not joined."""

from __future__ import annotations

import textwrap

import pytest

from dedup.text.reflow import is_hard_wrapped, join_continued_lines, unwrap
from dedup.text.segment import split_sentences

STORY = (
    "The council voted on Monday to build a new bridge over the river, ending a decade of argument "
    "about the crossing. Work starts in the spring and should take about three years, the mayor "
    "said. The old ferry will keep running until the bridge opens, and fares will not rise."
)
HISTORIE = (
    "Kommunestyret vedtok mandag å bygge en ny bro over elva, etter ti år med krangel om "
    "kryssingen. Arbeidet starter til våren og skal ta omtrent tre år, sa ordføreren. Den gamle "
    "ferja går til broa åpner, og prisene går ikke opp."
)


@pytest.mark.parametrize("width", [50, 65, 72, 80])
@pytest.mark.parametrize("paragraph", [STORY, HISTORIE])
def test_text_wrapped_at_a_fixed_width_splits_into_the_sentences_of_its_paragraphs(
    paragraph: str, width: int
) -> None:
    wrapped = "Bridge vote\n\n" + textwrap.fill(paragraph, width) + "\n\n" + textwrap.fill(paragraph, width)
    assert is_hard_wrapped(wrapped)
    expected = ["Bridge vote"] + split_sentences(paragraph) * 2
    assert split_sentences(unwrap(wrapped)) == expected
    assert len(expected) == 7


def test_a_word_hyphenated_at_the_wrap_is_rejoined() -> None:
    wrapped = (
        "The council voted on Monday to build a new bridge over the river, end-\n"
        "ing a decade of argument about the crossing between the two towns and\n"
        "the ferry company that has run the route since the war ended in 1945.\n"
        "Work starts in the spring and should take about three years, the may-\n"
        "or said, and the old ferry will keep running until the bridge opens.\n"
    )
    assert unwrap(wrapped).splitlines() == [
        "The council voted on Monday to build a new bridge over the river, ending a decade of argument "
        "about the crossing between the two towns and the ferry company that has run the route since the "
        "war ended in 1945.",
        "Work starts in the spring and should take about three years, the mayor said, and the old ferry "
        "will keep running until the bridge opens.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        STORY.replace(". ", ".\n"),  # one sentence per line
        "Storm closes the pass\n" + STORY + "\n" + HISTORIE,  # one paragraph per line
        "Requirements for the post of senior editor at the paper\nDriving licence for cars and vans\n"
        "Experience of running a newsroom of ten people\nFlexible working hours and a pension plan\n"
        "Good written and spoken English and Norwegian",  # a list, each item capitalised
        "- cheaper tickets for students and pensioners on all lines\n- a new night bus between the two "
        "towns on weekends\n- more bicycle parking at the main stations of the city\n- free wifi on every "
        "train and bus in the region",
        "Storm hits the coast\nThousands lost power\nFerries cancelled",  # too few lines
        "台风今天登陆，数千户停电，渡轮全部停航，学校明天停课，\n政府呼吁居民留在室内，远离海边，\n"
        "气象部门预计风力将在夜间减弱，\n电力公司说，恢复供电可能需要数天。",
    ],
)
def test_text_with_a_paragraph_or_item_per_line_is_left_as_it_is(text: str) -> None:
    assert not is_hard_wrapped(text)
    assert unwrap(text) == text


def test_wrapped_chinese_joins_without_a_space_and_korean_with_one() -> None:
    from dedup.text.reflow import reflow

    chinese = "市议会周一投票决定在河上修建一座新桥，结束了关于\n渡口长达十年的争论。"
    assert reflow(chinese) == "市议会周一投票决定在河上修建一座新桥，结束了关于渡口长达十年的争论。"
    korean = "시의회는 월요일 강 위에 새 다리를 건설하기로 의결해 10년 동안 이어진\n논쟁을 끝냈다."
    assert reflow(korean) == korean.replace("\n", " ")


def test_a_sentence_broken_by_a_stray_line_break_is_joined_back() -> None:
    text = (
        "Bridge plan approved\n"
        "The council voted on Monday to build\na new bridge over the river.\n"
        "Совет в понедельник решил построить\nновый мост через реку."
    )
    assert split_sentences(join_continued_lines(text)) == [
        "Bridge plan approved",
        "The council voted on Monday to build a new bridge over the river.",
        "Совет в понедельник решил построить новый мост через реку.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The council voted on Monday.\nwork starts in spring",  # the line before ends a sentence
        "Bridge plan approved\nThe council voted on Monday.",  # a headline, then a capitalised line
        "Phones of the year\niPhone sales rose again.",  # a word that is not all lower case
        "The plan has two parts:\nbuilding a bridge, and a tunnel.",  # a colon ends the line
        "The council voted\n\non Monday.",  # a blank line: two paragraphs
        "市议会周一投票决定\n在河上修建一座新桥。",  # no case to read
    ],
)
def test_lines_that_do_not_go_on_with_the_sentence_before_stay_apart(text: str) -> None:
    assert join_continued_lines(text) == text


def test_caption_segments_and_plain_text_lines_are_not_joined() -> None:
    # A caption reader cuts unpunctuated speech into segments on purpose; unwrap keeps them.
    segments = "so today we are going to talk about the new bridge\nthat the council wants to build"
    assert unwrap(segments) == segments


def test_a_br_inside_a_feed_item_s_sentence_is_joined_and_lists_and_paragraphs_stay_apart() -> None:
    from dedup.io.html_text import visible_text

    html = (
        "<p>The council voted<br>on Monday to build a bridge.<br>Work starts soon.</p>"
        "<ul><li>a road</li><li>buses</li></ul><p>Two roads<br><br>two bridges</p>"
    )
    expected = (
        "The council voted on Monday to build a bridge.\nWork starts soon.\na road\nbuses\n"
        "Two roads\ntwo bridges"  # <br><br> is a paragraph break
    )
    assert visible_text(html) == expected


def test_an_rtf_line_break_inside_a_sentence_is_joined() -> None:
    import io

    from dedup.io.rtf import rtf_text

    rtf = rb"{\rtf1\ansi The council voted\line on Monday to build a bridge.\par Work starts soon.\par}"
    assert rtf_text(io.BytesIO(rtf), max_bytes=10_000) == (
        "The council voted on Monday to build a bridge.\nWork starts soon.",
        "",
    )


def test_a_web_page_paragraph_with_a_br_inside_a_sentence_gives_whole_sentences() -> None:
    from dedup.io.html_text import extract_html

    body = [
        "The council voted on Monday to build a new bridge over the river, ending years of argument.",
        "Engineers say they will have to build a pier in the middle of the river mouth first.",
        "The old ferry keeps running until the bridge opens, and the fares will not rise.",
    ]
    paragraphs = "".join(f"<p>{sentence.replace(' to build ', ' to build<br>')}</p>" for sentence in body)
    page = f"<html><body><article><h1>Bridge plan approved</h1>{paragraphs}</article></body></html>"
    assert "<br>" in paragraphs
    assert split_sentences(unwrap(extract_html(page))) == ["Bridge plan approved", *body]
