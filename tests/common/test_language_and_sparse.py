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


@pytest.mark.parametrize("text, expected", [
    # Macedonian is not served: it goes to the closest served language, not to Russian
    ("Кој може да аплицира за средства од Европскиот социјален фонд?", "bg"),
    ("Колку изнесува стапката на кофинансирање за помалку развиените региони?", "bg"),
    # Afrikaans is not served: Dutch
    ("Wie kan aansoek doen om befondsing van die Europese Sosiale Fonds?", "nl"),
    # short Cyrillic questions that differ in a letter or two
    ("Какво е това?", "bg"),
    ("Что это такое?", "ru"),
    ("Кто может подать заявку?", "ru"),
    ("Кой може да кандидатства?", "bg"),
    # close Slavic pairs
    ("Kolik je sazba?", "cs"),
    ("Koľko je sadzba?", "sk"),
    ("Ile wynosi stawka?", "pl"),
])
def test_close_languages_and_short_questions(text, expected):
    assert detect_language(text) == expected


def test_short_questions_follow_the_callers_hint():
    assert detect_language("cofinancement?", hint="fr") == "fr"
    assert detect_language("ESF+ Bulgaria", hint="bg") == "bg"
    assert detect_language("", hint=None) == "en"
    assert detect_language("ЕСФ+", hint="bg") == "bg" and detect_language("ЕСФ+", hint="ru") == "ru"
    # three words or more: the text decides, whatever the hint
    assert detect_language("Кто может подать заявку?", hint="bg") == "ru"


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


def test_tokenize_is_safe_across_threads():
    from concurrent.futures import ThreadPoolExecutor

    texts = {"el": "Ποιες οριζόντιες αρχές πρέπει να τηρούνται στα προγράμματα συγχρηματοδότησης;",
             "fr": "Quelles dépenses sont éligibles au cofinancement des régions en transition ?"}
    expected = {lang: tokenize(text, lang) for lang, text in texts.items()}
    jobs = [lang for _ in range(400) for lang in texts]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda lang: (lang, tokenize(texts[lang], lang)), jobs))
    assert all(tokens == expected[lang] for lang, tokens in results)


@pytest.mark.parametrize("text, expected", [
    ("Az gelişmiş bölgeler için AB eş finansman oranı nedir?", "tr"),
    ("Яка максимальна ставка співфінансування ЄС для менш розвинених регіонів?", "uk"),
    ("Quin és el percentatge màxim de cofinançament de la UE per a les regions menys desenvolupades?", "ca"),
    ("Cila është norma maksimale e bashkëfinancimit të BE-së për rajonet më pak të zhvilluara?", "sq"),
    ("EU共同融資率の上限はいくらですか?", "ja"),
])
def test_questions_in_unserved_languages_are_named(text, expected):
    from common.language import unserved_language

    assert unserved_language(text) == expected


def test_no_question_of_the_eval_sets_is_taken_for_an_unserved_language():
    """Every question of both development sets is in a served language, many short and cross-lingual: refusing
    one of them as unserved would be worse than answering an unserved one."""
    import json
    from pathlib import Path

    from common.language import unserved_language

    root = Path(__file__).resolve().parents[2] / "evals" / "datasets"
    questions = [json.loads(line) for name in ("sample.jsonl", "shared.jsonl")
                 for line in (root / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) > 150
    wrongly = [(q["id"], unserved_language(q["question"])) for q in questions if unserved_language(q["question"])]
    assert wrongly == []


def test_the_unserved_language_table_names_lingua_languages_none_of_them_served():
    from lingua import Language

    from common.language import _lingua_language, unserved_names
    from common.settings import SERVED_LANGUAGES

    served = {_lingua_language(code) for code in SERVED_LANGUAGES}
    names = unserved_names()
    assert set(names) == {"other_scripts", "same_scripts"} and all(names.values())
    for name in (*names["other_scripts"], *names["same_scripts"]):
        assert getattr(Language, name) not in served, name


def test_the_c_stemmers_stem_as_the_python_ones_do():
    """snowballstemmer hands out PyStemmer's C stemmers when they are installed (a dependency, for speed): stems
    stored in indexes built with either must be the same, so every served algorithm is checked word for word."""
    import importlib
    import unicodedata
    from pathlib import Path

    import snowballstemmer
    import Stemmer

    from common.sparse import _SNOWBALL, _TOKEN

    assert snowballstemmer.stemmer is Stemmer.Stemmer
    corpus = Path(__file__).resolve().parents[2] / "corpus"
    text = " ".join(p.read_text(encoding="utf-8", errors="ignore") for p in corpus.rglob("*.md"))
    words = sorted(set(_TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())))
    assert len(words) > 2000
    for algorithm in _SNOWBALL.values():
        module = importlib.import_module(f"snowballstemmer.{algorithm}_stemmer")
        python = next(getattr(module, name) for name in dir(module) if name.lower() == f"{algorithm}stemmer")()
        assert Stemmer.Stemmer(algorithm).stemWords(words) == python.stemWords(words), algorithm
