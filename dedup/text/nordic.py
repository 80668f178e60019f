"""Telling bokmål, nynorsk, Danish and Swedish apart by function words and spelling.

A small transparent scorer: each language's own function words count double, words shared
by two or three languages less, and spelling patterns (æ/ø vs ä/ö, -sjon vs -tion, nynorsk
-leg/-heit, definite plurals) add their weights.

Example:
    >>> from dedup.text.nordic import nordic_scores
    >>> scores = nordic_scores("Eg veit ikkje kva ho heiter, men ho bur i Bergen.")
    >>> max(scores, key=scores.get)
    'nn'
"""

from __future__ import annotations

import re

from dedup.text.scripts import WORD

NORDIC = ("nb", "nn", "da", "sv")
"""The Scandinavian languages the scorer tells apart."""


def _lexicon() -> dict[str, frozenset[str]]:
    """Function words (and a few frequent content words) mapped to the Nordic languages using them.

    Only words that tell the four apart are listed; a word shared by all four carries no evidence.
    General grammar knowledge: pronouns, question words, negation, auxiliaries, prepositions.
    """
    table = {
        # Nynorsk only.
        "nn": """ikkje eg me kva kven korleis kvifor kor kvar kvart dei deira vere vore vert vart berre òg
            mykje noko nokon nokre fleire heile heilt hjå sjølv ho hennar dykk dykkar medan sidan
            utan framleis enno meir ein eit eitt inga anna heim heime sjå fekk gjekk gjer gjere gjera
            seier seie seia veit kjem kome tek gjev trudde likar eigen eige eigentleg truleg vanleg
            mogleg tidlegare dessutan kvarandre saman sume somme åt attende ver tru trur hugs hugsar
            hugse bur budde treng høyrer høyre høyrde fortel spurde kjende ynskjer gløymde gløymer
            døydde høg gamal betre tidleg seint gong gongen gonger morgon veke veka månad dagar
            timar vener venen snakkar jobbar kallar heiter heitte lagar prøvde verkeleg desse
            kjøpa spela lesa skriva lita gøyme gøymer braut hovud hovudet søv dotter døypte noreg verda
            synst laupa augo skule skulen byrje byrja ligg namn namnet vatn mjølk fyrst fyrste tykkjer
            tykte einaste utanfor innanfor no gut trøytt ven""",
        # Bokmål only.
        "nb": """hva mye noe noen dere ble gjøre gjør sier mens uten ennå liker snakker trenger spurte
            glemte høy uke trolig gutt hjelpe fortsatt nå fikk gikk hode hodet melk begynne begynte
            opptatt funnet gjemme enda sånn annen annet utenfor innenfor""",
        # Danish only.
        "da": """hvad hvornår af nogle nogen noget meget os jer jeres hende hendes bliver blive gøre
            gør sige siger sagde vide vidste fik gik lige mere altid ud op lidt synes sprog spørge
            spurgte kende kendte måske købe købte gade mad hjælpe hjælp give giver tage tager mod
            mellem uden gennem blandt tak dejlig arbejde arbejder vej pige dreng børn bog bøger mand
            kvinde nogensinde havde mit vores ven nat otte sker skov mon tit cykle cykler lide
            hedder hedde sød kæreste køre kører sommetider sjov plejer blevet været gået fået haft læse
            læser spørgsmål penge tøj køkken endnu ude inde hen syg bange træt hvid hvide hoved
            hovedet fundet begynde begyndte optaget laver lavet desværre selvom ligesom
            sidste næste anden andet""",
        # Swedish only.
        "sv": """och att inte jag är vad hur varför när vem vilken vilket vilka från också mycket
            några någon något inga inget honom hon deras ett sedan innan redan tillsammans kanske
            tycker sade varit blivit vara göra säga säger gick fick hade måste kunde ska borde bara
            väldigt flicka pojke böcker pengar hem hemma upp ner tack dålig rätt även eftersom genom
            mellan över vid själv många fler första sista stora lilla små gammal gamla bättre ibland
            snart länge igår idag imorgon vecka veckan timme kväll natt behöver köpa köpte äta
            dricka prata pratar talar fråga frågade svarade hjälpa känner kände veta visste förstår
            förstod alla allt annat samma hela detta dessa denna""",
    }
    shared = {
        # Words two or three of the languages share (still telling them from the rest).
        "nb da": """ikke jeg fra hvordan hvorfor hvor hvis hvem hun være bare selv deres hele flere
            siden kun sammen hjem hjemme egentlig mulig gammel morgen stadig allerede også et disse
            bedre ønsker spise mens lille datter verden eneste først synes vant venner""",
        "nb nn": """meg deg seg ei å etter igjen takk nei kanskje jente kjøpe kjøpte kvinne mann språk bok oss
            blitt hadde tok gjennom mellom slik skjer redd syk dessverre siste neste jenta kona""",
        "nb da sv": "dem de en tror",
        "nb nn sv": "av veldig mot henne",
        "nb nn da": "og til er vil skal når dette denne mange snakke",
        "da sv": "mig dig sig blev igen aldrig nu efter nej tog gav sådan",
        "nb sv": "vet mer tar bor hennes bra",
        "nn sv": "då sjuk",
    }
    lexicon: dict[str, set[str]] = {}
    for langs, words in list(table.items()) + list(shared.items()):
        for word in words.split():
            lexicon.setdefault(word, set()).update(langs.split())
    return {w: frozenset(v) for w, v in lexicon.items()}


