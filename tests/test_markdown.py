"""Markdown articles are read as the text they render: front matter and markup left out."""

from __future__ import annotations

import gzip
from pathlib import Path

from dedup.io.markdown_text import markdown_text
from dedup.io.read import read_documents

# A static site's post, written for these tests.
HUGO_POST = """---
title: "Ferry strike ends after three days"
date: 2024-06-11T08:00:00+02:00
tags: [ferries, strikes]
draft: false
---

Ferry crews on the west coast went back to work on **Tuesday** after the union and the
operators agreed on [a new wage deal](https://paper.example/deal).

![A ferry at the quay](/img/ferry.jpg)

| Route | Crossings cancelled |
|-------|---------------------|
| Bergen-Stavanger | 120 |

```
<iframe src="https://video.example/embed/1"></iframe>
```

- Island shops had no deliveries.
- Schools stayed open.
"""


def test_a_post_is_its_title_and_body_text_without_markup():
    text, why = markdown_text(HUGO_POST)
    assert why == ""
    assert text.splitlines() == [
        "Ferry strike ends after three days",
        "Ferry crews on the west coast went back to work on Tuesday after the union and the "
        "operators agreed on a new wage deal.",
        "Route Crossings cancelled",
        "Bergen-Stavanger 120",
        "Island shops had no deliveries.",
        "Schools stayed open.",
    ]


def test_toml_front_matter_and_a_heading_repeating_the_title():
    page = '+++\ntitle = "Bridge vote"\ndate = 2024-06-11\n+++\n# Bridge vote\n\nThe council voted.\n'
    assert markdown_text(page) == ("Bridge vote\nThe council voted.", "")


def test_front_matter_alone_is_no_article():
    text, why = markdown_text("---\ntitle: \ndate: 2024-06-11\n---\n![](a.jpg)\n")
    assert text is None and "without text" in why


def test_markdown_files_plain_compressed_and_named_markdown_are_read(tmp_path: Path):
    (tmp_path / "post.md").write_text(HUGO_POST, encoding="utf-8")
    (tmp_path / "post2.markdown.gz").write_bytes(gzip.compress(HUGO_POST.encode()))
    (tmp_path / "empty.md").write_text("---\ntitle:\n---\n", encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["post.md", "post2.markdown.gz"]
    assert docs[0].text == docs[1].text
    assert docs[0].text.startswith("Ferry strike ends after three days\nFerry crews")
    assert "https://" not in docs[0].text and "draft" not in docs[0].text
    assert [Path(s.path).name for s in skipped] == ["empty.md"]
