"""The extractive composer's pieces on real text: sentence units, tables, list items, markers, MMR."""

from __future__ import annotations

import numpy as np
import pytest

from common.answer_types import find_values
from common.schema import SearchHit
from qa.compose.base import ComposeRequest
from qa.compose.extractive import ExtractiveComposer, _mmr, _Unit, _units, _with_marker
from qa.glossary import GlossaryError


def hit(text: str, section: str | None = None, language: str = "en") -> SearchHit:
    return SearchHit(doc_id="d", title="Guide", source="corpus/guides/en/g.md", page_start=3, page_end=3,
                     section=section, language=language, score=0.9, text=text)


def test_heading_line_is_not_quoted_and_table_rows_keep_their_header():
    text = ("Rates › Article 112\nThe rate may not exceed, per priority: | Category of region | Maximum EU rate | "
            "|---|---| | Less developed regions | 85 % | | Transition regions | 60 % | The 85 % rate also applies to "
            "the outermost regions.")
    units = _units(hit(text, section="Article 112"), 0)
    assert [u.text for u in units] == [
        "The rate may not exceed, per priority:",
        "Category of region: Less developed regions; Maximum EU rate: 85 %",
        "Category of region: Transition regions; Maximum EU rate: 60 %",
        "The 85 % rate also applies to the outermost regions.",
    ]
    # a row is scored with the sentence that introduces it, quoted alone
    assert units[1].context.startswith("The rate may not exceed") and units[3].context == units[3].text


def test_a_title_line_of_a_printed_text_is_not_quoted():
    """A PDF's title or section line reaches the chunk as a line of its own: it names the topic a question asks
    about, and answers nothing."""
    text = ("Programme Centre-Val de Loire et interrégional Loire FEDER-FSE+ 2021–2027\n\n"
            "Section I Formes des subventions\n\n"
            "Les subventions peuvent prendre la forme d'un remboursement des coûts éligibles.")
    assert [u.text for u in _units(hit(text, language="fr"), 0)] == [
        "Les subventions peuvent prendre la forme d'un remboursement des coûts éligibles."]


def test_list_items_split_on_bullets_not_on_dashes_inside_items():
    text = ("ESF+ resources must go, at least: - 25 % – to social inclusion objectives; - 3 % – to addressing "
            "material deprivation; - 5 % – to child poverty where the national rate is above the EU average; and a "
            "further share must go to young people not in employment, education or training in Member States "
            "above the EU average, as the regulation explains at length in its recitals and articles.")
    units = _units(hit(text), 0)
    quoted = [u.text for u in units]
    assert "- 3 % – to addressing material deprivation;" in quoted
    item = next(u for u in units if u.text.startswith("- 3 %"))
    assert item.context.startswith("ESF+ resources must go, at least:")


def test_marker_goes_before_the_closing_punctuation():
    assert _with_marker("Rates are 85 %.", "[1]") == "Rates are 85 % [1]."
    assert _with_marker("85 % for less developed regions;", "[2]") == "85 % for less developed regions [2]."
    assert _with_marker("Category: 85 %", "[1]") == "Category: 85 % [1]"


def test_mmr_skips_a_near_copy_of_a_chosen_sentence():
    vectors = np.array([[1.0, 0.0], [0.999, 0.045], [0.8, 0.6]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    relevance = np.array([0.90, 0.899, 0.88])
    assert _mmr(vectors, relevance, limit=2, trade_off=0.5, margin=0.05) == [0, 2]
    assert _mmr(vectors, relevance, limit=3, trade_off=0.5, margin=0.005) == [0, 1]


def test_compose_quotes_real_sentences_with_numbered_sources(sample_runtime):
    from qa.retriever import Retriever

    question = "Wie viele Stunden gelten als Jahresarbeitszeit für den Stundensatz?"
    retrieval = Retriever(sample_runtime.settings, sample_runtime.store, sample_runtime.embedder).search(question)
    composer = ExtractiveComposer(sample_runtime.embedder, sample_runtime.settings.answer)
    result = composer.compose(ComposeRequest(question, "de", retrieval.hits, retrieval.query_vector))
    assert result.answerable and "1 720 Stunden" in result.text
    assert [c.n for c in result.citations] == list(range(1, len(result.citations) + 1))
    assert len([line for line in result.text.splitlines() if line.startswith("- ")]) <= 4


def test_foreign_sources_are_quoted_with_their_language():
    composer = ExtractiveComposer(_StubFreeEmbedder(), _settings())
    request = ComposeRequest("Quel est le taux ?", "fr", [hit("Het percentage bedraagt 85 % voor minder ontwikkelde regio's.",
                                                              language="nl")], [1.0, 0.0])
    result = composer.compose(request)
    assert "“Het percentage bedraagt 85 % voor minder ontwikkelde regio's.” (nl) [1]" in result.text
    assert "néerlandais" in result.text


class _StubFreeEmbedder:
    """Two-dimensional vectors so the rendering can be checked without a model; scoring is tested above."""

    name, dim = "fixed", 2

    def embed_passages(self, texts):
        return np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(texts), 1))

    def embed_queries(self, texts):
        return self.embed_passages(texts)


def _settings(**changes):
    from common.settings import AnswerSettings

    return AnswerSettings(**changes)


# --- nothing empty or hollow is quoted -------------------------------------------------------------------------

def test_hollow_units_are_never_quoted():
    text = ("[![EUR-Lex](https://eur-lex.europa.eu/logo.png)](https://eur-lex.europa.eu) "
            "[https://eur-lex.europa.eu/eli/reg/2021/1060/oj](https://eur-lex.europa.eu/eli/reg/2021/1060/oj) (en).\n\n"
            "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32021R1060\n\n"
            "Official Journal of the European Union L 231/159 EN 30.6.2021\n\n"
            "| Category of region | Maximum EU co-financing rate |\n\n"
            "Page 12 of 40 www.example.europa.eu\n\n"
            "The rate may not exceed 85 % for less developed regions.")
    quoted = [u.text for u in _units(hit(text), 0)]
    assert quoted == ["The rate may not exceed 85 % for less developed regions."]


def test_a_sentence_with_a_link_keeps_its_words():
    text = "See the [programme guide](https://example.eu/guide.pdf) for the list of eligible costs."
    assert [u.text for u in _units(hit(text), 0)] == [text]


def test_a_list_of_links_and_a_row_of_form_fields_are_never_quoted():
    """A page listing where to read more, and an annex's blank form (its cells left as field placeholders), share
    a question's words without stating anything."""
    text = ("Partnership Agreements: http://ec.europa.eu/contracts_grants/agreements/index_en.htm Regional Policy: "
            "http://ec.europa.eu/regional_policy/en/ Programmes: http://ec.europa.eu/regional_policy/en/atlas/\n\n"
            "Régions moins développées <type=\"Cu\" input=\"M\"> <type=\"Cu\" input=\"M\"> "
            "<type='S' input='G'> Total général\n\n"
            "The Cohesion Fund supports Member States whose gross national income per inhabitant is below 90 % of "
            "the EU average.")
    assert [u.text for u in _units(hit(text), 0)] == [
        "The Cohesion Fund supports Member States whose gross national income per inhabitant is below 90 % of the "
        "EU average."]


