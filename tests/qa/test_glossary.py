"""The cross-language glossary: complete data files, inflection-tolerant matching, one variant per document language."""

from __future__ import annotations

import pytest
import yaml

from common.settings import SERVED_LANGUAGES
from qa import glossary
from qa.glossary import GLOSSARY_DIR, GlossaryError, concepts, concepts_in, glossary_variants, kept_words, terms


@pytest.mark.parametrize("language", SERVED_LANGUAGES)
def test_every_served_language_names_every_concept(language):
    path = GLOSSARY_DIR / f"{language}.yaml"
    assert path.is_file(), f"no glossary file for {language}"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(raw) == list(concepts()), f"{path.name}: concepts missing, extra or out of order"
    for concept, listed in terms(language).items():
        assert 1 <= len(listed) <= 5, (language, concept)
        for term in listed:
            assert term == term.strip() and glossary._pattern(term), (language, concept, term)


def test_no_glossary_file_without_a_served_language():
    files = {p.stem for p in GLOSSARY_DIR.glob("*.yaml")} - {"concepts", "contrasts", "broad", "negations"}
    assert files <= set(SERVED_LANGUAGES), files - set(SERVED_LANGUAGES)


@pytest.mark.parametrize("question, language, expected", [
    # Inflected forms: genitive plural and adjective agreement.
    ("Jaki jest maksymalny poziom współfinansowania dla regionów słabiej rozwiniętych?", "pl",
     ["co_financing_rate", "less_developed_regions"]),
    ("Quel est le taux de cofinancement pour les régions moins développées ?", "fr",
     ["co_financing_rate", "less_developed_regions"]),
    # An acronym matches as a whole word only.
    ("Is VAT an eligible cost?", "en", ["value_added_tax", "eligible_expenditure"]),
    # The CPR's territorial instruments, by name and by acronym.
    ("Czy lokalna grupa działania może finansować RLKS z EFS+?", "pl",
     ["local_action_group", "community_led_local_development"]),
    ("Quali spese di gestione può sostenere un gruppo di azione locale nello sviluppo locale di tipo partecipativo?",
     "it", ["local_action_group", "community_led_local_development"]),
    ("Kan een geïntegreerde territoriale investering meerdere programma's combineren?", "nl",
     ["integrated_territorial_investment", "programme"]),
    # The list of operations (Article 49(3)) is not the calls' timetable.
    ("Jak często musi być aktualizowana lista operacji?", "pl", ["list_of_operations", "operation"]),
    # The communication event of Article 50(1)(e), in a compound and in the CPR's own words.
    ("Ab welchen Gesamtkosten muss der Begünstigte eine Kommunikationsveranstaltung durchführen?", "de",
     ["beneficiary", "communication_event"]),
    ("le bénéficiaire organise un événement ou une action de communication", "fr",
     ["beneficiary", "communication_event"]),
])
def test_questions_name_concepts_in_any_inflection(question, language, expected):
    named = concepts_in(question, language)
    for concept in expected:
        assert concept in named, (concept, named)
    assert named.index(expected[0]) < named.index(expected[-1])  # in the order the question names them


def test_a_terms_words_must_come_in_order_and_near_each_other():
    assert "less_developed_regions" not in concepts_in("Regions that have developed less than others", "en")
    far = "régions où les autres conditions du programme et de la loi sont moins développées"
    assert "less_developed_regions" not in concepts_in(far, "fr")
    assert "value_added_tax" not in concepts_in("Is a VATICAN visit eligible?", "en")


@pytest.mark.parametrize("question, language, not_named", [
    ("What is the minimum amount of the grant per project?", "en", "de_minimis"),  # "de minimis" is not "minimum"
    ("Care este suma minimă a unui proiect?", "ro", "de_minimis"),
    ("Tot welke datum mogen de kosten betaald worden?", "nl", "hourly_rate"),  # "kosten per uur" is not "kosten"
    ("Hvilket specifikt krav gælder?", "da", "policy_objective"),  # "specifikt mål", not any "specifikt"
])
def test_a_term_keeps_its_short_words_when_they_leave_one_word(question, language, not_named):
    assert not_named not in concepts_in(question, language)
    assert "de_minimis" in concepts_in("Does de minimis aid apply to the grant?", "en")
    assert "hourly_rate" in concepts_in("Hoe bereken ik de kosten per uur?", "nl")


def test_the_list_of_operations_is_named_in_an_inflected_form():
    assert concepts_in("Cik bieži jāatjaunina darbību saraksts?", "lv") == ["list_of_operations"]
    assert "list_of_operations" not in concepts_in("Kui tihti ajakohastatakse taotlusvoorude ajakava?", "et")


def test_the_broad_concepts_are_concepts():
    assert glossary.broad_concepts() and glossary.broad_concepts() <= set(concepts())


def test_a_short_word_that_tells_two_concepts_apart_is_kept():
    # "non" is skipped like any short word, except where skipping it would make "ineligible" read as "eligible".
    assert concepts_in("Quelles sont les dépenses éligibles ?", "fr") == ["eligible_expenditure"]
    assert "ineligible_expenditure" in concepts_in("Quelles dépenses non éligibles ?", "fr")
    assert "co_financing_rate" in concepts_in("Quel est le taux de cofinancement ?", "fr")  # "de" still skipped


