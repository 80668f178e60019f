"""Reading figures so a translation's meet the original's: written keys, equivalents, checks."""

from __future__ import annotations

from dedup.scoring.numbers import number_checks, number_equivalents, number_keys, score_pairs


def test_numbers_are_read_alike_however_a_language_writes_them() -> None:
    assert number_keys("It cost 1,500 euros in 2029.") == number_keys("Es kostete 1.500 Euro im Jahr 2029.")
    assert number_keys("Det kostet 1 500 kroner i 2029.") == number_keys("It cost 1,500 euros in 2029.")
    assert number_keys("४० लाख") == number_keys("40 lakh")  # Devanagari digits
    assert number_keys("４０万人") == number_keys("400,000 people")  # full-width digits, 万 vs thousands
    assert number_keys("3,5 %") == number_keys("3.5%")
    assert number_keys("at 09:30 on Sunday") & number_keys("kl. 9.30 søndag")  # a time
    assert score_pairs("won 2:1") == score_pairs("won 2-1") == score_pairs("lost 1–2")  # a score
    assert not number_keys("at 14:00") & number_keys("at 15:00")
    assert number_keys("No digits here.") == frozenset()


def test_number_checks_count_only_sentence_pairs_with_numbers_on_both_sides() -> None:
    agree = ("Turnout was 61 percent.", "Valgdeltakelsen var 61 prosent.")
    clash = ("Turnout was 61 percent.", "Valgdeltakelsen var 48 prosent.")
    one_sided = ("Turnout was sixty-one percent.", "Valgdeltakelsen var 61 prosent.")
    assert number_checks([]) == (0, 0)
    assert number_checks([one_sided]) == (0, 0)
    assert number_checks([agree, one_sided]) == (1, 0)
    assert number_checks([agree, clash, one_sided, clash]) == (1, 2)


def test_a_score_meets_only_the_same_score() -> None:
    brann_en = "Brann beat Rosenborg 2-1 in Bergen."
    # Two match reports on one template share the loser's goal, not the result.
    assert number_checks([("Betis slo Valencia 3:1 i Sevilla.", brann_en)]) == (0, 1)
    assert number_checks([("Brann slo Rosenborg 2:1 i Bergen.", brann_en)]) == (1, 0)
    assert number_checks([("Rosenborg tapte 1-2 i Bergen.", brann_en)]) == (1, 0)
    assert number_checks([("ノリッジは3対1で勝った。", "Norwich won 3-1.")]) == (1, 0)
    assert number_checks([("ノリッジは3対1で勝った。", "ミルウォールは2対1で勝った。")]) == (0, 1)
    assert number_checks([("诺维奇3比1获胜。", "Norwich won 2-1.")]) == (0, 1)
    # A range meets the same range written with words between its numbers.
    assert number_checks([("Es dauert 3 bis 4 Tage.", "It takes 3-4 days.")]) == (1, 0)
    assert number_checks([("Es dauert 5 bis 6 Tage.", "It takes 3-4 days.")]) == (0, 1)
    # Dates and season spans are not scores.
    assert score_pairs("Dated 13-6-2022, in the 2020-21 season.") == frozenset()


def test_an_afternoon_time_meets_the_24_hour_clock() -> None:
    assert number_checks([("Doors open at 7 pm.", "Dørene åpner klokken 19.00.")]) == (1, 0)
    assert number_checks([("We close at 5.30pm on Fridays.", "Wir schließen freitags um 17:30.")]) == (1, 0)
    assert number_checks([("Doors open at 7 pm.", "Dørene åpner klokken 20.00.")]) == (0, 1)
    assert number_checks([("Doors open at 8 pm.", "Dørene åpner klokken 20.00.")]) == (
        1,
        0,
    )  # 20.00 reads "2"
    assert number_equivalents("Breakfast at 7 am.") == frozenset()  # the morning is written alike


