"""News XML inputs (dedup.io.news_xml): RSS and Atom feeds, NITF and NewsML-G2, on small files written
here."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from dedup.io.news_xml import iter_xml_articles
from dedup.io.read import read_documents

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Valley News</title><link>https://valley.example/</link>
<item><title>Storm closes the mountain pass</title><link>https://valley.example/storm</link>
<guid isPermaLink="false">vn-101</guid><pubDate>Mon, 03 Mar 2025 18:30:00 +0100</pubDate>
<description>Short teaser only.</description>
<content:encoded><![CDATA[<p>Heavy snow closed the pass on Monday.</p>
<p>Crews expect to reopen it by Wednesday.</p>]]></content:encoded>
</item>
<item><title>Council approves new bridge</title><link>https://valley.example/bridge</link>
<description>&lt;p&gt;The council voted 7 to 2 for the bridge.&lt;/p&gt;</description></item>
<item><title></title><description></description></item>
</channel></rss>"""

ATOM = """<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>
<entry><id>urn:wire:55</id><title>Harbour strike ends</title>
<link rel="alternate" href="https://wire.example/55"/><published>2025-04-01T09:00:00Z</published>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
<p>Dock workers returned on Tuesday.</p><p>The deal runs three years.</p></div></content>
</entry>
<entry><id>urn:wire:56</id><title>Rates held</title>
<summary>The bank kept its rate at 4 percent.</summary></entry>
</feed>"""

NITF = """<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><head><title>Ferry</title>
<docdata><doc-id id-string="ntb-2025-0042"/><date.issue norm="20250610T0400"/></docdata></head>
<body><body.head><hedline><hl1>New ferry enters service</hl1></hedline>
<byline>By A. Writer</byline></body.head>
<body.content><p>The new electric ferry made its first crossing on Tuesday.</p><hl2>Quieter</hl2>
<p>Passengers said it was quieter than the old one.</p></body.content></body></nitf>"""

NEWSML = """<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet>
<newsItem guid="urn:newsml:example.com:20250701:a1"><contentMeta>
<contentCreated>2025-07-01T10:00:00Z</contentCreated>
<headline>Heatwave grips the south</headline></contentMeta>
<contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body>
<p>Temperatures passed 40 degrees on Tuesday.</p><p>Schools closed early.</p>
</body></html></inlineXML></contentSet>
</newsItem>
<newsItem guid="urn:newsml:example.com:20250701:a2">
<contentMeta><headline>Markets calm</headline></contentMeta>
<contentSet><inlineData contenttype="text/plain">Shares ended flat.</inlineData></contentSet></newsItem>
</itemSet></newsMessage>"""


def test_rss_items_are_articles_with_their_guid_link_and_date() -> None:
    articles = list(iter_xml_articles(RSS.encode()))
    first, second, empty = articles
    assert (first.key, first.url, first.date) == (
        "vn-101",
        "https://valley.example/storm",
        "2025-03-03T18:30:00+01:00",
    )
    assert first.text == (
        "Storm closes the mountain pass\nHeavy snow closed the pass on Monday.\n"
        "Crews expect to reopen it by Wednesday."
    )
    assert second.key == "https://valley.example/bridge"  # no guid: its link
    assert second.text == "Council approves new bridge\nThe council voted 7 to 2 for the bridge."
    assert (empty.key, empty.text, empty.error) == ("3", None, "no headline or body text")


def test_atom_entries_nitf_and_newsml_items_are_read() -> None:
    harbour, rates = iter_xml_articles(ATOM.encode())
    assert (harbour.key, harbour.url, harbour.date) == (
        "urn:wire:55",
        "https://wire.example/55",
        "2025-04-01T09:00:00Z",
    )
    assert (
        harbour.text == "Harbour strike ends\nDock workers returned on Tuesday.\nThe deal runs three years."
    )
    assert rates.text == "Rates held\nThe bank kept its rate at 4 percent."
    (ferry,) = iter_xml_articles(NITF.encode())
    assert (ferry.key, ferry.date) == ("ntb-2025-0042", "2025-06-10T04:00")
    assert ferry.text == (
        "New ferry enters service\nThe new electric ferry made its first crossing on Tuesday.\nQuieter\n"
        "Passengers said it was quieter than the old one."
    )
    heat, calm = iter_xml_articles(NEWSML.encode())
    assert (heat.key, heat.date) == ("urn:newsml:example.com:20250701:a1", "2025-07-01T10:00:00Z")
    assert (
        heat.text
        == "Heatwave grips the south\nTemperatures passed 40 degrees on Tuesday.\nSchools closed early."
    )
    assert calm.text == "Markets calm\nShares ended flat."


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<urlset><url><loc>https://x.example/</loc></url></urlset>", "XML that is not an RSS or Atom feed"),
        (b"<rss><channel><item><title>Cut off", "not well-formed XML"),
    ],
)
def test_other_or_broken_xml_is_one_error(data: bytes, reason: str) -> None:
    (only,) = iter_xml_articles(data)
    assert only.key == "file" and only.text is None and only.error.startswith(reason)


