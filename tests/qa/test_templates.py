import pytest
import yaml

from common.language import detect_language
from qa.templates import (
    CATALOGUES, KEYS, TEMPLATES, CatalogueError, language_name, load_catalogue, phrase, placeholders, refusal,
)

REQUIRED = ("en", "fr", "de", "nl", "bg", "el", "ru", "et", "ro", "pl", "es", "it", "pt", "hr", "cs", "sk", "sl",
            "hu", "lt", "lv", "fi", "sv", "da", "mt", "ga")


def test_every_required_language_has_a_catalogue_with_every_key_and_no_other():
    assert {path.stem for path in CATALOGUES.glob("*.yaml")} >= set(REQUIRED)
    for lang in REQUIRED:
        # read from the file itself, so the check does not rest on the loader's own
        texts = yaml.safe_load((CATALOGUES / f"{lang}.yaml").read_text(encoding="utf-8"))
        assert set(texts) == set(KEYS), (lang, sorted(set(KEYS) ^ set(texts)))
        for key, text in texts.items():
            assert isinstance(text, str) and text.strip(), (lang, key)
            assert placeholders(text) == KEYS[key], (lang, key)
        assert TEMPLATES[lang] == texts


@pytest.mark.parametrize("change, error", [
    (lambda texts: texts.pop("closing"), "missing keys \\['closing'\\]"),
    (lambda texts: texts.update(farewell="Bye"), "unknown keys \\['farewell'\\]"),
    (lambda texts: texts.update(greeting_named="Hello,"), "'greeting_named' must be a text with the placeholders"),
])
def test_a_broken_catalogue_is_a_named_error(tmp_path, change, error):
    texts = dict(TEMPLATES["en"])
    change(texts)
    path = tmp_path / "xx.yaml"
    path.write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError, match=f"xx.yaml: {error}"):
        load_catalogue(path)


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
