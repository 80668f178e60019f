"""Languages outside the training corpus link to each other, not only to English (real model).

The calibration's training pairs are in 15 WMT languages; for some 45 more, the shipped background
statistics hold a mean vector measured on treebank sentences (``models/ud_sentences.py``). Without
it such a language is centred on the global mean, its sentences keep a language-specific offset,
and two such languages align poorly: this folder then split into a Celtic and an Asian group.
"""

from __future__ import annotations

import pytest
from conftest import scan_texts, story_and_singletons, weak_pairs

import dedup

pytestmark = pytest.mark.model

# A railway news item in Welsh, Irish (its first four sentences), Indonesian, Thai and Vietnamese,
# written for this test; none of these languages is in a training pair.
STORY = {
    "rail-cy.txt": (
        "Dywedodd Cwmni Rheilffordd Arfordir y Dwyrain ddydd Mawrth y byddai'n tynnu 42 o'i "
        "drenau mwyaf newydd allan o wasanaeth ar ôl i graciau gael eu darganfod yn eu bogïau. "
        "Darganfu arolygwyr y craciau yn ystod archwiliad arferol yn y depo yn Harrowgate y "
        "penwythnos diwethaf. Ymddiheurodd prif weithredwr y cwmni, Margaret Olsen, i deithwyr a "
        "dywedodd fod diogelwch yn dod o flaen prydlondeb. Bydd tua un o bob pum gwasanaeth bore "
        "yn cael ei ganslo tan ddiwedd y mis o leiaf. Mae'r gwneuthurwr, consortiwm dan arweiniad "
        "cwmni o Sbaen, wedi anfon peirianwyr i archwilio'r trenau. Galwodd grwpiau teithwyr am "
        "ad-daliadau i ddeiliaid tocynnau tymor."
    ),
    "rail-ga.txt": (
        "Dúirt Comhlacht Iarnróid an Chósta Thoir Dé Máirt go dtarraingeodh sé 42 dá thraenacha "
        "is nuaí as seirbhís tar éis scoilteanna a aimsiú ina mbógaithe. D'aimsigh cigirí na "
        "scoilteanna le linn seiceála rialta ag an iosta i Harrowgate an deireadh seachtaine seo "
        "caite. Ghabh príomhfheidhmeannach an chomhlachta, Margaret Olsen, leithscéal le "
        "paisinéirí agus dúirt sí go dtagann sábháilteacht roimh phoncúlacht. Cuirfear thart ar "
        "sheirbhís amháin as gach cúig sheirbhís maidine ar ceal go dtí deireadh na míosa ar a "
        "laghad."
    ),
    "rail-id.txt": (
        "Perusahaan Kereta Api Pantai Timur mengatakan pada hari Selasa bahwa mereka akan menarik "
        "42 kereta terbarunya dari layanan setelah ditemukan retakan pada bogi. Para inspektur "
        "menemukan retakan itu saat pemeriksaan rutin di depo Harrowgate akhir pekan lalu. Kepala "
        "eksekutif perusahaan, Margaret Olsen, meminta maaf kepada penumpang dan mengatakan "
        "keselamatan lebih penting daripada ketepatan waktu. Sekitar satu dari lima perjalanan "
        "pagi akan dibatalkan setidaknya hingga akhir bulan. Produsen kereta, sebuah konsorsium "
        "yang dipimpin perusahaan Spanyol, telah mengirim insinyur untuk memeriksa kereta-kereta "
        "tersebut. Kelompok penumpang menuntut pengembalian dana bagi pemegang tiket musiman."
    ),
    "rail-th.txt": (
        "บริษัทรถไฟชายฝั่งตะวันออกแถลงเมื่อวันอังคารว่าจะถอนรถไฟรุ่นใหม่ล่าสุด 42 "
        "ขบวนออกจากการให้บริการหลังพบรอยร้าวที่โบกี้ "
        "ผู้ตรวจสอบพบรอยร้าวระหว่างการตรวจตามปกติที่โรงซ่อมบำรุงในแฮร์โรเกตเมื่อสุดสัปดาห์ที่ผ่านมา "
        "มาร์กาเร็ต โอลเซน "
        "ประธานเจ้าหน้าที่บริหารของบริษัทกล่าวขอโทษผู้โดยสารและระบุว่าความปลอดภัยต้องมาก่อนความตรงต่อเวลา "
        "ขบวนรถไฟช่วงเช้าราวหนึ่งในห้าจะถูกยกเลิกไปจนถึงสิ้นเดือนเป็นอย่างน้อย "
        "ผู้ผลิตซึ่งเป็นกลุ่มบริษัทที่นำโดยบริษัทสัญชาติสเปนได้ส่งวิศวกรมาตรวจสอบรถไฟแล้ว "
        "กลุ่มผู้โดยสารเรียกร้องให้คืนเงินแก่ผู้ถือตั๋วรายฤดูกาล"
    ),
    "rail-vi.txt": (
        "Công ty Đường sắt Bờ Đông cho biết hôm thứ Ba rằng họ sẽ rút 42 đoàn tàu mới nhất khỏi "
        "hoạt động sau khi phát hiện các vết nứt ở giá chuyển hướng. Các thanh tra viên đã phát "
        "hiện các vết nứt trong một đợt kiểm tra định kỳ tại xưởng ở Harrowgate vào cuối tuần "
        "trước. Tổng giám đốc điều hành của công ty, bà Margaret Olsen, đã xin lỗi hành khách và "
        "nói rằng an toàn quan trọng hơn sự đúng giờ. Khoảng một phần năm số chuyến tàu buổi sáng "
        "sẽ bị hủy ít nhất cho đến cuối tháng. Nhà sản xuất, một liên doanh do một công ty Tây "
        "Ban Nha dẫn đầu, đã cử kỹ sư đến kiểm tra các đoàn tàu. Các nhóm hành khách kêu gọi hoàn "
        "tiền cho người sở hữu vé theo mùa."
    ),
}

