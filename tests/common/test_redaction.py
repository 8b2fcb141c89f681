"""Redaction of personal data: per pattern, per national ID, per language's closings, and the numbers that must
survive (articles, amounts, dates, periods, regulation and CELEX numbers, percentages, pages)."""

from __future__ import annotations

import re

import pytest

from common.redaction import (EMAIL, IBAN, NATIONAL_ID, PHONE, PLACEHOLDERS, SIGNATURE, RedactionDataError,
                              load_data, parse_data, redact, redact_json)
from common.settings import SERVED_LANGUAGES

DATA = load_data()
# The countries whose ID numbers the issue names; every one needs an entry in redaction.yaml.
REQUIRED_ID_COUNTRIES = {"BG", "GR", "NL", "EE", "FR", "DE", "RU", "CZ"}


def _number(nid) -> str:
    """The example without the cue word that announces it ("BSN 111222333" -> "111222333")."""
    for cue in nid.cues:
        if nid.example.startswith(cue + " "):
            return nid.example[len(cue) + 1:]
    return nid.example


def _wrong_check_digit(example: str) -> str:
    return example[:-1] + str((int(example[-1]) + 1) % 10)


# ---- completeness of the data file --------------------------------------------------------------------------

def test_every_served_language_has_closings_and_phone_cues():
    assert set(DATA.closings) == set(SERVED_LANGUAGES)
    assert set(DATA.phone_cues) == set(SERVED_LANGUAGES)
    assert all(DATA.closings[lang] and DATA.phone_cues[lang] for lang in SERVED_LANGUAGES)
    # Cue words are compared word by word: each must be a single word.
    cues = [c for words in DATA.phone_cues.values() for c in words] + [c for n in DATA.national_ids for c in n.cues]
    assert all(re.fullmatch(r"[\w.\-]+", cue) for cue in cues)


def test_the_closings_our_own_drafts_write_are_known():
    from qa.templates import phrase

    for lang in SERVED_LANGUAGES:
        closing = phrase("closing", lang).rstrip(",.:;! ")
        assert closing.casefold() in {c.casefold() for c in DATA.closings[lang]}, lang


def test_every_named_country_has_a_national_id_with_a_checked_example():
    assert REQUIRED_ID_COUNTRIES <= {nid.country for nid in DATA.national_ids}
    for nid in DATA.national_ids:
        number = _number(nid)
        assert nid.check(re.sub(r"[\s./\-]", "", number)), nid.name
        assert any(shape.fullmatch(number) or shape.search(number) for shape in nid.shapes), nid.name


def test_an_unknown_check_is_a_named_error():
    with pytest.raises(RedactionDataError, match="unknown check 'luhn2'"):
        parse_data({"closings": {}, "phone_cues": {}, "national_ids": [
            {"country": "XX", "name": "made-up", "check": "luhn2", "shapes": [r"\d{9}"], "example": "1"}]})


# ---- national IDs -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("nid", DATA.national_ids, ids=lambda n: f"{n.country}-{n.check.__name__}")
def test_national_id_is_redacted_and_a_wrong_check_digit_is_not(nid):
    text = f"Please check my file ({nid.example}). Thank you."
    assert redact(text) == text.replace(_number(nid), NATIONAL_ID)
    assert NATIONAL_ID not in redact(f"Please check my file ({_wrong_check_digit(nid.example)}). Thank you.")


@pytest.mark.parametrize("nid", [n for n in DATA.national_ids if n.cues], ids=lambda n: n.check.__name__)
def test_a_weak_nine_or_ten_digit_id_needs_its_cue_word(nid):
    number = _number(nid)
    assert NATIONAL_ID in redact(nid.example)
    assert redact(f"Grant agreement {number} was signed.") == f"Grant agreement {number} was signed."


