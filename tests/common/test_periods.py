"""Programming periods of documents and questions."""

from __future__ import annotations

import pytest

from common.periods import PeriodError, document_period, find_periods, known_periods, normalise_period, question_periods


def test_period_data_is_complete_and_ordered():
    periods = known_periods()
    assert periods.current in periods.names
    spans = [periods.years(name) for name in periods.names]
    assert all(start < end for start, end in spans)
    assert all(previous[1] < following[0] for previous, following in zip(spans, spans[1:]))


@pytest.mark.parametrize("text, expected", [
    ("Perioodi 2021–2027 toetus", ["2021-2027"]),
    ("ESF 2014 – 2020 and 2007/2013", ["2014-2020", "2007-2013"]),
    ("programme 2021-27", ["2021-2027"]),
    ("Tööhõiveprogramm 2024–2029", []),        # a programme's own years, not a programming period
    ("Regulation (EU) 2021/1060", []),         # an act number, not a period
    ("from 1 January 2014 to 31 December 2020", []),
])
def test_find_periods(text, expected):
    assert find_periods(text) == expected


def test_normalise_period_names_the_field_values():
    assert normalise_period("2021–27") == "2021-2027"
    with pytest.raises(PeriodError, match="unknown period '2022-2028'"):
        normalise_period("2022-2028")
    with pytest.raises(PeriodError):
        normalise_period("current")


def test_question_period_ignores_bare_years():
    assert question_periods("Are costs paid after 31 December 2029 eligible?") == []
    assert question_periods("Welche Regeln galten 2007-2013?") == ["2007-2013"]


def test_document_period_prefers_the_most_explicit_evidence():
    rules_2014 = "transitional rules for 2014-2020 " * 5
    # Declared metadata wins over everything.
    assert document_period({"period": "2014–2020"}, "Guide 2021-2027", "x.pdf", "") == "2014-2020"
    # A period in the title, then in the file name.
    assert document_period({}, "Perioodi 2021–2027 starditoetus", "a.md", rules_2014) == "2021-2027"
    assert document_period({}, "Besluit", "besluit_EFRO_2007-2013.md", rules_2014) == "2007-2013"
    # An act's year in its title beats the earlier period its transitional articles keep naming.
    assert document_period({}, "RÈGLEMENT (UE) 2021/1060 DU PARLEMENT", "r.pdf", rules_2014) == "2021-2027"
    # Otherwise a clear majority of the text's mentions.
    assert document_period({}, "Guide", "g.pdf", rules_2014 + " 2021-2027") == "2014-2020"
    assert document_period({}, "Guide", "g.pdf", "2014-2020 and 2021-2027") is None
    # Last, the adoption date.
    assert document_period({"adoption_date": "2023-08-29"}, "Määrus", "m.md", "") == "2021-2027"
    assert document_period({}, "Notes", "notes.txt", "no dates here") is None
