"""SQuAD-format import on tiny hand-written files: corpus, gold evidence per chunk, facts, cross-lingual, limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.settings import ChunkSettings, Settings
from evals.corpus_index import index_key
from evals.matching import contains_any
from evals.squad import SquadError, import_squad
from ingest.chunker import chunk_pages
from ingest.clean import clean_pages
from ingest.loaders import load_document
from tests.evals.conftest import write_squad

DANUBE = "The Danube is the second-longest river in Europe, after the Volga. "
# Two paragraphs that open alike (the first 60 characters do not tell them apart), one long enough for two chunks.
EN = [
    ("Rivers", [
        (DANUBE + "It flows through ten countries before reaching the Black Sea.",
         [("How many countries does the Danube flow through?", "ten")]),
        (DANUBE + "Its delta is a wetland where 300 bird species nest.",
         [("How many bird species nest in the delta?", "300"), ("Where is the delta?", "wetland")]),
    ]),
    ("Bread", [
        ("Sourdough bread rises because wild yeast and lactic acid bacteria ferment the dough slowly. "
         "Bakers keep a starter alive by feeding it flour and water every day. "
         "A loaf usually proofs for eight to twelve hours in a cool room. "
         "The crust darkens in the oven because sugars caramelise above 150 degrees. "
         "Rye flour gives a denser crumb and a sharper taste than wheat flour.",
         [("How long does a sourdough loaf proof?", "eight to twelve hours"),
          ("Above what temperature do sugars caramelise?", "150 degrees"),
          ("What keeps a starter alive?", "flour and water")]),
    ]),
]
DE_QUESTIONS = [
    [("Durch wie viele Länder fließt die Donau?", "zehn")],
    [("Wie viele Vogelarten brüten im Delta?", "300"), ("Wo liegt das Delta?", "Feuchtgebiet")],
    [("Wie lange geht ein Sauerteigbrot?", "acht bis zwölf Stunden"),
     ("Ab welcher Temperatur karamellisiert Zucker?", "150 Grad"),
     ("Was hält einen Sauerteigansatz am Leben?", "Mehl und Wasser")],
]


@pytest.fixture
def files(tmp_path):
    english = write_squad(tmp_path / "xquad.en.json", EN)
    # German questions for the same paragraphs, in the same positions (the contexts are not read from it here).
    german_articles = [("Rivers", [(c, qs) for (c, _), qs in zip(EN[0][1], DE_QUESTIONS[:2])]),
                       ("Bread", [(EN[1][1][0][0], DE_QUESTIONS[2])])]
    german = write_squad(tmp_path / "xquad.de.json", german_articles)
    return english, german


@pytest.fixture
def settings(tmp_path):
    # Small chunks, so that the bread paragraph is cut in several.
    return Settings(data_dir=tmp_path / "data", chunk=ChunkSettings(size=160, overlap=40))


def _chunks(path: Path, settings: Settings) -> list[str]:
    pages = clean_pages(load_document(path, path.read_bytes()).pages, settings.ingest.header_footer_min_share)
    return [c.text for c in chunk_pages(pages, settings.chunk.size, settings.chunk.overlap)]


def test_paragraphs_become_the_corpus_and_answers_the_facts(files, settings):
    english, _ = files
    imported = import_squad(english, None, settings)
    corpus = sorted(imported.corpus.iterdir())
    assert [p.name for p in corpus] == ["p00000.txt", "p00001.txt", "p00002.txt"]
    assert corpus[2].read_text(encoding="utf-8") == EN[1][1][0][0]
    assert imported.corpus.parent == settings.data_dir / "evals" / "squad"
    questions = imported.questions
    assert [q.question for q in questions][:2] == ["How many countries does the Danube flow through?",
                                                   "How many bird species nest in the delta?"]
    assert len(questions) == 6 and all(q.answerable and q.language == "en" for q in questions)
    assert questions[4].facts == [["150 degrees"]]
    assert questions[0].tags == ["squad", "same-language"]
    assert [json.loads(line)["id"] for line in imported.dataset.read_text(encoding="utf-8").splitlines()] == \
        [q.id for q in questions]


def test_evidence_marks_every_chunk_of_the_gold_paragraph_and_nothing_else(files, settings):
    english, _ = files
    imported = import_squad(english, None, settings)
    chunks = [_chunks(path, settings) for path in sorted(imported.corpus.iterdir())]
    assert len(chunks[2]) >= 2, "the long paragraph should be cut in several chunks"
    gold_of = {0: 0, 1: 1, 2: 1, 3: 2, 4: 2, 5: 2}
    for index, question in enumerate(imported.questions):
        gold = gold_of[index]
        for paragraph, texts in enumerate(chunks):
            judged = [contains_any(text, question.evidence) for text in texts]
            assert all(judged) if paragraph == gold else not any(judged), (question.question, paragraph)
    # The two Danube paragraphs share their first 60 characters: the snippet had to grow past them.
    assert all(len(snippet) > len(DANUBE) for snippet in imported.questions[0].evidence)


def test_questions_in_another_language_over_parallel_paragraphs(files, settings):
    english, german = files
    imported = import_squad(german, english, settings)
    same = import_squad(english, None, settings)
    assert imported.corpus == same.corpus  # one corpus, so one index, for every question language
    questions = imported.questions
    assert questions[0].question == "Durch wie viele Länder fließt die Donau?"
    assert questions[0].language == "de" and questions[0].tags == ["squad", "cross-lingual"]
    assert questions[0].evidence == same.questions[0].evidence
    # The German answer and the English one at the same position: either counts.
    assert questions[3].facts == [["acht bis zwölf Stunden", "eight to twelve hours"]]


def test_a_chunk_repeated_in_another_paragraph_is_no_evidence(settings, tmp_path):
    shared = "The Volga is the longest river in Europe and flows into the Caspian Sea near the city of Astrakhan."
    rest = "Its basin covers about a third of the European part of Russia and feeds many reservoirs."
    path = write_squad(tmp_path / "repeat.json", [("Rivers", [(f"{shared} {rest}", [("How big is the basin?", "a third")]),
                                                        (shared, [("Where does the Volga end?", "Caspian Sea")])])])
    imported = import_squad(path, None, settings)
    basin, mouth = imported.questions
    first, second = _chunks(sorted(imported.corpus.iterdir())[0], settings)
    assert not contains_any(first, basin.evidence) and contains_any(second, basin.evidence)
    assert mouth.evidence == [shared]  # nothing else tells the repeated paragraph apart


def test_limit_spreads_the_questions_over_the_file(files, settings):
    english, _ = files
    imported = import_squad(english, None, settings, limit=3)
    assert [q.question for q in imported.questions] == [
        "How many countries does the Danube flow through?", "Where is the delta?",
        "Above what temperature do sugars caramelise?"]
    assert imported.dataset.name.endswith("-limit3.jsonl")


def test_a_second_import_leaves_the_corpus_and_its_index_key_unchanged(files, settings):
    english, _ = files
    first = import_squad(english, None, settings)
    key = index_key(first.corpus, settings)
    stamps = [p.stat().st_mtime_ns for p in sorted(first.corpus.iterdir())]
    second = import_squad(english, None, settings, limit=2)
    assert index_key(second.corpus, settings) == key
    assert [p.stat().st_mtime_ns for p in sorted(second.corpus.iterdir())] == stamps


def test_files_that_are_not_squad_or_not_parallel_are_refused(files, settings, tmp_path):
    english, _ = files
    shorter = write_squad(tmp_path / "short.json", [EN[1]])
    with pytest.raises(SquadError, match="not parallel"):
        import_squad(english, shorter, settings)
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": [{"title": "x"}]}', encoding="utf-8")
    with pytest.raises(SquadError, match="not a SQuAD"):
        import_squad(broken, None, settings)