@pytest.mark.parametrize("text", [
    # two addresses in a sentence that says what they hold
    "The rules are published at https://eur-lex.europa.eu/eli/reg/2021/1060/oj and the national guidance for "
    "applicants, with its annexes and the forms to fill in, at https://www.example.gov/esf-plus/guidance.",
    # comparisons are no fields, though a table's row writes them with "=" between
    "Caps by GDP per head: <75 % = less developed > 85 %; <100 % = transition > 60 %; <90 % of GNI = Cohesion "
    "Fund > 85 %.",
    # one field on a signature line
    "Représentant de l'autorité de gestion: <type='S' input='G'> L'autorité de gestion confirme les montants.",
])
def test_a_sentence_with_addresses_comparisons_or_one_field_stays_a_unit(text):
    assert [u.text for u in _units(hit(text), 0)] == [text]


def test_a_quote_that_opens_inside_a_sentence_opens_with_an_ellipsis(real_embedder):
    """A chunk may start where the one before it cut a sentence: the quote shows it does not start at its
    sentence's start. A list item in lower case is whole and gets none."""
    text = ("the priority applies 85 % to total eligible costs. The beneficiary keeps the documents for five "
            "years.\n\nThe rate may not exceed:\n\n- 85 % for less developed regions;\n- 60 % for transition "
            "regions.")
    composer = ExtractiveComposer(real_embedder, _settings())
    units = _units(hit(text), 0)
    assert [u.continues for u in units] == [True, False, False, False, False]
    result = composer.compose(ComposeRequest("To which costs does the priority apply its rate?", "en", [hit(text)]))
    assert _quoted(result.text)[0] == "- … the priority applies 85 % to total eligible costs [1]."
    listed = composer.compose(ComposeRequest("What is the rate for less developed regions?", "en", [hit(text)]))
    # The item is quoted after the sentence introducing it (_lead_ins).
    assert _quoted(listed.text) == ["- The rate may not exceed: 85 % for less developed regions [1]."]


# --- answer types: the sentence with the asked value first, fewer quotes, the key fact restated ---------------

# The Greek question of issue 14 was answered with these four, the date last.
_ISSUE_PASSAGES = [
    ("Παράδειγμα: ο φορέας εφαρμόζει ποσοστό 85 % στο σύνολο των επιλέξιμων δαπανών του έργου.", "el"),
    ("Δικαιούχοι μπορούν να είναι δήμοι, μη κερδοσκοπικές οργανώσεις και κοινωνικές επιχειρήσεις.", "el"),
    ("Κανονισμός (ΕΕ) 2021/1060 για τις κοινές διατάξεις και Κανονισμός (ΕΕ) 2021/1057 για το ΕΚΤ+.", "el"),
    ("Οι δαπάνες των προγραμμάτων 2021-2027 είναι επιλέξιμες εάν πραγματοποιήθηκαν και πληρώθηκαν "
     "έως τις 31 Δεκεμβρίου 2029.", "el"),
]


@pytest.fixture(scope="module")
def real_embedder():
    from common.embedder import load_embedder
    from common.settings import EmbedSettings

    return load_embedder(EmbedSettings())


def _hits(passages):
    return [SearchHit(doc_id=f"d{i}", title="Guide", source=f"g{i}.md", page_start=1, page_end=1, section=None,
                      language=lang, score=0.9 - i / 100, text=text) for i, (text, lang) in enumerate(passages)]


def _quoted(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ")]


def test_a_date_question_is_answered_by_the_date_sentence_with_the_date_restated(real_embedder):
    question = "Μέχρι πότε είναι επιλέξιμες οι δαπάνες των προγραμμάτων 2021-2027;"
    result = ExtractiveComposer(real_embedder, _settings()).compose(
        ComposeRequest(question, "el", _hits(_ISSUE_PASSAGES)))
    assert " ".join(result.text.splitlines()[0].split()) == "Προθεσμία: 31 Δεκεμβρίου 2029 [1]"
    quoted = _quoted(result.text)
    assert len(quoted) == 1 and "31 Δεκεμβρίου 2029" in quoted[0]
    assert [c.doc_id for c in result.citations] == ["d3"]
    assert result.diagnostics["answer_type"] == "date"


def test_a_rate_question_in_another_language_gets_the_rate_in_the_askers_locale(real_embedder):
    passages = [("The EU co-financing rate may not exceed 85 % for less developed regions.", "en"),
                ("Beneficiaries may be municipalities, NGOs and social enterprises.", "en")]
    question = "Какъв е процентът на съфинансиране за по-слабо развитите региони?"
    result = ExtractiveComposer(real_embedder, _settings()).compose(ComposeRequest(question, "bg", _hits(passages)))
    assert " ".join(result.text.splitlines()[0].split()) == "Ставка: 85% [1]"
    assert "“The EU co-financing rate may not exceed 85 % for less developed regions.” (en) [1]" in result.text
    assert len(_quoted(result.text)) == 1


def test_several_values_in_the_best_sentence_are_quoted_but_not_restated(real_embedder):
    passages = [("The EU co-financing rate may not exceed 85 % for less developed regions, 60 % for transition "
                 "regions and 40 % for more developed regions.", "en")]
    result = ExtractiveComposer(real_embedder, _settings()).compose(
        ComposeRequest("What is the co-financing rate?", "en", _hits(passages)))
    assert result.text.splitlines()[0] == "According to the documents:" and "key_fact" not in result.diagnostics
    assert "60 %" in result.text


def test_a_period_written_in_words_is_restated_with_digits_in_the_askers_locale(real_embedder):
    passages = [("Bevat een operatie een investering in infrastructuur, dan moet de steun worden terugbetaald als "
                 "binnen vijf jaar na de eindbetaling de eigendom van de infrastructuur verandert.", "nl")]
    question = "Wie lange nach der Schlusszahlung darf sich das Eigentum an der Infrastruktur nicht ändern?"
    result = ExtractiveComposer(real_embedder, _settings()).compose(ComposeRequest(question, "de", _hits(passages)))
    assert result.diagnostics["key_fact"] == "Dauer: 5 Jahre [1]"


@pytest.mark.parametrize("question, line", [
    ("How many years must the project's documents be kept?", None),
    ("How many months after the programme's approval must its website be online?", "Period: 6 months [1]"),
])
def test_a_period_in_another_unit_than_asked_is_quoted_but_not_restated(real_embedder, question, line):
    """"Six months" answers a question asking how many months; for one asking how many years it is another
    period's, from a sentence on another subject."""
    passages = [("The programme's website must be online within six months of the programme's approval.", "en")]
    result = ExtractiveComposer(real_embedder, _settings()).compose(ComposeRequest(question, "en", _hits(passages)))
    assert result.diagnostics.get("key_fact") == line


@pytest.mark.parametrize("passage, language, line", [
    ("The managing authority updates the planning of calls three times a year.", "en", "Number: 3 [1]"),
    ("De managementautoriteit werkt de planning van de oproepen drie keer per jaar bij.", "nl", "Number: 3 [1]"),
    # Dutch "ten minste" (at least) is no English "ten" competing with "drie": a text's own number words only
    ("De managementautoriteit werkt de planning van de oproepen ten minste drie keer per jaar bij.", "nl",
     "Number: 3 [1]"),
    # "één keer" is the article more often than a count
    ("De managementautoriteit werkt de planning van de oproepen een keer per jaar bij.", "nl", None),
])
def test_a_count_written_as_a_word_is_restated_when_it_counts_two_or_more_in_the_texts_own_words(
        real_embedder, passage, language, line):
    question = "How many times a year must the managing authority update the planning of calls?"
    result = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0)).compose(
        ComposeRequest(question, "en", _hits([(passage, language)])))
    assert result.diagnostics["answer_type"] == "count" and result.diagnostics.get("key_fact") == line
    assert "per jaar" in _quoted(result.text)[0] or "a year" in _quoted(result.text)[0]


