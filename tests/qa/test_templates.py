import pytest

from common.language import detect_language
from qa.templates import TEMPLATES, language_name, phrase, refusal

REQUIRED = ("en", "fr", "de", "nl", "bg", "el", "ru", "et", "ro", "pl", "es", "it", "pt", "hr", "cs", "sk", "sl",
            "hu", "lt", "lv", "fi", "sv", "da", "mt", "ga")


def test_every_required_language_has_every_text():
    assert set(REQUIRED) <= set(TEMPLATES)
    for lang in REQUIRED:
        assert set(TEMPLATES[lang]) == set(TEMPLATES["en"]), lang
        assert "{languages}" in TEMPLATES[lang]["other_language"], lang


@pytest.mark.parametrize("lang", [lang for lang in REQUIRED if lang != "mt"])  # lingua has no Maltese model
def test_refusals_read_as_their_language(lang):
    assert detect_language(refusal(lang)) == lang


def test_unknown_language_falls_back_to_english():
    assert phrase("refusal", "xx") == TEMPLATES["en"]["refusal"]


def test_language_names_are_in_the_askers_language():
    assert language_name("fr", "bg") == "френски"
    assert language_name("et", "de") == "Estnisch"
    assert language_name("fr", "xx") == "French"
    assert phrase("other_language", "nl", languages=language_name("fr", "nl")).count("Frans") == 1
