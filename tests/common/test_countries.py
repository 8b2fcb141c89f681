"""Countries named in questions and documents, in any served language."""

from __future__ import annotations

import pytest
from babel import Locale

from common.countries import canonical_country, country_codes, document_country, question_countries
from common.settings import SERVED_LANGUAGES


@pytest.mark.parametrize("question, expected", [
    ("How long is the eligibility period of the Estonian start-up grant?", ["EE"]),
    ("Wie hoch darf der Umsatz für den estnischen Startzuschuss sein?", ["EE"]),
    ("Какую долю покрывает эстонский стартовый грант?", ["EE"]),
    ("Kāda daļa no Igaunijas koordinācijas modeļa izmaksām?", ["EE"]),
    ("Jusqu'à quel âge est-on jeune dans le règlement néerlandais FSE ?", ["NL"]),
    ("Cu cât poate fi redusă subvenția FSE în Țările de Jos?", ["NL"]),
    ("¿En qué condiciones es subvencionable en Francia la compra?", ["FR"]),
    ("Ποιο ποσό λαμβάνει η Ελλάδα από τον Μηχανισμό;", ["EL"]),
    # No country: regional words, fund names and other capitalised terms are not countries.
    ("What is the co-financing rate for less developed regions under the ESF+?", []),
    ("Welche Übergangsregionen gibt es im Europäischen Sozialfonds?", []),
    ("Каква е ставката на съфинансиране за по-слабо развитите региони?", []),
])
def test_question_countries(question, expected):
    assert question_countries(question) == expected


def test_document_country():
    assert document_country("ee", "anything", "") == "EE"
    assert document_country("GR", "", "") == "EL"
    assert document_country(None, "Besluit EFRO Nederland 2007", "") == "NL"
    lead = "Décret ... République française ... en France ... la France ... Belgique"
    assert document_country(None, "Décret no 2022-608", lead) == "FR"
    many = "Estonia, Latvia, Lithuania, Finland, France, Germany " * 3
    assert document_country(None, "Regulation (EU) 2021/1060", many) is None


def test_every_country_has_names_in_every_served_language_babel_knows():
    for code in country_codes():
        assert canonical_country(code) == code
    known = [language for language in SERVED_LANGUAGES if language != "ga"]
    for language in known:
        territories = Locale.parse(language).territories
        assert all(territories.get(t) for t in ("EE", "FR", "NL", "GR", "BG")), language