@pytest.mark.parametrize("question, language, line", [
    ("Until when may the costs of an operation be paid?", "en", "Date: December 31, 2029 [1]"),
    ("Tot welke datum mogen de kosten betaald worden?", "nl", "Datum: 31 december 2029 [1]"),
    ("From when may the costs of an operation be paid?", "en", "Date: January 1, 2021 [1]"),
    ("Μέχρι πότε μπορούν να πληρωθούν οι δαπάνες;", "el", "Προθεσμία: 31 Δεκεμβρίου 2029 [1]"),
    ("On which date may the costs of an operation be paid?", "en", None),  # neither end asked: both are quoted
])
def test_a_question_on_one_end_of_a_span_of_dates_gets_that_end_restated(real_embedder, question, language, line):
    passages = [("Costs are eligible if they were paid between 1 January 2021 and 31 December 2029.", "en")]
    result = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0)).compose(
        ComposeRequest(question, language, _hits(passages)))
    assert result.diagnostics["answer_type"] == "date"
    assert " ".join(result.diagnostics.get("key_fact", "").split()) == (line or "")


def test_two_dates_that_make_no_span_get_no_line(real_embedder):
    passages = [("Costs are eligible under Regulation (EU) 2021/1060 of 24 June 2021, as amended on 3 March 2022.",
                 "en")]
    result = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0)).compose(
        ComposeRequest("Until when are costs eligible?", "en", _hits(passages)))
    assert result.diagnostics["answer_type"] == "date" and "key_fact" not in result.diagnostics


def test_the_date_of_a_cited_act_is_quoted_but_not_restated(real_embedder):
    passages = [("Abikõlblike kulude kindlaksmääramisel lähtutakse Vabariigi Valitsuse 12. mai 2022. a määruse nr 55 "
                 "sätetest.", "et")]
    result = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0)).compose(
        ComposeRequest("Until when are costs eligible?", "en", _hits(passages)))
    assert result.diagnostics["answer_type"] == "date" and "key_fact" not in result.diagnostics
    assert "12. mai 2022" in _quoted(result.text)[0]


@pytest.mark.parametrize("question, line", [
    ("From when must the documents be kept?", None),  # the date ends the keeping
    ("Until when must the documents be kept?", "Date: December 31, 2027 [1]"),
])
def test_a_date_ending_something_does_not_answer_from_when(real_embedder, question, line):
    passages = [("The beneficiary keeps all supporting documents until 31 December 2027.", "en")]
    result = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0)).compose(
        ComposeRequest(question, "en", _hits(passages)))
    assert result.diagnostics["answer_type"] == "date" and result.diagnostics.get("key_fact") == line


def test_no_end_of_a_span_is_restated_when_a_unit_near_it_states_another_date(real_embedder):
    passages = [("Costs are eligible if they were paid between 1 January 2021 and 31 December 2029.", "en"),
                ("Final reports are due on 30 June 2030.", "en")]
    result = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0, key_fact_margin=1.0)).compose(
        ComposeRequest("Until when may the costs of an operation be paid?", "en", _hits(passages)))
    assert result.diagnostics["answer_type"] == "date" and "key_fact" not in result.diagnostics


@pytest.mark.parametrize("question, passage, line", [
    # a grant's maximum is no pre-financing: the question names a payment kind the sentence does not
    ("How much pre-financing does the Commission pay for a programme?",
     "The maximum grant is EUR 235 590 per project.", None),
    ("How much is the maximum grant per project?", "The maximum grant is EUR 235 590 per project.",
     "Amount: €235,590 [1]"),
    # another region category, or none named
    ("What is the co-financing rate for transition regions?",
     "The co-financing rate is 85 % for less developed regions.", None),
    ("What is the co-financing rate for transition regions?",
     "The co-financing rate is 85 % for the regions of the programme.", None),
    ("What is the co-financing rate for less developed regions?",
     "The co-financing rate is 85 % for less developed regions.", "Rate: 85% [1]"),
])
def test_a_value_is_restated_only_from_a_unit_naming_the_region_or_payment_asked_about(real_embedder, question,
                                                                                     passage, line):
    """The only passage found is quoted either way; its value is restated only when the unit names the region
    category or payment kind the question names."""
    result = ExtractiveComposer(real_embedder, _settings()).compose(
        ComposeRequest(question, "en", _hits([(passage, "en")])))
    assert result.diagnostics.get("key_fact") == line
    assert _quoted(result.text) == [f"- {passage[:-1]} [1]."]


@pytest.mark.parametrize("groups, line", [(("region_category",), "Rate: 85% [1]"), ((), None)])
def test_a_value_for_another_member_of_the_group_asked_about_does_not_compete(real_embedder, groups, line):
    """"70 % for transition regions" ranked above or near the best unit is another subject's value, not a second
    answer to a question on less developed regions; without the group, it competes and no line is written."""
    passages = [("The co-financing rate is 70 % for transition regions.", "en"),
                ("The co-financing rate is 85 % for less developed regions.", "en")]
    settings = _settings(key_fact_min_score=0.0, key_fact_margin=1.0, key_fact_named_groups=groups)
    result = ExtractiveComposer(real_embedder, settings).compose(
        ComposeRequest("What is the co-financing rate for less developed regions?", "en", _hits(passages)))
    assert " ".join(result.diagnostics.get("key_fact", "").split()) == (line or "")


@pytest.mark.parametrize("section, line", [("Exemple chiffré", None), ("Taux de cofinancement", "Taux: 85 % [1]")])
def test_a_value_in_a_worked_example_is_quoted_but_not_restated(real_embedder, section, line):
    """An example's 85 % illustrates a rule; restated, it would answer a question on another share of the fund."""
    hit = SearchHit(doc_id="d0", title="Guide", source="g.md", page_start=1, page_end=1, section=section,
                    language="fr", score=0.9, text="Une association présente un projet d'accompagnement social de "
                    "200 000 EUR, avec un taux de 85 % appliqué au coût total.")
    result = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0)).compose(
        ComposeRequest("Quel taux s'applique à un projet d'accompagnement social ?", "fr", [hit]))
    assert result.diagnostics["answer_type"] == "rate" and "85 %" in _quoted(result.text)[0]
    assert " ".join(result.diagnostics.get("key_fact", "").split()) == (line or "")


def test_nothing_of_a_table_of_contents_is_quoted(real_embedder):
    contents = ("FICHE 1 – Les acteurs des fonds européens……………………..Page 6\n- Les acteurs des fonds européens en "
                "région Centre-Val de Loire\n- Les procédures de dépôt des demandes d’aides\n"
                "FICHE 2 – Les règles d’éligibilité…………………….Page 9")
    body = "Le service instructeur de la Région instruit les demandes d’aide déposées sur le portail."
    result = ExtractiveComposer(real_embedder, _settings()).compose(
        ComposeRequest("Qui instruit les demandes d'aide en Centre-Val de Loire ?", "fr",
                       _hits([(contents, "fr"), (body, "fr")])))
    assert _quoted(result.text) == [f"- {body[:-1]} [1]."] and result.citations[0].doc_id == "d1"


