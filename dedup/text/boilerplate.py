"""Remove news boilerplate before scoring: pattern rules per line, and lines repeated across the folder.

Two passes over each document's lines (paragraphs):

1. **Pattern rules**, for lines that may occur only once: "Read also" / "Les også" /
   "Lesen Sie auch" / "Читайте также" ... (the label and the headline after it, on
   the same or the next line), "See also", bylines ("By X", "Av X", "Von X"),
   agency lines ("NTB", "(AP)"), image credits ("Photo: ...", "Foto: ..."),
   share/subscribe/newsletter/login lines, donation appeals (from their opening
   line to the end of the text), cookie notices, icon descriptions ("An icon
   of ..."), template junk (``[[title]]``), "Published ... ago" and bare date
   lines, advertisement labels, breadcrumb navigation, a site name after the
   headline (" – VG"). Rules cover en, nb, nn, da, sv, de, nl, fr, es, it, pt, pl,
   ru, uk, fi, tr, is, ja, zh and ar.
2. **Repeated lines**: a line (compared lower-cased, letters and digits only)
   found in at least ``max(min_docs, min_share * n_docs)`` documents is removed,
   unless those documents are copies of one another: near-duplicates of one
   article legitimately share their lines. Documents sharing a line are grouped
   into *families* (documents sharing at least half of their lines); the line
   is boilerplate only when it occurs in enough different families.

The original text is kept for display; the cleaned text goes to segmentation,
embedding and shingles. A document that would lose every line keeps its text.

Example:
    >>> from dedup.text.boilerplate import strip_boilerplate
    >>> text = "Storm hits the coast\\nRead also: Minister resigns\\nThousands lost power.\\nPhoto: NTB"
    >>> strip_boilerplate([text])[0].text
    'Storm hits the coast\\nThousands lost power.'
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from dedup.errors import InvalidParameterError

__all__ = ["CleanText", "RemovedLine", "strip_boilerplate", "line_rule"]

# A "Read also" label may be followed on its own line by a headline of at most this many characters.
_MAX_TEASER_CHARS = 200
# Pattern rules on whole lines only apply to lines up to this long (real paragraphs are kept).
_SHORT = 160
# Documents that share at least this share of the smaller one's lines are one family.
_FAMILY_OVERLAP = 0.5
# An appeal block ("Dear readers, ...") is cut to the end only when it starts in the last part of the text.
_TAIL_START = 0.4

_LABELS_READ = r"""
read\ also|also\ read|read\ more|see\ also|related(?:\ (?:articles?|stories|news|content|coverage))?
|more\ on\ this(?:\ story|\ topic)?|more\ from(?:\ [^\n]{0,40})?|recommended(?:\ for\ you)?
|you\ may\ also\ like
|most\ read|most\ popular|trending(?:\ now)?|latest\ news|top\ stories|editor'?s\ picks?|don'?t\ miss
|les\ også|les\ mer|les\ òg|les\ meir|sjå\ òg|se\ også|mest\ lest|anbefalt|siste\ nytt|relaterte\ saker
|læs\ også|læs\ mere|mest\ læste|se\ mere
|läs\ också|läs\ även|läs\ mer|se\ även|mest\ läst|mest\ lästa|senaste\ nytt
|lesen\ sie\ auch|lesen\ sie\ mehr|mehr\ zum\ thema|siehe\ auch|auch\ interessant|meistgelesen|das\
könnte\ sie\ auch\ interessieren
|lees\ ook|zie\ ook|meest\ gelezen
|lire\ aussi|à\ lire\ aussi|a\ lire\ aussi|voir\ aussi|lire\ la\ suite|les\ plus\ lus|sur\ le\ même\ sujet
|lee\ también|lea\ también|ver\ también|te\ puede\ interesar|lo\ más\ leído|más\ información
|leggi\ anche|vedi\ anche|i\ più\ letti|potrebbe\ interessarti
|leia\ também|veja\ também|mais\ lidas|saiba\ mais
|czytaj\ też|czytaj\ także|zobacz\ też|zobacz\ także|najczęściej\ czytane|polecamy
|читайте\ также|смотрите\ также|читать\ далее|по\ теме|самое\ читаемое|читайте\ тоже
|читайте\ також|дивіться\ також|по\ темі|найпопулярніше|читати\ далі
|lue\ myös|katso\ myös|luetuimmat|luetuimmat\ uutiset
|ayrıca\ okuyun|bunu\ da\ okuyun|ilginizi\ çekebilir|en\ çok\ okunanlar
|lestu\ einnig|sjá\ einnig|mest\ lesið|lesið\ einnig
|přečtěte\ si\ také|přečtěte\ si\ též|čtěte\ také|čtěte\ též|související\ články|nejčtenější
|prečítajte\ si\ aj|čítajte\ aj|čítajte\ tiež|súvisiace\ články|najčítanejšie
|pročitajte\ i|pročitajte\ još|pročitajte\ više|pogledajte\ i|povezane\ vijesti|povezane\ vesti
|vezane\ vijesti|najčitanije|прочитајте\ и|прочитајте\ још|повезане\ вести
|preberite\ tudi|povezane\ novice|najbolj\ brano
|ez\ is\ érdekelheti|kapcsolódó\ cikkek|legolvasottabb|olvassa\ el\ ezt\ is
|citește\ și|citeste\ si|vezi\ și|vezi\ si|cele\ mai\ citite
|прочетете\ още|прочети\ още|още\ по\ темата|най-четени
|διαβάστε\ επίσης|διαβάστε\ ακόμη|δείτε\ επίσης|σχετικά\ άρθρα
|loe\ ka|loe\ lisaks|lasi\ arī|lasiet\ arī|taip\ pat\ skaitykite|skaitykite\ taip\ pat
|llegiu\ també|llegeix\ també|vegeu\ també|le\ tamén|irakurri\ ere
|baca\ juga|berita\ terkait|xem\ thêm|đọc\ thêm|tin\ liên\ quan|อ่านเพิ่มเติม|ข่าวที่เกี่ยวข้อง
|עוד\ בנושא|קראו\ גם|קרא\ גם|כתבות\ נוספות|यह\ भी\ पढ़ें|ये\ भी\ पढ़ें|संबंधित\ खबरें
|بیشتر\ بخوانید|مطالب\ مرتبط|관련\ ?기사|함께\ 보면\ 좋은\ 기사|더\ 읽을거리
|あわせて読みたい|関連記事|こちらもおすすめ|延伸阅读|相关阅读|相关新闻|相關新聞|另请参阅|推荐阅读
|اقرأ\ أيضا|اقرأ\ أيضاً|شاهد\ أيضا|ذات\ صلة|اقرأ\ المزيد
"""
_READ_RE = re.compile(
    rf"^[\W_]*(?:{_LABELS_READ})[\W_]*?(?P<sep>$|\s*[:\-–—|»>›•：｜＞》]\s*|\s{{2,}}|\s+(?=[\"“«„'‘]?\w))",
    re.IGNORECASE | re.VERBOSE,
)

_AGENCIES = (
    r"NTB|AP|AFP|Reuters|dpa|DPA|ANP|TT|Ritzau|PA|PA\ Media|Press\ Association|ANSA|EFE|Lusa|PAP|TASS"
    r"|RIA\ Novosti|Interfax|Ukrinform|Kyodo|Xinhua|Yonhap|STT|FNB|APA|SDA|Belga|CTK|MTI|NTB\ Scanpix"
    r"|Scanpix|EPA|Getty\ Images|Getty|AP\ Photo|Reuters/\w+|Bloomberg|Anadolu|Europa\ Press|Agencia\ EFE"
)
_AGENCY_LINE_RE = re.compile(
    rf"^[(\[]?(?:{_AGENCIES})(?:\s*[/,|–-]\s*(?:{_AGENCIES}))*[)\]]?\.?$", re.VERBOSE
)
_CAPTION_CREDIT_RE = re.compile(rf"\((?:{_AGENCIES}|photo|foto)[^()]{{0,40}}\)$", re.IGNORECASE | re.VERBOSE)
_BYLINE_RE = re.compile(
    r"^(?i:by|av|af|von|par|por|di|door|przez|автор|авторка|kirjoittanut|yazan|eftir|written\ by|text:"
    r"|tekst:)"
    r"\s+(?:(?i:our|staff|a|the)\ (?i:correspondents?|reporters?|staff|writers?|editors?|desk)\b"
    r"|(?:[A-ZÀ-ÞĀ-ŽА-ЯЁІЇЄҐ][\w.'’-]*\s*){1,4})(?:(?:,|\||/|&|and|og|und|et|y|e|i|och)\s*[^.!?]{0,60})?$",
    re.VERBOSE,
)
_CREDIT_RE = re.compile(
    r"^(?:photo|photos|foto|fotos|bild|image|images|picture|illustration|illustrasjon|grafikk|kuva|zdjęcie"
    r"|фото|фотография|imagen|immagine|imagem|crédit|credit|credits|photographie|video|mynd|görsel|写真|图片|صورة"
    r")"
    r"\s*(?:credit|:|：|©|/|–|-)",
    re.IGNORECASE,
)
_TRAILING_CREDIT_RE = re.compile(
    r"(?:photo|foto|bild|kuva|фото|zdjęcie|imagen|immagine|crédit|credit)\s*:\s*[^.:!?]{1,60}$", re.IGNORECASE
)
_COPYRIGHT_RE = re.compile(r"^(?:©|\(c\)|copyright\b)|all rights reserved|alle rettigheter", re.IGNORECASE)

_SHARE_RE = re.compile(
    r"^(?:share|del|dela|deel|teilen|partager|partagez|compartir|compartilhe|compartilhar|condividi"
    r"|udostępnij"
    r"|поделиться|поділитися|jaa|paylaş|deila|分享|共有|شارك)(?:\s+(?:this|the|on|via|artikkelen|artikeln"
    r"|artiklen|saken|artikel|den\ artikel|l'article|cet\ article|este\ artículo|l'articolo|esta\ matéria"
    r"|artykuł|статьей|статтею|artikkeli|haberi|greinina|story|article|post)){0,3}\b",
    re.IGNORECASE,
)
_SOCIAL = re.compile(
    r"\b(?:facebook|twitter|x\.com|linkedin|whatsapp|telegram|messenger|pinterest|reddit|email|e-post|e-mail"
    r"|copy\ link|kopier\ lenke|print|vk|instagram|tiktok|youtube|flipboard)\b",
    re.IGNORECASE | re.VERBOSE,
)
_APPEAL_RE = re.compile(
    r"subscri(?:be|ption)|already\ a\ subscriber|sign\ (?:in|up)|log\ ?in\b|newsletter"
    r"|become\ a\ (?:member|supporter)"
    r"|support\ (?:us|our|the|independent)|donat(?:e|ion)|make\ a\ contribution|contribute\ now|paywall"
    r"|abonn[eé]|logg\ inn|logg\ på|log\ ind|logga\ in|nyhetsbrev|nyhedsbrev|prenumer|anmelden|newsletter"
    r"|jetzt\ (?:abonnieren|unterstützen)|s'abonner|abonnez|connectez|suscr[ií]b|inicia\ sesión|abbonat"
    r"|accedi"
    r"|assine|assinante|entrar\b|subskryb|prenumerat|zaloguj|newsletter|подпис|войти|розсилк|підпис|увійти"
    r"|tilaa|tilaajille|kirjaudu|uutiskirje|abone\ ol|giriş\ yap|bülten|áskrift|skráðu|fréttabréf"
    r"|登录|ログイン|購読"
    r"|اشترك|تسجيل\ الدخول|støtt\ oss|stött\ oss|støt\ os|unterstützen\ sie|soutenez|apóyanos|sostienici"
    r"|apoie|wesprzyj|поддержите|підтримайте|tue\ meitä|bağış",
    re.IGNORECASE | re.VERBOSE,
)
_APPEAL_OPENER_RE = re.compile(
    r"^(?:a\ message\ from\b.{0,60}|dear\ readers?\b.{0,40}|kjære\ lesere?\b.{0,40}|kære\ læsere?\b.{0,40}"
    r"|kära\ läsare\b.{0,40}|liebe\ leserinnen\b.{0,60}|liebe\ leser\b.{0,40}|chers\ lecteurs\b.{0,40}"
    r"|chère\ lectrice.{0,60}|queridos\ lectores\b.{0,40}|cari\ lettori\b.{0,40}|caros\ leitores\b.{0,40}"
    r"|drodzy\ czytelnicy\b.{0,40}|дорогие\ читатели\b.{0,40}|шановні\ читачі\b.{0,40}|hyvä\ lukija\b.{0,40}"
    r"|support\ [^.?!]{1,50}!|st(?:ø|ö)tt\ [^.?!]{1,50}!|unterstützen\ sie\ [^.?!]{1,50}!"
    r"|soutenez\ [^.?!]{1,50}!"
    r"|make\ a\ donation.{0,40}|donate\ (?:now|today).{0,40})$",
    re.IGNORECASE | re.VERBOSE,
)
_DONATION_WORDS = re.compile(
    r"donat|contribut|support|monthly|støtt|stött|støt|unterstütz|spende|soutien|soutenir|don\b|donaci|apoy"
    r"|sostegn|doaç|apoi|wesprz|darowizn|пожертв|поддерж|підтрим|lahjoit|tue\b|bağış|styrk",
    re.IGNORECASE,
)
_COOKIE_RE = re.compile(
    r"cookie|informasjonskapsl|kakor\b|kakor\)|evästei|ciasteczk|куки|файлы\ cookie|galletas|çerez|vafrakök",
    re.IGNORECASE | re.VERBOSE,
)
_ICON_RE = re.compile(r"\b(?:an?\ )?icon\b", re.IGNORECASE | re.VERBOSE)
_TEMPLATE_RE = re.compile(
    r"^(?:\s*(?:\[\[[^\]]{1,40}\]\]|\{\{[^}]{1,40}\}\}|%%?\w{1,30}%%?|\$\{\w{1,30}\}))+\s*$"
)
_PUBLISHED_RE = re.compile(
    r"^(?:published|updated|posted|last\ updated|first\ published|publisert|oppdatert|sist\ oppdatert"
    r"|publisert|publicerad|uppdaterad|publiceret|udgivet|opdateret|veröffentlicht|aktualisiert|erschienen"
    r"|gepubliceerd|bijgewerkt|publié|mis\ à\ jour|publicado|actualizado|pubblicato|aggiornato|atualizado"
    r"|opublikowano|zaktualizowano|aktualizacja|опубликовано|обновлено|опубліковано|оновлено|julkaistu"
    r"|päivitetty|yayınlanma|yayınlandı|güncellendi|birt|uppfært|更新|公開|发布|發布|نشر|تاريخ\ النشر)\b",
    re.IGNORECASE | re.VERBOSE,
)
_AGO_RE = re.compile(
    r"\d+\s*\w*\s*(?:ago|siden|sedan|siden|geleden|temu|назад|тому|sitten|önce|前)\b"
    r"|(?:il\ y\ a|hace|vor|há)\s+\d+",
    re.IGNORECASE | re.VERBOSE,
)
_DATE_PREFIX_RE = re.compile(
    r"^(?:date:?\s*)?\d{4}-\d{2}(?:-\d{2})?(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?\s+(?=\S)"
)
_MONTHS = frozenset(
    """
    jan january feb february mar march apr april may jun june jul july aug august sep sept september oct
    october
    nov november dec december januar februar mars april mai juni juli august september oktober november
    desember
    jänner märz dezember okt des januari februari maj augusti oktober
    janvier février fevrier avril juin juillet août aout septembre octobre novembre décembre decembre
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre
    janeiro fevereiro março maio junho julho setembro outubro novembro dezembro
    stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia
    января февраля марта апреля мая июня июля августа сентября октября ноября декабря
    січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня
    tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesäkuuta heinäkuuta elokuuta syyskuuta
    lokakuuta marraskuuta joulukuuta ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım
    aralık
    janúar febrúar apríl júní júlí ágúst október nóvember desember
    mon monday tue tuesday wed wednesday thu thursday fri friday sat saturday sun sunday
    mandag tirsdag onsdag torsdag fredag lørdag søndag måndag tisdag lördag söndag
    montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi mercredi jeudi vendredi
    samedi dimanche
    am pm kl klokken um uhr at à a las le den der the of de del di om updated gmt utc cet cest h
    """.split()
)
_AD_RE = re.compile(
    r"^(?:advertisement|advertising|sponsored(?:\ content)?|annonse|annons|annonce|anzeige|werbung"
    r"|advertentie"
    r"|publicité|publicidad|pubblicità|publicidade|reklama|реклама|mainos|reklam|auglýsing|広告|广告|إعلان"
    r"|ad|ads|story\ continues\ below(?:\ advertisement)?|article\ continues\ below)$",
    re.IGNORECASE | re.VERBOSE,
)
_NAV_WORDS = frozenset(
    """
    home news world sport sports politics business culture opinion entertainment lifestyle tech technology
    science health travel video local national international economy weather latest complete front page
    breaking live aktuelle
    forsiden nyheter innenriks utenriks kultur økonomi meninger debatt nyheder indland udland nyheter inrikes
    utrikes startseite nachrichten politik wirtschaft welt accueil actualités monde économie inicio noticias
    mundo deportes notizie mondo esteri início notícias wiadomości świat kraj новости мир политика новини
    світ etusivu uutiset kotimaa ulkomaat urheilu haberler dünya spor gündem fréttir innlent erlent
    """.split()
)
_UI_RE = re.compile(
    r"^(?:loading|undefined|null|nan|javascript|enable\ javascript|print|skriv\ ut|drucken|imprimer|imprimir"
    r"|close|lukk|schließen|fermer|cerrar|back\ to\ top|til\ toppen|nach\ oben|retour\ en\ haut"
    r"|(?:\d+\s+)?(?:comments?|kommentar(?:er)?|kommentare|kommentarer|commentaires?|comentarios|commenti"
    r"|comentários|komentarze|комментарии|коментарі|kommentit|yorumlar|athugasemdir)(?:\s*\(\d+\))?)[.…]*$",
    re.IGNORECASE | re.VERBOSE,
)
_HEADLINE_SITE_RE = re.compile(r"\s+[|–—-]\s+(?:[A-ZÆØÅÄÖÜ][\w.&'’-]*)(?:\s+[A-ZÆØÅÄÖÜ][\w.&'’-]*){0,2}$")


@dataclass(frozen=True, slots=True)
class RemovedLine:
    """One line taken out of a document, and the rule that took it."""

    line: str
    reason: str


@dataclass(frozen=True, slots=True)
class CleanText:
    """A document's text for scoring, with boilerplate removed.

    Attributes:
        text: The cleaned text (lines kept in order); equals the input when nothing was removed.
        removed: The removed lines (or trimmed parts of lines) with the rule that matched:
            pattern rules first, in text order, then repeated lines.
    """

    text: str
    removed: tuple[RemovedLine, ...] = ()


# A line ending in a full stop (Latin, CJK, Devanagari, Urdu; not an ellipsis) reads as a sentence.
_FULL_STOP_END_RE = re.compile(r"(?:(?<!\.)\.(?!\.)|[。।۔])\W*$")


def _label_opens_sentence(line: str, label: re.Match[str]) -> bool:
    """True when a "read also" label only opens a sentence ("Přečtěte si také podmínky, ... radí úřad.").

    A teaser sets its headline off with a colon, a dash or a bar, or follows the label with a headline,
    which does not end in a full stop; a label run into text that does is the sentence's first words.
    """
    return not label.group("sep").strip() and label.end() < len(line) and bool(_FULL_STOP_END_RE.search(line))


def line_rule(line: str) -> str | None:
    """The name of the boilerplate rule that matches one line on its own, or None.

    Context rules (the headline after a bare "Read also", appeal blocks, repeated
    lines) are applied by :func:`strip_boilerplate`.

    Example:
        >>> [line_rule(s) for s in ["Les også: Ny storm i nord", "Von Anna Schmidt", "Foto: NTB",
        ...                         "Stoltenberg said the talks would go on."]]
        ['read_also', 'byline', 'credit', None]
    """
    s = line.strip()
    if not s:
        return None
    n = len(s)
    m = _READ_RE.match(s)
    if m and (n <= _MAX_TEASER_CHARS + 40 or m.group("sep").strip()) and not _label_opens_sentence(s, m):
        return "read_also"
    if _TEMPLATE_RE.match(s):
        return "template"
    if len(_ICON_RE.findall(s)) >= 3 or (n <= _SHORT and re.match(r"^(?:\w+\s){0,4}an?\s+icon\b", s, re.I)):
        return "icons"
    if n > 300:
        return None
    if _COOKIE_RE.search(s):
        return "cookie"
    if "newsletter" in s.lower() or (n <= _SHORT and _APPEAL_RE.search(s[:80])):
        return "appeal"
    if n > _SHORT:
        return None
    if _AGENCY_LINE_RE.match(s) or (n <= 80 and _CAPTION_CREDIT_RE.search(s)):
        return "credit"
    if _CREDIT_RE.match(s) or _TRAILING_CREDIT_RE.search(s) or _COPYRIGHT_RE.search(s):
        return "credit"
    if n <= 90 and _BYLINE_RE.match(s):
        return "byline"
    if _AD_RE.match(s):
        return "advert"
    if n <= 40 and _UI_RE.match(s):
        return "ui"
    if n <= 100 and (_PUBLISHED_RE.match(s) or _AGO_RE.search(s) and n <= 60):
        return "date"
    if n <= 60 and _is_date_line(s):
        return "date"
    if n <= 100 and _SHARE_RE.match(s) and (n <= 40 or len(_SOCIAL.findall(s)) >= 1):
        return "share"
    if n <= 120 and len(_SOCIAL.findall(s)) >= 2 and len(s.split()) <= 2 * len(_SOCIAL.findall(s)) + 2:
        return "share"
    if n <= 60 and _is_nav(s):
        return "navigation"
    return None


def _is_date_line(s: str) -> bool:
    tokens = re.findall(r"\w+", s.lower())
    if not tokens or not any(t.isdigit() for t in tokens):
        return False
    return all(t.isdigit() or t in _MONTHS or re.fullmatch(r"\d+(?:st|nd|rd|th|h\d*)", t) for t in tokens)


def _is_nav(s: str) -> bool:
    words = re.findall(r"\w+", s)
    if not 2 <= len(words) <= 8 or s[-1] in ".!?:":
        return False
    if not all(w[0].isupper() or w.lower() in ("og", "and", "und", "et", "y", "e", "i") for w in words):
        return False
    return sum(w.lower() in _NAV_WORDS for w in words) >= 2


def _key(line: str) -> str:
    text = unicodedata.normalize("NFKC", line).lower()
    return re.sub(r"[\W_]+", "", text)  # same as keeping ch.isalnum(), several times faster


def _looks_like_headline(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > _MAX_TEASER_CHARS:
        return False
    inner = re.search(r"[.!?。！？]\s+\S", s)
    return inner is None


def _pattern_pass(text: str) -> tuple[list[str], list[RemovedLine]]:
    lines = text.split("\n")
    kept: list[str] = []
    removed: list[RemovedLine] = []
    content_lines = [k for k, line in enumerate(lines) if line.strip()]
    tail_from = content_lines[int(len(content_lines) * _TAIL_START)] if content_lines else 0
    first_content = content_lines[:5]
    skip_next_headline = False
    for k, line in enumerate(lines):
        s = line.strip()
        if not s:
            kept.append(line)
            continue
        if skip_next_headline:
            skip_next_headline = False
            if _looks_like_headline(s) and line_rule(s) is None:
                removed.append(RemovedLine(line, "read_also_headline"))
                continue
        if k >= tail_from and _APPEAL_OPENER_RE.match(s):
            rest = [x for x in lines[k:] if x.strip()]
            if len(rest) == 1 or any(_DONATION_WORDS.search(x) for x in rest):
                removed.extend(RemovedLine(x, "appeal_block") for x in rest)
                break
        if k in first_content:
            m = _DATE_PREFIX_RE.match(s)
            if m:
                removed.append(RemovedLine(m.group(0).strip(), "date_prefix"))
                s = line = s[m.end() :]
        rule = line_rule(s)
        if rule is None and k in first_content and _looks_like_headline(s) and s[-1:] not in ".!?:":
            m = _HEADLINE_SITE_RE.search(s)
            if m and len(s) - len(m.group(0)) >= 20:
                removed.append(RemovedLine(m.group(0).strip(), "headline_site"))
                line = s[: m.start()]
        if rule is None:
            kept.append(line)
            continue
        removed.append(RemovedLine(line, rule))
        if rule == "read_also":
            m = _READ_RE.match(s)
            # A bare label ("Read also") is followed by its headline on the next line.
            skip_next_headline = m is not None and m.end() >= len(s.rstrip(" :–—-|»>›•"))
    return kept, removed


def _families(doc_ids: list[int], key_sets: Sequence[set[str]], needed: int) -> int:
    """Greedy count of document families (up to ``needed``): members share >= half their lines."""
    reps: list[int] = []
    for d in doc_ids:
        a = key_sets[d]
        same = False
        for r in reps:
            b = key_sets[r]
            small = min(len(a), len(b))
            if small and len(a & b) / small >= _FAMILY_OVERLAP:
                same = True
                break
        if not same:
            reps.append(d)
            if len(reps) >= needed:
                break
    return len(reps)


def strip_boilerplate(
    texts: Sequence[str], *, min_docs: int = 3, min_share: float = 0.02, min_line_chars: int = 3
) -> list[CleanText]:
    """Remove boilerplate lines from every text of one folder.

    Args:
        texts: The documents' normalised texts (one line per paragraph), in any order.
        min_docs: A line found in at least this many unrelated documents is boilerplate (>= 2).
        min_share: ... and in at least this share of all documents, in [0, 1] (matters
            for big folders: 2 % of 10 000 documents is 200).
        min_line_chars: Lines whose key (letters and digits) is shorter are not counted
            as repeated lines (>= 1); pattern rules still apply to them.

    Returns:
        One :class:`CleanText` per text, in input order. Blank-line paragraph breaks
        are kept; a text that would lose every line is returned unchanged.

    Raises:
        InvalidParameterError: If an argument is out of range.

    Example:
        >>> shared = "Sign up for our daily briefing"
        >>> docs = [f"Story {k} about a different topic entirely.\\n{shared}" for k in "ABC"]
        >>> [c.text for c in strip_boilerplate(docs)]
        ['Story A about a different topic entirely.', 'Story B about a different topic entirely.', \
'Story C about a different topic entirely.']
        >>> copies = ["Same story.\\nSame second line, word for word."] * 3
        >>> strip_boilerplate(copies)[0].text == copies[0]
        True
    """
    if not isinstance(min_docs, int) or isinstance(min_docs, bool) or min_docs < 2:
        raise InvalidParameterError(f"min_docs must be an int >= 2. Got {min_docs!r}.")
    if not isinstance(min_share, (int, float)) or isinstance(min_share, bool) or not 0 <= min_share <= 1:
        raise InvalidParameterError(f"min_share must be a float in [0, 1]. Got {min_share!r}.")
    if not isinstance(min_line_chars, int) or isinstance(min_line_chars, bool) or min_line_chars < 1:
        raise InvalidParameterError(f"min_line_chars must be an int >= 1. Got {min_line_chars!r}.")
    passes = [_pattern_pass(t) for t in texts]
    key_sets = [{_key(line) for line in kept if len(_key(line)) >= min_line_chars} for kept, _ in passes]
    needed = max(min_docs, math.ceil(min_share * len(texts)))
    owners: dict[str, list[int]] = defaultdict(list)
    for d, keys in enumerate(key_sets):
        for key in keys:
            owners[key].append(d)
    repeated = {
        key: len(docs)
        for key, docs in owners.items()
        if len(docs) >= needed and _families(docs, key_sets, needed) >= needed
    }
    out: list[CleanText] = []
    for text, (kept, removed) in zip(texts, passes, strict=True):
        final: list[str] = []
        dropped = list(removed)
        for line in kept:
            key = _key(line)
            if key in repeated:
                dropped.append(RemovedLine(line, f"repeated in {repeated[key]} documents"))
            else:
                final.append(line)
        cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(final)).strip()
        if not cleaned:
            out.append(CleanText(text=text))
        elif not dropped:
            out.append(CleanText(text=text))
        else:
            out.append(CleanText(text=cleaned, removed=tuple(dropped)))
    return out
