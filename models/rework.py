"""Rework a clean article the way news archives rework them, for the calibration's training corpus.

An archive rarely holds two clean, sentence-aligned versions of a story. It holds a wire story
re-paragraphed by a website, a translation cut to a brief, a page with a menu, a cookie notice
and a "read also" teaser glued on, a name whose accents a feed stripped. :func:`rework` applies
such changes to one version of an article, independently of the other versions, with a
``random.Random`` the caller seeds.

The boilerplate pools below were written for this recipe in the languages of the training
corpus (generic site furniture: no real site's text is copied, and none comes from the
evaluation sets). Languages without a pool of their own get English furniture, as
international sites often have.

Example:
    >>> import random
    >>> text = rework(["Storm hits the coast", "Thousands lost power.", "Schools closed."],
    ...               random.Random(0), lang="en", teasers=["Markets fall again"])
    >>> "Storm hits the coast" in text
    True
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence

# Site furniture above the article: navigation, dates, bylines, consent banners, photo credits.
HEADERS: dict[str, tuple[str, ...]] = {
    "en": (
        "Skip to main content",
        "World | Business | Politics | Tech | Opinion",
        "Updated 14 minutes ago",
        "By staff writers",
        "This site uses cookies. Manage preferences or accept to continue.",
        "Image: handout",
        "Listen to this article (4 min)",
    ),
    "de": (
        "Zum Inhalt springen",
        "Politik | Wirtschaft | Panorama | Meinung",
        "Aktualisiert vor 20 Minuten",
        "Von unserer Redaktion",
        "Diese Seite verwendet Cookies. Einstellungen anpassen oder zustimmen.",
        "Bild: Archiv",
    ),
    "fr": (
        "Aller au contenu principal",
        "International | Économie | Société | Culture",
        "Mis à jour il y a 12 minutes",
        "Par la rédaction",
        "Ce site utilise des cookies. Paramétrer ou accepter.",
    ),
    "es": (
        "Ir al contenido",
        "Internacional | Economía | Sociedad | Deportes",
        "Actualizado hace 30 minutos",
        "Por nuestra redacción",
        "Usamos cookies propias y de terceros. Configurar o aceptar.",
    ),
    "cs": (
        "Přeskočit na obsah",
        "Domácí | Zahraničí | Ekonomika | Sport",
        "Aktualizováno před 25 minutami",
        "Autor: redakce",
        "Tento web používá soubory cookie. Nastavení nebo souhlas.",
    ),
    "ru": (
        "Перейти к содержанию",
        "Политика | Экономика | Общество | Спорт",
        "Обновлено 18 минут назад",
        "Автор: редакция",
        "Сайт использует файлы cookie. Настроить или принять.",
    ),
    "uk": (
        "Перейти до змісту",
        "Політика | Економіка | Суспільство | Спорт",
        "Оновлено 10 хвилин тому",
        "Автор: редакція",
        "Сайт використовує файли cookie. Налаштувати або прийняти.",
    ),
    "ja": (
        "メインコンテンツへスキップ",
        "国内 | 国際 | 経済 | スポーツ",
        "15分前に更新",
        "記者：編集部",
        "当サイトはクッキーを使用しています。設定または同意してください。",
    ),
    "zh": (
        "跳到主要内容",
        "国内 | 国际 | 财经 | 体育",
        "更新于20分钟前",
        "本报记者",
        "本网站使用Cookie。请设置或同意后继续。",
    ),
    "he": (
        "דלג לתוכן הראשי",
        "חדשות | כלכלה | ספורט | תרבות",
        "עודכן לפני 12 דקות",
        "מאת המערכת",
    ),
    "hi": (
        "मुख्य सामग्री पर जाएं",
        "देश | विदेश | व्यापार | खेल",
        "20 मिनट पहले अपडेट किया गया",
        "संवाददाता द्वारा",
    ),
    "is": (
        "Fara beint í efni",
        "Innlent | Erlent | Viðskipti | Íþróttir",
        "Uppfært fyrir 15 mínútum",
        "Höfundur: ritstjórn",
    ),
    "hr": (
        "Preskoči na sadržaj",
        "Vijesti | Sport | Biznis | Kultura",
        "Ažurirano prije 15 minuta",
        "Piše: redakcija",
    ),
}

# Site furniture below the article: sharing, newsletters, appeals, related lists, legal lines.
FOOTERS: dict[str, tuple[str, ...]] = {
    "en": (
        "Share this story: Email | X | LinkedIn",
        "Get the morning briefing in your inbox every weekday.",
        "Our reporting depends on readers like you. Become a member.",
        "More on this topic",
        "All content © the publisher, all rights reserved.",
        "Report an error in this article",
    ),
    "de": (
        "Artikel teilen: E-Mail | X | WhatsApp",
        "Jeden Morgen die wichtigsten Nachrichten per E-Mail erhalten.",
        "Guter Journalismus kostet Geld. Jetzt Mitglied werden.",
        "Mehr zum Thema",
    ),
    "fr": (
        "Partager cet article : e-mail | X | Facebook",
        "Recevez notre lettre d'information chaque matin.",
        "Notre journalisme dépend de vous : abonnez-vous.",
        "Sur le même sujet",
    ),
    "es": (
        "Compartir: correo | X | WhatsApp",
        "Recibe cada mañana nuestro boletín en tu correo.",
        "El periodismo de calidad necesita tu apoyo. Suscríbete.",
        "Más sobre este tema",
    ),
    "cs": (
        "Sdílet: e-mail | X | Facebook",
        "Odebírejte ranní přehled zpráv e-mailem.",
        "Kvalitní žurnalistika něco stojí. Staňte se předplatitelem.",
        "Další články k tématu",
    ),
    "ru": (
        "Поделиться: почта | Телеграм | ВКонтакте",
        "Получайте утреннюю рассылку главных новостей.",
        "Наша работа держится на читателях. Оформите подписку.",
        "Ещё по теме",
    ),
    "uk": (
        "Поділитися: пошта | Телеграм | Фейсбук",
        "Отримуйте ранкову розсилку головних новин.",
        "Наша робота тримається на читачах. Оформіть підписку.",
        "Більше на цю тему",
    ),
    "ja": (
        "この記事を共有する",
        "毎朝のニュースレターを受け取る",
        "有料会員になると全ての記事が読めます。",
        "関連記事",
    ),
    "zh": (
        "分享到：微信 | 微博",
        "订阅每日早报，获取最新消息。",
        "支持我们的新闻报道，成为会员。",
        "相关阅读",
    ),
    "he": ("שתפו את הכתבה", "הירשמו לניוזלטר היומי שלנו", "כתבות נוספות בנושא"),
    "hi": ("यह लेख साझा करें", "रोज़ाना न्यूज़लेटर पाने के लिए सदस्यता लें", "इस विषय पर और खबरें"),
    "is": ("Deila frétt", "Skráðu þig á póstlistann okkar", "Meira um þetta efni"),
    "hr": ("Podijeli članak", "Prijavite se na naš dnevni bilten", "Više o temi"),
}

# A teaser for another article inside the body ("read also: <its headline>").
TEASERS: dict[str, str] = {
    "en": "See also: {}",
    "de": "Auch interessant: {}",
    "fr": "À lire aussi : {}",
    "es": "Te puede interesar: {}",
    "cs": "Přečtěte si také: {}",
    "ru": "По теме: {}",
    "uk": "Читайте також: {}",
    "ja": "あわせて読みたい：{}",
    "zh": "延伸阅读：{}",
    "he": "עוד בנושא: {}",
    "hi": "यह भी पढ़ें: {}",
    "is": "Sjá einnig: {}",
    "hr": "Pročitajte i: {}",
}

EDITS = ("none", "condense", "truncate", "brief")
EDIT_WEIGHTS = (0.35, 0.27, 0.23, 0.15)


def strip_diacritics(text: str) -> str:
    """Drop combining marks (``Müller`` -> ``Muller``), as old feeds and URLs do."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def edit_body(body: list[str], rng: random.Random, edit: str) -> list[str]:
    """Apply one editorial change to the body sentences (the headline is kept apart)."""
    if edit == "condense" and len(body) > 3:
        first = 1 if rng.random() < 0.8 else 0  # most condensed versions keep the lead
        n_drop = max(1, round(len(body) * rng.uniform(0.15, 0.4)))
        drop = set(rng.sample(range(first, len(body)), min(n_drop, len(body) - first)))
        return [s for k, s in enumerate(body) if k not in drop]
    if edit == "truncate" and len(body) > 3:
        return body[: max(2, round(len(body) * rng.uniform(0.5, 0.7)))]
    if edit == "brief":
        return body[: rng.randint(2, 4)]
    return list(body)