def _one_act(passages):
    return [SearchHit(doc_id="cpr", title="CPR", source="cpr.pdf", page_start=10 + i, page_end=10 + i, section=None,
                      language="en", score=0.9 - i / 100, text=text) for i, text in enumerate(passages)]


_ON_REQUEST = "Member States shall keep the supporting documents available to the audit authority on request."
_FIVE_YEARS = "Member States shall keep all supporting documents for five years after the final payment."


@pytest.mark.parametrize("passages, one_passage, pages", [
    ([_ON_REQUEST, _FIVE_YEARS], True, [10]),  # the act's passage ranked below the best quote's is not quoted
    ([_ON_REQUEST, _FIVE_YEARS], False, [10, 11]),
    ([_FIVE_YEARS, _ON_REQUEST], True, [10, 11]),  # the one ranked above it may still be
])
def test_a_lower_passage_of_the_best_quotes_document_is_not_quoted(real_embedder, passages, one_passage, pages):
    """Another passage of the same act, ranked lower by the search, is the best quote's neighbour more often than
    a second answer; the search's order decides between passages of one document."""
    settings = _settings(one_passage_per_document=one_passage, sentence_margin=1.0, max_untyped_quotes=2,
                         untyped_quotes_not_below_best=False)
    result = ExtractiveComposer(real_embedder, settings).compose(
        ComposeRequest("Must Member States keep supporting documents available to the audit authority?", "en",
                       _one_act(passages)))
    assert [c.page_start for c in result.citations] == pages and len(_quoted(result.text)) == len(pages)


def test_a_worked_examples_value_does_not_stand_against_the_rule(real_embedder):
    """The example's date illustrates; ranked above the rule, it no longer keeps the rule's date from the line."""
    hits = [SearchHit(doc_id=f"d{i}", title="Guide", source=f"g{i}.md", page_start=1, page_end=1, section=section,
                      language="en", score=0.9 - i / 100, text=text)
            for i, (section, text) in enumerate([
                ("Worked example", "A care home pays its costs until 15 March 2028 and claims them on 1 May 2028."),
                ("Eligibility period", "Costs are eligible if they are paid until 31 December 2029.")])]
    result = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0)).compose(
        ComposeRequest("Until when must the costs be paid to be eligible?", "en", hits))
    assert result.diagnostics.get("key_fact", "").startswith("Date: December 31, 2029")


@pytest.mark.parametrize("question, line", [
    ("What is the minimum amount of the grant per project?", "Amount: €60,000 [1]"),
    ("What is the maximum amount of the grant per project?", "Amount: €190,000 [1]"),
    ("How much is the grant per project?", None),  # neither bound asked: both are quoted
])
def test_a_question_on_the_minimum_or_the_maximum_gets_that_bound(real_embedder, question, line):
    passages = [("The grant per project is at least EUR 60 000 and at most EUR 190 000.", "en")]
    result = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0)).compose(
        ComposeRequest(question, "en", _hits(passages)))
    assert result.diagnostics["answer_type"] == "amount"
    assert " ".join(result.diagnostics.get("key_fact", "").split()) == (line or "")


def test_an_unknown_group_for_the_key_fact_line_is_a_named_error(real_embedder):
    with pytest.raises(GlossaryError, match="HELPDESK_ANSWER_KEY_FACT_NAMED_GROUPS names region_kind"):
        ExtractiveComposer(real_embedder, _settings(key_fact_named_groups=("region_kind",)))


def test_a_value_written_as_a_bound_is_quoted_but_not_restated(real_embedder):
    """"Rate: 90 %" would drop the sign of "< 90 %"."""
    passages = [("Less developed regions: GNI per capita < 90 % of the EU average.", "en")]
    result = ExtractiveComposer(real_embedder, _settings()).compose(
        ComposeRequest("What rate of GNI per capita makes a region less developed?", "en", _hits(passages)))
    assert result.diagnostics["answer_type"] == "rate" and "key_fact" not in result.diagnostics
    assert result.text.splitlines()[0] == "According to the documents:" and "< 90 %" in result.text


def test_a_value_in_a_weakly_matching_sentence_is_quoted_but_not_restated(real_embedder):
    """The same rate sentence is restated while it scores above `key_fact_min_score` and only quoted under it."""
    passages = [("The EU co-financing rate may not exceed 85 % for less developed regions.", "en")]
    request = ComposeRequest("What is the co-financing rate for less developed regions?", "en", _hits(passages))
    sure = ExtractiveComposer(real_embedder, _settings()).compose(request)
    score = sure.diagnostics["best_sentence_score"]
    assert sure.diagnostics["key_fact"] == "Rate: 85% [1]"
    unsure = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=score + 0.01)).compose(request)
    assert "key_fact" not in unsure.diagnostics and unsure.text.splitlines()[0] == "According to the documents:"
    assert _quoted(unsure.text) == _quoted(sure.text)


def test_a_change_in_percentage_points_is_quoted_but_not_restated_as_a_rate(real_embedder):
    passages = [("The maximum rates are raised by 10 percentage points for priorities implemented entirely through "
                 "community-led local development.", "en")]
    result = ExtractiveComposer(real_embedder, _settings()).compose(ComposeRequest(
        "By how much is the maximum rate raised for community-led local development?", "en", _hits(passages)))
    assert result.diagnostics["answer_type"] == "rate" and "key_fact" not in result.diagnostics
    assert "10 percentage points" in result.text


def test_a_value_is_restated_only_from_the_first_passage_stating_one(real_embedder):
    """A lower passage's figure that outscores a higher passage's by a hair is quoted, not restated; with no
    value in the passages above it, it is restated (the issue's Greek date question above)."""
    passages = [("The Cohesion Fund rate for technical assistance is 6 % of the amount.", "en"),
                ("For ESF+ support the share for technical assistance of a Member State is 4 %.", "en")]
    question = "What share of ESF+ support can go to technical assistance of a Member State?"
    composer = ExtractiveComposer(real_embedder, _settings())
    result = composer.compose(ComposeRequest(question, "en", _hits(passages)))
    assert "4 %" in result.text and "key_fact" not in result.diagnostics
    alone = composer.compose(ComposeRequest(question, "en", _hits([("Beneficiaries are listed in Annex I.", "en"),
                                                                    passages[1]])))
    assert alone.text.splitlines()[0] == "Rate: 4% [1]" and [c.doc_id for c in alone.citations] == ["d1"]


def test_a_near_tie_goes_to_the_passage_the_search_ranked_higher(real_embedder):
    """The lower passage's sentence scores a little better (without the penalty it is quoted); a sentence must
    beat the passages above its own by the penalty per place."""
    passages = [("Projects are chosen by the managing authority.", "en"),
                ("The managing authority chooses the projects.", "en")]

    def cited(penalty: float) -> list[str]:
        settings = _settings(passage_rank_penalty=penalty, max_untyped_quotes=1)
        result = ExtractiveComposer(real_embedder, settings).compose(
            ComposeRequest("Who selects the projects?", "en", _hits(passages)))
        return [c.doc_id for c in result.citations]

    assert cited(0.0) == ["d1"]
    assert cited(0.01) == ["d0"]


