"""Every metric on hand-computed cases: ties, empty retrieval, refusals, questions without facts or evidence."""

from __future__ import annotations

import math

import pytest

from evals.frame import answer_frame
from evals.matching import contains_fact, states_value
from evals.metrics import (
    ANSWER_METRICS, answer_metrics, facts_found, first_relevant_rank, hit_at_k, key_fact_found, latency_metrics, ndcg_at_k,
    language_pairs, percentile, quality_metrics, reciprocal_rank, retrieval_metrics, summarise, wilson_interval,
)
from evals.records import Citing, QuestionRecord, RankedHit

T, F = True, False


def _hits(relevance: list[bool], scores: list[float] | None = None) -> list[RankedHit]:
    scores = scores or [1.0 - 0.1 * i for i in range(len(relevance))]
    return [RankedHit(rank=i, doc_id=f"d{i}", source=f"s{i}", language="en", score=s, relevant=r)
            for i, (r, s) in enumerate(zip(relevance, scores), 1)]


def _record(qid: str = "q", *, language: str = "en", tags: list[str] | None = None, gold: bool = True,
            evidence: bool = True, relevance: list[bool] = (), in_index: int = 1, answerable: bool = True,
            answer_language: str = "en", content_language: str | None = None, cited: list[bool] = (),
            facts: list[bool] = (),
            search_ms: float = 10.0, ask_ms: float = 20.0) -> QuestionRecord:
    return QuestionRecord(
        id=qid, question="?", language=language, tags=tags or [], gold_answerable=gold, has_evidence=evidence,
        hits=_hits(list(relevance)), relevant_in_index=in_index, answer="a", answerable=answerable,
        composer="extractive", answer_language=answer_language,
        content_language=answer_language if content_language is None else content_language,
        citations=[Citing(n=i, doc_id=f"d{i}", relevant=r) for i, r in enumerate(cited, 1)],
        facts_found=list(facts), search_ms=search_ms, ask_ms=ask_ms,
    )


# --- ranking functions ------------------------------------------------------------------------------------------

def test_first_relevant_rank_and_hit_at_k():
    assert first_relevant_rank([F, F, T, T], 10) == 3
    assert first_relevant_rank([F, F, T], 2) is None
    assert hit_at_k([F, T], 1) == 0.0 and hit_at_k([F, T], 2) == 1.0


def test_empty_retrieval_scores_zero_everywhere():
    assert first_relevant_rank([], 10) is None
    assert hit_at_k([], 5) == 0.0
    assert reciprocal_rank([]) == 0.0
    assert ndcg_at_k([], relevant_in_index=3) == 0.0


def test_reciprocal_rank_only_looks_at_the_top_k():
    assert reciprocal_rank([F, F, F, T]) == 0.25
    assert reciprocal_rank([F] * 10 + [T]) == 0.0  # rank 11 is outside MRR@10
    assert reciprocal_rank([F, T], k=1) == 0.0


def test_ndcg_binary_gains_against_the_ideal_of_the_index():
    # One relevant chunk in the index, found at rank 2: (1/log2 3) / (1/log2 2).
    assert ndcg_at_k([F, T, F], relevant_in_index=1) == pytest.approx(1 / math.log2(3))
    # Two relevant chunks in the index, only one retrieved at rank 1: 1 / (1 + 1/log2 3).
    assert ndcg_at_k([T, F, F], relevant_in_index=2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    # Both at the top: perfect.
    assert ndcg_at_k([T, T, F], relevant_in_index=2) == pytest.approx(1.0)
    # Ranks 1 and 3 of 2 in the index: (1 + 1/2) / (1 + 1/log2 3).
    assert ndcg_at_k([T, F, T], relevant_in_index=2) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))


def test_ndcg_ideal_is_capped_at_k_and_never_below_what_was_retrieved():
    assert ndcg_at_k([T] * 10, relevant_in_index=50) == pytest.approx(1.0)
    # An index count lower than the retrieved relevant chunks (duplicates collapsed) is raised to it.
    assert ndcg_at_k([T, T], relevant_in_index=1) == pytest.approx(1.0)
    assert ndcg_at_k([F, F], relevant_in_index=0) == 0.0


def test_ties_are_judged_in_the_order_returned():
    # Equal scores: the relevant chunk came back second, so it counts at rank 2, not 1 or an average.
    tied = _record(relevance=[F, T])
    tied.hits = _hits([F, T], scores=[0.5, 0.5])
    assert tied.relevance == [F, T]
    figures = retrieval_metrics([tied])
    assert figures["recall@1"] == 0.0 and figures["mrr@10"] == 0.5
    assert figures["ndcg@10"] == pytest.approx(1 / math.log2(3))


