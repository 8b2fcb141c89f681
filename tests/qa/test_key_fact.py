"""The key-fact line: a label for every value type in every served language, rendered in the asker's locale
(snapshot), and the fallback to the source's form."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from common.answer_types import VALUE_TYPES, TypedValue
from common.settings import SERVED_LANGUAGES
from qa.compose.key_fact import example_headings, in_worked_example, key_fact_labels, key_fact_line, render_value

SNAPSHOT = Path(__file__).parent / "snapshots" / "key_fact_lines.json"
SAMPLES = {
    "rate": TypedValue("rate", "85 %", 0, 4, Decimal(85)),
    "amount": TypedValue("amount", "EUR 100 000", 0, 11, Decimal(100000), "EUR"),
    "date": TypedValue("date", "31 December 2029", 0, 16, dt.date(2029, 12, 31)),
    "duration": TypedValue("duration", "five years", 0, 10, (Decimal(5), "year")),
    "count": TypedValue("count", "four", 0, 4, Decimal(4)),
}


def test_every_served_language_has_a_label_for_every_value_type():
    labels = key_fact_labels()
    missing = [f"{lang}.{kind}" for lang in SERVED_LANGUAGES for kind in VALUE_TYPES
               if not labels.get(lang, {}).get(kind)]
    assert not missing, missing


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


def test_every_served_language_has_the_words_that_head_a_worked_example():
    headings = example_headings()
    assert set(headings) == set(SERVED_LANGUAGES)
    assert all(words and all(isinstance(w, str) and w.strip() for w in words) for words in headings.values())


@pytest.mark.parametrize("section, example", [
    ("Exemple chiffré", True),
    ("Article 112 › Worked example", True),
    ("Rechenbeispiel", True),
    ("Пример с изчисление", True),
    ("Примерно ръководство", False),  # "sample guide": a word starting like "пример"
    ("Άρθρο 112 – Συγχρηματοδότηση και παράδειγμα", False),  # rules, then an example, under one heading
    ("Co-financing rates › Exemple", True),  # the section's own heading decides
    ("Article 63 Eligibility", False),
    (None, False),
])
def test_a_section_heading_a_worked_example(section, example):
    assert in_worked_example(section) is example