# Another story about the same railway company (a fare rise, in Arabic) and an unrelated one (Polish).
OTHERS = {
    "fares-ar.txt": (
        "ستزيد شركة سكك حديد الساحل الشرقي أسعار التذاكر بنسبة 4.5 في المئة اعتباراً من يناير، "
        "حسبما أعلنت رئيستها التنفيذية مارغريت أولسن يوم الجمعة. وقالت الشركة إن الأموال ستُستخدم "
        "لشراء قطارات جديدة وتمديد الأرصفة في محطة هاروغيت. وانتقدت مجموعات الركاب الزيادة قائلة "
        "إن الرحلات غالباً ما تتأخر. وسترتفع كلفة التذاكر الموسمية بين هاروغيت والعاصمة بنحو 300 "
        "جنيه في السنة. ولا يزال يتعين على الحكومة الموافقة على الأسعار الجديدة."
    ),
    "museum-pl.txt": (
        "W sobotę w Akureyri otwarto nowe muzeum sztuki po dwóch latach budowy. Muzeum pokazuje "
        "prace islandzkich malarzy z ubiegłego wieku. Burmistrz powiedział, że muzeum będzie "
        "przyciągać turystów przez cały rok. Wstęp będzie bezpłatny przez pierwszy miesiąc."
    ),
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dedup.ScanResult:
    return scan_texts(tmp_path_factory.mktemp("treebank-languages"), STORY | OTHERS)


def test_every_pair_of_versions_links(result: dedup.ScanResult) -> None:
    assert weak_pairs(result, STORY) == {}


def test_the_versions_are_one_group_and_the_other_stories_stay_alone(result: dedup.ScanResult) -> None:
    assert story_and_singletons(result, STORY, OTHERS) == (True, [(name,) for name in sorted(OTHERS)])