def test_a_sentence_on_another_region_category_does_not_answer_a_question_on_one(real_embedder):
    """A worked example for transition regions reads much like a question on less developed regions, in any
    language; the question names the category, so the sentence on another one loses its place
    (qa/data/glossary/contrasts.yaml)."""
    passages = [("Example: if the same project runs in a transition region at a rate of 60 %, the EU contributes up "
                 "to EUR 240 000 of the project.", "en"),
                ("The co-financing rate of each priority may not exceed: • 85 % for less developed regions; • 60 % for "
                 "transition regions; • 40 % for more developed regions.", "en")]
    question = "Каква е максималната ставка на съфинансиране от ЕС за проект в по-слабо развит регион?"

    def quoted(penalty: float) -> list[str]:
        # The sentence on transition regions is also off the question's subject (the test below); held apart here.
        settings = _settings(contrast_penalty=penalty, off_subject_penalty=0.0)
        result = ExtractiveComposer(real_embedder, settings).compose(ComposeRequest(question, "bg", _hits(passages)))
        return _quoted(result.text)

    assert any("transition region at a rate of 60 %" in q for q in quoted(0.0))
    assert quoted(_settings().contrast_penalty) == [
        "- “The co-financing rate of each priority may not exceed: 85 % for less developed regions;” (en) [1]"]


def test_a_value_already_stated_above_is_still_restated(real_embedder):
    """Only another value in a passage ranked higher silences the key-fact line, not the same one."""
    passages = [("The rate for less developed regions may reach 85 %.", "en"),
                ("The maximum EU co-financing rate for less developed regions is 85 %.", "en")]
    result = ExtractiveComposer(real_embedder, _settings()).compose(ComposeRequest(
        "What is the maximum EU co-financing rate for less developed regions?", "en", _hits(passages)))
    assert result.text.splitlines()[0].startswith("Rate: 85")


def test_a_question_without_a_type_has_no_key_fact_line(real_embedder):
    question = "What does the regulation say about beneficiaries?"
    result = ExtractiveComposer(real_embedder, _settings()).compose(
        ComposeRequest(question, "en", _hits([("Beneficiaries may be municipalities, NGOs and social enterprises "
                                               "that run the project.", "en")])))
    assert result.text.splitlines()[0] == "According to the documents:"
    assert "answer_type" not in result.diagnostics and "key_fact" not in result.diagnostics


def test_a_question_stating_its_own_figures_gets_no_key_fact_line(real_embedder):
    """It asks for a calculation: a value restated from a quote would answer another project."""
    passages = [("For a project of 120 000 EUR at 85 %, the EU pays 102 000 EUR.", "en")]
    question = "A project costs 150 000 euro. How much EU money can we get?"
    result = ExtractiveComposer(real_embedder, _settings()).compose(ComposeRequest(question, "en", _hits(passages)))
    assert result.text.splitlines()[0] == "According to the documents:" and "key_fact" not in result.diagnostics
    assert result.diagnostics["answer_type"] == "amount" and "102 000 EUR" in result.text


# --- page-exact citations: a citation gives the page of its quoted sentence, not the chunk's first page -------

def _two_page_hit() -> SearchHit:
    first = "Rates › Article 112\nProgrammes are adopted by the Commission after a dialogue with the Member State."
    second = "The EU co-financing rate may not exceed 85 % for less developed regions."
    text = f"{first} {second}"
    return SearchHit(doc_id="cpr", title="CPR", source="cpr.pdf", page_start=11, page_end=12, section="Article 112",
                     language="en", score=0.9, text=text,
                     page_breaks=[[len("Rates › Article 112\n"), 11], [len(first) + 1, 12]])


def test_units_know_their_page():
    pages = {u.text: u.page for u in _units(_two_page_hit(), 0)}
    assert pages == {
        "Programmes are adopted by the Commission after a dialogue with the Member State.": 11,
        "The EU co-financing rate may not exceed 85 % for less developed regions.": 12,
    }
    # a payload written before page breaks were stored: the chunk's first page, as before
    old = _two_page_hit().model_copy(update={"page_breaks": None})
    assert {u.page for u in _units(old, 0)} == {11}


def test_a_citation_points_to_the_page_of_its_quote(real_embedder):
    result = ExtractiveComposer(real_embedder, _settings()).compose(
        ComposeRequest("What is the co-financing rate for less developed regions?", "en", [_two_page_hit()]))
    assert "85 %" in result.text
    citation, = result.citations
    assert (citation.page_start, citation.page_end) == (12, 12)


def test_a_new_source_penalty_keeps_further_quotes_in_the_cited_passage():
    # three units within the margin: the best (passage 0), one from passage 1 a little lower, one from passage 0 lower
    vectors = np.eye(3, dtype=np.float32)
    relevance = np.array([0.90, 0.89, 0.88])
    sources = [0, 1, 0]
    assert sorted(_mmr(vectors, relevance, 3, 0.7, 0.03, sources, 0.0)) == [0, 1, 2]
    assert sorted(_mmr(vectors, relevance, 3, 0.7, 0.03, sources, 0.025)) == [0, 2]


@pytest.mark.parametrize("penalty, chosen", [(0.02, [0, 2]), (0.0, [0, 1, 2])])
def test_a_value_from_another_passage_is_quoted_only_when_it_scores_close_to_the_best(real_embedder, penalty,
                                                                                      chosen):
    """A second source's value scoring just under the best one is the answer where the best is not; one further
    below (within the quoting margin all the same) states another rule."""
    texts = ["85 % for less developed regions.", "80 % for Interreg programmes.", "70 % for transition regions."]
    units = [_Unit(text, text, rank, None, 0, "en", values=find_values(text, "en")) for rank, text in enumerate(texts)]
    composer = ExtractiveComposer(real_embedder, _settings(value_new_source_penalty=penalty, max_typed_quotes=3,
                                                           sentence_margin=0.03))
    picked = composer._choose(units, np.eye(3, dtype=np.float32), np.array([0.90, 0.88, 0.895]), "rate",
                              [False] * 3)
    assert sorted(picked) == chosen


_EXAMPLE = ("Worked example", "A social-welfare centre renovates a day-care centre for EUR 650 000 with the ERDF and "
                              "puts up a permanent plaque at the entrance.")
_PLAQUE_RULE = ("Visibility", "For operations supported by the ERDF with a total cost above EUR 500 000, the "
                              "beneficiary displays a permanent plaque or billboard.")


@pytest.mark.parametrize("question, penalty, cited", [
    ("Does a day-care centre renovated with the ERDF need a permanent plaque?", 0.08, "g1.md"),
    ("Does a day-care centre renovated with the ERDF need a permanent plaque?", 0.0, "g0.md"),
    # a calculation on figures of its own is what a worked example answers
    ("We renovate a day-care centre for EUR 650 000 with the ERDF: do we need a permanent plaque?", 0.08, "g0.md"),
])
def test_a_worked_example_is_quoted_before_the_rule_only_for_a_question_stating_figures(real_embedder, question,
                                                                                        penalty, cited):
    hits = [SearchHit(doc_id=f"d{i}", title="Guide", source=f"g{i}.md", page_start=1, page_end=1, section=section,
                      language="en", score=0.9 - i / 100, text=f"{section}\n{text}")
            for i, (section, text) in enumerate([_EXAMPLE, _PLAQUE_RULE])]
    settings = _settings(worked_example_penalty=penalty, max_untyped_quotes=1, max_typed_quotes=1)
    result = ExtractiveComposer(real_embedder, settings).compose(ComposeRequest(question, "en", hits))
    assert [c.source for c in result.citations] == [cited]