def test_an_imperial_quantity_meets_its_metric_translation() -> None:
    assert number_checks([("The new line is 130 miles long.", "Den nye linjen er 210 km lang.")]) == (1, 0)
    assert number_checks(
        [("The new line is 130 miles long.", "Die neue Strecke ist 209 Kilometer lang.")]
    ) == (1, 0)
    assert number_checks([("A 6-foot fence.", "Et gjerde på 1,8 meter.")]) == (1, 0)
    assert number_checks([("It was 86°F in the shade.", "Det var 30 grader i skyggen.")]) == (1, 0)
    assert number_checks([("Lows of -4°F are forecast.", "Det er meldt ned mot -20 °C.")]) == (1, 0)
    assert "12" in number_equivalents("a 5-10 °F range")  # a range's dash is not a minus: 10 °F is -12 °C
    assert number_checks([("The farm covers 2,500 acres.", "Gården dekker 1000 hektar.")]) == (1, 0)
    # the translator's miles are the original's kilometres: the English side holds the unit either way
    assert number_checks([("Han kjørte 80 km.", "He drove 50 miles.")]) == (1, 0)
    assert number_checks([("The new line is 130 miles long.", "Den nye linjen er 350 km lang.")]) == (0, 1)


def test_equivalents_are_compared_with_written_figures_only() -> None:
    """Two Fahrenheit weather reports do not meet through their rounded Celsius conversions."""
    assert number_equivalents("High of 75°F.") & number_equivalents("High of 76°F.")
    assert number_checks([("High of 75°F today.", "High of 76°F today.")]) == (0, 1)


def test_an_era_year_meets_its_gregorian_year() -> None:
    assert number_checks([("令和5年に開業した。", "It opened in 2023.")]) == (1, 0)
    assert number_checks([("令和元年4月に始まった。", "It began in April 2019.")]) == (1, 0)  # 元年: year one
    assert number_checks([("平成30年の記録。", "A record from 2018.")]) == (1, 0)
    assert number_checks([("令和2年に始まった。", "It began in 2020.")]) == (1, 0)  # 2020 reads "202"
    assert number_checks([("民國112年", "in 2023")]) == (1, 0)
    assert number_checks([("令和5年に開業した。", "It opened in 2024.")]) == (0, 1)


def test_a_french_time_and_a_date_in_digits_meet_their_other_spellings() -> None:
    french_time = ("Depuis 23 h 15, le courant est revenu.", "Seit 23.15 Uhr gibt es wieder Strom.")
    assert number_checks([french_time]) == (1, 0)
    assert number_checks([("Booked before June 13, 2022.", "Bestilt før 13.6.22.")]) == (1, 0)
    assert number_checks([("Booked before 6/13/22.", "Bestilt før juni 2022.")]) == (1, 0)
    assert number_checks([("Depuis 23 h 15.", "Seit 22.45 Uhr.")]) == (0, 1)
    assert number_checks([("Booked before June 13, 2022.", "Bestilt før 14.7.21.")]) == (0, 1)


def test_a_century_meets_its_years_written_as_hundreds() -> None:
    trade = ("Handelen vokste på 1500-tallet.", "贸易在16世纪发展起来。")
    city = ("Pada abad ke-5 SM kota itu tumbuh.", "Staden växte under 400-talet f.Kr.")
    castle = ("Das Schloss stammt aus dem 17. Jahrhundert.", "The castle dates from the 1600s.")
    other_century = ("The castle dates from the 17th century.", "Le château date des années 1500.")
    assert [number_checks([pair]) for pair in (trade, city, castle, other_century)] == [
        (1, 0),
        (1, 0),
        (1, 0),
        (0, 1),
    ]


def test_a_decade_meets_its_years_however_it_is_written() -> None:
    assert number_checks([("Sie starb Mitte der 80er-Jahre.", "She died in the mid-1980s.")]) == (1, 0)
    assert number_checks([("Fotos dos anos 70.", "Photos from the 1970s.")]) == (1, 0)
    assert number_checks([("В 90-х годах завод закрылся.", "The plant closed in the 1990s.")]) == (1, 0)
    assert number_checks([("在20世纪70年代中期。", "In the mid-1970s.")]) == (1, 0)
    assert number_checks([("Myndir frá 8. áratugnum.", "Photos from the 1970s.")]) == (
        1,
        0,
    )  # the eighth decade
    assert number_checks([("Sie starb Mitte der 80er-Jahre.", "She died in the mid-1990s.")]) == (0, 1)


