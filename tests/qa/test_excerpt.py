"""Excerpts of long units: cut between clauses, grown by the better neighbour, marked where the unit goes on."""

from __future__ import annotations

from qa.compose.excerpt import ELLIPSIS, Clause, clauses, excerpt_span, render

PARAGRAPHS = ("(1) Support is granted by the agency. (2) The project lasts 24 months; it starts on the date of the "
              "decision. (3) Documents are kept for five years.")


def _texts(text: str, limit: int, max_words: int = 25) -> list[str]:
    return [piece.text(text) for piece in clauses(text, limit, max_words)]


def test_a_unit_is_cut_after_semicolons_and_sentence_ends_and_before_numbered_paragraphs():
    assert _texts(PARAGRAPHS, 400) == ["(1) Support is granted by the agency.", "(2) The project lasts 24 months;",
                                       "it starts on the date of the decision.",
                                       "(3) Documents are kept for five years."]
    # a point label opens a clause too, and a colon closes one
    assert _texts("The costs are: a) staff costs b) travel costs", 400) == [
        "The costs are:", "a) staff costs", "b) travel costs"]


def test_a_long_sentence_stays_whole_up_to_twice_the_limit():
    sentence = "Where the total cost of an operation does not exceed EUR 200 000, the contribution takes the form " \
               "of unit costs, lump sums or flat rates, except for operations that are state aid."
    assert _texts(sentence, len(sentence) // 2 + 1) == [sentence]
    # past it, the sentence is cut after its commas
    assert _texts(sentence, len(sentence) // 3) == [
        "Where the total cost of an operation does not exceed EUR 200 000,",
        "the contribution takes the form of unit costs,", "lump sums or flat rates,",
        "except for operations that are state aid."]


def test_a_flattened_table_with_no_punctuation_is_cut_into_runs_of_words():
    row = "Less developed 85 % Transition 60 % More developed 40 % Outermost 85 % Interreg 80 % "
    table = (row * 4).strip()
    pieces = clauses(table, 100, 8)
    assert all(len(piece.text(table).split()) <= 8 for piece in pieces)
    assert " ".join(piece.text(table) for piece in pieces) == table


def test_the_excerpt_grows_from_the_best_clause_by_neighbours_that_answer_nearly_as_well_within_the_limit():
    pieces = [Clause(0, 100), Clause(101, 200), Clause(201, 300), Clause(301, 400)]
    assert excerpt_span(pieces, [0.1, 0.5, 0.9, 0.2], limit=200, margin=1) == (1, 2)
    assert excerpt_span(pieces, [0.1, 0.5, 0.9, 0.6], limit=200, margin=1) == (2, 3)
    assert excerpt_span(pieces, [0.1, 0.5, 0.9, 0.6], limit=99, margin=1) == (2, 2)  # the best alone, however long
    assert excerpt_span(pieces, [0.1, 0.5, 0.9, 0.6], limit=400, margin=1) == (0, 3)
    # a neighbour scoring more than the margin below the best one is left out, with room to spare
    assert excerpt_span(pieces, [0.1, 0.85, 0.9, 0.6], limit=400, margin=0.1) == (1, 2)
    # the clause holding a restated value is shown, however the others score
    assert excerpt_span(pieces, [0.1, 0.5, 0.9, 0.6], limit=100, margin=1, anchor=0) == (0, 0)


def test_the_items_a_clause_introduces_follow_it_whatever_they_score():
    text = "Art. 5. The following costs are ineligible: fines; penalties; legal costs. Other rules apply."
    pieces = clauses(text, 400, 25)
    assert [p.introduces for p in pieces] == [True, False, False, False, False]
    scores = [0.9, 0.3, 0.3, 0.3, 0.1]
    assert render(text, pieces, *excerpt_span(pieces, scores, limit=60, margin=0.05)) == (
        f"Art. 5. The following costs are ineligible: fines; {ELLIPSIS}")


def test_render_marks_each_side_where_the_unit_goes_on_and_keeps_the_source_characters():
    pieces = clauses(PARAGRAPHS, 400, 25)
    assert render(PARAGRAPHS, pieces, 1, 2) == (
        f"{ELLIPSIS} (2) The project lasts 24 months; it starts on the date of the decision. {ELLIPSIS}")
    assert render(PARAGRAPHS, pieces, 0, 0) == f"(1) Support is granted by the agency. {ELLIPSIS}"
    assert render(PARAGRAPHS, pieces, 0, len(pieces) - 1) == PARAGRAPHS


def test_a_full_stop_ends_a_clause_only_before_a_capital_and_never_after_a_digit():
    text = ("Dokumente säilitatakse viis aastat lõppmakse aasta 31. detsembrist arvates. (2) Art. 5 kehtib. "
            "Ordinals end at 3. And so on.")
    assert _texts(text, 400) == ["Dokumente säilitatakse viis aastat lõppmakse aasta 31. detsembrist arvates.",
                                 "(2) Art. 5 kehtib.", "Ordinals end at 3. And so on."]