# --- facts ------------------------------------------------------------------------------------------------------

def test_facts_match_normalised_text_and_alternatives():
    answer = "The rate is 85\u00a0% and the ceiling EUR 100 000 (Art. 63)."
    assert facts_found(answer, ["85 %", ["100.000", "100 000"], "Article 64"]) == [T, T, F]
    assert facts_found(answer, []) == []
    assert facts_found("", ["85"]) == [F]


@pytest.mark.parametrize(("text", "fact", "found"), [
    ("up to 85 % of the costs", "85%", T),              # whitespace between a number and a sign is optional
    ("up to 85% of the costs", "85 %", T),
    ("up to 85\u202f% of the costs", "85 %", T),       # NFKC: narrow no-break space
    ("by 2030 at the latest", "30", F),                # not inside a longer number
    ("as the guide says [3].", "3", F),                # not a citation marker
    ("see sources [1, 3] and [2]", "3", F),
    ("EUR 1 300 per person", "30", F),
    ("EUR 1 300 per person", "1 300", T),
    ("the content of the call", "ten", F),             # not inside a word
    ("in 2021-2027", "7", F),
    ("in 2021–2027", "2021-2027", T),                  # dashes unified
    ("RÉGIONS moins développées", "régions moins", T),  # casefolded
    ("l’Union européenne", "l'union", T),              # apostrophes unified
    ("Straße", "STRASSE", T),
    ("within 30 days [2]", "30 days", T),
    ("100000 euros", "100 000", F),                    # spaces in a fact separate numbers: give both forms
])
def test_facts_are_matched_on_token_boundaries(text, fact, found):
    assert contains_fact(text, fact) is found


@pytest.mark.parametrize("line, language, alternatives, stated", [
    ("Срок: 4 месеца [1]", "bg", ["четири", "quatre", "nelja"], True),  # a bare number word: its number
    ("Period: 6 years [1]", "en", ["kuus aastat", "six years"], True),  # a period: number and unit
    ("Period: 6 months [1]", "en", ["kuus aastat", "six years"], False),  # another unit
    ("Dauer: 4 Jahre [1]", "de", ["five", "πέντε"], False),  # another number
    ("Ставка: 85% [1]", "bg", ["85 %"], True),
    ("Ставка: 85% [1]", "bg", ["80 %"], False),
    ("According to the documents:", "en", ["five"], False),  # no value at all
    ("Anzahl: 6 [1]", "de", ["six", "sechs"], True),  # a count restated bare: no counted word follows it
    ("Aantal: 3 [1]", "nl", ["drie keer"], True),
    ("Anzahl: 7 [1]", "de", ["six"], False),
    ("Number: 85 [1]", "en", ["85 %"], False),  # a bare number is no rate
])
def test_a_key_fact_line_states_a_fact_by_its_value(line, language, alternatives, stated):
    """The line writes the value in the asker's locale, with digits; the gold fact as its source writes it."""
    assert states_value(line, language, alternatives) is stated


def test_a_key_fact_line_is_judged_by_its_text_or_its_value_against_each_fact():
    facts = [["vijf jaar", "five"], "85 %"]
    assert key_fact_found("Dauer: 5 Jahre [1]", "de", facts)  # the value of the first fact
    assert key_fact_found("Rate: 85% [1]", "en", facts)  # the text of the second
    assert not key_fact_found("Dauer: 6 Jahre [1]", "de", facts)
    assert not key_fact_found("", "de", facts)


def test_wilson_interval_matches_the_textbook_values():
    low, high = wilson_interval(0.5, 40)
    assert (round(low, 3), round(high, 3)) == (0.352, 0.648)
    low, high = wilson_interval(1.0, 20)
    assert high == 1.0 and round(low, 3) == 0.839
    assert wilson_interval(None, 0) is None and wilson_interval(0.5, 0) is None
    # Two presets 0.02 apart on 94 questions: the intervals overlap widely.
    a, b = wilson_interval(0.85, 94), wilson_interval(0.87, 94)
    assert a[1] > b[0]


def test_the_frame_is_what_was_not_copied_from_the_passages():
    passage = "Le taux de cofinancement ne dépasse pas 85 % pour les régions moins développées."
    answer = ("Според документите:\n- “Le taux de cofinancement ne dépasse pas 85 % pour les régions moins "
              "développées.” (fr) [1]\nИзточниците са на френски език.")
    frame = answer_frame(answer, [passage])
    assert "taux" not in frame and "според" in frame and "френски" in frame
    # A translated passage is no copy: it stays in the frame.
    translated = "Според документите ставката не надвишава 85 % за по-слабо развитите региони [1]."
    assert "ставката" in answer_frame(translated, [passage])
    # All copied: the whole text is judged.
    assert answer_frame(passage, [passage]) == answer_frame(passage, [])


