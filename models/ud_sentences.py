"""Sentences of Universal Dependencies treebanks, for background statistics in languages WMT lacks.

The calibration's training corpus (WMT22-24) covers 15 languages; a scan meets many more. The
background statistics (:mod:`dedup.scoring.background`) need only plain sentences of a language, not
translations, so for 44 more languages (the Nordic ones, Basque and most of Europe's; Arabic,
Persian, Urdu, Thai, Vietnamese, Indonesian, Korean, Georgian, Armenian, Tamil, Telugu, Marathi,
Kazakh, Uzbek, Uyghur, Welsh, Irish, Scottish Gaelic, Maltese, Afrikaans, Yoruba ...), and for
traditional Chinese (``zh-Hant``, :func:`dedup.text.scripts.centring_key`), they come
from the Universal Dependencies treebanks (news, blogs, fiction and non-fiction): the ``# text =
...`` line of every sentence. Nothing of them is committed; only their mean vectors are (their
sentences join the bank only in Icelandic, a language of the training archives too:
:func:`models.calibrate.fit_all`). Each treebank's licence is in its
LICENSE.txt: CC BY-SA for most, CC BY-NC-SA for some (Basque BDT, Estonian EDT, Greek GDT,
Hungarian Szeged, Italian ISDT, Polish PDB, Turkish IMST, Urdu UDTB, Tamil TTB, Bulgarian BTB,
Galician CTG); a mean of 600 sentence vectors is what dedup keeps of them. Arabic's mean comes
from the Arabic PUD treebank: the PADT treebank's files were too large to fetch here.

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
    "UD_Arabic-PUD": "ar",
    "UD_Korean-Kaist": "ko",
    "UD_Persian-PerDT": "fa",
    "UD_Urdu-UDTB": "ur",
    "UD_Thai-TUD": "th",
    "UD_Vietnamese-VTB": "vi",
    "UD_Indonesian-GSD": "id",
    "UD_Welsh-CCG": "cy",
    "UD_Irish-IDT": "ga",
    "UD_Scottish_Gaelic-ARCOSG": "gd",
    "UD_Armenian-ArmTDP": "hy",
    "UD_Georgian-GLC": "ka",
    "UD_Tamil-TTB": "ta",
    "UD_Telugu-MTG": "te",
    "UD_Marathi-UFAL": "mr",
    "UD_Kazakh-KTB": "kk",
    "UD_Uzbek-UT": "uz",
    "UD_Uyghur-UDT": "ug",
    "UD_Belarusian-HSE": "be",
    "UD_Bulgarian-BTB": "bg",
    "UD_Lithuanian-ALKSNIS": "lt",
    "UD_Slovak-SNK": "sk",
    "UD_Galician-CTG": "gl",
    "UD_Afrikaans-AfriBooms": "af",
    "UD_Maltese-MUDT": "mt",
    "UD_Yoruba-YTB": "yo",
    # Traditional Chinese (Wikipedia): centred apart from simplified (dedup.text.scripts.centring_key).
    "UD_Chinese-GSD": "zh-Hant",
}
MIN_CHARS = 30


def text_lines(conllu: str) -> Iterator[str]:
    """The sentence texts of a CoNLL-U file (its ``# text = `` comments)."""
    for line in conllu.splitlines():
        if line.startswith("# text = "):
            yield line[len("# text = ") :].strip()


def conllu_texts(treebank: Path) -> Iterator[str]:
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


def treebank_folder(root: Path, name: str) -> Path | None:
    """The treebank ``name`` under ``root``: a ``UD_<Language>-<Name>`` clone or its
    ``UniversalDependencies+UD_<Language>-<Name>`` mirror folder; None when neither is there."""
    return next((p for p in (root / name, root / f"UniversalDependencies+{name}") if p.is_dir()), None)


def read_ud_sentences(root: Path, *, per_language: int = 600, seed: int = 0) -> dict[str, list[str]]:
    """Up to ``per_language`` sentences (>= 30 characters, seeded sample) per language of ``root``.

    ``root`` holds the treebanks as ``UD_<Language>-<Name>`` folders (or ``owner+name`` mirror
    folders such as ``UniversalDependencies+UD_Danish-DDT``); absent ones are skipped.
    """
    out: dict[str, list[str]] = {}
    for name, lang in sorted(TREEBANKS.items()):
        folder = treebank_folder(root, name)
        if folder is None:
            continue
        sentences = sorted(
            {s for text in conllu_texts(folder) for s in text_lines(text) if len(s) >= MIN_CHARS}
        )
        random.Random(f"{seed}:{name}").shuffle(sentences)
        if sentences:
            out[lang] = sentences[:per_language]
    return out
