from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dedup.cli.app import app
from dedup.encoders.base import HashingEncoder
from dedup.io.read import read_documents
from dedup.io.scan_files import read_scan_output, write_scan
from dedup.outputs.html_report import render_html
from dedup.runners.local import scan
from dedup.types import AlignedSentence, DocumentInfo, Group, Pair, Relation, ScanResult

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SEED_A = "000_c25041f4db78ded7.txt"
SEED_B = "001_22857d8c1e2fe89c.txt"
EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">"\'&'


def _hostile_result() -> tuple[ScanResult, dict[str, str]]:
    """Three groups with different confidences; the texts and ids try to inject markup."""
    evil_id = 'x"><script>window.__pwned=3</script>.txt'
    docs = tuple(DocumentInfo(d, "en", 2, 50) for d in ("a.txt", "b.txt", "c.txt", "d.txt", evil_id))
    aligned = (AlignedSentence(0, 0, EVIL, EVIL, 0.91, 1.3), AlignedSentence(1, 1, "Two.", "Two.", 0.8, 1.2))
    pairs = (
        Pair("a.txt", "b.txt", "en", "en", Relation.NEAR_DUPLICATE, 0.62, aligned),
        Pair("c.txt", evil_id, "en", "en", Relation.EXACT, 0.99, aligned),
    )
    groups = (
        Group("g00001", ("a.txt", "b.txt"), 0.62, ("en",)),
        Group("g00002", ("c.txt", evil_id), 0.99, ("en",)),
        Group("g00003", ("d.txt",), 0.9, ("en",)),
    )
    texts = {d.doc_id: f"Headline\n\n{EVIL} More text.\nTwo." for d in docs}
    return ScanResult(documents=docs, pairs=pairs, groups=groups), texts


def test_all_text_is_escaped():
    result, texts = _hostile_result()
    page = render_html(result, texts, title=EVIL)
    assert page.count("<script>") == 1  # ours, at the end
    assert "onerror=" not in page.replace("onerror=&quot;", "")
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def test_aligned_sentences_are_highlighted_in_both_texts():
    result, texts = _hostile_result()
    page = render_html(result, texts)
    block = page.split('id="pair-2"')[1].split('class="pair"')[0]  # the weaker pair: a.txt / b.txt
    assert block.count('<mark data-k="0"') == 2 and block.count('<mark data-k="1"') == 2
    assert "a.txt" in block and "b.txt" in block


def test_read_scan_output_round_trip(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    text = "Storm hits the coast tonight.\nThousands lost power overnight.\nSchools are closed today."
    (root / "a.txt").write_text(text, encoding="utf-8")
    (root / "b.txt").write_text(text + "\nRead more.", encoding="utf-8")
    result = scan(root, encoder=HashingEncoder())
    write_scan(result, tmp_path / "out", root=root)
    back, recorded = read_scan_output(tmp_path / "out")
    assert recorded == root.resolve() or os.path.samefile(recorded, root)
    assert [(p.doc_a, p.doc_b, p.relation) for p in back.pairs] == [
        (p.doc_a, p.doc_b, p.relation) for p in result.pairs
    ]
    assert [a.text_a for a in back.pairs[0].aligned] == [a.text_a for a in result.pairs[0].aligned]
    assert back.groups == result.groups and back.documents == result.documents


def test_cli_report(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    text = "Storm hits the coast tonight.\nThousands lost power overnight.\nSchools are closed today."
    (root / "a.txt").write_text(text, encoding="utf-8")
    (root / "b.txt").write_text(text + "\nRead more.", encoding="utf-8")
    write_scan(scan(root, encoder=HashingEncoder()), tmp_path / "out", root=root)
    result = CliRunner().invoke(app, ["report", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert result.stdout.strip() == str(tmp_path / "out" / "report.html")
    assert '<mark data-k="0"' in page and "Thousands lost power overnight." in page

    (tmp_path / "empty").mkdir()
    missing = CliRunner().invoke(app, ["report", str(tmp_path / "empty")])
    assert missing.exit_code == 1
    assert [ln for ln in missing.stderr.splitlines() if ln.startswith("error:")][0].startswith(
        "error: cannot read"
    )


# ------------------------------------------------------------------------------------------------
# In a real headless browser (Debian's chromium, driven by playwright; `make browser` installs it)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    def on_console(message) -> None:
        if message.type == "error":
            problems.append(f"console {message.type}: {message.text}")

    def on_request(request) -> None:
        if not request.url.startswith("file:"):
            problems.append(f"request: {request.url}")

    page.on("console", on_console)
    page.on("request", on_request)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def test_browser_hostile_report_is_inert_and_sortable(browser, tmp_path):
    result, texts = _hostile_result()
    path = tmp_path / "report.html"
    path.write_text(render_html(result, texts, title=EVIL), encoding="utf-8")
    page, problems = _open(browser, path)
    assert page.evaluate("window.__pwned === undefined")
    assert problems == []

    def confidences() -> list[float]:
        return [float(x) for x in page.locator("#groups-table tbody tr td:nth-child(6)").all_inner_texts()]

    assert confidences() == [0.62, 0.99]  # in group order as rendered
    page.click("#sort-confidence")
    assert confidences() == sorted(confidences())
    page.click("#sort-confidence")
    assert confidences() == sorted(confidences(), reverse=True)
    page.hover('#pair-1 .doc[data-doc="a"] mark[data-k="0"]')
    assert page.locator('#pair-1 .doc[data-doc="b"] mark.hot').count() == 1
    assert problems == []
    page.close()


@pytest.mark.model
def test_browser_seed_translation_pair(browser, tmp_path, real_model, seeds_dir):
    result = scan(seeds_dir, model=real_model)
    write_scan(result, tmp_path / "out", root=seeds_dir)
    cli = CliRunner().invoke(app, ["report", str(tmp_path / "out"), "--html", str(tmp_path / "seeds.html")])
    assert cli.exit_code == 0, cli.output
    page, problems = _open(browser, tmp_path / "seeds.html")
    assert problems == []
    pair = page.locator(".pair", has_text=SEED_A).filter(has_text=SEED_B)
    assert pair.count() == 1
    assert "translation" in pair.locator("h3").inner_text()
    n_aligned = len(next(p for p in result.pairs if (p.doc_a, p.doc_b) == (SEED_A, SEED_B)).aligned)
    assert n_aligned >= 5
    marks_a = pair.locator('.doc[data-doc="a"] mark[data-k]').count()
    marks_b = pair.locator('.doc[data-doc="b"] mark[data-k]').count()
    assert marks_a >= n_aligned - 2 and marks_b >= n_aligned - 2  # nearly every aligned sentence is found
    assert pair.locator("table.aligned tbody tr").count() == n_aligned
    assert "Stoltenberg" in pair.locator('.doc[data-doc="b"] mark').first.inner_text() or marks_b > 0
    assert page.locator("#hist-confidence rect").count() == 10
    assert page.locator("#lang-mix").text_content().count("nb") == 1
    ARTIFACTS.mkdir(exist_ok=True)
    pair.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "report_seeds.png"), full_page=True)
    assert (ARTIFACTS / "report_seeds.png").stat().st_size > 10_000
    assert problems == []
    page.close()


def test_texts_read_like_the_scan(seeds_dir):
    """The CLI re-reads the folder with ingest; the sentences it aligned must be found in those texts."""
    docs, _ = read_documents(seeds_dir)
    assert {d.doc_id for d in docs} >= {SEED_A, SEED_B}