def test_new_answer_metrics_slot_in_with_counts_and_intervals():
    names = [metric.name for metric in ANSWER_METRICS]
    assert len(set(names)) == len(names)
    summary = summarise([_record("a", facts=[T, F])], {"k": 10}, k=10)
    for name in names:
        assert set(summary["rates"][name]) == {"value", "n", "interval"}
    assert summary["rates"]["fact_recall"]["n"] == 1


# --- aggregation ------------------------------------------------------------------------------------------------

def test_retrieval_metrics_count_answerable_questions_with_evidence_only():
    records = [
        _record("a", relevance=[T, F, F], in_index=1),          # rank 1
        _record("b", relevance=[F, F, F, F, F, T], in_index=2),  # rank 6
        _record("c", relevance=[]),                              # nothing retrieved
        _record("d", gold=False, evidence=False, relevance=[F]),  # unanswerable: not judged
        _record("e", evidence=False, relevance=[F]),             # no evidence: relevance undecidable
    ]
    figures = retrieval_metrics(records)
    assert figures["recall@1"] == pytest.approx(1 / 3)
    assert figures["recall@3"] == pytest.approx(1 / 3)
    assert figures["recall@5"] == pytest.approx(1 / 3)
    assert figures["recall@10"] == pytest.approx(2 / 3)
    assert list(retrieval_metrics(records, k=5)) == ["recall@1", "recall@3", "recall@5", "mrr@5", "ndcg@5"]
    assert figures["mrr@10"] == pytest.approx((1 + 1 / 6 + 0) / 3)
    ndcg_b = (1 / math.log2(7)) / (1 + 1 / math.log2(3))
    assert figures["ndcg@10"] == pytest.approx((1 + ndcg_b + 0) / 3)


def test_answer_metrics_with_refusals():
    records = [
        # Answerable, answered, 1 of 2 facts, cites a relevant and an irrelevant chunk, framed in its own language,
        # quoting a source in another.
        _record("a", facts=[T, F], cited=[T, F], content_language="fr"),
        # Answerable but refused: no facts found, no citation; the refusal is in the asker's language.
        _record("b", answerable=False, facts=[F], cited=[], language="bg", answer_language="bg"),
        # Answerable, no facts given: left out of fact_recall; answered in English to a German question.
        _record("c", facts=[], cited=[T], language="de", answer_language="en"),
        # Unanswerable and refused: right; cites nothing.
        _record("d", gold=False, evidence=False, answerable=False),
        # Unanswerable but answered, citing a chunk: wrong; no evidence, so its citation is not judged.
        _record("e", gold=False, evidence=False, answerable=True, cited=[F]),
    ]
    figures = answer_metrics(records)
    assert figures["fact_recall"] == pytest.approx((0.5 + 0.0) / 2)
    assert figures["citation_precision"] == pytest.approx(2 / 3)  # pooled: a's 2 citations and c's 1
    assert figures["cited_rate"] == pytest.approx(2 / 3)          # a and c of the answerable a, b, c
    assert figures["language_match"] == pytest.approx(2 / 3)      # of the answered a, c, e: all but c
    assert figures["content_language_match"] == pytest.approx(1 / 3)  # only e: a quotes French, c is English
    assert figures["refusal_accuracy"] == pytest.approx(3 / 5)    # a, c, d


def test_key_fact_accuracy_judges_the_lines_shown_and_coverage_the_questions_asking_for_a_value():
    def typed(qid, line, found, answer_type="rate", **kw):
        record = _record(qid, facts=[found], **kw)
        return record.model_copy(update={"answer_type": answer_type, "key_fact": line, "key_fact_found": found,
                                         "quoted_lines": 1 if qid != "c" else 3})
    records = [
        typed("a", "Rate: 85 % [1]", True),
        typed("b", "Rate: 60 % [1]", False),
        typed("c", "", False),                        # a rate asked, no line shown: coverage only
        typed("d", "", False, answer_type="who"),     # no value asked: judged by neither
        typed("e", "Date: 1 May [1]", True, answerable=False),  # refused: not judged
        typed("f", "Amount: 650 000 € [1]", False, gold=False),  # not in the documents, yet a value restated
        typed("g", "", False, gold=False, answerable=False),    # not in the documents, refused
    ]
    figures = answer_metrics(records)
    assert figures["key_fact_accuracy"] == pytest.approx(1 / 2)  # a right, b wrong
    assert figures["key_fact_coverage"] == pytest.approx(1 / 3)  # a of a, b, c
    assert figures["key_fact_unanswerable"] == pytest.approx(1 / 2)  # f of f, g
    shape = summarise(records, {})["answer_shape"]
    assert shape == {"median_quotes": 1.0, "mean_quotes": pytest.approx(7 / 5),  # answered a, b, c, d, f
                     "quote_chars_p50": None, "quote_chars_p90": None}
    lengths = [record.model_copy(update={"quote_chars": chars}) for record, chars in
               zip(records, [[100, 300], [50], [40, 60, 900], [], [5000], [80], []])]
    shape = summarise(lengths, {})["answer_shape"]  # e and g are refused: their lines are not counted
    assert shape["quote_chars_p50"] == 80 and shape["quote_chars_p90"] == pytest.approx(540)


