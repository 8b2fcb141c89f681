"""Sentence splitting: per-language abbreviations and ordinal dates never end a sentence; "85 %." does."""

from __future__ import annotations

import pytest

from common.settings import SERVED_LANGUAGES
from common.text import sentence_data, split_sentences


def test_every_served_language_has_abbreviations_and_months():
    data = sentence_data()
    assert set(data) == set(SERVED_LANGUAGES)
    for language in SERVED_LANGUAGES:
        assert data[language]["abbreviations"], language
        assert all(a.endswith(".") for a in data[language]["abbreviations"]), language
        assert len(data[language]["months"]) >= 12, language


def test_a_percent_sign_before_the_period_ends_the_sentence():
    assert split_sentences("The maximum rate is 85 %. The ministry approved your project [1].") == [
        "The maximum rate is 85 %.", "The ministry approved your project [1].",
    ]


@pytest.mark.parametrize("language, text", [
    ("cs", "Žádosti lze podat do 15. března 2026 podle čl. 5 odst. 2 nařízení."),
    ("de", "Die Frist endet am 1. Januar 2027, d. h. z. B. für Anträge nach Art. 12 bzw. Abs. 3 der Richtlinie."),
    ("et", "Taotlusi saab esitada kuni 31. detsember 2029 ja vt. ka lk. 12 juhendis."),
    ("fi", "Hakemukset on jätettävä 15. maaliskuuta 2026 mennessä, ks. esim. ohjeen kohta 4."),
    ("hu", "A pályázatok 2026. március 15-ig nyújthatók be, pl. a 3. cikk szerint."),
    ("bg", "Разходите са допустими от 1. януари 2021 г. съгласно чл. 63, т.е. вж. ал. 2 от регламента."),
    ("ru", "Срок подачи заявок истекает согласно ст. 12, т.е. до 31.12.2029 для всех проектов."),
    ("el", "Οι δαπάνες, π.χ. μισθοί, ταξίδια κ.λπ. Ενδέχεται να είναι επιλέξιμες έως 31. Δεκεμβρίου 2029."),
    ("pl", "Wnioski składa się do 30. czerwca 2026 r. Zgodnie z art. 5 ust. 2 nr. 3 rozporządzenia."),
])
def test_abbreviations_and_dates_do_not_end_a_sentence(language, text):
    assert split_sentences(text) == [text], language


@pytest.mark.parametrize("text, expected", [
    ("Die Quote beträgt 85 %. Das Ministerium entscheidet.", ["Die Quote beträgt 85 %.", "Das Ministerium entscheidet."]),
    ("Lõpptähtaeg on 2029. Taotlused vaadatakse läbi.", ["Lõpptähtaeg on 2029.", "Taotlused vaadatakse läbi."]),
    ("Максимальная ставка 85 %. Министерство одобрило проект.",
     ["Максимальная ставка 85 %.", "Министерство одобрило проект."]),
])
def test_a_figure_ends_a_sentence_before_a_capitalised_one(text, expected):
    assert split_sentences(text) == expected


def test_a_list_items_number_opens_its_item():
    assert split_sentences("It cannot be selected. 4. Plan the running costs. 5. Restrictions apply.") == [
        "It cannot be selected.", "4. Plan the running costs.", "5. Restrictions apply."]
    assert split_sentences("Steps: 1. Read the call. 2. Check eligibility.") == [
        "Steps: 1. Read the call.", "2. Check eligibility."]


def test_a_bullet_after_a_sentence_opens_its_item():
    """A Markdown list comes to the splitter as one paragraph: each item is its own sentence, so a quote is one item,
    not every item of the list. A dash inside a sentence stays."""
    text = ("- Region: costs may be allocated to any region. For the ERDF it must be split pro rata.\n"
            "- Co-financing: the normal ceilings apply.\n• Plaques: above EUR 100 000 - not below.")
    assert split_sentences(text) == [
        "- Region: costs may be allocated to any region.", "For the ERDF it must be split pro rata.",
        "- Co-financing: the normal ceilings apply.", "• Plaques: above EUR 100 000 - not below."]


def test_a_line_opening_a_list_item_ends_the_one_before_without_punctuation():
    text = "Example:\n- EU contribution (85 %): EUR 340 000\n• National co-financing (15 %): EUR 60 000\n* Total"
    assert split_sentences(text) == [
        "Example:", "- EU contribution (85 %): EUR 340 000", "• National co-financing (15 %): EUR 60 000", "* Total"]
    # A number opening a line is as often wrapped text as an item.
    assert split_sentences("as referred to in paragraph\n1. Where it applies")[0] == "as referred to in paragraph 1."
