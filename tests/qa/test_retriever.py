"""Search over the ingested sample corpus: cross-lingual hits, filters, modes, fusion."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.schema import SearchHit
from common.store import Hit
from qa.retriever import FilterError, Retriever, _quotable_first, parse_filters, weighted_rrf


@pytest.fixture(scope="module")
def retriever(sample_runtime):
    return Retriever(sample_runtime.settings, sample_runtime.store, sample_runtime.embedder)


@pytest.mark.parametrize("question, guide, language", [
    # Visibility guide exists only in French.
    ("What must a beneficiary put on its website about EU support?", "visibility-rules", "en"),
    # Eligibility guide exists only in Dutch and Estonian.
    ("Jusqu'à quelle date les dépenses sont-elles éligibles ?", "eligibility-period", "fr"),
    # Eligibility again, asked in English.
    ("Until which date is expenditure eligible in the 2021-2027 period?", "eligibility-period", "en"),
])
def test_cross_lingual_question_finds_the_guide_in_another_language(retriever, question, guide, language):
    result = retriever.search(question, k=5)
    assert result.language == language
    stems = [Path(h.source).stem for h in result.hits]
    assert guide in stems, stems
    hit = result.hits[stems.index(guide)]
    assert hit.language != language and hit.section and hit.title


def test_pdf_hits_carry_pages_and_article_sections(retriever):
    result = retriever.search("Член 112 ставки на съфинансиране по-слабо развити региони", k=5,
                              filters={"language": "bg"})
    pdf_hits = [h for h in result.hits if h.source.endswith(".pdf")]
    assert pdf_hits and all(h.language == "bg" for h in result.hits)
    assert any(h.page_start and "Член 112" in (h.section or "") for h in pdf_hits)


def test_filters_restrict_results(retriever):
    result = retriever.search("co-financing rate", k=10, filters=parse_filters(["language=de", "fund=ERDF"]))
    assert result.hits and all(h.language == "de" for h in result.hits)
    nothing = retriever.search("co-financing rate", filters=parse_filters(["country=MT"]))
    assert nothing.hits == []


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_every_mode_answers_a_same_language_question(retriever, mode):
    result = retriever.search("Quel est le taux de cofinancement maximal pour les régions en transition ?",
                              k=3, mode=mode)
    assert any(Path(h.source).stem == "co-financing-rates" for h in result.hits)
    assert len({h.text for h in result.hits}) == len(result.hits)  # near-duplicates collapsed


def test_bad_filters_and_modes_are_named_errors(retriever):
    with pytest.raises(FilterError, match="unknown filter 'colour'"):
        parse_filters(["colour=blue"])
    with pytest.raises(FilterError, match="not key=value"):
        parse_filters(["fund"])
    with pytest.raises(ValueError, match="unknown search mode"):
        retriever.search("x", mode="magic")
    assert parse_filters(["country=ee", "fund=ESF+", "fund=ERDF"]) == {"country": "EE", "fund": ["ESF+", "ERDF"]}


def test_weighted_rrf_prefers_the_heavier_list():
    a = [Hit("x", 0.9, {}), Hit("y", 0.8, {})]
    b = [Hit("y", 9.0, {}), Hit("x", 1.0, {})]
    assert [h.id for h in weighted_rrf([(a, 1.0), (b, 0.1)], 60)] == ["x", "y"]
    assert [h.id for h in weighted_rrf([(a, 0.1), (b, 1.0)], 60)] == ["y", "x"]


def test_hybrid_search_keeps_the_callers_language_filter(retriever):
    """The keyword list ranks the question's language only; it must not widen a caller's language filter."""
    # k past the French chunks of the corpus: any German keyword hit fused in would show.
    result = retriever.search("Wie hoch ist der Kofinanzierungssatz für weniger entwickelte Regionen?", k=60,
                              mode="hybrid", filters=parse_filters(["language=fr"]))
    assert result.language == "de"
    assert result.hits and {h.language for h in result.hits} == {"fr"}


def test_passages_with_nothing_to_quote_come_after_every_passage_with_something():
    """A bare address or a heading alone resembles a question that names the document, and answers nothing."""
    def hit(text: str, score: float, section: str | None = None) -> SearchHit:
        return SearchHit(doc_id=text[:8], title="Opening European Funds", source="f.pdf", page_start=1, page_end=1,
                         section=section, language="en", score=score, text=text)

    hits = [hit("http://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX%3A32013R1300", 0.84),
            hit("TITRE VIII\nCADRE FINANCIER", 0.83, section="TITRE VIII"),
            hit("The Cohesion Fund supports Member States whose gross national income per head is below 90 %.", 0.82),
            hit("Member States may reduce the durability period to three years for investments of SMEs.", 0.81)]
    ordered = [h.score for h in _quotable_first(hits)]
    assert ordered == [0.82, 0.81, 0.84, 0.83]


def _passage(text: str, score: float, language: str) -> SearchHit:
    return SearchHit(doc_id=text[:12], title="Regulation (EU) 2021/1060", source="cpr.pdf", page_start=1, page_end=1,
                     section=None, language=language, score=score, text=text)


@pytest.mark.parametrize("question, language, passages", [
    # Across languages: the glossary's French legal terms for the concepts the Bulgarian question names.
    ("Каква е максималната ставка на съфинансиране за по-слабо развитите региони?", "bg",
     [("Le plafond des transferts est fixé comme suit: pour les États membres dont le RNB moyen par habitant est "
       "inférieur à 55 % de la moyenne de l'UE: 2,3 % de leur PIB.", 0.900, "fr"),
      ("Le taux de cofinancement au niveau de chaque priorité n’excède pas: a) 85 % pour les régions moins "
       "développées;", 0.895, "fr")]),
    # In the question's language: its rare word (the subject) over the words every passage shares (the topic).
    ("What is the maximum co-financing rate for Interreg programmes?", "en",
     [("The maximum co-financing rate at the level of each priority shall not exceed 85 % for less developed "
       "regions.", 0.900, "en"),
      ("The co-financing rate for Interreg programmes shall not exceed 80 %.", 0.896, "en")]),
])
def test_passages_are_put_in_order_by_the_words_they_share_with_the_question(question, language, passages):
    from common.settings import Settings

    retriever = Retriever(Settings(), store=None, embedder=None)  # ordering reads the hits' texts only
    hits = [_passage(text, score, lang) for text, score, lang in passages]
    ordered = retriever._order_by_words(hits, question, language)
    assert [h.text for h in ordered] == [passages[1][0], passages[0][0]]
    assert [h.score for h in ordered] == [passages[1][1], passages[0][1]]  # the search's scores stay