@pytest.mark.parametrize("language", SERVED_LANGUAGES)
def test_a_term_for_ineligible_costs_without_its_negation_does_not_name_them(language):
    """"gastos no subvencionables" with its short "no" skipped would read "¿Qué gastos son subvencionables?" as a
    question on ineligible costs, and the answer would be drawn to passages on those."""
    negating = glossary.negations()[language]
    for term in terms(language)["ineligible_expenditure"]:
        words = term.split()
        if any(glossary.fold(w) in negating for w in words):
            positive = " ".join(w for w in words if glossary.fold(w) not in negating)
            assert "ineligible_expenditure" not in concepts_in(positive, language), (language, term)
            assert "ineligible_expenditure" in concepts_in(term, language), (language, term)


@pytest.mark.parametrize("question, language, named, not_named", [
    ("Are staff costs eligible?", "en", "staff_costs", "ineligible_expenditure"),
    ("Which costs are not eligible?", "en", "ineligible_expenditure", "eligible_expenditure"),
    ("¿Qué gastos son subvencionables?", "es", "eligible_expenditure", "ineligible_expenditure"),
    ("¿Qué gastos no son subvencionables?", "es", "ineligible_expenditure", None),
])
def test_a_negation_inside_a_term_must_be_in_the_question(question, language, named, not_named):
    found = concepts_in(question, language)
    assert named in found and not_named not in found, found


def test_every_served_language_lists_its_negations():
    assert set(glossary.negations()) == set(SERVED_LANGUAGES)


def test_variants_say_the_named_concepts_in_each_other_language_with_the_questions_numbers_and_names():
    question = "Каква е ставката на съфинансиране за по-слабо развитите региони според Регламент (ЕС) 2021/1060?"
    variants = glossary_variants(question, "bg", ["bg", "fr", "et"])
    assert set(variants) == {"fr", "et"}  # not the question's own language
    french = variants["fr"]
    assert french.startswith(terms("fr")["co_financing_rate"][0])
    assert terms("fr")["less_developed_regions"][0] in french
    assert french.endswith("ЕС, 2021/1060")


def test_a_question_that_names_no_concept_gets_no_variant():
    assert glossary_variants("Bonjour, comment allez-vous ?", "fr", ["en", "et"]) == {}


def test_years_act_numbers_and_acronyms_are_kept_but_not_names_or_loose_numbers():
    question = "What does Centre-Val de Loire pay per 5 000 EUR under Regulation 2021/1060 in 2021-2027 or 2028–2034?"
    assert kept_words(question) == ["EUR", "2021/1060", "2021-2027", "2028–2034"]


def test_a_broken_glossary_file_is_a_named_error(tmp_path, monkeypatch):
    (tmp_path / "concepts.yaml").write_text("grant: a grant\n", encoding="utf-8")
    (tmp_path / "xx.yaml").write_text("grant: [subsidy]\nfree_lunch: [lunch]\n", encoding="utf-8")
    (tmp_path / "yy.yaml").write_text("grant: []\n", encoding="utf-8")
    monkeypatch.setattr(glossary, "GLOSSARY_DIR", tmp_path)
    concepts.cache_clear()
    terms.cache_clear()
    try:
        with pytest.raises(GlossaryError, match=r"xx\.yaml: unknown concepts \['free_lunch'\]"):
            terms("xx")
        with pytest.raises(GlossaryError, match=r"yy\.yaml: 'grant' needs a list"):
            terms("yy")
        assert terms("zz") == {}
    finally:
        concepts.cache_clear()
        terms.cache_clear()


def _retriever(runtime, **search):
    from qa.retriever import Retriever

    settings = runtime.settings.model_copy(
        update={"search": runtime.settings.search.model_copy(update=search)})
    return Retriever(settings, runtime.store, runtime.embedder)


def test_a_question_finds_the_rule_in_another_language_by_its_terms(sample_runtime):
    # "Can interest on a loan be included in eligible expenditure?": the rule is in the Dutch and Estonian guides
    # only ("debetrente", "laenuintresse"), and the question alone does not reach them.
    question = "Можно ли включить в приемлемые расходы проценты по кредиту?"
    evidence = ("debetrente", "laenuintresse")

    def found(retriever) -> bool:
        return any(word in hit.text for hit in retriever.search(question, k=5).hits for word in evidence)

    assert not found(_retriever(sample_runtime, glossary=False))
    with_terms = _retriever(sample_runtime)
    assert found(with_terms)
    retrieval = with_terms.search(question, k=5)
    assert retrieval.timings_ms["glossary"] >= 0
    # What was searched is said: the Dutch terms for the two concepts the question names, among others.
    assert terms("nl")["interest_on_debt"][0] in retrieval.glossary_terms["nl"]


