"""Sentences of Universal Dependencies treebanks, for background statistics in languages WMT lacks.

The calibration's training corpus (WMT22-24) covers 15 languages; a scan meets many more. The
background statistics (:mod:`dedup.scoring.background`) need only plain sentences of a language, not
translations, so for Norwegian (Bokmål and Nynorsk), Danish, Swedish, Icelandic, Faroese, Basque
and other common languages they come from the Universal Dependencies treebanks (news, blogs,
fiction and non-fiction; CC BY-SA or similar licences, see each treebank's LICENSE.txt): the
``# text = ...`` line of every sentence. Nothing of them is committed; only their mean vectors
and a small bank of sentence vectors are.

Get the treebanks with ``git clone https://github.com/UniversalDependencies/UD_<Language>-<Name>``
into one folder (the names are in :data:`TREEBANKS`); a bare mirror of each works too.

Example:
    >>> list(text_lines("# sent_id = 1\\n# text = Det regner i Bergen.\\n1\\tDet\\t_\\n"))
    ['Det regner i Bergen.']
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

# Treebank -> the language code dedup's language identification reports for its text.
TREEBANKS: dict[str, str] = {
    "UD_Norwegian-Bokmaal": "nb",
    "UD_Norwegian-Nynorsk": "nn",
    "UD_Danish-DDT": "da",
    "UD_Swedish-Talbanken": "sv",
    "UD_Icelandic-Modern": "is",
    "UD_Faroese-FarPaHC": "fo",
    "UD_Basque-BDT": "eu",
    "UD_Finnish-TDT": "fi",
    "UD_Estonian-EDT": "et",
    "UD_Latvian-LVTB": "lv",
    "UD_Polish-PDB": "pl",
    "UD_Slovenian-SSJ": "sl",
    "UD_Hungarian-Szeged": "hu",
    "UD_Romanian-RRT": "ro",
    "UD_Italian-ISDT": "it",
    "UD_Portuguese-Bosque": "pt",
    "UD_Dutch-Alpino": "nl",
    "UD_Greek-GDT": "el",
    "UD_Turkish-IMST": "tr",
    "UD_Arabic-PADT": "ar",
    "UD_Korean-Kaist": "ko",
}
MIN_CHARS = 30


def text_lines(conllu: str) -> Iterator[str]:
    """The sentence texts of a CoNLL-U file (its ``# text = `` comments)."""
    for line in conllu.splitlines():
        if line.startswith("# text = "):
            yield line[len("# text = ") :].strip()


def _conllu_files(treebank: Path) -> Iterator[str]:
    """Texts of a treebank's .conllu files: a plain folder, or a bare git mirror (missing blobs skipped)."""
    files = sorted(treebank.rglob("*.conllu"))
    if files:
        for path in files:
            yield path.read_text(encoding="utf-8")
        return
    git_dir = next((p for p in (treebank / "repo", treebank) if (p / "HEAD").is_file()), None)
    if git_dir is None:
        return
    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in sorted(n for n in listing if n.endswith(".conllu")):
        shown = subprocess.run(
            ["git", "--git-dir", str(git_dir), "show", f"HEAD:{name}"], capture_output=True, check=False
        )
        if shown.returncode == 0:
            yield shown.stdout.decode("utf-8")


def read_ud_sentences(root: Path, *, per_language: int = 600, seed: int = 0) -> dict[str, list[str]]:
    """Up to ``per_language`` sentences (>= 30 characters, seeded sample) per language of ``root``.

    ``root`` holds the treebanks as ``UD_<Language>-<Name>`` folders (or ``owner+name`` mirror
    folders such as ``UniversalDependencies+UD_Danish-DDT``); absent ones are skipped.
    """
    out: dict[str, list[str]] = {}
    for name, lang in sorted(TREEBANKS.items()):
        folder = next((p for p in (root / name, root / f"UniversalDependencies+{name}") if p.is_dir()), None)
        if folder is None:
            continue
        sentences = sorted(
            {s for text in _conllu_files(folder) for s in text_lines(text) if len(s) >= MIN_CHARS}
        )
        random.Random(f"{seed}:{name}").shuffle(sentences)
        if sentences:
            out[lang] = sentences[:per_language]
    return out
