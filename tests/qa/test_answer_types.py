"""Answer types: cue words complete per language, typed values in the served languages' formats, the key-fact
line rendered in every language (snapshot), and the fallback to the source's form."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from common.settings import SERVED_LANGUAGES
from qa.compose.answer_types import (
    ANSWER_TYPES, VALUE_TYPES, TypedValue, answer_type_cues, detect_answer_type, find_values,
)
from qa.compose.key_fact import key_fact_labels, key_fact_line, render_value

SNAPSHOT = Path(__file__).parent / "snapshots" / "key_fact_lines.json"
SAMPLES = {
    "rate": TypedValue("rate", "85 %", 0, 4, Decimal(85)),
    "amount": TypedValue("amount", "EUR 100 000", 0, 11, Decimal(100000), "EUR"),
    "date": TypedValue("date", "31 December 2029", 0, 16, dt.date(2029, 12, 31)),
    "duration": TypedValue("duration", "five years", 0, 10, (Decimal(5), "year")),
    "count": TypedValue("count", "four", 0, 4, Decimal(4)),
}


def test_every_served_language_has_cues_for_every_type():
    data = answer_type_cues()
    assert sorted(data["order"]) == sorted(ANSWER_TYPES)
    missing = [f"{lang}.{kind}" for lang in SERVED_LANGUAGES for kind in ANSWER_TYPES
               if not data["cues"].get(lang, {}).get(kind)]
    assert not missing, missing
    assert set(data["cues"]) == set(SERVED_LANGUAGES)


def test_every_served_language_has_a_label_for_every_value_type():
    labels = key_fact_labels()
    missing = [f"{lang}.{kind}" for lang in SERVED_LANGUAGES for kind in VALUE_TYPES
               if not labels.get(lang, {}).get(kind)]
    assert not missing, missing


@pytest.mark.parametrize("question, language, expected", [
    ("Μέχρι πότε είναι επιλέξιμες οι δαπάνες των προγραμμάτων 2021-2027;", "el", "date"),
    ("Какъв е процентът на съфинансиране за по-слабо развитите региони?", "bg", "rate"),
    ("Unsere Region war weniger entwickelt. Welcher EU-Höchstsatz gilt für uns?", "de", "rate"),
    ("Was regelt Buchstabe m von Artikel 4 Absatz 1?", "de", None),  # "Absatz" is no rate
    ("How much EU money can a municipality get for a EUR 400 000 project?", "en", "amount"),
    ("Kuinka kauan tositteet on säilytettävä?", "fi", "duration"),
    ("Hvor mange kategorier af regioner er der?", "da", "count"),
    ("Kto vyberá projekty financované z ESF+?", "sk", "who"),
    ("Na ktorý článok odkazuje zásada?", "sk", None),  # "kto" is not "ktorý"
    ("Kas käibemaksu saab hüvitada?", "et", "yes_no"),
    ("What does the regulation say about it?", "en", None),
])
def test_detect_answer_type(question, language, expected):
    assert detect_answer_type(question, language) == expected


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
])
def test_find_values(text, language, kind, value):
    found = [v for v in find_values(text, language) if v.kind == kind]
    assert [v.value for v in found] == [value], find_values(text, language)


def test_article_numbers_and_years_are_not_counts():
    text = "Under Article 63 of Regulation (EU) 2021/1060, in the period 2021-2027 and in 2029 no rule applies."
    assert find_values(text, "en") == []


def test_key_fact_lines_match_the_snapshot():
    """Each label of each served language, rendered with a sample value of its type in that locale."""
    lines = {lang: {kind: key_fact_line([(value, "[1]")], lang) for kind, value in SAMPLES.items()}
             for lang in SERVED_LANGUAGES}
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(lines, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert lines == json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    plain = {lang: {kind: " ".join(line.split()) for kind, line in kinds.items()} for lang, kinds in lines.items()}
    assert plain["bg"]["date"] == "Срок: 31 декември 2029 г. [1]"
    assert plain["el"]["date"] == "Προθεσμία: 31 Δεκεμβρίου 2029 [1]"
    assert plain["fr"]["amount"] == "Montant: 100 000 € [1]"
    assert plain["bg"]["rate"] == "Ставка: 85% [1]"


@pytest.mark.parametrize("value", [
    TypedValue("amount", "EUR 5", 0, 5, "five-ish", "EUR"),
    TypedValue("date", "31.12.2029", 0, 10, "not a date"),
    TypedValue("duration", "5 eons", 0, 6, (Decimal(5), "eon")),
])
def test_a_value_the_locale_cannot_render_keeps_the_source_form(value):
    assert render_value(value, "bg") == value.text


def test_an_unknown_locale_keeps_the_source_form():
    assert render_value(SAMPLES["date"], "xx-not-a-locale") == "31 December 2029"
