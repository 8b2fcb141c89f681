"""The CI evaluation over real regulations: the held-out half of the shared set over ../shared/corpus must stay
above measured figures (skipped where ../shared is absent).

Ingesting the whole shared corpus takes a minute or two on two cores; it is the only test that reads every document
of it, and the only guard of the answer's figures on real regulations, where issue 14's targets are set."""

from __future__ import annotations

import json

import pytest

from common.runtime import Runtime
from common.settings import Settings
from evals.corpus_index import open_corpus_index
from evals.dataset import held_out, load_dataset
from evals.runner import run_preset
from tests.conftest import ROOT, SHARED_CORPUS, needs_shared

SHARED_DATASET = ROOT / "evals" / "datasets" / "shared.jsonl"

pytestmark = [needs_shared(), pytest.mark.shared]

# The held-out fold (evals.dataset.HELD_OUT_FOLD, 55 questions): no threshold or weight was fitted on it. Each
# floor is about 0.05 under what it measured with the default settings and the extractive composer at the
# twenty-fourth stop (README, "Where the figures stand"): recall@1 0.556, @5 0.822, fact recall 0.689, citation
# precision 0.625, refusal accuracy 0.855, key-fact lines right 4 of 5, language match 1.0 (frame).
THRESHOLDS = {
    "recall@1": 0.50,
    "recall@5": 0.77,
    "fact_recall": 0.64,
    # Issue 14's target is 0.60 over the whole set; a question of slack under the fold's figure.
    "citation_precision": 0.57,
    "refusal_accuracy": 0.80,
    # Five lines: one more wrong line is 0.6, which fails.
    "key_fact_accuracy": 0.75,
    "language_match": 0.95,
}
MAX_MEDIAN_QUOTES = 2


@pytest.fixture(scope="module")
def shared_runtime(tmp_path_factory, embedding_cache_dir):
    data_dir = tmp_path_factory.mktemp("shared-index")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    index = open_corpus_index(SHARED_CORPUS, Settings(data_dir=data_dir))
    assert not index.built.get("failed"), index.built
    yield index.runtime
    index.runtime.close()


def test_held_out_shared_eval_stays_above_thresholds(shared_runtime: Runtime):
    questions = held_out(load_dataset(SHARED_DATASET))
    result = run_preset(shared_runtime, questions, "configured", composer="extractive")
    figures = {**result.summary["retrieval"], **result.summary["answer"]}
    print(f"\nheld-out shared eval ({len(questions)} questions):\n{json.dumps(figures, indent=1)}")
    below = {key: (round(figures[key], 3), floor) for key, floor in THRESHOLDS.items() if figures[key] < floor}
    assert not below, f"below threshold (measured, floor): {below}"
    assert result.summary["answer_shape"]["median_quotes"] <= MAX_MEDIAN_QUOTES, result.summary["answer_shape"]