def test_metrics_with_nothing_to_judge_are_none_not_zero():
    unanswerable = [_record("u", gold=False, evidence=False, answerable=False)]
    figures = quality_metrics(unanswerable)
    assert all(figures[key] is None for key in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10",
                                                "fact_recall", "citation_precision", "cited_rate"))
    assert figures["refusal_accuracy"] == 1.0 and figures["language_match"] is None  # refusals are not judged
    assert quality_metrics([]) == dict.fromkeys(figures)


def test_latency_percentiles_interpolate_between_ranks():
    records = [_record(str(i), search_ms=ms, ask_ms=2 * ms) for i, ms in enumerate([10.0, 20.0, 30.0, 40.0, 100.0])]
    figures = latency_metrics(records)
    assert figures["search_p50"] == 30.0 and figures["ask_p50"] == 60.0
    assert figures["search_p95"] == pytest.approx(40 + 0.8 * 60)  # rank 0.95 * 4 = 3.8 between 40 and 100
    assert percentile([], 50) is None


def test_summary_has_exactly_the_documented_shape_and_groups():
    records = [
        _record("a", language="bg", tags=["cross-lingual", "co-financing"], relevance=[T]),
        _record("b", language="bg", tags=["co-financing"], relevance=[F, T]),
        _record("c", language="fr", tags=["unanswerable"], gold=False, evidence=False, answerable=False),
    ]
    summary = summarise(records, {"preset": "dense"})
    assert list(summary) == ["n", "n_answerable", "retrieval", "answer", "language_id", "rates", "latency_ms",
                             "answer_shape", "by_language", "by_tag", "by_language_pair", "config"]
    assert summary["n"] == 3 and summary["n_answerable"] == 2 and summary["config"] == {"preset": "dense"}
    assert list(summary["retrieval"]) == ["recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10"]
    assert list(summary["answer"]) == ["fact_recall", "citation_precision", "cited_rate", "language_match",
                                       "content_language_match", "refusal_accuracy", "key_fact_accuracy",
                                       "key_fact_coverage", "key_fact_unanswerable"]
    assert list(summary["latency_ms"]) == ["search_p50", "search_p95", "ask_p50", "ask_p95"]
    assert set(summary["by_language"]) == {"bg", "fr"}
    assert set(summary["by_tag"]) == {"cross-lingual", "co-financing", "unanswerable"}
    group_keys = [*summary["retrieval"], *summary["answer"]]
    assert all(list(group) == group_keys for group in [*summary["by_language"].values(), *summary["by_tag"].values()])
    assert summary["by_language"]["bg"]["mrr@10"] == pytest.approx(0.75)
    assert summary["by_tag"]["cross-lingual"]["recall@1"] == 1.0
    assert summary["by_tag"]["co-financing"]["recall@1"] == 0.5
    assert summary["by_tag"]["unanswerable"]["recall@1"] is None
    assert summary["by_tag"]["unanswerable"]["refusal_accuracy"] == 1.0


def test_recall_by_question_language_and_evidence_language():
    def record(qid, language, evidence_languages, relevance, **kw):
        return _record(qid, language=language, relevance=relevance, **kw).model_copy(
            update={"evidence_languages": evidence_languages})

    records = [record("a", "bg", ["fr"], [F, T]), record("b", "bg", ["fr"], [F, F, F, F, F, T]),
               record("c", "bg", ["en", "fr"], [T]), record("d", "el", ["el"], [F]),
               record("e", "el", [], [T]),  # evidence not in the index: no column to count it in
               record("f", "el", ["el"], [T], gold=False)]  # unanswerable: not judged
    assert language_pairs(records, k=5) == {
        "bg": {"en": {"n": 1, "recall": 1.0}, "fr": {"n": 3, "recall": round(2 / 3, 4)}},
        "el": {"el": {"n": 1, "recall": 0.0}},
    }
