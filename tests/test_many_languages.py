"""One story in many languages: every version finds the others, however many there are (real model)."""

from __future__ import annotations

import pytest
from conftest import scan_texts, story_and_singletons, weak_pairs

import dedup

pytestmark = pytest.mark.model

# A council news item in eight languages (Icelandic, Basque, Korean, Arabic, Persian, Vietnamese and
# Thai besides English), written for this test.
STORY = {
    "bridge-en.txt": (
        "The city council of Tromsø approved a new bridge across the harbour on Tuesday. "
        "The bridge will be 1.2 kilometres long and will carry cars, buses and bicycles. "
        "Construction is expected to start next spring and to take three years. The "
        "project will cost about 900 million kroner, most of it paid by the state. Local "
        "residents have complained about traffic jams in the city centre for many years. "
        "The mayor said the bridge would make daily life easier for thousands of "
        "commuters."
    ),
    "bridge-is.txt": (
        "Borgarstjórn Tromsø samþykkti á þriðjudag nýja brú yfir höfnina. Brúin verður "
        "1,2 kílómetrar að lengd og mun bera bíla, strætisvagna og reiðhjól. Gert er ráð "
        "fyrir að framkvæmdir hefjist næsta vor og taki þrjú ár. Verkefnið mun kosta um "
        "900 milljónir króna, sem ríkið greiðir að mestu. Íbúar hafa í mörg ár kvartað "
        "undan umferðarteppum í miðborginni. Borgarstjórinn sagði að brúin myndi auðvelda "
        "daglegt líf þúsunda sem ferðast til vinnu."
    ),
    "bridge-eu.txt": (
        "Tromsøko udalak portuaren gaineko zubi berri bat onartu zuen asteartean. Zubiak "
        "1,2 kilometroko luzera izango du eta autoak, autobusak eta bizikletak eramango "
        "ditu. Eraikuntza datorren udaberrian hastea espero da, eta hiru urte iraungo du. "
        "Proiektuak 900 milioi koroa inguru kostatuko ditu, gehiena estatuak ordainduta. "
        "Bertako biztanleek urte askoan zehar hiriaren erdiguneko auto-ilarak salatu "
        "dituzte. Alkateak esan zuen zubiak milaka joan-etorrilarien eguneroko bizitza "
        "erraztuko duela."
    ),
    "bridge-ko.txt": (
        "트롬쇠 시의회는 화요일 항구를 가로지르는 새 다리 건설을 승인했다. "
        "다리의 길이는 1.2킬로미터이며 자동차, 버스, 자전거가 다닐 수 있다. "
        "공사는 내년 봄에 시작되어 3년이 걸릴 것으로 예상된다. "
        "이 사업에는 약 9억 크로네가 들며 대부분은 국가가 부담한다. "
        "지역 주민들은 수년 동안 도심의 교통 체증에 대해 불만을 제기해 왔다. "
        "시장은 이 다리가 수천 명의 통근자들의 일상생활을 더 편하게 만들 것이라고 말했다."
    ),
    "bridge-ar.txt": (
        "وافق مجلس مدينة ترومسو يوم الثلاثاء على بناء جسر جديد فوق الميناء. سيبلغ طول "
        "الجسر 1.2 كيلومتر وسيحمل السيارات والحافلات والدراجات. ومن المتوقع أن يبدأ "
        "البناء في الربيع المقبل وأن يستغرق ثلاث سنوات. وستبلغ تكلفة المشروع نحو 900 "
        "مليون كرونة، تدفع الدولة معظمها. واشتكى السكان المحليون لسنوات عديدة من الازدحام "
        "المروري في وسط المدينة. وقال رئيس البلدية إن الجسر سيسهل الحياة اليومية لآلاف "
        "المسافرين."
    ),
    "bridge-fa.txt": (
        "شورای شهر ترومسو روز سه\u200cشنبه ساخت پل جدیدی را بر روی بندر تصویب کرد. طول این پل "
        "۱٫۲ کیلومتر خواهد بود و خودروها، اتوبوس\u200cها و دوچرخه\u200cها از آن عبور خواهند کرد. "
        "انتظار می\u200cرود ساخت آن از بهار آینده آغاز شود و سه سال طول بکشد. هزینه این پروژه "
        "حدود ۹۰۰ میلیون کرون خواهد بود که بیشتر آن را دولت می\u200cپردازد. ساکنان محلی "
        "سال\u200cهاست از ترافیک سنگین در مرکز شهر شکایت دارند. شهردار گفت این پل زندگی روزمره "
        "هزاران نفر از رفت\u200cوآمدکنندگان را آسان\u200cتر خواهد کرد."
    ),
    "bridge-vi.txt": (
        "Hội đồng thành phố Tromsø hôm thứ Ba đã phê duyệt một cây cầu mới bắc qua bến "
        "cảng. Cây cầu sẽ dài 1,2 km và dành cho ô tô, xe buýt và xe đạp. Việc xây dựng "
        "dự kiến bắt đầu vào mùa xuân tới và kéo dài ba năm. Dự án sẽ tiêu tốn khoảng 900 "
        "triệu krone, phần lớn do nhà nước chi trả. Người dân địa phương đã phàn nàn về "
        "tình trạng ùn tắc giao thông ở trung tâm thành phố trong nhiều năm. Thị trưởng "
        "cho biết cây cầu sẽ giúp cuộc sống hằng ngày của hàng nghìn người đi làm trở nên "
        "dễ dàng hơn."
    ),
    "bridge-th.txt": (
        "สภาเมืองทรอมโซอนุมัติการสร้างสะพานแห่งใหม่ข้ามท่าเรือเมื่อวันอังคาร "
        "สะพานจะมีความยาว 1.2 กิโลเมตรและรองรับรถยนต์ รถประจำทาง และจักรยาน "
        "คาดว่าการก่อสร้างจะเริ่มในฤดูใบไม้ผลิปีหน้าและใช้เวลาสามปี "
        "โครงการนี้จะมีค่าใช้จ่ายประมาณ 900 ล้านโครน ซึ่งรัฐบาลจะเป็นผู้จ่ายส่วนใหญ่ "
        "ชาวบ้านในพื้นที่บ่นเรื่องการจราจรติดขัดในใจกลางเมืองมาหลายปี "
        "นายกเทศมนตรีกล่าวว่าสะพานจะทำให้ชีวิตประจำวันของผู้เดินทางหลายพันคนง่ายขึ้น"
    ),
}