def test_the_answer_says_which_terms_were_searched(sample_runtime):
    from qa.helpdesk import Helpdesk

    answer = Helpdesk(sample_runtime.settings, sample_runtime.store, sample_runtime.embedder).ask(
        "Можно ли включить в приемлемые расходы проценты по кредиту?", composer="extractive")
    said = answer.diagnostics["glossary_terms"]
    assert said and "ru" not in said and all(said.values())


def test_the_glossary_searches_only_the_languages_a_filter_allows(sample_runtime):
    question = "Можно ли включить в приемлемые расходы проценты по кредиту?"
    hits = _retriever(sample_runtime).search(question, k=5, filters={"language": ["ru", "de"]}).hits
    assert hits and {hit.language for hit in hits} <= {"ru", "de"}


def test_the_glossarys_terms_find_passages_by_their_words(sample_runtime):
    # The terms' own vectors count for nothing here (discounted away): only their words, matched in each
    # language's passages, can bring the Dutch rule on loan interest ("debetrente") to a Russian question. A weight
    # above the default makes the mechanism visible on the small sample corpus.
    question = "Можно ли включить в приемлемые расходы проценты по кредиту?"
    evidence = ("debetrente", "laenuintresse")

    def found(retriever) -> bool:
        return any(word in hit.text for hit in retriever.search(question, k=5).hits for word in evidence)

    assert not found(_retriever(sample_runtime, glossary_discount=1.0, glossary_keyword_weight=0.0))
    assert found(_retriever(sample_runtime, glossary_discount=1.0, glossary_keyword_weight=0.1))


def test_a_keyword_match_adds_at_most_its_weight_to_the_questions_similarity(sample_runtime):
    from dataclasses import replace

    from common.schema import DENSE_VECTOR
    from common.store import VectorQuery

    retriever = _retriever(sample_runtime, glossary_discount=1.0)
    question = "Можно ли включить в приемлемые расходы проценты по кредиту?"
    said = glossary_variants(question, "ru", ["nl", "et"], 2)
    plain = retriever.search(question, k=1, mode="dense")

    dense = VectorQuery(DENSE_VECTOR, dense=plain.query_vector, must={"state": "ready"}, limit=50)
    lifted = retriever._glossary_keywords(said, dense, [], 0.02)
    assert lifted and {hit.payload["language"] for hit in lifted} <= {"nl", "et"}
    own = {hit.id: hit.score for hit in retriever.dense_search(replace(dense, ids=[h.id for h in lifted],
                                                                      limit=len(lifted)))}
    bonus = sorted(round(hit.score - own[hit.id], 6) for hit in lifted)
    assert bonus[-1] == 0.02 and all(0 < b <= 0.02 for b in bonus)


def test_contrast_groups_name_known_concepts_and_every_language_tells_them_apart():
    """Each group names two or more concepts of concepts.yaml, and in every served language each member's legal
    term names that member and no other of its group (else a sentence on it would read as one on another)."""
    from common.settings import Settings

    groups = glossary.contrasts()
    assert groups and all(len(group) >= 2 and group <= set(concepts()) for group in groups)
    for language in Settings().languages:
        said = terms(language)
        for group in groups:
            for concept in group:
                named = set(glossary.concepts_in(said[concept][0], language)) & group
                assert named == {concept}, (language, concept, said[concept][0], named)


@pytest.mark.parametrize("question, language, sentence, sentence_language, contrasting", [
    ("Каква е ставката за по-слабо развит регион?", "bg", "Ако проектът е в регион в преход със ставка 60 %", "bg", True),
    ("Каква е ставката за по-слабо развит регион?", "bg", "a) 85 % pour les régions moins développées;", "fr", False),
    ("Каква е ставката за по-слабо развит регион?", "bg", "c) 60 % pour les régions en transition;", "fr", True),
    # Naming the question's own member as well: "transition regions that were less developed in 2014-2020".
    ("What rate applies to less developed regions?", "en",
     "70 % for transition regions that were less developed regions in 2014-2020", "en", False),
    ("What rate applies to less developed regions?", "en", "The rate may not exceed 80 % for Interreg.", "en", False),
    ("What is the rate?", "en", "60 % for transition regions", "en", False),  # the question picks none
])
def test_a_sentence_on_another_member_of_the_questions_group_contrasts(question, language, sentence,
                                                                      sentence_language, contrasting):
    asked = set(glossary.concepts_in(question, language))
    assert glossary.contrasting(asked, set(glossary.concepts_in(sentence, sentence_language))) is contrasting


def test_a_broken_contrast_file_is_a_named_error(tmp_path, monkeypatch):
    (tmp_path / "concepts.yaml").write_text("grant: a grant\nloan: a loan\n", encoding="utf-8")
    (tmp_path / "contrasts.yaml").write_text("kinds: [grant, gift]\n", encoding="utf-8")
    monkeypatch.setattr(glossary, "GLOSSARY_DIR", tmp_path)
    concepts.cache_clear()
    glossary.contrast_groups.cache_clear()
    try:
        with pytest.raises(GlossaryError, match=r"contrasts\.yaml: 'kinds' needs two or more concepts"):
            glossary.contrasts()
    finally:
        concepts.cache_clear()
        glossary.contrast_groups.cache_clear()