def test_entities_are_not_expanded_and_nothing_is_fetched() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY ext SYSTEM "http://attacker.example/x">]>'
        b"<rss><channel><item><title>T &b; &ext;</title><guid>g</guid></item></channel></rss>"
    )
    (item,) = iter_xml_articles(bomb)
    assert "aaaaaaaaaa" not in (item.text or "")
    assert "attacker" not in (item.text or "")


def test_a_folder_of_feeds_gives_one_document_per_item(tmp_path: Path) -> None:
    (tmp_path / "valley.rss").write_text(RSS, encoding="utf-8")
    (tmp_path / "wire.atom.gz").write_bytes(gzip.compress(ATOM.encode()))
    (tmp_path / "ferry.nitf").write_text(NITF, encoding="utf-8")
    (tmp_path / "sitemap.xml").write_text("<urlset></urlset>", encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == [
        "ferry.nitf#ntb-2025-0042",
        "valley.rss#https://valley.example/bridge",
        "valley.rss#vn-101",
        "wire.atom.gz#urn:wire:55",
        "wire.atom.gz#urn:wire:56",
    ]
    by_id = {d.doc_id: d for d in docs}
    assert by_id["valley.rss#vn-101"].url == "https://valley.example/storm"
    assert by_id["wire.atom.gz#urn:wire:55"].date == "2025-04-01T09:00:00Z"
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons["valley.rss#3"] == "no headline or body text"
    assert reasons["sitemap.xml"].startswith("XML that is not an RSS or Atom feed")


WXR = """<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Town Paper</title>
<item><title>Library reopens</title><guid>https://town.example/?p=10</guid><wp:post_type>post</wp:post_type>
<content:encoded><![CDATA[<p>The library reopened after a year of repairs.</p>]]></content:encoded></item>
<item><title>IMG_2041</title><guid>https://town.example/wp-content/IMG_2041.jpg</guid>
<wp:post_type>attachment</wp:post_type><content:encoded><![CDATA[]]></content:encoded></item>
<item><title>About us</title><guid>https://town.example/?page_id=2</guid><wp:post_type>page</wp:post_type>
<content:encoded><![CDATA[<p>We have covered the town since 1921.</p>]]></content:encoded></item>
</channel></rss>"""


def test_a_wordpress_export_gives_its_posts_and_pages_and_skips_attachments() -> None:
    post, attachment, page = iter_xml_articles(WXR.encode())
    assert post.text == "Library reopens\nThe library reopened after a year of repairs."
    assert page.text == "About us\nWe have covered the town since 1921."
    assert attachment.text is None
    assert attachment.error == "WordPress attachment item, not an article"


def test_a_feed_that_breaks_off_keeps_the_items_before_the_break(tmp_path: Path) -> None:
    cut = RSS[: RSS.index("<item><title></title>")] + "<item><title>Half"
    (tmp_path / "cut.rss").write_text(cut, encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["cut.rss#https://valley.example/bridge", "cut.rss#vn-101"]
    assert len(skipped) == 1
    assert skipped[0].reason.startswith("not well-formed XML after 2 articles")


def test_items_are_streamed_from_a_stream() -> None:
    import io

    items = "".join(f"<item><guid>g{k}</guid><title>Title {k}</title></item>" for k in range(5000))
    stream = io.BytesIO(f"<rss><channel>{items}</channel></rss>".encode())
    articles = iter_xml_articles(stream)
    first = next(articles)
    assert first.key == "g0"
    assert stream.tell() < len(stream.getvalue())  # the rest of the file is not read yet
    assert sum(1 for _ in articles) == 4999


def test_a_post_s_links_and_emphasis_stay_inside_their_paragraph_line() -> None:
    # a CMS writes one block per line; the text after a paragraph's first link or bold word used to
    # start a line of its own, splitting the sentence in two
    post = (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item>'
        "<title>Bridge vote</title><guid>b1</guid><content:encoded><![CDATA["
        '<p>The council voted <a href="https://town.example/vote">on Monday</a> to build a '
        "<strong>new</strong> bridge.</p>\n<p>Work starts in the spring.</p>\n"
        "<ul>\n<li>Cost: <em>about</em> 90 million.</li>\n</ul>\n]]></content:encoded></item></channel></rss>"
    )
    (item,) = iter_xml_articles(post.encode())
    assert item.text == (
        "Bridge vote\nThe council voted on Monday to build a new bridge.\n"
        "Work starts in the spring.\nCost: about 90 million."
    )


def test_a_nitf_paragraph_wrapped_in_the_xml_source_stays_one_line() -> None:
    nitf = (
        '<nitf><head><docdata><doc-id id-string="n1"/></docdata></head><body><body.head><hedline>'
        "<hl1>Bridge vote</hl1></hedline></body.head><body.content>\n"
        '<p>The council voted <a href="https://town.example/vote">on Monday</a> to build\n'
        "    a <em>new</em> bridge.</p>\n<block><p>Work starts in the spring.</p></block>\n"
        "</body.content></body></nitf>"
    )
    (article,) = iter_xml_articles(nitf.encode())
    assert article.text.splitlines() == [
        "Bridge vote",
        "The council voted on Monday to build a new bridge.",
        "Work starts in the spring.",
    ]


def test_a_wordpress_post_s_raw_content_keeps_its_blank_line_paragraphs() -> None:
    # WXR exports hold a post as typed: paragraphs apart by blank lines, no <p> tags, inline HTML
    wxr = (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>Bridge vote</title>'
        "<guid>https://town.example/?p=7</guid><wp:post_type>post</wp:post_type><content:encoded><![CDATA["
        'Photo: Jane Roe\n\nThe council voted <a href="https://town.example/vote">on Monday</a> to\n'
        "build a new bridge.\n\nWork starts in the spring.]]></content:encoded></item></channel></rss>"
    )
    (post,) = iter_xml_articles(wxr.encode())
    assert post.text.splitlines() == [
        "Bridge vote",
        "Photo: Jane Roe",
        "The council voted on Monday to build a new bridge.",
        "Work starts in the spring.",
    ]


NEWSML_1 = b"""<?xml version="1.0" encoding="UTF-8"?>
<NewsML Version="1.2">
  <NewsEnvelope><DateAndTime>20050314T101500Z</DateAndTime></NewsEnvelope>
  <NewsItem>
    <Identification><NewsIdentifier>
      <ProviderId>agency.example</ProviderId><DateId>20050314</DateId>
      <NewsItemId>TX-ABC-0042</NewsItemId><RevisionId>1</RevisionId>
      <PublicIdentifier>urn:newsml:agency.example:20050314:TX-ABC-0042:1</PublicIdentifier>
    </NewsIdentifier></Identification>
    <NewsManagement><FirstCreated>20050314T101200Z</FirstCreated></NewsManagement>
    <NewsComponent>
      <NewsLines><HeadLine>Harbour cranes stop in gale</HeadLine><DateLine>ROTTERDAM</DateLine></NewsLines>
      <NewsComponent>
        <ContentItem><MediaType FormalName="Photo"/><DataContent/></ContentItem>
      </NewsComponent>
      <ContentItem>
        <MediaType FormalName="Text"/><Format FormalName="NITF"/>
        <DataContent><nitf><body><body.content>
          <p>Container cranes at the port stood still on Monday as gusts
          reached 110 km/h.</p>
          <p>Loading is to resume once the wind drops.</p>
        </body.content></body></nitf></DataContent>
      </ContentItem>
    </NewsComponent>
  </NewsItem>
  <NewsItem>
    <Identification><NewsIdentifier><NewsItemId>TX-ABC-0043</NewsItemId></NewsIdentifier></Identification>
    <NewsComponent><ContentItem>
      <DataContent>Ferries to the islands were cancelled.</DataContent>
    </ContentItem></NewsComponent>
  </NewsItem>
</NewsML>
"""

REUTERS_ITEM = """<?xml version="1.0" encoding="iso-8859-1" ?>
<newsitem itemid="90017" id="root" date="1997-03-04" xml:lang="de">
<title>DEUTSCHLAND: Hafenkr\xe4ne stehen still.</title>
<headline>Hafenkr\xe4ne stehen im Sturm still</headline>
<byline>Anna Berg</byline>
<dateline>HAMBURG 1997-03-04</dateline>
<text>
<p>Die Containerkr\xe4ne im Hafen standen am Dienstag still, als B\xf6en 110 km/h erreichten.</p>
<p>Die Verladung soll weitergehen, sobald der Wind nachl\xe4sst.</p>
</text>
<copyright>(c) Example Agency 1997</copyright>
<metadata><codes class="bip:topics:1.0"><code code="GCAT"></code></codes></metadata>
</newsitem>
""".encode("latin-1")


def test_newsml_1_items_are_their_headline_and_text_content() -> None:
    first, second = iter_xml_articles(NEWSML_1)
    assert first.key == "urn:newsml:agency.example:20050314:TX-ABC-0042:1"
    assert first.date == "2005-03-14T10:12"
    assert first.text == (
        "Harbour cranes stop in gale\n"
        "Container cranes at the port stood still on Monday as gusts reached 110 km/h.\n"
        "Loading is to resume once the wind drops."
    )
    assert (second.key, second.text) == ("TX-ABC-0043", "Ferries to the islands were cancelled.")


def test_a_reuters_corpus_item_is_its_headline_and_paragraphs(tmp_path: Path) -> None:
    (tmp_path / "90017newsML.xml").write_bytes(REUTERS_ITEM)
    docs, skipped = read_documents(tmp_path)
    assert skipped == []
    assert [(d.doc_id, d.date) for d in docs] == [("90017newsML.xml#90017", "1997-03-04")]
    assert docs[0].text == (
        "Hafenkräne stehen im Sturm still\n"
        "Die Containerkräne im Hafen standen am Dienstag still, als Böen 110 km/h erreichten.\n"
        "Die Verladung soll weitergehen, sobald der Wind nachlässt."
    )


ALTO_PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v3#">
<Description><sourceImageInformation><fileName>/scans/1921/0412/page-003.jp2</fileName>
</sourceImageInformation></Description>
<Layout><Page ID="P1"><PrintSpace>
<TextBlock ID="B1"><TextLine><String CONTENT="HARBOUR"/><SP/><String CONTENT="STRIKE"/><SP/>
<String CONTENT="ENDS"/></TextLine></TextBlock>
<TextBlock ID="B2">
<TextLine><String CONTENT="The"/><SP/><String CONTENT="dockers"/><SP/><String CONTENT="went"/><SP/>
<String CONTENT="back"/><SP/><String CONTENT="yester" SUBS_TYPE="HypPart1" SUBS_CONTENT="yesterday"/>
<HYP CONTENT="-"/></TextLine>
<TextLine><String CONTENT="day" SUBS_TYPE="HypPart2" SUBS_CONTENT="yesterday"/><SP/>
<String CONTENT="after"/><SP/><String CONTENT="a"/><SP/><String CONTENT="long"/><SP/>
<String CONTENT="nego"/><HYP CONTENT="-"/></TextLine>
<TextLine><String CONTENT="tiation."/></TextLine>
</TextBlock>
<TextBlock ID="B3"><TextLine><String CONTENT="Ships"/><SP/><String CONTENT="sail"/><SP/>
<String CONTENT="again."/></TextLine></TextBlock>
</PrintSpace></Page></Layout></alto>
"""


def test_an_alto_page_is_its_text_blocks_with_hyphenated_words_read_whole(tmp_path: Path) -> None:
    (tmp_path / "page-003.xml").write_bytes(ALTO_PAGE)
    (tmp_path / "empty.xml").write_bytes(
        b'<alto xmlns="http://www.loc.gov/standards/alto/ns-v3#"><Layout><Page/></Layout></alto>'
    )
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["page-003.xml#page-003.jp2"]
    assert docs[0].text == (
        "HARBOUR STRIKE ENDS\nThe dockers went back yesterday after a long negotiation.\nShips sail again."
    )
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("empty.xml#1", "no text in the ALTO page (no TextBlock words)")
    ]