# Another story on a related topic in six languages (English, German, Norwegian Bokmål, Spanish,
# French, Polish), written for this test: versions of two stories must not be taken for each other.
TUNNEL = {
    "tunnel-en.txt": (
        "Bergen opened a new road tunnel under the mountain on Friday after four years of "
        "work. The tunnel is 3.4 kilometres long and has two lanes in each direction. It "
        "cost 2.1 billion kroner and was paid for with road tolls. Drivers will save "
        "about ten minutes on the trip from the airport to the city centre. The transport "
        "minister cut the ribbon together with local schoolchildren."
    ),
    "tunnel-de.txt": (
        "Bergen hat am Freitag nach vier Jahren Bauzeit einen neuen Straßentunnel unter "
        "dem Berg eröffnet. Der Tunnel ist 3,4 Kilometer lang und hat zwei Fahrspuren in "
        "jede Richtung. Er kostete 2,1 Milliarden Kronen und wurde über Mautgebühren "
        "finanziert. Autofahrer sparen auf der Strecke vom Flughafen ins Stadtzentrum "
        "etwa zehn Minuten. Der Verkehrsminister durchschnitt das Band gemeinsam mit "
        "Schulkindern aus der Gegend."
    ),
    "tunnel-nb.txt": (
        "Bergen åpnet fredag en ny veitunnel under fjellet etter fire års arbeid. "
        "Tunnelen er 3,4 kilometer lang og har to felt i hver retning. Den kostet 2,1 "
        "milliarder kroner og ble betalt med bompenger. Bilistene sparer rundt ti "
        "minutter på turen fra flyplassen til sentrum. Samferdselsministeren klippet "
        "snoren sammen med lokale skolebarn."
    ),
    "tunnel-es.txt": (
        "Bergen inauguró el viernes un nuevo túnel de carretera bajo la montaña tras "
        "cuatro años de obras. El túnel mide 3,4 kilómetros y tiene dos carriles en cada "
        "sentido. Costó 2.100 millones de coronas y se pagó con peajes. Los conductores "
        "ahorrarán unos diez minutos en el trayecto del aeropuerto al centro de la "
        "ciudad. El ministro de Transportes cortó la cinta junto con escolares de la "
        "zona."
    ),
    "tunnel-fr.txt": (
        "Bergen a inauguré vendredi un nouveau tunnel routier sous la montagne après "
        "quatre ans de travaux. Le tunnel mesure 3,4 kilomètres et compte deux voies dans "
        "chaque sens. Il a coûté 2,1 milliards de couronnes, financés par des péages. Les "
        "automobilistes gagneront environ dix minutes entre l'aéroport et le "
        "centre-ville. Le ministre des Transports a coupé le ruban avec des écoliers du "
        "quartier."
    ),
    "tunnel-pl.txt": (
        "Bergen otworzył w piątek nowy tunel drogowy pod górą po czterech latach budowy. "
        "Tunel ma 3,4 kilometra długości i po dwa pasy ruchu w każdą stronę. Kosztował "
        "2,1 miliarda koron i został opłacony z opłat drogowych. Kierowcy zaoszczędzą "
        "około dziesięciu minut na trasie z lotniska do centrum miasta. Minister "
        "transportu przeciął wstęgę razem z miejscowymi uczniami."
    ),
}

