"""The refusal threshold is fitted on one fold and graded on the other: folds by id hash, never overlapping."""

from __future__ import annotations

from evals.calibrate_refusal import best_threshold, grade
from evals.dataset import FIT_FOLD, HELD_OUT_FOLD, fold_of, held_out, load_dataset
from tests.conftest import ROOT


def test_folds_split_the_sample_set_in_two_stable_halves_with_unanswerable_questions_in_each():
    questions = load_dataset(ROOT / "evals" / "datasets" / "sample.jsonl")
    fit, held = held_out(questions, FIT_FOLD), held_out(questions)
    assert {q.id for q in fit}.isdisjoint({q.id for q in held}) and len(fit) + len(held) == len(questions)
    assert all(fold_of(q.id, 2) == HELD_OUT_FOLD for q in held)
    assert min(len(fit), len(held)) >= len(questions) // 3
    assert all(any(not q.answerable for q in part) for part in (fit, held))
    # A question's fold depends on its id only: adding questions moves no other one.
    assert [q.id for q in held_out(questions[:30])] == [q.id for q in held if q in questions[:30]]


def test_the_threshold_fitted_on_one_fold_is_graded_on_the_other():
    # (similarity, gold answerable, refused by the year check)
    fit = [(0.90, True, False), (0.86, True, False), (0.80, False, False), (0.78, False, False)]
    held = [(0.84, True, False), (0.83, False, False), (0.88, True, True)]
    threshold, kept, refused, accuracy = best_threshold(fit)
    assert accuracy == 1.0 and 0.80 < threshold <= 0.86
    # Graded on the held-out fold, the fitted threshold is no longer perfect: that is the honest figure.
    kept, refused, accuracy = grade(held, threshold)
    assert accuracy < 1.0
    assert grade(held, 0.835) == (0.5, 1.0, 2 / 3)  # the year check refuses the last one whatever the threshold
