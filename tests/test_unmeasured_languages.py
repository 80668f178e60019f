"""A language pair the calibration never measured (Basque-Spanish), scanned with the real model."""

from __future__ import annotations

from pathlib import Path

import pytest

import dedup
from dedup.scoring.calibration import load_confidence_model

pytestmark = pytest.mark.model

# Three short news items in Spanish with their Basque translations (written for this test), and one
# Spanish item with no partner. Basque is in the background statistics, never in a training pair.
ARTICLES = {
    "euskera-es.txt": (
        "Una encuesta publicada hoy indica que el número de jóvenes que hablan euskera a diario "
        "sigue creciendo.\n"
        "Según el estudio, el 38 por ciento de los menores de 25 años usa el idioma en casa o con "
        "amigos.\n"
        "Los investigadores entrevistaron a más de 8.000 personas en todo el territorio.\n"
        "El uso es mayor en los pueblos pequeños que en las capitales.\n"
        "Las autoridades quieren duplicar la oferta de cursos para adultos el próximo año.\n"
    ),
    "euskera-eu.txt": (
        "Gaur argitaratutako inkesta baten arabera, egunero euskaraz hitz egiten duten gazteen "
        "kopuruak gora egiten jarraitzen du.\n"
        "Ikerketaren arabera, 25 urtetik beherakoen ehuneko 38k erabiltzen du hizkuntza etxean edo "
        "lagunekin.\n"
        "Ikertzaileek 8.000 pertsona baino gehiago elkarrizketatu zituzten lurralde osoan.\n"
        "Erabilera handiagoa da herri txikietan hiriburuetan baino.\n"
        "Agintariek helduentzako ikastaroen eskaintza bikoiztu nahi dute datorren urtean.\n"
    ),
    "pelota-es.txt": (
        "El pelotari navarro Iker Goñi ha ganado el campeonato manomanista en el frontón Bizkaia.\n"
        "En la final derrotó por 22 a 15 al vigente campeón, que arrastraba una lesión en la mano "
        "derecha.\n"
        "Más de tres mil aficionados llenaron las gradas para ver el partido.\n"
        "Goñi dedicó la victoria a su abuelo, que le enseñó a jugar en la plaza de su pueblo.\n"
        "Es la primera vez que un jugador de su club gana el título.\n"
    ),
    "pelota-eu.txt": (
        "Iker Goñi pilotari nafarrak eskuz banakako txapelketa irabazi du Bizkaia pilotalekuan.\n"
        "Finalean 22-15 garaitu zuen txapeldun ohia, eskuin eskuan lesio batekin jokatu zuena.\n"
        "Hiru mila zaletik gora bildu ziren harmailetan partida ikusteko.\n"
        "Goñik bere aitonari eskaini dio garaipena, herriko plazan jokatzen irakatsi baitzion.\n"
        "Lehen aldia da bere klubeko jokalari batek titulua irabazten duena.\n"
    ),
    "puerto-es.txt": (
        "El puerto de Pasaia registró el año pasado un aumento del 12 por ciento en el tráfico de "
        "mercancías.\n"
        "La mayor parte del crecimiento se debe a la exportación de acero y de piezas para "
        "automóviles.\n"
        "La dirección del puerto prevé invertir 40 millones de euros en ampliar los muelles.\n"
        "Los sindicatos reclaman que las nuevas contrataciones sean indefinidas.\n"
    ),
    "tren-es.txt": (
        "El Gobierno vasco ha presentado este martes el nuevo trazado del tren de alta velocidad "
        "entre Bilbao y Vitoria.\n"
        "Las obras costarán unos 1.200 millones de euros y deberían terminar en 2030.\n"
        "El consejero de Transportes dijo que el viaje entre las dos ciudades durará menos de media"
        " hora.\n"
        "Los vecinos de varios pueblos del valle han pedido que se construya un túnel en lugar de "
        "un viaducto.\n"
        "El proyecto se someterá a información pública durante los próximos dos meses.\n"
    ),
    "tren-eu.txt": (
        "Eusko Jaurlaritzak asteartean aurkeztu du Bilbo eta Gasteiz arteko abiadura handiko "
        "trenaren trazadura berria.\n"
        "Obrek 1.200 milioi euro inguru kostatuko dute eta 2030ean amaitu beharko lukete.\n"
        "Garraio sailburuak esan du bi hirien arteko bidaiak ordu erdi baino gutxiago iraungo "
        "duela.\n"
        "Haraneko hainbat herritako bizilagunek biaduktu baten ordez tunel bat eraikitzeko eskatu "
        "dute.\n"
        "Proiektua jendaurrean jarriko da datozen bi hilabeteetan.\n"
    ),
}


def test_basque_spanish_translations_are_grouped_on_levels_read_off_the_input(tmp_path: Path):
    for name, text in ARTICLES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    model = load_confidence_model()
    assert "es-eu" not in model.reference.pairs  # the premise: a pair nobody measured
    config = dedup.ScanConfig(use_cache=False)
    result = dedup.scan(tmp_path, encoder=dedup.load_encoder(), config=config)
    assert {d.doc_id: d.lang for d in result.documents}["tren-eu.txt"] == "eu"
    levels = result.stats["input_levels"]
    assert set(levels) == {"es-eu"}
    assert levels["es-eu"]["matches"] >= 8
    assert abs(levels["es-eu"]["translation"] - model.reference.levels("es", "eu")[0]) < 0.2
    groups = sorted(g.members for g in result.groups)
    assert groups == [
        ("euskera-es.txt", "euskera-eu.txt"),
        ("pelota-es.txt", "pelota-eu.txt"),
        ("puerto-es.txt",),
        ("tren-es.txt", "tren-eu.txt"),
    ]
    assert all(p.relation == "translation" and p.confidence >= 0.9 for p in result.pairs)
