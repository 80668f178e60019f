"""Speech transcripts as subtitle files: how the caption reader's line breaks decide what links.

Automatic captions carry no punctuation. :mod:`dedup.io.subtitles` joins a file's cues into
paragraphs, and dedup splits sentences within a line only, so one paragraph of unpunctuated speech
would reach the sentence splitter as one overlong sentence. This takes the English and Japanese
speech transcripts of the WMT22-24 corpus (``models/wmt_documents.py``; YouTube segments, WMT24),
writes each as an SRT file of 5-9 words a cue (Japanese: 12-20 characters, without its spaces; two
and a half seconds each, no pause), once unpunctuated (and lowercased) as automatic captions are and
once as punctuated, reads it with the caption reader at several values of ``UNPUNCTUATED_CHARS``
(the characters a paragraph may run without a sentence end before it ends at the next cue), and
scans all of them together with one human translation of each transcript (language drawn at random).
Counted: true pairs linked at 0.5, their mean confidence, and links between different transcripts.
Nothing reads ../shared/eval.

Results: benchmarks/results/caption_layout.json. Run:
    .venv/bin/python -m benchmarks.caption_layout --wmt-docs /work/data/wmt/wmt-docs.jsonl.gz
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from pathlib import Path

import dedup
import dedup.io.subtitles as subtitles
from models.archives import read_stories, story_domain

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "caption_layout.json"
LIMITS = (100, 200, 300, 10**9)  # 10**9: the cues joined whole
SEED = 7


def caption_file(text: str, *, lang: str, punctuated: bool, rng: random.Random) -> str:
    """``text`` as SubRip cues of 5-9 words (Japanese: 12-20 characters, spaces dropped), 2.5 s
    each with no pause between them."""
    if not punctuated:
        text = re.sub(r"[^\w\s']", " ", text.lower())
    if lang == "ja":
        units, size_range, glue = list("".join(text.split())), (12, 20), ""
    else:
        units, size_range, glue = text.split(), (5, 9), " "
    cues, k = [], 0
    while k < len(units):
        size = rng.randint(*size_range)
        start, end = 2.5 * len(cues), 2.5 * (len(cues) + 1)
        cues.append(f"{len(cues) + 1}\n{_clock(start)} --> {_clock(end)}\n{glue.join(units[k : k + size])}\n")
        k += size
    return "\n".join(cues)


def _clock(seconds: float) -> str:
    whole, millis = int(seconds), round((seconds - int(seconds)) * 1000)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d},{millis:03d}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wmt-docs", type=Path, required=True, help="models/wmt_documents.py output.")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    stories = read_stories(args.wmt_docs)
    transcripts = []
    for key in sorted(stories):
        docs = stories[key]
        source = next(d for d in docs if d["role"] == "source")
        references = [d for d in docs if d["role"] == "reference"]
        if story_domain(docs) == "speech" and source["lang"] in ("en", "ja") and references:
            transcripts.append((source, references))
    encoder = dedup.load_encoder()
    shipped = subtitles.UNPUNCTUATED_CHARS
    results: dict[str, object] = {"transcripts": len(transcripts), "runs": []}
    try:
        for punctuated in (False, True):
            for limit in LIMITS:
                subtitles.UNPUNCTUATED_CHARS = limit
                rng = random.Random(SEED)
                texts: dict[str, str] = {}
                languages: dict[int, str] = {}
                for n, (source, references) in enumerate(transcripts):
                    reference = rng.choice(references)
                    caption = caption_file(
                        " ".join(source["segments"]), lang=source["lang"], punctuated=punctuated, rng=rng
                    )
                    text, why = subtitles.subtitle_text(caption)
                    if text is None:
                        raise RuntimeError(why)
                    texts[f"{n:03d}-captions"] = text
                    languages[n] = source["lang"]
                    texts[f"{n:03d}-{reference['lang']}"] = "\n".join(reference["segments"])
                scan = dedup.scan(texts, encoder=encoder, config=dedup.ScanConfig(report_threshold=0.0))
                confidence = {(p.doc_a, p.doc_b): p.confidence for p in scan.pairs}
                false = sum(1 for (a, b), c in confidence.items() if a[:3] != b[:3] and c >= 0.5)
                run: dict[str, object] = {
                    "punctuated": punctuated,
                    "unpunctuated_chars": None if limit == 10**9 else limit,
                    "false_links": false,
                }
                for lang in ("en", "ja"):
                    true = [
                        confidence.get((f"{n:03d}-captions", other), 0.0)
                        for n, other in _partners(texts)
                        if languages[n] == lang
                    ]
                    run[lang] = {
                        "pairs": len(true),
                        "linked": sum(c >= 0.5 for c in true),
                        "mean_confidence": round(sum(true) / len(true), 4),
                    }
                results["runs"].append(run)  # type: ignore[union-attr]
                print(json.dumps(run), file=sys.stderr, flush=True)
    finally:
        subtitles.UNPUNCTUATED_CHARS = shipped
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def _partners(texts: dict[str, str]) -> list[tuple[int, str]]:
    """(transcript number, its translation's id) for every transcript."""
    return [(int(name[:3]), name) for name in sorted(texts) if not name.endswith("-captions")]


if __name__ == "__main__":
    main()