def test_round_figures_do_not_meet_as_centuries() -> None:
    """Only a century or decade written as one is read as one: 400 euros is not the fifth century."""
    assert number_checks([("It cost 400 euros.", "Det kostet 500 euro.")]) == (0, 1)
    assert number_checks([("15 people died.", "Il y a eu 16 morts.")]) == (0, 1)


def test_one_figure_shared_by_chance_among_many_is_a_conflict() -> None:
    # Two reports on one template: only the crew count and nothing else meets.
    template = (
        "Flight 7258 left at 1 am with 444 people and 6 crew.",
        "Flight 1282 left at 5 am with 171 people and 6 crew.",
    )
    assert number_checks([template]) == (0, 1)
    # "1 May" and "100 people" both read "1": a coincidence, not a shared figure.
    fled = ("On 1 May 470 people fled 12 villages.", "On 6 May 100 people fled 35 villages.")
    assert number_checks([fled]) == (0, 1)


def test_an_update_that_changes_one_figure_of_several_still_agrees() -> None:
    first = "By Sunday 12 people had died and 40 were injured in 31 villages."
    update = "By Monday 14 people had died and 40 were injured in 31 villages."
    assert number_checks([(first, update)]) == (1, 0)


def test_a_number_in_myriads_meets_its_translation_written_whole() -> None:
    assert number_checks([("売上高は1101億9400万円だった。", "销售额达到1101.94亿日元。")]) == (1, 0)
    assert number_checks([("売上高は1101億9400万円だった。", "销售额达到1201.94亿日元。")]) == (0, 1)
    assert "35" in number_equivalents("観客は3万5000人。")
    assert "7377" in number_equivalents("순이익은 73억 7700만 엔")


def test_a_decimal_written_with_the_japanese_middle_dot_meets_its_translation() -> None:
    english = "They built snow houses up to 2.5 metres high."
    assert number_checks([("高さ最大２・５メートルの雪の家を作った。", english)]) == (1, 0)
    assert number_checks([("高さ最大３・５メートルの雪の家を作った。", english)]) == (0, 1)
    # the dot also joins an enumeration ("January and February"): its written figures stay two
    assert number_keys("１・２月の売上は増えた。") == {"1", "2"}


def test_a_day_and_month_with_a_full_stop_after_each_meet_their_translation() -> None:
    german = "Für den Zeitraum vom 01.07. bis 19.07. war ich im Urlaub (12 Tage)."
    assert number_checks([(german, "Du 01/07 au 19/07, j'étais en congé (12 jours).")]) == (1, 0)
    assert number_checks([(german, "Du 03/08 au 21/08, j'étais en congé (14 jours).")]) == (0, 1)
    # not a date: no such month
    assert not {"19", "23"} <= number_equivalents("Der Kurs stieg auf 19.23. Punkte")


def test_a_decade_within_a_century_meets_its_translation() -> None:
    english = "Set in 1880s New York, the series follows two young women."
    assert number_checks([(english, "故事发生在19世纪80年代的纽约。")]) == (1, 0)
    assert number_checks([(english, "故事发生在19世纪90年代的纽约。")]) == (0, 1)


def test_a_japanese_two_digit_year_meets_the_year_written_whole() -> None:
    japanese = "政府は達成期限を２５年度に先送りした。"
    assert number_checks([(japanese, "政府将达成期限推迟到2025年度。")]) == (1, 0)
    assert number_checks([(japanese, "政府将达成期限推迟到2027年度。")]) == (0, 1)


def test_square_yards_and_feet_meet_square_metres() -> None:
    lawn = "Don't buy if your lawn is larger than 10 sq yards."
    assert number_checks([(lawn, "Ne kupujte ako je travnjak veći od 8 m².")]) == (1, 0)
    assert number_checks([(lawn, "Ne kupujte ako je travnjak veći od 12 m².")]) == (0, 1)
    assert number_checks([("A 1,200 square feet flat.", "Ein Apartment mit 111 Quadratmetern.")]) == (1, 0)
