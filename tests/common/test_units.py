"""Quotable units: an act's clause naming its own short title is never one (common/data/citation_titles.yaml)."""

from __future__ import annotations

from common.settings import SERVED_LANGUAGES
from common.units import citation_title_phrases, quotable_units


def test_every_served_language_has_its_citation_title_words():
    phrases = citation_title_phrases()
    assert set(phrases) == set(SERVED_LANGUAGES)
    for language, said in phrases.items():
        assert all(isinstance(p, str) and p.strip() and p == p.casefold() for p in said), language


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