@pytest.mark.parametrize("text", [
    "ЕГН 7552010005", "ΑΜΚΑ: 01018012342", "isikukood 37605030299", "n° de sécurité sociale 1 85 05 78 006 084 91",
    "Steuer-ID 86 095 742 719", "СНИЛС 112-233-445 95", "ИНН 500100732259", "rodné číslo 736028/5163",
    "rodné číslo 7360285163",
])
def test_national_ids_in_their_written_forms(text):
    assert redact(text).endswith(NATIONAL_ID) and not re.search(r"\d{3}", redact(text))


# ---- e-mail, phone, IBAN ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("write to maria.petrova@obshtina-plovdiv.bg today", f"write to {EMAIL} today"),
    ("Kontakt: j.de.vries+esf@gemeente.nl.", f"Kontakt: {EMAIL}."),
    ("e-mail: γιώργος@δήμος.gr", f"e-mail: {EMAIL}"),
    ("<jan.novak@mpsv.cz>", f"<{EMAIL}>"),
])
def test_email_addresses(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "+359 888 123 456", "+359 (2) 987 65 43", "+30 210 123 4567", "+31 6 12345678", "+372 5123 4567",
    "+33 1 23 45 67 89", "+49 30 1234567", "+7 495 123-45-67", "+420 601 123 456", "+44 20 7946 0958",
    "0888 123 456", "02 987 6543", "0888/123 456", "06-12345678", "01 23 45 67 89", "01.23.45.67.89",
    "030 1234567", "(030) 123 45 67", "00359 888 123 456", "8 (495) 123-45-67",
])
def test_phone_numbers(text):
    assert redact(f"Reach me at {text} please.") == f"Reach me at {PHONE} please."


@pytest.mark.parametrize("cue, number", [
    ("тел. ", "5123 4567"), ("τηλ. ", "210 1234567"), ("Tel: ", "601 123 456"), ("mob. ", "5512 3456"),
    ("телефон: ", "123-45-67"), ("puh. ", "40 123 4567"), ("telefoon ", "612345678"),
])
def test_numbers_after_a_phone_cue_word(cue, number):
    assert redact(f"Reach me ({cue}{number}).") == f"Reach me ({cue}{PHONE})."
    assert redact(f"Reach me ({number}).") == f"Reach me ({number})."  # the same digits alone are not a phone


@pytest.mark.parametrize("iban", [
    "BG80 BNBG 9661 1020 3456 78", "BG80BNBG96611020345678", "NL91 ABNA 0417 1643 00", "DE89 3704 0044 0532 0130 00",
    "FR14 2004 1010 0505 0001 3M02 606", "EE38 2200 2210 2014 5685", "GR16 0110 1250 0000 0001 2300 695",
    "CZ65 0800 0000 1920 0014 5399",
])
def test_ibans(iban):
    assert redact(f"IBAN: {iban} EUR") == f"IBAN: {IBAN} EUR"


def test_an_iban_with_a_wrong_check_survives():
    assert redact("ref BG81 BNBG 9661 1020 3456 78") == "ref BG81 BNBG 9661 1020 3456 78"


# ---- what must survive --------------------------------------------------------------------------------------

SURVIVORS = [
    "Article 63(2) of Regulation (EU) 2021/1060 sets the rate.",
    "The maximum is EUR 200 000 per project.",
    "Costs are eligible until 31.12.2029.",
    "the 2021-2027 programming period",
    "Regulation (EU) 2021/1060 and Regulation (EU) No 1303/2013",
    "co-financing of 85 % in less developed regions",
    "CELEX 32021R1060 and 32021R1057",
    "see page 112, pp. 45-67 and p. 3",
    "from 01.01.2021 to 31.12.2027, i.e. 01.01.2021-31.12.2027",
    "EUR 1 234 567 890 and 12.500.000 EUR and €250,000",
    "Horizon Europe grant agreement 101056789",
    "programme CCI 2021BG05SFPR001, call BG05SFPR002-1.001",
    "Член 63, параграф 2 от Регламент (ЕС) 2021/1060: 85 %.",
    "Άρθρο 73 του Κανονισμού (ΕΕ) 2021/1060, 31.12.2029",
    "Artikel 5, lid 3; bedrag EUR 200 000; 1 januari 2026",
    "article 14 § 2, 2 000 000 euros, le 30/06/2026",
    "Статья 112, 2021-2027, 60 %",
    "OJ L 231, 30.6.2021, p. 159",
    "Regards to the eligibility of costs, what applies?",
    "Cordialement n'est pas une question : quelle est la règle pour les coûts de personnel sur 36 mois ?",
    "ISO 8601 date 2029-12-31, time 14:30, ratio 1:3",
]


