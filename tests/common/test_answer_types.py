"""Answer types: cue words complete per language, and typed values in the served languages' formats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from common.answer_types import (ANSWER_TYPES, answer_type_cues, asked_date_role, asked_duration_unit, date_bound,
                                 date_span, detect_answer_type, detect_answer_types, find_values, is_act_date,
                                 names_an_average, number_word, of_an_average, value_bound)
from common.settings import SERVED_LANGUAGES


def test_every_served_language_has_cues_for_every_type():
    data = answer_type_cues()
    assert sorted(data["order"]) == sorted(ANSWER_TYPES)
    missing = [f"{lang}.{kind}" for lang in SERVED_LANGUAGES for kind in ANSWER_TYPES
               if not data["cues"].get(lang, {}).get(kind)]
    assert not missing, missing
    assert set(data["cues"]) == set(SERVED_LANGUAGES)


def test_every_served_language_has_the_words_that_join_a_list_of_articles():
    joins = answer_type_cues()["reference_joins"]
    assert set(joins) == set(SERVED_LANGUAGES)
    assert all(words and all(isinstance(w, str) and w == w.lower() for w in words) for words in joins.values())


def test_every_served_language_names_an_average_and_gdp():
    averages = answer_type_cues()["averages"]
    assert set(averages) == set(SERVED_LANGUAGES)
    assert all(len(entry.get("words") or []) >= 2 for entry in averages.values())


@pytest.mark.parametrize("text, language, measured", [
    ("less developed regions: below 75 % of the average", "en", True),
    ("dont le PIB par habitant est inférieur à 75 % de la moyenne du PIB de l'UE-27", "fr", True),
    ("regioonid, mille SKP elaniku kohta on alla 75 % ELi keskmisest", "et", True),
    ("региони с БВП на глава от населението под 75 % от средния за ЕС", "bg", True),
    ("85 % for less developed regions", "en", False),
    # the average stands too far after the rate to measure it
    ("не менее 12,5 % – на молодёжь, которая не работает и не учится, если доля таких молодых людей выше среднего",
     "ru", False),
])
def test_a_rate_measured_against_an_average_is_a_threshold(text, language, measured):
    rate, = [v for v in find_values(text, language) if v.kind == "rate"]
    assert of_an_average(text, language, rate) is measured


def test_a_question_on_the_average_asks_for_such_a_rate():
    assert names_an_average("Sub ce prag al PIB-ului pe cap de locuitor este considerată o regiune mai puțin "
                            "dezvoltată?", "ro")
    assert not names_an_average("What is the maximum EU rate for less developed regions?", "en")


def test_every_served_language_names_both_ends_of_a_span_of_dates():
    roles = answer_type_cues()["date_roles"]
    assert set(roles) == set(SERVED_LANGUAGES)
    assert set(answer_type_cues()["value_bounds"]) == set(SERVED_LANGUAGES)
    assert all(b.get("least") and b.get("most") for b in answer_type_cues()["value_bounds"].values())
    keys = {"end", "start", "span", "until", "from"}
    missing = [f"{lang}.{key}" for lang in SERVED_LANGUAGES for key in sorted(keys) if not roles[lang].get(key)]
    assert not missing, missing
    assert all(set(ends) == keys for ends in roles.values())


@pytest.mark.parametrize("question, language, role", [
    ("Tot welke datum moeten projectkosten betaald zijn?", "nl", "end"),
    ("Μέχρι πότε είναι επιλέξιμες οι δαπάνες;", "el", "end"),
    ("Какъв е крайният срок за подаване?", "bg", "end"),
    ("What is the earliest date from which expenditure can be eligible?", "en", "start"),
    ("À partir de quand les dépenses sont-elles éligibles ?", "fr", "start"),
    ("When does the monitoring committee meet?", "en", None),  # neither end
    ("From when until when are costs eligible?", "en", None),  # both
])
def test_which_end_of_a_span_of_dates_a_question_asks_for(question, language, role):
    assert asked_date_role(question, language) == role


@pytest.mark.parametrize("text, language, span", [
    ("Een uitgave is subsidiabel als zij betaald is tussen de indiening (of 1 januari 2021, als die datum eerder "
     "valt) en 31 december 2029.", "nl", ("1 januari 2021", "31 december 2029")),
    ("pour la période allant du 1er janvier 2021 au 31 décembre 2027.", "fr", ("1er janvier 2021", "31 décembre 2027")),
    ("с 1 января 2021 г. по 31 декабря 2029 г.", "ru", ("1 января 2021 г.", "31 декабря 2029 г.")),
    ("Förderzeitraum: 1.1.2021 – 31.12.2029", "de", ("1.1.2021", "31.12.2029")),
    # two dates, no span: an act's date and an opinion's
    ("Vu l'avis du Conseil en date du 3 mars 2022, conformément au règlement (UE) 2021/1060 du Parlement et du "
     "Conseil du 24 juin 2021", "fr", None),
    ("Regulation of 24 June 2021, amended on 3 March 2022.", "en", None),
])
def test_two_dates_joined_by_a_span_word_or_a_dash_make_a_span(text, language, span):
    found = date_span(text, language, find_values(text, language))
    assert (tuple(d.text for d in found) if found else None) == span


@pytest.mark.parametrize("text, language, act", [
    ("Regulation (EU) 2021/1060 of the European Parliament and of the Council of 24 June 2021 lays down", "en", True),
    ("conformément au règlement (UE) 2021/1060 du Parlement et du Conseil du 24 juin 2021 susvisé", "fr", True),
    ("lähtutakse Vabariigi Valitsuse 12. mai 2022. a määruse nr 55 sätetest", "et", True),
    ("Regulation (EU) No 1303/2013 of 17 December 2013", "en", True),
    ("Under Regulation 2021/1060, costs are eligible until 31 December 2029.", "en", False),
    ("Costs must be paid by 31 December 2029 (Article 63(2)).", "en", False),
    ("Vu l'avis du Conseil national en date du 3 mars 2022, décrète", "fr", False),
])
def test_the_date_of_a_cited_act_is_a_reference(text, language, act):
    [date] = [v for v in find_values(text, language) if v.kind == "date"]
    assert is_act_date(text, date) is act


@pytest.mark.parametrize("text, language, bound", [
    ("bewaart alle bescheiden tot tenminste 31 december 2027", "nl", "end"),
    ("Kulud, mis on tasutud hiljemalt 31. detsembril 2029, on abikõlblikud", "et", "end"),
    ("expenditure must be paid by 31 December 2029 (Article 63(2))", "en", "end"),
    ("Costs are eligible from 1 January 2021.", "en", "start"),
    ("Расходы допустимы с 1 января 2021 г.", "ru", "start"),
    ("La réunion a eu lieu le 31 décembre 2029.", "fr", None),
])
def test_the_words_next_to_a_date_make_it_an_end_or_a_start(text, language, bound):
    [date] = [v for v in find_values(text, language) if v.kind == "date"]
    assert date_bound(text, language, date) == bound


@pytest.mark.parametrize("question, language, kind, unit", [
    ("How many hours of work count as annual working time?", "en", "duration", "hour"),
    ("Πόσες ώρες εργασίας θεωρούνται ετήσιος χρόνος εργασίας;", "el", "duration", "hour"),
    ("Combien de jours a la Commission pour payer ?", "fr", "duration", "day"),  # before the amount cue "combien"
    ("How many times a year is the plan updated?", "en", "count", None),
    ("How many categories of regions are there?", "en", "count", None),
])
def test_a_count_cue_followed_by_a_unit_of_time_asks_for_a_period(question, language, kind, unit):
    assert detect_answer_type(question, language) == kind
    assert asked_duration_unit(question, language) == unit


@pytest.mark.parametrize("text, language, bounds", [
    ("De subsidie bedraagt per project ten minste € 60.000,– en ten hoogste € 190.000,–.", "nl", ["least", "most"]),
    ("The grant is at least EUR 5 000 and at most EUR 200 000.", "en", ["least", "most"]),
    ("Die Förderung beträgt mindestens 10 000 EUR und höchstens 50 000 EUR.", "de", ["least", "most"]),
    ("Le projet présente un montant minimum de 10 000 EUR et un montant maximum de 80 000 EUR.", "fr",
     ["least", "most"]),  # a short linking word between
    ("The project costs EUR 80 000.", "en", [None]),
])
def test_the_words_before_a_value_make_it_a_lower_or_an_upper_bound(text, language, bounds):
    amounts = [v for v in find_values(text, language) if v.kind == "amount"]
    assert [value_bound(text, language, v) for v in amounts] == bounds


def test_a_number_word_is_read_in_english_only_when_asked_to():
    assert number_word("ten", "nl") == 10 and number_word("ten", "nl", english=False) is None
    assert number_word("drie", "nl", english=False) == 3


@pytest.mark.parametrize("question, language, expected", [
    ("Μέχρι πότε είναι επιλέξιμες οι δαπάνες των προγραμμάτων 2021-2027;", "el", "date"),
    ("Какъв е процентът на съфинансиране за по-слабо развитите региони?", "bg", "rate"),
    ("Unsere Region war weniger entwickelt. Welcher EU-Höchstsatz gilt für uns?", "de", "rate"),
    ("Was regelt Buchstabe m von Artikel 4 Absatz 1?", "de", None),  # "Absatz" is no rate
    ("How much EU money can a municipality get for a EUR 400 000 project?", "en", "amount"),
    ("Kuinka kauan tositteet on säilytettävä?", "fi", "duration"),
    ("Sous quel délai faut-il conserver les pièces ?", "fr", "duration"),  # a "délai" is a period, not a date
    ("Quelle est la date limite de dépôt ?", "fr", "date"),
    ("Hvor mange kategorier af regioner er der?", "da", "count"),
    ("Kto vyberá projekty financované z ESF+?", "sk", "who"),
    ("Na ktorý článok odkazuje zásada?", "sk", None),  # "kto" is not "ktorý"
    ("Kas käibemaksu saab hüvitada?", "et", "yes_no"),
    # a yes/no question naming a value is answered as a yes/no question, as the composer answers it
    ("Kas käibemaksu saab hüvitada, kui projekti kogumaksumus on väike?", "et", "yes_no"),
    ("Can the ESF+ Regulation allow higher co-financing rates?", "en", "yes_no"),
    ("Quel est le coût total à partir duquel une plaque est obligatoire ?", "fr", "amount"),
    ("Hoeveel bedraagt de minimale subsidie per project?", "nl", "amount"),  # not "hoeveel", how many
    # the word for an amount inside a compound
    ("Wat is het maximale subsidiebedrag per aanvraag?", "nl", "amount"),
    ("Wie hoch ist der Förderbetrag pro Vorhaben?", "de", "amount"),
    ("Hur stort är bidragsbeloppet?", "sv", "amount"),
    ("Kui suur on toetussumma?", "et", "amount"),
    ("Wie viele Zahlungsanträge darf ein Mitgliedstaat einreichen?", "de", "count"),  # "wie viel" is an amount
    ("Wie viel bekommt ein Verein?", "de", "amount"),
    # the longer cue takes in the shorter one of another kind: "combien de" around "combien", "cuántos" around
    # "cuánto"
    ("Combien de devis faut-il fournir ?", "fr", "count"),
    ("Combien d'objectifs thématiques les Fonds soutenaient-ils ?", "fr", "count"),
    ("Combien d'argent reçoit une association ?", "fr", "amount"),
    ("Combien le FSE+ verse-t-il au maximum ?", "fr", "amount"),
    ("¿Cuántos presupuestos se necesitan?", "es", "count"),
    ("¿Cuánto aporta la UE?", "es", "amount"),
    ("Quantos orçamentos são precisos?", "pt", "count"),
    ("Hoeveel subsidie krijgt een gemeente?", "nl", "amount"),  # "hoeveel" alone asks how many
    ("Hoeveel offertes zijn nodig?", "nl", "count"),
    ("Kuinka paljon tukea hanke saa?", "fi", "amount"),
    ("Mitu pakkumist on vaja?", "et", "count"),
    ("Mitme kalendripäeva jooksul tuleb toetus tagasi maksta?", "et", "count"),  # "mitme": "mitu" inflected
    ("Mitme päeva jooksul tuleb vastata?", "et", "duration"),
    ("Mis on ELi kaasrahastamise maksimaalne määr vähem arenenud piirkondades?", "et", "rate"),  # "määr", a word
    ("Milline määrus kehtib sotsiaalteenustele?", "et", None),  # "määrus" is a regulation, not a rate
    ("Cât primește proiectul?", "ro", "amount"),
    ("Câte oferte sunt necesare?", "ro", "count"),
    ("Cât la sută din costuri acoperă UE?", "ro", "rate"),
    ("What does the regulation say about it?", "en", None),
])
def test_detect_answer_type(question, language, expected):
    assert detect_answer_type(question, language) == expected


@pytest.mark.parametrize("question, language, not_asked", [
    ("Hoeveel subsidie kan een arbeidsorganisatie krijgen voor advies over duurzame inzetbaarheid?", "nl", "duration"),
    ("Muss eine dauerhafte Erläuterungstafel angebracht werden?", "de", "duration"),
    ("Vilka insatser kan få stöd från ESF+?", "sv", "rate"),
    ("Hvilke indsatser kan støttes af ESF+?", "da", "rate"),
    ("Hvad er strategien for programmet?", "da", "rate"),
])
def test_a_cue_inside_an_unrelated_word_asks_for_nothing(question, language, not_asked):
    """"duurzame" (sustainable) holds the stem of "duur" (duration), "insats" (action) that of "sats" (rate)."""
    assert not_asked not in detect_answer_types(question, language)


@pytest.mark.parametrize("text, language, kind, value", [
    ("Costs are eligible until 31 December 2029.", "en", "date", dt.date(2029, 12, 31)),
    ("Les dépenses sont éligibles jusqu'au 31.12.2029 inclus.", "fr", "date", dt.date(2029, 12, 31)),
    ("Разходите са допустими до 31 декември 2029 г.", "bg", "date", dt.date(2029, 12, 31)),
    ("Οι δαπάνες είναι επιλέξιμες έως τις 31 Δεκεμβρίου 2029.", "el", "date", dt.date(2029, 12, 31)),
    ("Kulud on abikõlblikud 1. jaanuarist 2021.", "et", "date", dt.date(2021, 1, 1)),
    ("Žádosti do 15. března 2026.", "cs", "date", dt.date(2026, 3, 15)),
    ("The rate may not exceed 85 % for less developed regions.", "en", "rate", Decimal(85)),
    ("не менее 12,5 % средств", "ru", "rate", Decimal("12.5")),
    ("a project of EUR 400 000", "en", "amount", Decimal(400000)),
    ("bei Gesamtkosten über 10 000 000 EUR", "de", "amount", Decimal(10000000)),
    ("jusqu'à 1.000 euros en espèces", "fr", "amount", Decimal(1000)),
    ("within six months of the approval", "en", "duration", (Decimal(6), "month")),
    ("για πέντε χρόνια μετά την τελική πληρωμή", "el", "duration", (Decimal(5), "year")),
    ("1 720 hours a year", "en", "duration", (Decimal(1720), "hour")),
    ("at least four times a year", "en", "count", Decimal(4)),
    # a linking word between the number and what it counts
    ("un proiect FSE+ de 120 000 de euro", "ro", "amount", Decimal(120000)),
    ("un buget de 2 milioane de euro", "ro", "amount", Decimal(2000000)),
    ("un presupuesto de 2 millones de euros", "es", "amount", Decimal(2000000)),
    ("une enveloppe de 3 millions d’euros", "fr", "amount", Decimal(3000000)),
    ("una dotazione di 5 milioni di euro", "it", "amount", Decimal(5000000)),
    ("răspunsul se trimite în 20 de zile", "ro", "duration", (Decimal(20), "day")),
    ("los gastos son subvencionables hasta el 31 de diciembre de 2029", "es", "date", dt.date(2029, 12, 31)),
    ("as despesas são elegíveis até 31 de dezembro de 2029", "pt", "date", dt.date(2029, 12, 31)),
])
def test_find_values(text, language, kind, value):
    found = [v for v in find_values(text, language) if v.kind == kind]
    assert [v.value for v in found] == [value], find_values(text, language)


def test_article_numbers_and_years_are_not_counts():
    text = "Under Article 63 of Regulation (EU) 2021/1060, in the period 2021-2027 and in 2029 no rule applies."
    assert find_values(text, "en") == []


@pytest.mark.parametrize("text, language", [
    ("Регламентът за ЕСФ+ може да определи по-високи ставки съгласно членове 10 и 14 от него.", "bg"),
    ("Die Sätze nach den Artikeln 10 und 14 gelten.", "de"),
    ("See Articles 10, 11 and 14 of the regulation.", "en"),
    ("Les articles 5 à 9 s'appliquent.", "fr"),
])
def test_every_number_of_a_list_of_articles_is_a_reference(text, language):
    """"членове 10 и 14" (Articles 10 and 14) was read as the count 14, and restated as "Брой: 14"."""
    assert find_values(text, language) == []


def test_counts_after_a_reference_and_its_joining_words_stay_counts():
    assert [(v.kind, v.text) for v in find_values("Seuls 3 projets et 5 partenaires sont admis.", "fr")] == [
        ("count", "3"), ("count", "5")]
    assert [v.kind for v in find_values("Under Article 63 the programme runs for 6 years.", "en")] == ["duration"]


def test_an_amount_is_not_read_as_a_duration_in_french():
    """English duration stems are not tried in other languages: "mont" (month) made "un montant" one month."""
    assert "duration" not in {v.kind for v in find_values("un montant maximal de 5 000 EUR", "fr")}
    assert [v.kind for v in find_values("pendant six mois", "fr")] == ["duration"]
    assert [v.kind for v in find_values("sechs Monaten", "de")] == ["duration"]


@pytest.mark.parametrize("text, language, value, points", [
    ("the maximum rates are raised by ten percentage points", "en", Decimal(10), True),
    ("Les taux maximaux sont majorés de dix points de pourcentage.", "fr", Decimal(10), True),
    ("erhöhen sich die Höchstsätze um zehn Prozentpunkte", "de", Decimal(10), True),
    ("се увеличават с десет процентни пункта", "bg", Decimal(10), True),
    ("o 10 punktów procentowych", "pl", Decimal(10), True),
    ("up to five per cent of the allocation", "en", Decimal(5), False),
    ("maximaal 50 procent van de kosten", "nl", Decimal(50), False),
])
def test_a_rate_may_be_written_in_words_or_in_percentage_points(text, language, value, points):
    found = [v for v in find_values(text, language) if v.kind == "rate"]
    assert [(v.value, v.points) for v in found] == [(value, points)], find_values(text, language)


@pytest.mark.parametrize("question, language, unit", [
    ("Колко години трябва да се съхраняват документите по проекта?", "bg", "year"),
    ("For how many years does the programme run?", "en", "year"),
    ("Kui mitu kuud kestab projekt?", "et", "month"),
    ("Mitme aasta jooksul tuleb dokumente säilitada?", "et", "year"),
    ("How long must the documents be kept?", "en", None),  # no unit asked
    ("Hur många år ska handlingarna sparas?", "sv", None),  # "år" is too short to read; "många" is no month
])
def test_the_unit_a_period_question_asks_in(question, language, unit):
    assert asked_duration_unit(question, language) == unit


@pytest.mark.parametrize("question, language, kind", [
    # "which costs" asks for a kind of cost, not an amount
    ("Welke kosten zijn niet subsidiabel?", "nl", None),
    ("Welche Kosten sind nicht förderfähig?", "de", None),
    # a threshold of total costs, or what something costs, is an amount
    ("Ab welchen Gesamtkosten muss ein Projekt vereinfachte Kostenoptionen nutzen?", "de", "amount"),
    ("Wat kost een gemiddeld project?", "nl", "amount"),
])
def test_costs_named_are_not_an_amount_asked_for(question, language, kind):
    assert detect_answer_type(question, language) == kind