_OTHER_EXAMPLE = ("Exemple chiffré", "Une association d'une région ultrapériphérique présente un projet social de "
                                     "200 000 EUR de dépenses éligibles ; l'UE verse au plus 170 000 EUR.", "fr")
_SAME_FIGURES = ("Пример", "Некоммерческая организация в менее развитом регионе реализует проект. Приемлемые расходы "
                           "составляют 120 000 евро, ставка 85 %. Вклад ЕС составит не более 102 000 евро.", "ru")


@pytest.mark.parametrize("bonus, cited", [(0.1, "g1.md"), (0.0, "g0.md")])
def test_a_passage_stating_the_questions_figures_answers_it(real_embedder, bonus, cited):
    """Of two worked examples, the one computing the figures the question states answers it, though another
    sounds closer; the question's amount is written the Romanian way ("120 000 de euro")."""
    question = ("Un ONG dintr-o regiune mai puțin dezvoltată are un proiect de 120 000 de euro. "
                "Cât poate primi de la UE?")
    hits = [SearchHit(doc_id=f"d{i}", title="Guide", source=f"g{i}.md", page_start=1, page_end=1, section=section,
                      language=language, score=0.9 - i / 100, text=f"{section}\n{text}")
            for i, (section, text, language) in enumerate([_OTHER_EXAMPLE, _SAME_FIGURES])]
    settings = _settings(stated_figure_bonus=bonus, max_untyped_quotes=1, max_typed_quotes=1)
    result = ExtractiveComposer(real_embedder, settings).compose(ComposeRequest(question, "ro", hits))
    assert [c.source for c in result.citations] == [cited]


@pytest.mark.parametrize("question, penalty, cited", [
    ("What is the maximum subsidy rate under the Dutch ESF subsidy regulation?", 0.08, "g1.md"),
    ("What is the maximum subsidy rate under the Dutch ESF subsidy regulation?", 0.0, "g0.md"),
    ("What is the maximum ESF subsidy rate?", 0.08, "g0.md"),  # a question naming no country
])
def test_a_question_naming_a_country_is_answered_from_that_countrys_document(real_embedder, question, penalty,
                                                                             cited):
    """The EU-wide sentence reads closer; the national regulation's answers a question on the national rules."""
    passages = [("The maximum ESF subsidy rate is 85 % of eligible costs in less developed regions.", None),
                ("Under this regulation the subsidy is at most 50 % of the eligible costs.", "NL")]
    hits = [SearchHit(doc_id=f"d{i}", title="Guide", source=f"g{i}.md", page_start=1, page_end=1, section=None,
                      language="en", country=country, score=0.9 - i / 100, text=text)
            for i, (text, country) in enumerate(passages)]
    settings = _settings(other_country_penalty=penalty, max_untyped_quotes=1, max_typed_quotes=1)
    result = ExtractiveComposer(real_embedder, settings).compose(ComposeRequest(question, "en", hits))
    assert [c.source for c in result.citations] == [cited]


@pytest.mark.parametrize("bonus, cited", [(0.03, "g0.md"), (0.0, "g1.md")])
def test_a_question_naming_an_article_is_answered_from_that_articles_passage(real_embedder, bonus, cited):
    """Article 50's sentence reads closer (it cites articles and letters too); Article 4's own passage answers."""
    question = "Was regelt Buchstabe m von Artikel 4 Absatz 1 der ESF+-Verordnung?"
    passages = [("Artikel 4 – Spezifische Ziele", "Buchstabe m betrifft die Bekämpfung materieller Deprivation durch "
                                                  "Nahrungsmittel und materielle Basisunterstützung."),
                ("Artikel 50 – Sichtbarkeit", "Eine dauerhafte Erläuterungstafel ist bei ESF+-Vorhaben mit materiellen "
                                              "Investitionen ab Gesamtkosten von mehr als 100 000 EUR Pflicht (Artikel "
                                              "50 Absatz 1 Buchstabe b).")]
    hits = [SearchHit(doc_id=f"d{i}", title="ESF+-Verordnung", source=f"g{i}.md", page_start=1, page_end=1,
                      section=section, language="de", score=0.9 - i / 100, text=text)
            for i, (section, text) in enumerate(passages)]
    settings = _settings(asked_article_bonus=bonus, max_untyped_quotes=1)
    result = ExtractiveComposer(real_embedder, settings).compose(ComposeRequest(question, "de", hits))
    assert [c.source for c in result.citations] == [cited]


@pytest.mark.parametrize("on", [True, False])
def test_a_scene_setting_best_sentence_brings_its_passages_value(real_embedder, on):
    """The best sentence restates the question's project and states no amount of its own; the sentence of its
    passage that does is the answer."""
    question = ("How much EU money can a municipality in a less developed region get for a EUR 400 000 community "
                "care project?")
    text = ("Worked example\nA municipality in a less developed region plans a community care project with EUR 400 000 "
            "of eligible costs. The priority applies the 85 % rate to total eligible costs.\n"
            "- EU contribution (85 %): EUR 340 000")
    hits = [SearchHit(doc_id="d0", title="Guide", source="g0.md", page_start=1, page_end=1, section="Worked example",
                      language="en", score=0.9, text=text)]
    settings = _settings(value_from_best_passage=on, max_untyped_quotes=1)
    result = ExtractiveComposer(real_embedder, settings).compose(ComposeRequest(question, "en", hits))
    assert ("EUR 340 000" in result.text) is on, result.text


@pytest.mark.parametrize("question, first", [
    ("From which date can expenditure be eligible?", "g1.md"),  # the end date answers nothing here
    ("Until which date can expenditure be eligible?", "g0.md"),
])
def test_a_date_ending_something_does_not_answer_a_question_asking_from_when(real_embedder, question, first):
    passages = [("Expenditure is eligible if it is incurred and paid by 31 December 2029.", "en"),
                ("Expenditure incurred between 1 January 2021 and 31 December 2029 is eligible.", "en")]
    settings = _settings(max_typed_quotes=1, key_fact_min_score=0.0)
    result = ExtractiveComposer(real_embedder, settings).compose(ComposeRequest(question, "en", _hits(passages)))
    assert [c.source for c in result.citations] == [first]



_GDP_BAND = ("Article 108(2) sorts the regions by their GDP per head compared with the EU average:\n"
             "- less developed regions: below 75 % of the average;\n- transition regions: between 75 % and 100 %.")
_RATES = "The co-financing rate may not exceed 85 % for less developed regions and 60 % for transition regions."


@pytest.mark.parametrize("band, rates, question, band_quoted", [
    ("Less developed regions: below 75 % of the average.", "Priorities in less developed regions receive up to 85 %.",
     "What is the maximum rate for less developed regions?", False),
    # the band's own words name no average: the sentence introducing its list does
    (_GDP_BAND, _RATES, "What is the maximum rate for transition regions?", False),
    # a question on the threshold itself asks for the rate measured against the average
    (_GDP_BAND, _RATES, "Below what share of the average GDP is a region less developed?", True),
])
def test_a_rate_measured_against_an_average_answers_only_a_question_on_the_average(real_embedder, band, rates,
                                                                                   question, band_quoted):
    settings = _settings(max_typed_quotes=1, max_untyped_quotes=1)
    result = ExtractiveComposer(real_embedder, settings).compose(
        ComposeRequest(question, "en", _hits([(band, "en"), (rates, "en")])))
    assert ("75 %" in result.text) is band_quoted and len(_quoted(result.text)) == 1


