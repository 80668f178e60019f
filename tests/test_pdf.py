"""PDF inputs (dedup.io.pdf): the text layer of PDFs written here by hand, its wrapped lines rejoined."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from dedup.io.read import read_documents
from dedup.text.reflow import reflow


def make_pdf(pages: list[list[str]], *, compress: bool = False) -> bytes:
    """A minimal PDF: each page's lines in Helvetica, one under the other (no text layer if empty);
    ``compress`` deflates the content streams, as real PDFs do."""
    n_pages = len(pages)
    objects: list[str | bytes] = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [{}] /Count {} >>".format(
            " ".join(f"{4 + 2 * k} 0 R" for k in range(n_pages)), n_pages
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for k, lines in enumerate(pages):
        escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
        ops = " T* ".join(f"({line}) Tj" for line in escaped)
        stream = f"BT /F1 10 Tf 14 TL 50 780 Td {ops} ET" if lines else ""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * k} 0 R >>"
        )
        data = zlib.compress(stream.encode("latin-1")) if compress else stream.encode("latin-1")
        flate = " /Filter /FlateDecode" if compress else ""
        objects.append(f"<< /Length {len(data)}{flate} >>\nstream\n".encode() + data + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        raw = body if isinstance(body, bytes) else body.encode("latin-1")
        out += f"{number} 0 obj\n".encode() + raw + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


RELEASE = [
    [
        "Harbour authority press release",
        "The harbour authority approved the new container terminal on",
        "Tuesday after a two-year review of its environmental impact and",
        "its cost, which the board put at 240 million euros in total.",
        "Construction starts in the spring and is expected to take three",
        "years, the director of the authority told reporters after the meet-",
        "ing in the town hall.",
    ],
    ["Residents may comment on the plans until the end of the month at the town hall."],
]


def test_a_pdf_press_release_reads_as_paragraphs_across_pages(tmp_path: Path) -> None:
    (tmp_path / "release.pdf").write_bytes(make_pdf(RELEASE, compress=True))
    docs, skipped = read_documents(tmp_path)
    assert not skipped
    (doc,) = docs
    assert doc.text.splitlines() == [
        "Harbour authority press release",
        "The harbour authority approved the new container terminal on Tuesday after a two-year review of "
        "its environmental impact and its cost, which the board put at 240 million euros in total.",
        "Construction starts in the spring and is expected to take three years, the director of the "
        "authority told reporters after the meeting in the town hall.",
        "Residents may comment on the plans until the end of the month at the town hall.",
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (make_pdf([[]]), "PDF without a text layer"),
        (b"%PDF-1.4\nthis is not a real PDF body", "unreadable PDF"),
    ],
)
def test_a_pdf_without_text_or_unreadable_is_skipped_with_the_reason_and_nothing_printed(
    tmp_path: Path, content: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "scan.pdf").write_bytes(content)
    docs, skipped = read_documents(tmp_path)
    assert docs == []
    assert len(skipped) == 1 and skipped[0].reason.startswith(reason)
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]  # caught, never handled


def test_reflow_keeps_headlines_sentence_ends_and_blank_lines_and_joins_cjk_without_spaces() -> None:
    page = "\n".join(
        [
            "Council votes",
            "The council voted on Monday to build a new bridge over",
            "the river, ending a debate that lasted a full decade.",
            "",
            "Work starts in May and the bridge opens in two years",
            "time if the budget holds, officials said on Monday.",
        ]
    )
    assert reflow(page).splitlines() == [
        "Council votes",
        "The council voted on Monday to build a new bridge over the river, ending a debate that lasted "
        "a full decade.",
        "Work starts in May and the bridge opens in two years time if the budget holds, officials said on "
        "Monday.",
    ]
    assert (
        reflow("市议会周一投票决定在河上修建一座新桥，结束了长达十年\n的争论。")
        == "市议会周一投票决定在河上修建一座新桥，结束了长达十年的争论。"
    )


def test_the_archive_manifest_reads_a_pdf_date_for_the_earliest_rule(tmp_path: Path) -> None:
    from dedup.outputs.archive_policy import build_manifest
    from dedup.types import DocumentInfo, Group, ScanResult

    (tmp_path / "a.txt").write_text("Released 2023-06-01 by the harbour authority.", encoding="utf-8")
    pdf = make_pdf([["Released 2021-02-03 by the harbour authority."]], compress=True)
    assert b"2021" not in pdf  # the date is only in the deflated text layer
    (tmp_path / "b.pdf").write_bytes(pdf)
    docs = tuple(DocumentInfo(name, "en", 5, 500) for name in ("a.txt", "b.pdf"))
    group = Group("g00001", ("a.txt", "b.pdf"), 0.9, ("en",))
    result = ScanResult(documents=docs, pairs=(), groups=(group,))
    keep = next(r for r in build_manifest(result, tmp_path) if r.role == "keep")
    assert keep.path == "b.pdf"
    assert "earliest date" in keep.reason