# Other articles: a bridge closed in Stockholm, the weather.
OTHERS = {
    "stockholm-sv.txt": (
        "Stockholms stad stänger Västerbron för reparationer under hela sommaren. Bron är "
        "nästan hundra år gammal och betongen har börjat spricka. Bussarna leds om via "
        "Liljeholmsbron och cyklister hänvisas till en tillfällig gångväg. Arbetet "
        "beräknas kosta 150 miljoner kronor. Trafikborgarrådet bad pendlarna att välja "
        "tunnelbanan så långt det går."
    ),
    "weather-de.txt": (
        "Der Deutsche Wetterdienst warnt für das Wochenende vor schweren Gewittern im "
        "Süden des Landes. In Bayern und Baden-Württemberg sind Hagel und Sturmböen bis "
        "100 Kilometer pro Stunde möglich. Am Sonntag soll es im Norden deutlich kühler "
        "werden. Die Feuerwehr rät, lose Gegenstände auf Balkonen zu sichern."
    ),
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dedup.ScanResult:
    return scan_texts(tmp_path_factory.mktemp("many-languages"), STORY | TUNNEL | OTHERS)


def test_a_story_in_eight_languages_is_one_group(result: dedup.ScanResult) -> None:
    assert story_and_singletons(result, STORY, OTHERS) == (True, [(name,) for name in sorted(OTHERS)])
    assert story_and_singletons(result, TUNNEL, OTHERS)[0]


def test_each_version_links_to_most_of_the_others(result: dedup.ScanResult) -> None:
    # A sentence's translations in seven other documents are its partners, not its neighbourhood:
    # if they were, no alignment would clear the margin and the links would vanish as versions are added.
    assert weak_pairs(result, STORY) == {}  # all 28 pairs; 24 of the 28 with a fixed skip of 4


def test_versions_of_two_stories_are_never_linked(result: dedup.ScanResult) -> None:
    story_of = {name: kind for kind, texts in (("bridge", STORY), ("tunnel", TUNNEL)) for name in texts}
    across = [
        (p.doc_a, p.doc_b, p.confidence)
        for p in result.pairs
        if story_of.get(p.doc_a, p.doc_a) != story_of.get(p.doc_b, p.doc_b) and p.confidence >= 0.2
    ]
    assert across == []