def test_a_question_on_the_average_gets_the_threshold_restated(real_embedder):
    threshold = "The threshold for less developed regions is 75 % of the EU average GDP per head."
    result = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0)).compose(
        ComposeRequest("Below what share of the average GDP is a region less developed?", "en",
                       _hits([(threshold, "en"), ("Priorities in less developed regions receive up to 85 %.", "en")])))
    assert result.diagnostics.get("key_fact", "").startswith("Rate: 75%")


# --- the glossary's terms score sentences in another language than the question's --------------------------------

_CPR_RATES = ("Article 112 Détermination des taux de cofinancement\n"
              "Le taux de cofinancement au titre du Fonds de cohésion au niveau de chaque priorité n’excède pas 85 %. "
              "Le taux de cofinancement au titre de l’objectif «Investissement pour l’emploi et la croissance» au "
              "niveau de chaque priorité n’excède pas: a) 85 % pour les régions moins développées; b) 70 % pour les "
              "régions en transition; c) 40 % pour les régions plus développées.")
_CPR_TRANSFERS = ("Annexe XXVI\nLe plafond des transferts est fixé comme suit: a) pour les États membres dont le RNB "
                  "moyen par habitant est inférieur à 55 % de la moyenne de l'UE à 27: 2,3 % de leur PIB; b) pour "
                  "les États membres dont le RNB moyen par habitant est égal ou supérieur à 68 % de la moyenne: "
                  "1,5 % de leur PIB.")


def _cpr_hits() -> list[SearchHit]:
    return [SearchHit(doc_id=f"cpr{i}", title="Règlement (UE) 2021/1060", source="cpr.pdf", page_start=90 + i,
                      page_end=90 + i, section=text.split("\n")[0], language="fr", score=0.9 - i / 100, text=text)
            for i, text in enumerate((_CPR_RATES, _CPR_TRANSFERS))]


@pytest.mark.parametrize("question, language, label", [
    ("Каква е максималната ставка на съфинансиране от ЕС за по-слабо развитите региони?", "bg", "Ставка"),
    ("Ποιο είναι το μέγιστο ποσοστό συγχρηματοδότησης για τις λιγότερο ανεπτυγμένες περιφέρειες;", "el", "Ποσοστό"),
])
def test_the_glossary_carries_the_questions_terms_to_sentences_in_another_language(real_embedder, question,
                                                                                    language, label):
    """Without words in common, a small embedder ranks a transfer ceiling "2,3 % of GDP" near "85 % for less
    developed regions"; the glossary's French terms for the concepts the question names (co-financing rate, less
    developed regions) are in the right sentence only."""
    result = ExtractiveComposer(real_embedder, _settings()).compose(ComposeRequest(question, language, _cpr_hits()))
    assert " ".join(result.text.splitlines()[0].split()) == f"{label}: 85% [1]"
    assert "a) 85 % pour les régions moins développées;" in result.text
    assert "RNB" not in result.text and [c.doc_id for c in result.citations] == ["cpr0"]


def test_a_zero_is_quoted_but_never_restated(real_embedder):
    """'0 %' fills a table's empty cells far more often than it answers; the quote stays, the line does not."""
    passages = [("Domaine d'intervention 173 Renforcement des capacités institutionnelles: coefficient pour le "
                 "calcul du soutien aux objectifs en matière de climat 0 %.", "fr")]
    question = "Quel pourcentage du soutien du domaine 173 compte pour les objectifs en matière de climat ?"
    result = ExtractiveComposer(real_embedder, _settings()).compose(ComposeRequest(question, "fr", _hits(passages)))
    assert result.diagnostics["answer_type"] == "rate" and "0 %" in result.text
    assert result.text.splitlines()[0] == "D'après les documents :" and "key_fact" not in result.diagnostics


def test_the_row_a_question_picks_is_restated_though_its_neighbours_score_close(sample_runtime):
    """The table row of the region the question names is restated; the other rows of the table score close behind
    it (within 0.02 on the sample guide) and carry other rates, which is why the window is narrow."""
    from qa.retriever import Retriever

    question = "¿Cuál es el porcentaje máximo de cofinanciación de la UE en las regiones más desarrolladas?"
    retrieval = Retriever(sample_runtime.settings, sample_runtime.store, sample_runtime.embedder).search(question)
    request = ComposeRequest(question, "es", retrieval.hits, retrieval.query_vector)
    result = ExtractiveComposer(sample_runtime.embedder, sample_runtime.settings.answer).compose(request)
    assert " ".join(result.diagnostics.get("key_fact", "").split()) == "Tasa: 40 % [1]"


# --- a long unit is quoted by the clauses that answer ---------------------------------------------------------

_RUN_TOGETHER = (
    "(1) The grant is awarded by the implementing agency to applicants whose projects meet the selection criteria "
    "set out in this regulation and in the call. (2) The eligibility period of a project lasts 24 months and begins "
    "on the date the application is submitted to the implementing agency or on a later date set in the decision. "
    "(3) The beneficiary keeps all documents of the project for five years from the end of the year of the final "
    "payment, unless state aid rules provide otherwise. (4) The managing authority may check the project on the "
    "spot at any time.")


def _paged_hit(text: str, breaks: list[list[int]]) -> SearchHit:
    return SearchHit(doc_id="d0", title="Act", source="act.pdf", page_start=3, page_end=4, section=None,
                     language="en", score=0.9, text=text, page_breaks=breaks)


def test_a_long_unit_is_quoted_by_the_paragraph_that_answers_on_the_page_it_stands(real_embedder):
    """The four paragraphs reach the composer as one unit; the answer quotes the one on documents, verbatim, with
    an ellipsis on each side, and cites the page that paragraph stands on."""
    third = _RUN_TOGETHER.index("(3)")
    hits = [_paged_hit(_RUN_TOGETHER, [[0, 3], [third, 4]])]
    question = "How long must the beneficiary keep the project's documents?"
    result = ExtractiveComposer(real_embedder, _settings()).compose(ComposeRequest(question, "en", hits))
    [quote] = _quoted(result.text)
    shown = quote.removeprefix("- ").removesuffix(" [1]")
    assert shown.startswith("… (3) The beneficiary keeps all documents") and shown.endswith("otherwise. …")
    assert "(1)" not in shown and "(2)" not in shown
    assert shown.strip("… ") in _RUN_TOGETHER
    assert (result.citations[0].page_start, result.citations[0].page_end) == (4, 4)
    # the passage itself stays whole in the citation, for the asker who reads on
    assert result.citations[0].text == _RUN_TOGETHER


def test_a_restated_value_is_always_in_the_excerpt(real_embedder):
    """Without the typed bonus the definition in (1) is the clause closest to the question; the line restates
    the 24 months of (3), so (3) is shown too: a restated value the quote does not show could not be checked."""
    text = ("(1) The eligibility period of a project is the period in which its costs may be incurred and paid, as set "
            "out in the decision on the application and in the call for proposals. (2) The beneficiary keeps all "
            "documents of the project for the period the managing authority sets, unless state aid rules provide "
            "otherwise. (3) The period lasts 24 months. (4) The managing authority may check the project on the spot "
            "at any time during that period.")
    result = ExtractiveComposer(real_embedder, _settings(typed_bonus=0.0)).compose(
        ComposeRequest("How long is the eligibility period of a project?", "en", [_paged_hit(text, [[0, 3]])]))
    assert result.diagnostics["key_fact"] == "Period: 24 months [1]"
    [quote] = _quoted(result.text)
    assert "(3) The period lasts 24 months." in quote and len(quote) < len(text)