def merge_some_sentences(body: list[str], rng: random.Random) -> list[str]:
    """Join a few neighbouring sentences into one, as sub-editors and splitters do."""
    body = list(body)
    for _ in range(rng.randint(1, 3)):
        if len(body) < 3:
            break
        k = rng.randrange(len(body) - 1)
        body[k : k + 2] = [body[k].rstrip(".!?。！？") + rng.choice([", ", "; ", " – "]) + body[k + 1]]
    return body


def paragraphs_of(body: Sequence[str], rng: random.Random, *, joiner: str = " ") -> list[str]:
    """Re-paragraph: 1-5 sentences a paragraph."""
    out: list[str] = []
    k = 0
    while k < len(body):
        n = rng.randint(1, 5)
        out.append(joiner.join(body[k : k + n]))
        k += n
    return out


def rework(
    sentences: Sequence[str],
    rng: random.Random,
    *,
    lang: str,
    teasers: Sequence[str] = (),
    edit: str | None = None,
) -> str:
    """One archive version of an article given as its headline followed by its sentences.

    Args:
        sentences: Headline first, then the body, one sentence (or segment) each.
        rng: The random source (seeded by the caller).
        lang: ISO 639-1 code of the text; picks the boilerplate pool (English where none).
        teasers: Headlines of other articles, for "read also" lines.
        edit: One of :data:`EDITS`; None draws one with :data:`EDIT_WEIGHTS`.

    Returns:
        The reworked text: paragraphs separated by blank lines.
    """
    head, body = sentences[0], list(sentences[1:])
    edit = edit if edit is not None else rng.choices(EDITS, weights=EDIT_WEIGHTS)[0]
    body = edit_body(body, rng, edit)
    if rng.random() < 0.4:
        body = merge_some_sentences(body, rng)
    if rng.random() < 0.3:
        body = [strip_diacritics(s) if rng.random() < 0.5 else s for s in body]
    joiner = "" if lang in ("ja", "zh") else " "
    paragraphs = paragraphs_of(body, rng, joiner=joiner)
    pool_lang = lang if lang in HEADERS else "en"
    if teasers and paragraphs and rng.random() < 0.35:
        line = TEASERS[pool_lang].format(rng.choice(list(teasers)))
        paragraphs.insert(rng.randrange(len(paragraphs) + 1), line)
    lines = [head, *paragraphs]
    if rng.random() < 0.5:
        lines = rng.sample(HEADERS[pool_lang], rng.randint(1, 3)) + lines
    if rng.random() < 0.5:
        lines = lines + rng.sample(FOOTERS[pool_lang], rng.randint(1, 3))
    return "\n\n".join(lines)
