"""Quotable units: an act's clause naming its own short title is never one (common/data/citation_titles.yaml);
a title line is a unit (for search) but not quoted."""

from __future__ import annotations

import pytest

from common.settings import SERVED_LANGUAGES
from common.units import (citation_title_phrases, disclaimer_phrases, is_disclaimer, is_hollow, is_table_of_contents,
                          is_title_line, link_labels, quotable_units)


def test_every_served_language_has_its_citation_title_words():
    phrases = citation_title_phrases()
    assert set(phrases) == set(SERVED_LANGUAGES)
    for language, said in phrases.items():
        assert all(isinstance(p, str) and p.strip() and p == p.casefold() for p in said), language


def test_every_served_language_has_its_link_labels():
    labels = link_labels()
    assert set(labels) == set(SERVED_LANGUAGES)
    for language, said in labels.items():
        assert said and all(isinstance(label, str) and label.strip() and label == label.lower()
                            for label in said), language


@pytest.mark.parametrize("piece, hollow", [
    # a web page's catalogue printed to PDF: the links' addresses are gone, their labels stay
    ("• Consumentenprogramma consumentenrechtenbeleid | meer info Europese Structuur- en Investeringsfondsen "
     "Kansen voor West II EFRO West-NL meer info OP EFRO Noord-Nederland", True),
    ("Fonds social européen : en savoir plus | FEDER : en savoir plus | FTJ : lire la suite", True),
    ("Европейски социален фонд плюс – прочети още; Европейски фонд за регионално развитие – прочети още", True),
    # said once, in a sentence, it is no list
    ("For more information on eligible costs, see Article 63 of Regulation (EU) 2021/1060.", False),
    ("Więcej informacji o kosztach kwalifikowalnych zawiera art. 63 rozporządzenia.", False),
])
def test_a_piece_repeating_a_link_label_is_a_list_of_links(piece, hollow):
    assert is_hollow(piece) is hollow


def test_a_short_title_clause_is_no_unit_and_the_rule_after_it_is():
    text = ("Deze regeling wordt aangehaald als: Subsidieregeling ESF 2014–2020.\n\n"
            "De subsidie bedraagt maximaal 50% van de subsidiabele kosten.\n\n"
            "This Act may be cited as the Social Inclusion Grants Act 2021.\n\n"
            "Féadfar an tAcht seo a lua mar an tAcht um Chuimsiú Sóisialta 2021.")
    assert [u.text for u in quotable_units(text, None)] == [
        "De subsidie bedraagt maximaal 50% van de subsidiabele kosten."]


def test_a_long_sentence_with_the_same_words_stays_a_unit():
    sentence = ("The managing authority shall publish the list of operations, which may be cited as evidence of "
                "support in later applications, together with the amount of support, the name of each beneficiary "
                "and the period of each operation.")
    assert [u.text for u in quotable_units(sentence, None)] == [sentence]


@pytest.mark.parametrize("line, title", [
    ("Section II Règles en matière de paiements aux États membres", True),
    ("Programme Centre-Val de Loire et interrégional Loire FEDER-FSE+ 2021–2027", True),
    ("SOUTIEN FINANCIER DES FONDS", True),
    ("2 – LES BORNES CHRONOLOGIQUES D’UN PROJET", True),  # numbered headings
    ("2.1 Eligible costs of an operation", True),
    ("2. The rate shall not exceed 85 %.", False),  # an act's numbered paragraph
    ("2 – 85 % for less developed regions", False),  # a number that is no year stays a value
    ("De Minister van Justitie , E. M. H. Hirsch Ballin", True),
    ("The rate is 85 % for less developed regions", False),  # a value
    ("Category of region: Transition regions; Maximum EU rate: 60 %", False),  # a table row
    ("Projects are selected by the managing authority.", False),  # a sentence
    ("dans le cadre de subventions", False),  # the tail of a sentence cut off
    ("- Posters in a place visible to the public", False),  # a list item
    ("Applications are assessed in the order in which they arrive and until the budget runs out", False),  # long
])
def test_a_title_line_is_a_few_capitalised_words_with_no_value_or_punctuation(line, title):
    assert is_title_line(line) is title


@pytest.mark.parametrize("text, contents", [
    ("FICHE 1 – L’organisation du Programme et les outils clés……………………………………..Page 6\n"
     "- L’organisation du Programme et de la maquette financière\n- Les outils clés\n"
     "FICHE 2 – Informations générales sur les fonds européens…………………………………….Page 9", True),
    ("2.1 Eligible costs .......... 12\n2.2 Simplified cost options .......... 14", True),
    ("The rate is 85 %… for less developed regions.", False),
    ("Eligible costs.... see page 12 of the guide.", False),  # one leader is no table
])
def test_a_table_of_contents_is_two_lines_ending_in_a_dot_leader_and_a_page(text, contents):
    assert is_table_of_contents(text) is contents


def test_every_served_language_has_its_disclaimer_words():
    phrases = disclaimer_phrases()
    assert set(phrases) == set(SERVED_LANGUAGES)
    for language, said in phrases.items():
        assert said and all(isinstance(p, str) and p.strip() and p == p.casefold() for p in said), language


@pytest.mark.parametrize("note", [
    "Sample guide written for the Funding Helpdesk demo – not legal advice.",
    "Beispielleitfaden, verfasst für die Demo des Funding Helpdesk – keine Rechtsberatung.",
    "Guide d'exemple rédigé pour la démonstration du Funding Helpdesk – ne constitue pas un avis juridique.",
    "Υποδειγματικός οδηγός που γράφτηκε για την επίδειξη του Funding Helpdesk – δεν αποτελεί νομική συμβουλή.",
    "Образцовое руководство, подготовленное для демонстрации Funding Helpdesk, – не является юридической "
    "консультацией.",
    "Ten przewodnik nie stanowi porady prawnej.",
])
def test_a_note_that_a_guide_is_not_legal_advice_is_no_unit(note):
    """It reads close to any short question and answers none."""
    text = f"{note} The co-financing rate is capped at 85 % for less developed regions."
    assert [u.text for u in quotable_units(text, None)] == [
        "The co-financing rate is capped at 85 % for less developed regions."]


def test_a_longer_sentence_naming_legal_advice_stays_a_unit():
    sentence = ("The costs of legal advice are eligible where they are directly linked to the operation and "
                "necessary for its preparation or implementation, even when the advice given is not legal advice "
                "in the strict sense of national law but a notary's or an accountant's opinion on the project.")
    assert len(sentence) > 200 and not is_disclaimer(sentence)
    assert [u.text for u in quotable_units(sentence, None)] == [sentence]


def test_a_broken_phrase_file_is_a_named_error(tmp_path, monkeypatch):
    from common import units

    broken = tmp_path / "disclaimers.yaml"
    broken.write_text("en: not legal advice\n", encoding="utf-8")  # a string, not a list
    monkeypatch.setattr(units, "_DISCLAIMERS", broken)
    units.disclaimer_phrases.cache_clear()
    try:
        with pytest.raises(ValueError, match="disclaimers.yaml: needs a mapping of languages to lists"):
            units.disclaimer_phrases()
    finally:
        units.disclaimer_phrases.cache_clear()
