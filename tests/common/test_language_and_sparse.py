from __future__ import annotations

import pytest

from common.language import detect_language
from common.sparse import BM25Encoder, tokenize


@pytest.mark.parametrize("text, expected", [
    ("Какъв е процентът на съфинансиране за по-слабо развитите региони?", "bg"),
    ("Какова ставка софинансирования для менее развитых регионов?", "ru"),
    ("Кой може да кандидатства за финансиране?", "bg"),
    ("Кто может подать заявку на финансирование?", "ru"),
    ("Wie kan subsidie aanvragen voor een zorgproject?", "nl"),
    ("Wat is die medefinansieringskoers vir minder ontwikkelde streke?", "nl"),  # Afrikaans -> Dutch
    ("Care este rata de cofinanțare pentru regiunile mai puțin dezvoltate?", "ro"),
    ("Ποιο είναι το ποσοστό συγχρηματοδότησης;", "el"),
    ("Milline on kaasrahastamise määr?", "et"),
])
def test_detects_served_languages(text, expected):
    assert detect_language(text) == expected


def test_short_questions_follow_the_callers_hint():
    assert detect_language("cofinancement?", hint="fr") == "fr"
    assert detect_language("ESF+ Bulgaria", hint="bg") == "bg"
    assert detect_language("", hint=None) == "en"


def test_tokenizer_handles_scripts_and_stems():
    assert tokenize("Régions moins développées", "fr") == tokenize("région moins développée", "fr")
    assert "112" in tokenize("Article 112 du règlement", "fr")
    assert tokenize("Ποσοστό συγχρηματοδότησης", "el") == tokenize("ποσοστο συγχρηματοδοτησης", "el")
    assert tokenize("Съфинансиране", "bg") == ["съфинансиране"]  # no Bulgarian stemmer: lower-cased words


def test_bm25_document_weights_saturate_and_queries_are_binary():
    encoder = BM25Encoder()
    indices, values = encoder.encode_document("rate rate rate rate other", "en")
    weights = dict(zip(indices, values))
    q_indices, q_values = encoder.encode_query("rate", "en")
    assert q_values == [1.0]
    assert weights[q_indices[0]] > max(v for i, v in weights.items() if i != q_indices[0])
    assert weights[q_indices[0]] < 2.2 + 1e-9  # bounded by k1 + 1