def test_a_limit_of_zero_quotes_units_whole(real_embedder):
    hits = [_paged_hit(_RUN_TOGETHER, [[0, 3]])]
    question = "How long is the eligibility period of a project?"
    result = ExtractiveComposer(real_embedder, _settings()).compose(ComposeRequest(question, "en", hits))
    [quote] = _quoted(result.text)
    assert quote.startswith("- … (2) The eligibility period of a project lasts 24 months")
    whole = ExtractiveComposer(real_embedder, _settings(quote_max_chars=0)).compose(
        ComposeRequest(question, "en", hits))
    assert _quoted(whole.text) == [f"- {_RUN_TOGETHER[:-1]} [1]."]


def test_a_list_item_is_quoted_after_the_sentence_introducing_it(real_embedder):
    """"debit interest;" alone reads as an eligible cost; its list says the opposite. The first quoted item of a
    list is shown after its introducing sentence on one line, with an ellipsis where items are left out between
    them; an introducing sentence that is quoted itself is not repeated."""
    text = ("Never eligible are, among others:\n\n- fines and financial penalties;\n- debit interest, except for "
            "interest subsidies;\n- the purchase of land for more than 10 % of the eligible costs.")
    result = ExtractiveComposer(real_embedder, _settings()).compose(
        ComposeRequest("Is debit interest an eligible cost?", "en", [hit(text)]))
    quoted = _quoted(result.text)
    assert quoted[0] == "- Never eligible are, among others: … debit interest, except for interest subsidies [1]."
    assert sum("Never eligible" in q for q in quoted) == 1
    first = ExtractiveComposer(real_embedder, _settings()).compose(
        ComposeRequest("Are fines and financial penalties eligible?", "en", [hit(text)]))
    assert _quoted(first.text)[0] == "- Never eligible are, among others: fines and financial penalties [1]."


def test_a_value_from_a_passage_not_naming_the_questions_subject_is_quoted_not_restated(real_embedder):
    """"What is the maximum rate of indirect costs?" is not answered by the co-financing rate of a passage that
    never names indirect costs: quoted, since it is the best there is, but not restated. A broad concept the
    question names ("operation", qa/data/glossary/broad.yaml) is not held to: passages seldom repeat it."""
    passages = [("The priority applies a rate of 85 % to total eligible costs.", "en")]
    composer = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0))
    other = composer.compose(ComposeRequest("Какъв е максималният процент на непреките разходи?", "bg",
                                            _hits(passages)))
    assert "85 %" in other.text and "key_fact" not in other.diagnostics
    named = composer.compose(ComposeRequest("Какъв е максималният процент на непреките разходи?", "bg", _hits(
        [("Indirect costs may be covered by a flat rate of up to 7 % of eligible direct costs.", "en")])))
    assert named.diagnostics.get("key_fact", "").startswith("Ставка: 7")
    broad = composer.compose(ComposeRequest("What rate applies to the costs of an operation?", "en",
                                            _hits(passages)))
    assert broad.diagnostics.get("key_fact", "").startswith("Rate: 85")


_INDIRECT = "Indirect costs are declared as a flat rate of the direct staff costs of the operation."
_CLAIMS = "The beneficiary declares the costs of the operation in each payment claim it submits."


@pytest.mark.parametrize("question, rule, cited", [
    ("How are indirect costs declared?", True, ["g0.md"]),  # the second passage never names indirect costs
    ("How are indirect costs declared?", False, ["g0.md", "g1.md"]),
    ("Who declares the costs of an operation?", True, ["g0.md", "g1.md"]),  # "operation" is a broad concept
])
def test_a_further_quote_comes_only_from_a_passage_naming_the_questions_subject(real_embedder, question, rule,
                                                                                  cited):
    """A passage that never names what the question is about ("indirect costs") resembles it and no more: it is
    another source for the asker to check, and cites nothing that answers."""
    settings = _settings(further_quote_named_subject=rule, sentence_margin=1.0, max_untyped_quotes=2,
                         untyped_quotes_not_below_best=False)
    result = ExtractiveComposer(real_embedder, settings).compose(
        ComposeRequest(question, "en", _hits([(_INDIRECT, "en"), (_CLAIMS, "en")])))
    assert sorted(c.source for c in result.citations) == cited


@pytest.mark.parametrize("passages, rule, cited", [
    ([_CLAIMS, _INDIRECT], True, ["g0.md"]),  # the other passage is ranked below the best sentence's
    ([_CLAIMS, _INDIRECT], False, ["g0.md", "g1.md"]),
    ([_INDIRECT, _CLAIMS], True, ["g0.md", "g1.md"]),  # the search ranks the other passage above it
])
def test_a_further_quote_asking_no_value_comes_from_no_passage_ranked_below_the_best_quotes(real_embedder, passages,
                                                                                           rule, cited):
    """With no value asked for, a second source adds no fact to compare: a passage ranked below the best sentence's
    resembles the question more often than it answers it, while one the search trusts more may answer where the
    best sentence does not."""
    settings = _settings(untyped_quotes_not_below_best=rule, sentence_margin=1.0, max_untyped_quotes=2)
    result = ExtractiveComposer(real_embedder, settings).compose(
        ComposeRequest("Who declares the costs of an operation?", "en", _hits([(p, "en") for p in passages])))
    assert result.diagnostics["answer_type"] == "who"  # no value asked for
    assert sorted(c.source for c in result.citations) == cited


_FLAT_RATES = "Indirect costs may be covered by a flat rate of up to 7 % of eligible direct costs."
_NEVER = "Nooit subsidiabel zijn onder meer: btw, behalve bij operaties met totale kosten onder EUR 5 000 000."


@pytest.mark.parametrize("penalty, first", [(0.08, "g1.md"), (0.0, "g0.md")])
def test_a_passage_naming_the_questions_subject_is_quoted_before_one_that_only_sounds_closer(real_embedder, penalty,
                                                                                              first):
    """"Is VAT an eligible cost?" is answered by the list that names VAT, in Dutch, not by the English flat rates
    that share the question's words and language but never name VAT."""
    settings = _settings(off_subject_penalty=penalty)
    result = ExtractiveComposer(real_embedder, settings).compose(
        ComposeRequest("Is VAT an eligible cost?", "en", _hits([(_FLAT_RATES, "en"), (_NEVER, "nl")])))
    assert result.citations[0].source == first


@pytest.mark.parametrize("country, restated", [("CY", False), ("EL", True), (None, True)])
def test_a_value_from_another_countrys_document_is_quoted_not_restated(real_embedder, country, restated):
    """A question on Greece is not answered by the budget of a Cypriot call, however alike the two read; an
    EU-wide document (no country) may answer it."""
    passage = SearchHit(doc_id="d0", title="Call for social workers", source="g0.md", page_start=1, page_end=1,
                        section=None, language="en", score=0.9, country=country,
                        text="The total budget of the call for social workers is EUR 11 000 000.")
    composer = ExtractiveComposer(real_embedder, _settings(key_fact_min_score=0.0))
    result = composer.compose(ComposeRequest("How much money does Greece receive for the call for social workers?",
                                             "en", [passage]))
    assert "11 000 000" in result.text
    assert ("key_fact" in result.diagnostics) is restated
