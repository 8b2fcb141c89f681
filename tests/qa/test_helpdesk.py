"""Asking over the bundled sample corpus: cited answers in the asker's language, refusals, follow-ups, filters."""

from __future__ import annotations

import pytest

from common.language import detect_language
from evals.matching import contains_any_fact
from qa.helpdesk import Helpdesk, QuestionError
from qa.templates import language_name, phrase

# (question, language, guide it must cite, a fact the answer must quote: a string or alternatives, matched on token
# boundaries, never a word of the question itself or a word any answer on the topic would use)
ANSWERABLE = [
    ("Какъв е максималният процент на съфинансиране за по-слабо развитите региони?", "bg", "co-financing-rates", "85 %"),
    ("What flat rate can be used to cover indirect costs?", "en", "simplified-cost-options", "7 %"),
    # The English ERDF guide states the same rule in one sentence ("... paid by 31 December 2029 (Article 63(2))").
    ("Jusqu'à quelle date les dépenses sont-elles éligibles ?", "fr", ("eligibility-period", "erdf-social-infrastructure"),
     ["31 décembre 2029", "31 december 2029", "31. detsembril 2029"]),
    ("Wie viele Stunden gelten als Jahresarbeitszeit für den Stundensatz?", "de", "simplified-cost-options", "1 720"),
    pytest.param("Welke horizontale beginselen gelden voor projecten?", "nl", "horizontal-principles", "per geslacht",
                 marks=pytest.mark.xfail(strict=True, reason="with unit vectors in the ranking (issue 11) the right "
                                         "guide is cited, but the composer quotes its opening line and a disclaimer "
                                         "instead of the principles (issue 14)")),
    ("Kui kaua peab investeering pärast lõppmakset säilima?", "et", "eligibility-period", "viie aasta"),
    ("Какая доля ESF+ должна идти на социальную интеграцию?", "ru", "esf-plus-specifics", "25 %"),
    pytest.param("Ποιος μπορεί να υποβάλει αίτηση για χρηματοδότηση από το ΕΚΤ+;", "el", "who-can-apply",
                 "ορίζεται στο πρόγραμμα και σε κάθε πρόσκληση",
                 marks=pytest.mark.xfail(strict=True, reason="the best sentence is the opening line of the section "
                                         "headed 'Who can apply?' (shared management); the one that answers stands "
                                         "in a passage the search ranks lower, no longer quoted beside it when no "
                                         "value is asked for (issue 14: HELPDESK_ANSWER_UNTYPED_QUOTES_NOT_BELOW_BEST)")),
]
OUT_OF_SCOPE = [
    ("What is the capital of France?", "en"),
    ("Quelle est la capitale de la France ?", "fr"),
    ("Какая столица Франции?", "ru"),
    ("Wat is de hoofdstad van Frankrijk?", "nl"),
    ("Коя е столицата на Франция?", "bg"),
    ("Wie viele Tore hat Messi 2012 geschossen?", "de"),
]
ANSWER_KEYS = {"question", "language", "answer", "answerable", "composer", "citations", "timings_ms"}
CITATION_KEYS = {"n", "doc_id", "title", "source", "url", "page_start", "page_end", "section", "language", "score",
                 "text"}


@pytest.fixture(scope="module")
def helpdesk(sample_runtime):
    return Helpdesk(sample_runtime.settings, sample_runtime.store, sample_runtime.embedder)


@pytest.mark.parametrize("question, lang, guide, fact", ANSWERABLE,
                         ids=[getattr(a, "values", a)[1] for a in ANSWERABLE])
def test_answers_cite_the_right_guide_in_the_askers_language(helpdesk, question, lang, guide, fact):
    answer = helpdesk.ask(question)
    assert answer.language == lang and answer.answerable and answer.composer == "extractive"
    assert opens_with_lead(answer.answer, lang) and answer.answer.endswith(phrase("contact", lang))
    assert contains_any_fact(answer.answer, [fact] if isinstance(fact, str) else fact)
    assert not contains_any_fact(question, [fact] if isinstance(fact, str) else fact)  # the question gives nothing away
    cited = {c.n: c for c in answer.citations}
    assert sorted(cited) == list(range(1, len(cited) + 1))
    guides = (guide,) if isinstance(guide, str) else guide
    assert any(g in c.source for g in guides for c in cited.values()), [c.source for c in cited.values()]
    for line in answer.answer.splitlines()[1:-1]:
        if line.startswith("- "):
            n = int(line.rsplit("[", 1)[1].split("]")[0])
            quote = line[2:].split(" [")[0].strip("“”").rstrip(".").removeprefix("… ").removesuffix(" …")
            assert " ".join(quote.split())[:50] in " ".join(cited[n].text.split()), (quote, n)
    if any(c.language != lang for c in cited.values()):
        assert phrase("other_language", lang, languages="")[:20] in answer.answer


@pytest.mark.parametrize("question, lang", OUT_OF_SCOPE, ids=[q[1] for q in OUT_OF_SCOPE])
def test_out_of_scope_questions_are_refused_in_the_askers_language(helpdesk, question, lang):
    answer = helpdesk.ask(question)
    assert not answer.answerable and answer.citations == []
    assert answer.answer.startswith(phrase("refusal", lang))
    assert detect_language(answer.answer) == lang


def test_cross_lingual_sources_are_quoted_with_their_language_named(helpdesk):
    answer = helpdesk.ask("Jusqu'à quelle date les dépenses sont-elles éligibles ?")
    foreign = [c for c in answer.citations if c.language != "fr"]
    assert foreign, "the sample corpus has this only in Dutch, Estonian and English"
    assert "(" + foreign[0].language + ")" in answer.answer
    assert language_name(foreign[0].language, "fr") in answer.answer  # "néerlandais", "anglais", named in French


