"""Language-identification accuracy and speed: langdetect alone, py3langid alone, and dedup.

Three sources, each scored per language at three levels:

* ``sentence``: one sentence (line) at a time, no prior;
* ``document``: pseudo-documents of 10 consecutive sentences (lines of one file) joined by spaces;
* ``sentence+prior``: each sentence with the detected pseudo-document language as prior
  (:meth:`LanguageDetector.detect_sentences`; dedup only).

Sources:

1. ``../shared/eval/bitext/<lang>-eng.tsv`` (Tatoeba; nb, nn, da, sv, de, ru and the English side
   of the Norwegian file), read in place (header ``src<TAB>eng``) and only measured: the Nordic
   figures before/after a change. Skipped with a message when absent.
2. The WMT22-24 general-task test sets (sources and human references, the languages of the
   training corpus: en, cs, de, fr, hr, ja, ru, uk, zh, he, es, hi, is, liv, sah), read from bare
   git mirrors under ``--wmt`` (default ``../.mirror``: ``wmt-conference+wmt2X-news-systems/repo``).
   Per language at most ``--wmt-max`` distinct lines, taken as consecutive blocks from every file
   of that language (CANARY lines dropped). Skipped with a message when absent.
3. A few sentences in Basque and Faroese written for this benchmark (not by native speakers),
   since neither is in the other sources.

"langdetect alone" is langdetect's top guess with dedup's profiles and seed (``no`` -> ``nb``);
"py3langid alone" is py3langid's top guess over all its languages (``no`` -> ``nb``, ``zh``
variants and Chinese dialect labels kept as they come). Timings (ms per document / per sentence,
one process, best of 1) are printed and stored with the accuracies.
Results go to ``benchmarks/results/langid.json``; tables go to stdout.

Usage, from the project root:
``python -m benchmarks.langid_accuracy [--bitext DIR] [--wmt DIR] [--wmt-max N] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from dedup.text.langid import LanguageDetector, to_iso639_1

ROOT = Path(__file__).resolve().parent.parent
BITEXT = ROOT.parent / "shared" / "eval" / "bitext"
WMT = ROOT.parent / ".mirror"
WMT_YEARS = (22, 23, 24)
DOC_SIZE = 10

# Written for this benchmark (simple news-style sentences; not checked by native speakers).
OWN_SENTENCES = {
    "eu": [
        "Udalak bihar goizean aurkeztuko du hiriko aurrekontu berria.",
        "Euriak hainbat errepide itxi ditu Gipuzkoako herri txikietan.",
        "Ikasleek protesta egin dute unibertsitatearen aurrean matrikula garestiengatik.",
        "Athleticek bi eta bat irabazi zuen atzo San Mamesen.",
        "Osasun sailak dio gripearen kasuak gutxitzen ari direla aste honetan.",
        "Portuko langileek greba iragarri dute datorren hilabeterako.",
        "Museoak erakusketa berria irekiko du udaberrian euskal artistekin.",
        "Gobernuak etxebizitza publiko gehiago eraikiko dituela agindu du.",
        "Trenak ordubete berandu iritsi ziren Donostiara elurragatik.",
        "Herritarrek kalean ospatu zuten jaialdiaren azken eguna.",
    ],
    "fo": [
        "Landsstýrið hevur í dag lagt fram nýggja fíggjarlóg fyri næsta ár.",
        "Nógv fólk vóru til fundar í Tórshavn í gjárkvøldið.",
        "Skipið kom aftur á havn við stórum fongi av makreli.",
        "Veðrið verður hvast og vátt um allt landið í morgin.",
        "Skúlin í bygdini skal byggjast um, sigur kommunan.",
        "Føroyska landsliðið vann dystin við tveimum málum.",
        "Flogfarið kundi ikki lenda í Vágum vegna mjørka.",
        "Lønirnar hjá sjúkrarøktarfrøðingum hækka frá nýggjári.",
        "Bólkurin spældi fyri fullum húsi á tónleikaskeiðnum í summar.",
        "Ferðafólkini vitjaðu fuglabjørgini norðanfyri við báti.",
    ],
}


def read_bitext(path: Path) -> tuple[list[str], list[str]]:
    """Return the (src, eng) columns of one bitext file."""
    src, eng = [], []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != ["src", "eng"]:
            raise ValueError(f"{path}: unexpected header {header!r}")
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2:
                src.append(parts[0])
                eng.append(parts[1])
    return src, eng


def _git(git_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True)


def wmt_files(mirror: Path) -> list[tuple[Path, str, str]]:
    """``(git_dir, path, lang)`` of every WMT22-24 source and reference file found under ``mirror``.

    Uses ``txt/`` (general test set) where a year has it, else ``txt-ts/`` (with test suites).
    WMT22/23 name the language as the file's last suffix (``generaltest2022.en-liv.ref.A.liv``);
    WMT24 names the pair (``sources/en-is.txt``: en; ``references/en-is.refA.txt``: is).
    """
    found = []
    for year in WMT_YEARS:
        git_dir = mirror / f"wmt-conference+wmt{year}-news-systems" / "repo"
        if not git_dir.is_dir():
            continue
        names = _git(git_dir, "ls-tree", "-r", "--name-only", "HEAD").stdout.split()
        top = "txt/" if any(n.startswith("txt/sources/") for n in names) else "txt-ts/"
        for name in names:
            kind = name[len(top) :].split("/")[0] if name.startswith(top) else ""
            if kind not in ("sources", "references"):
                continue
            base = name.rsplit("/", 1)[1]
            if year >= 24:
                src, tgt = base.split(".")[0].split("-")
                lang = src if kind == "sources" else tgt
            else:
                lang = base.rsplit(".", 1)[1]
            found.append((git_dir, name, lang))
    return found


def load_wmt(mirror: Path, max_per_lang: int) -> dict[str, list[list[str]]]:
    """Per language, blocks of consecutive distinct lines (one block per file, whole 10-line docs)."""
    by_lang: dict[str, list[list[str]]] = {}
    for git_dir, name, lang in wmt_files(mirror):
        shown = _git(git_dir, "show", f"HEAD:{name}")
        if shown.returncode:  # blob absent from the mirror
            continue
        lines = [x.strip() for x in shown.stdout.splitlines()]
        by_lang.setdefault(lang, []).append([x for x in lines if x and not x.startswith("CANARY")])
    blocks: dict[str, list[list[str]]] = {}
    for lang, files in sorted(by_lang.items()):
        per_file = max(max_per_lang // len(files) // DOC_SIZE * DOC_SIZE, DOC_SIZE)
        seen: set[str] = set()
        for lines in files:
            block = []
            for line in lines:
                if line not in seen:
                    seen.add(line)
                    block.append(line)
                    if len(block) == per_file:
                        break
            block = block[: len(block) // DOC_SIZE * DOC_SIZE]
            if block:
                blocks.setdefault(lang, []).append(block)
    return blocks


def langdetect_alone(detector: LanguageDetector, text: str) -> str:
    probs = detector.probabilities(text)
    return to_iso639_1(max(probs, key=probs.__getitem__)) if probs else "und"


def py3langid_alone() -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def classify(text: str) -> str:
        lang = identifier.classify(text)[0]
        return "nb" if lang == "no" else lang

    return classify


def _timed(fn: Callable[[str], str], texts: list[str]) -> tuple[list[str], float]:
    t0 = time.perf_counter()
    out = [fn(t) for t in texts]
    return out, (time.perf_counter() - t0) * 1000 / max(len(texts), 1)


def evaluate(
    blocks: list[list[str]], gold: str, detector: LanguageDetector, py3: Callable[[str], str]
) -> dict[str, object]:
    """Accuracy (and ms per text) of the three tools on ``blocks`` of consecutive sentences."""
    sentences = [s for block in blocks for s in block]
    docs = [block[i : i + DOC_SIZE] for block in blocks for i in range(0, len(block), DOC_SIZE)]
    doc_texts = [" ".join(d) for d in docs]
    tools: dict[str, Callable[[str], str]] = {
        "langdetect": lambda t: langdetect_alone(detector, t),
        "py3langid": py3,
        "dedup": detector.detect,
    }
    result: dict[str, object] = {"gold": gold, "n_sentences": len(sentences), "n_documents": len(docs)}
    preds: dict[str, dict[str, list[str]]] = {}
    for level, texts in (("sentence", sentences), ("document", doc_texts)):
        result[level], result[f"ms_per_{level}"] = {}, {}
        for tool, fn in tools.items():
            pred, ms = _timed(fn, texts)
            preds.setdefault(level, {})[tool] = pred
            result[level][tool] = _accuracy(pred, gold)
            result[f"ms_per_{level}"][tool] = round(ms, 3)
    doc_langs = preds["document"]["dedup"]
    prior = [lang for d, dl in zip(docs, doc_langs, strict=True) for lang in detector.detect_sentences(d, dl)]
    result["sentence_prior"] = {"dedup": _accuracy(prior, gold)}
    result["confusion_sentence"] = {t: dict(Counter(p).most_common(6)) for t, p in preds["sentence"].items()}
    result["confusion_document"] = {"dedup": dict(Counter(doc_langs).most_common(4))}
    return result


def _accuracy(pred: list[str], gold: str) -> float:
    def norm(code: str) -> str:
        return "zh" if code.startswith("zh") else code

    return round(sum(norm(p) == gold for p in pred) / max(len(pred), 1), 4)


def _print_table(title: str, results: dict[str, dict[str, object]]) -> None:
    print(f"\n{title}")
    tools = ("langdetect", "py3langid", "dedup")
    head = "".join(f"{'sent ' + t[:6]:>13}" for t in tools) + "".join(f"{'doc ' + t[:6]:>12}" for t in tools)
    print(f"{'lang':<8}{head}{'sent+prior':>12}")
    for code, r in results.items():
        s, d, p = r["sentence"], r["document"], r["sentence_prior"]
        cells = "".join(f"{s[t]:>13.3f}" for t in tools) + "".join(f"{d[t]:>12.3f}" for t in tools)
        print(f"{code:<8}{cells}{p['dedup']:>12.3f}")


def _mean(results: dict[str, dict[str, object]], codes: list[str], level: str, tool: str) -> float:
    return round(sum(results[c][level][tool] for c in codes) / len(codes), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bitext", type=Path, default=BITEXT)
    parser.add_argument("--wmt", type=Path, default=WMT, help="folder holding the WMT22-24 git mirrors")
    parser.add_argument("--wmt-max", type=int, default=1500, help="at most this many lines per language")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "langid.json")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    detector = LanguageDetector(seed=args.seed)
    py3 = py3langid_alone()
    payload: dict[str, object] = {"doc_size": DOC_SIZE, "seed": args.seed}
    tools = ("langdetect", "py3langid", "dedup")

    t0 = time.perf_counter()
    files = sorted(args.bitext.glob("*-eng.tsv"))
    if files:
        bitext: dict[str, dict[str, object]] = {}
        for path in files:
            code3 = path.name.split("-")[0]
            src, eng = read_bitext(path)
            blocks = [src[: len(src) // DOC_SIZE * DOC_SIZE]]
            bitext[code3] = evaluate(blocks, to_iso639_1(code3), detector, py3)
            if code3 == "nob":
                bitext["eng"] = evaluate([eng[: len(eng) // DOC_SIZE * DOC_SIZE]], "en", detector, py3)
        nordic = [c for c in ("nob", "nno", "dan", "swe") if c in bitext]
        summary = {lv: {t: _mean(bitext, nordic, lv, t) for t in tools} for lv in ("sentence", "document")}
        summary["sentence_prior"] = {"dedup": _mean(bitext, nordic, "sentence_prior", "dedup")}
        payload["bitext"] = {
            "dataset": "shared/eval/bitext (Tatoeba via LASER, first 500 pairs per language)",
            "nordic_mean": summary,
            "languages": bitext,
        }
        _print_table("shared/eval/bitext", {**bitext, "nordic": summary})
    else:
        print(f"no *-eng.tsv files in {args.bitext}: bitext skipped")

    blocks_by_lang = load_wmt(args.wmt, args.wmt_max)
    if blocks_by_lang:
        wmt = {lang: evaluate(b, lang, detector, py3) for lang, b in blocks_by_lang.items()}
        langs = sorted(wmt)
        summary = {lv: {t: _mean(wmt, langs, lv, t) for t in tools} for lv in ("sentence", "document")}
        summary["sentence_prior"] = {"dedup": _mean(wmt, langs, "sentence_prior", "dedup")}
        summary["min_document"] = {t: min(wmt[c]["document"][t] for c in langs) for t in tools}
        n_docs = sum(wmt[c]["n_documents"] for c in langs)
        n_sents = sum(wmt[c]["n_sentences"] for c in langs)
        summary["ms_per_document"] = {
            t: round(sum(wmt[c]["ms_per_document"][t] * wmt[c]["n_documents"] for c in langs) / n_docs, 3)
            for t in tools
        }
        summary["ms_per_sentence"] = {
            t: round(sum(wmt[c]["ms_per_sentence"][t] * wmt[c]["n_sentences"] for c in langs) / n_sents, 3)
            for t in tools
        }
        payload["wmt"] = {
            "dataset": "WMT22-24 general test sets, sources and references",
            "max_lines_per_language": args.wmt_max,
            "mean": summary,
            "languages": wmt,
        }
        _print_table("WMT22-24 (sources and references)", {**wmt, "mean": summary})
        print(f"min document accuracy: {summary['min_document']}")
        print(f"ms per document: {summary['ms_per_document']}; per sentence: {summary['ms_per_sentence']}")
    else:
        print(f"no WMT22-24 mirrors under {args.wmt}: WMT skipped")

    own = {lang: evaluate([sents], lang, detector, py3) for lang, sents in OWN_SENTENCES.items()}
    payload["own_sentences"] = {"dataset": "sentences written for this benchmark", "languages": own}
    _print_table("own sentences (Basque, Faroese)", own)

    payload["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(f"({payload['seconds']} s; written to {args.out})")


if __name__ == "__main__":
    main()