_LEXICON = _lexicon()


# A word used by one language is stronger evidence than one shared by two or three.
_SHARED_WEIGHT = {1: 2.0, 2: 1.0, 3: 0.5, 4: 0.0}




# Spelling and morphology: (pattern on a lowercase word, languages, weight).
_SPELLING: tuple[tuple[re.Pattern[str], tuple[str, ...], float], ...] = tuple(
    (re.compile(p), tuple(langs.split()), w)
    for p, langs, w in (
        (r"[äö]", "sv", 1.0),  # Swedish letters (Danish/Norwegian write æ ø)
        (r"[æø]", "nb nn da", 1.0),
        (r"øy", "nb nn", 0.5),  # Norwegian diphthongs: høy, øye (da høj, øje; sv hög, öga)
        (r"au", "nb nn", 0.3),  # haug, laupa (da høj, løbe)
        (r"ei", "nb nn", 0.5),  # nei, vei, stein (da nej, vej, sten)
        (r"ei", "nn", 0.3),  # nynorsk keeps ei where bokmål often has e: heil, eigen, ein
        (r"(?:tt|pp|kk)$", "nb nn sv", 0.5),  # natt, opp, takk (da nat, op, tak)
        (r"\w{3}ert$", "nb nn", 0.7),  # passert (da passeret)
        (r"\w{3}aste$", "nn sv", 0.7),  # rikaste (nb/da rikeste)
        (r"\w{3}aren$", "nn sv", 0.5),  # skytaren, läraren (nb skytteren)
        (r"øj|ej", "da", 0.5),  # Danish: høj, nej, vej, arbejde
        (r"^(?:kj|gj)[eiyæø]", "nb nn", 0.5),  # kjøpe, gjøre (da købe, gøre; sv köpa, göra)
        (r"sjon(?:en|er|ar|ane|ene)?$", "nb nn", 1.0),  # stasjon (da/sv station)
        (r"tion(?:en|er|erne|erna)?$", "da sv", 0.7),
        (r"leg(?:e|t|a)?$", "nn", 1.0),  # nynorsk -leg: vanleg, mogleg (nb/da/sv -lig)
        (r"lig(?:e|t|a)?$", "nb da sv", 0.5),
        (r"heit(?:a|en)?$", "nn", 1.0),  # nynorsk -heit (nb/sv -het, da -hed)
        (r"het(?:en|er)?$", "nb sv", 0.5),
        (r"hed(?:en|er)?$", "da", 1.0),
        (r"\w{3}ane$", "nn", 1.0),  # nynorsk definite plural: bilane, dagane
        (r"\w{3}erne$", "da", 1.0),  # Danish definite plural: bilerne
        (r"\w{3}arna$|\w{3}orna$", "sv", 1.0),  # Swedish definite plural: bilarna, flickorna
        (r"\w{3}ede$", "da", 0.7),  # Danish past tense: arbejdede, boede
        (r"\w{3}ade$", "sv", 0.7),  # Swedish past tense: pratade, frågade
        (r"\w{3}(?<![tv])ar$", "nn", 0.8),  # -ar plurals, presents: bilar, håpar (nb biler; not tar, svar)
        (r"\w{3}(?<![tv])ar$", "sv", 0.5),
        (r"^hv", "nb da", 0.3),  # hv- spelling (sv v-: vad, vem)
    )
)


def nordic_scores(text: str) -> dict[str, float]:
    """Score how much ``text`` looks like bokmål, nynorsk, Danish and Swedish.

    One point for each listed function word a language uses (shared words score for
    every language sharing them), plus weighted spelling and ending cues (``ä/ö`` for
    Swedish, ``æ/ø`` for Danish/Norwegian, nynorsk ``-leg``/``-heit``/``-ane``,
    Danish ``-hed``/``-ede``/``-erne``, Swedish ``-ade``/``-arna``, Norwegian ``-sjon``).

    Args:
        text: Any text; only lowercase letter runs are looked at.

    Returns:
        ``{"nb": score, "nn": score, "da": score, "sv": score}``, scores >= 0.

    Example:
        >>> s = nordic_scores("Eg veit ikkje kva som skjer.")
        >>> max(s, key=s.get)
        'nn'
        >>> s = nordic_scores("Jag vet inte vad som händer.")
        >>> max(s, key=s.get)
        'sv'
    """
    scores = dict.fromkeys(NORDIC, 0.0)
    previous = ""
    for word in WORD.findall(text.lower()):
        if previous == "å" and len(word) > 2 and word.endswith("a"):
            scores["nn"] += 1.0  # a-infinitive: å laupa, å kjøpa (nb å løpe)
        previous = word
        langs = _LEXICON.get(word)
        if langs is not None:
            weight = _SHARED_WEIGHT[len(langs)]
            for lang in langs:
                scores[lang] += weight
            continue
        for pattern, pattern_langs, weight in _SPELLING:
            if pattern.search(word):
                for lang in pattern_langs:
                    scores[lang] += weight
    return scores
