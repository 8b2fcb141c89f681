"""Query translation for retrieval: variants searched alongside the question, and a real model translating."""

from __future__ import annotations

import pytest

from common.settings import AnswerSettings, LLMSettings
from qa.helpdesk import Helpdesk
from qa.retriever import Retriever

BG_QUESTION = "Какъв е максималният процент на съфинансиране за по-слабо развитите региони?"
EN_QUESTION = "What is the maximum co-financing rate for less developed regions?"


def test_each_passage_keeps_its_best_score_over_the_variants(sample_runtime):
    # Without the anchor bonus and the order by shared words, both computed from the question's own words after
    # merging.
    settings = sample_runtime.settings.model_copy(update={
        "search": sample_runtime.settings.search.model_copy(update={"anchor_weight": 0.0, "words_depth": 0})})
    retriever = Retriever(settings, sample_runtime.store, sample_runtime.embedder)
    alone = retriever.search(BG_QUESTION, k=5, language="bg")
    english = retriever.search(EN_QUESTION, k=5, language="en")
    both = retriever.search(BG_QUESTION, k=5, language="bg", variants=[EN_QUESTION])
    assert both.query == BG_QUESTION and both.query_vector == alone.query_vector
    best = {h.chunk_id: h.score for h in alone.hits}
    for hit in english.hits:
        best[hit.chunk_id] = max(best.get(hit.chunk_id, hit.score), hit.score)
    alone_scores = {h.chunk_id: h.score for h in alone.hits}
    # the variant finds something better: a passage the question alone did not fetch, or a higher score for one
    assert any(h.chunk_id not in alone_scores or h.score > alone_scores[h.chunk_id] for h in english.hits)
    assert both.hits[0].score == pytest.approx(max(best.values()))
    for hit in both.hits:
        if hit.chunk_id in best:
            assert hit.score == pytest.approx(best[hit.chunk_id])


def test_without_an_llm_the_setting_changes_nothing(sample_runtime):
    settings = sample_runtime.settings.model_copy(update={
        "search": sample_runtime.settings.search.model_copy(update={"translate_to": "en,fr"})})
    answer = Helpdesk(settings, sample_runtime.store, sample_runtime.embedder).ask(BG_QUESTION, composer="extractive")
    assert "query_translations" not in answer.diagnostics and answer.answerable


@pytest.mark.llm
def test_a_real_model_translates_the_question_for_retrieval(sample_runtime, small_gguf):
    settings = sample_runtime.settings.model_copy(update={
        "llm": LLMSettings(gguf=small_gguf, threads=2, context_tokens=2048, timeout_s=120),
        "answer": AnswerSettings(composer="extractive"),
        "search": sample_runtime.settings.search.model_copy(update={"translate_to": "en,bg"}),
    })
    answer = Helpdesk(settings, sample_runtime.store, sample_runtime.embedder).ask(BG_QUESTION)
    assert "translation_skipped" not in answer.diagnostics and "translate_ms" in answer.diagnostics
    translations = answer.diagnostics.get("query_translations", {})
    assert set(translations) <= {"en"}  # never into the question's own language
    assert answer.composer == "extractive"