@pytest.mark.parametrize("question, line", [
    # the issue's own example: the guide's section "Άρθρο 112 – Συγχρηματοδότηση και παράδειγμα" holds the rule too
    ("Μέχρι πότε είναι επιλέξιμες οι δαπάνες των προγραμμάτων 2021-2027;", "Προθεσμία: 31 Δεκεμβρίου 2029 [1]"),
    ("Vanaf wanneer zijn uitgaven subsidiabel in de programma's 2021-2027?", "Datum: 1 januari 2021 [1]"),
])
def test_a_date_question_opens_with_the_date_in_the_askers_language(helpdesk, question, line):
    assert " ".join(helpdesk.ask(question).answer.splitlines()[0].split()) == line


def test_two_turn_follow_up_carries_the_subject(helpdesk):
    first = "What is the co-financing rate for less developed regions?"
    answer = helpdesk.ask(first)
    assert "85 %" in answer.answer
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": answer.answer}]
    follow_up = helpdesk.ask("And for transition regions?", history=history)
    standalone = follow_up.diagnostics["standalone_question"]
    assert standalone.startswith("And for transition regions?") and "co-financing" in standalone
    assert follow_up.answerable and "60 %" in follow_up.answer
    assert any("co-financing-rates" in c.source for c in follow_up.citations)


def test_a_new_topic_is_not_mixed_with_the_previous_one(helpdesk):
    history = [{"role": "user", "content": "What is the co-financing rate for less developed regions?"}]
    answer = helpdesk.ask("Which horizontal principles must every programme respect under the regulation?",
                          history=history)
    assert "standalone_question" not in answer.diagnostics


def test_filters_and_explicit_language(helpdesk):
    answer = helpdesk.ask("What is the co-financing rate for less developed regions?", filters={"language": "fr"},
                          language="de")
    assert answer.language == "de" and opens_with_lead(answer.answer, "de")
    assert answer.citations and {c.language for c in answer.citations} == {"fr"}
    assert "Französisch" in answer.answer


def test_the_answer_language_is_not_taken_for_the_question_language(helpdesk):
    """A German question answered in French is still searched, stemmed and matched as German."""
    answer = helpdesk.ask("Wie hoch ist der Kofinanzierungssatz für weniger entwickelte Regionen?", language="fr",
                          mode="hybrid")
    assert answer.language == "fr" and opens_with_lead(answer.answer, "fr")
    assert answer.diagnostics.get("question_language") == "de"
    assert any(c.language == "de" for c in answer.citations)


def test_json_shape(helpdesk):
    data = helpdesk.ask("Какъв е максималният процент на съфинансиране за по-слабо развитите региони?").to_json_dict()
    assert ANSWER_KEYS <= set(data) and set(data) - ANSWER_KEYS <= {"diagnostics"}
    assert set(data["timings_ms"]) == {"detect", "embed", "search", "compose", "total"}
    assert all(set(c) == CITATION_KEYS for c in data["citations"])
    assert data["timings_ms"]["total"] >= data["timings_ms"]["compose"]


def test_every_stage_is_timed_in_order(helpdesk):
    """The answer says how long each stage took, in the order they ran; the coarse timings are sums of them."""
    answer = helpdesk.ask("What flat rate can be used to cover indirect costs?", history=[
        {"role": "user", "content": "What are simplified cost options?"}])
    stages = answer.diagnostics["stages_ms"]
    assert list(stages) == ["detect", "condense", "retrieve", "rerank", "evidence", "compose", "scrub"]
    assert all(ms >= 0 for ms in stages.values())
    assert answer.timings_ms["total"] >= sum(stages.values()) - 0.5  # each figure is rounded to 0.1 ms
    assert answer.timings_ms["compose"] == pytest.approx(
        stages["evidence"] + stages["compose"] + stages["scrub"], abs=0.3)


def test_bad_questions_are_named_errors(helpdesk):
    with pytest.raises(QuestionError, match="empty"):
        helpdesk.ask("   ")
    with pytest.raises(QuestionError, match="unknown composer"):
        helpdesk.ask("What is ESF+?", composer="poetry")


def test_answering_writes_nothing_to_the_embedding_cache(tmp_path):
    """Ingest fills the disk cache; questions embed sentences in memory only (a read-only disk must not matter)."""
    import sqlite3

    from common.runtime import Runtime
    from common.settings import Settings
    from ingest.pipeline import Ingestor

    guide = tmp_path / "guide.md"
    guide.write_text("---\ntitle: Rates\nlanguage: en\n---\n# Rates\n\nThe co-financing rate for less developed "
                     "regions is 85 %. Transition regions get 60 %. More developed regions get 40 %.\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    runtime = Runtime(settings)
    try:
        assert Ingestor(settings, runtime.store, runtime.embedder).ingest([guide]).ok

        def rows() -> int:
            with sqlite3.connect(settings.cache_dir / "embeddings.sqlite") as db:
                return db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]

        before = rows()
        answer = Helpdesk(settings, runtime.store, runtime.embedder).ask(
            "What is the co-financing rate for less developed regions?", composer="extractive")
        assert "85 %" in answer.answer
        assert rows() == before
    finally:
        runtime.close()


def opens_with_lead(text: str, language: str) -> bool:
    """The lead-in opens the answer, or follows its one-line key fact ("Ставка: 85% [1]")."""
    lines = text.splitlines()
    return lines[0] == phrase("lead", language) or (
        len(lines) > 1 and ": " in lines[0] and lines[0].endswith("]") and lines[1] == phrase("lead", language))