@pytest.mark.parametrize("text", SURVIVORS)
def test_numbers_and_references_survive(text):
    assert redact(text) == text


# ---- signatures, per language -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, closing", [(lang, c) for lang in SERVED_LANGUAGES for c in DATA.closings[lang]])
def test_signature_block_after_each_closing(lang, closing):
    question = "What is the co-financing rate under Article 112?"
    inquiry = f"Dear helpdesk,\n\n{question}\n\n{closing},\nMaria Petrova\nHead of Social Services\nMunicipality of X\n"
    redacted = redact(inquiry)
    assert redacted == f"Dear helpdesk,\n\n{question}\n\n{SIGNATURE}\n", redacted


def test_signature_on_the_same_line_and_with_contact_details():
    assert redact("Какъв е процентът? С уважение, Мария Петрова") == f"Какъв е процентът? {SIGNATURE}"
    text = ("Με εκτίμηση,\n\nΓιώργος Παπαδόπουλος\nΔήμος Αθηναίων\nτηλ. 210 1234567\ngp@athens.gr\n\n"
            "Υ.Γ. Ποια είναι η προθεσμία;")
    assert redact(text) == f"{SIGNATURE}\n\nΥ.Γ. Ποια είναι η προθεσμία;"


def test_a_question_after_a_closing_is_not_part_of_the_signature():
    text = "Many thanks for the quick answer.\nIs VAT eligible too?\nAnna"
    assert redact(text) == f"{SIGNATURE}\nIs VAT eligible too?\nAnna"


def test_the_text_before_a_closing_is_kept_and_long_lines_after_it_are_not_taken():
    text = ("Vielen Dank.\nMit freundlichen Grüßen\nAnna Schmidt\n"
            + "Diese Zeile ist lang genug, um kein Teil einer Signatur zu sein, denn sie ist ein ganzer Absatz mit Inhalt.")
    assert redact(text).startswith(f"Vielen Dank.\n{SIGNATURE}\nDiese Zeile ist lang genug")


# ---- the whole -----------------------------------------------------------------------------------------------

def test_a_pasted_inquiry_keeps_its_question_and_loses_the_person():
    inquiry = ("Здравейте,\nпиша от Община Пловдив (ЕГН на отговорника 7552010005, IBAN BG80 BNBG 9661 1020 3456 78).\n"
               "Какъв е процентът на съфинансиране по член 112 от Регламент (ЕС) 2021/1060 за периода 2021-2027?\n"
               "Можете да ми пишете на m.petrova@plovdiv.bg или на +359 32 656 789.\n\n"
               "С уважение,\nМария Петрова\nгл. експерт\n")
    redacted = redact(inquiry)
    assert redacted == ("Здравейте,\nпиша от Община Пловдив (ЕГН на отговорника [national-id], IBAN [iban]).\n"
                        "Какъв е процентът на съфинансиране по член 112 от Регламент (ЕС) 2021/1060 за периода 2021-2027?\n"
                        "Можете да ми пишете на [email] или на [phone].\n\n[signature]\n")
    assert redact(redacted) == redacted  # placeholders are left alone: redacting twice changes nothing


def test_json_values_are_redacted_and_none_stays_none():
    assert redact(None) is None and redact("") == ""
    assert redact_json([{"text": "mail a@b.eu", "n": 1, "page": None}]) == [{"text": f"mail {EMAIL}", "n": 1, "page": None}]
    assert set(PLACEHOLDERS) == {EMAIL, PHONE, IBAN, NATIONAL_ID, SIGNATURE}
