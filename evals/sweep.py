"""One setting swept over one eval index, figures per fold: fit a value on fold 0, read it on fold 1.

Questions are split by a hash of their id (evals.dataset.fold_of), as the refusal calibration splits them, so a
value chosen by looking at fold 0 is judged on questions it was not chosen on.

Run: python -m evals.sweep --dataset evals/datasets/sample.jsonl --corpus corpus \
        --setting answer.new_source_penalty --values 0,0.01,0.02 [--composer extractive]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common.embedder import EmbedderError
from common.settings import Settings
from common.store import StoreError
from evals.corpus_index import open_corpus_index
from evals.dataset import FIT_FOLD, HELD_OUT_FOLD, DatasetError, fold_of, load_dataset
from evals.metrics import answer_metrics, answer_shape, retrieval_metrics
from evals.runner import run_preset
from qa.llm import LLMError


def with_setting(settings: Settings, dotted: str, value: object) -> Settings:
    group, _, field = dotted.partition(".")
    if group not in type(settings).model_fields:
        raise SystemExit(f"--setting: no settings group {group!r} (use group.field, e.g. answer.new_source_penalty)")
    section = getattr(settings, group)
    if field not in type(section).model_fields:
        raise SystemExit(f"--setting: {group} has no field {field!r}")
    checked = type(section).model_validate({**section.model_dump(), field: value})
    return settings.model_copy(update={group: checked})


def fold_figures(records, k: int) -> dict[str, float | None]:
    figures = {**retrieval_metrics(records, k), **answer_metrics(records)}
    keep = (f"recall@{k}", "fact_recall", "citation_precision", "refusal_accuracy")
    shape = answer_shape(records)
    return {**{key: figures.get(key) for key in keep}, "median_quotes": shape["median_quotes"],
            "quote_chars_p90": shape["quote_chars_p90"], "n": len(records)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=Path("evals/datasets/sample.jsonl"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--setting", required=True, help="group.field, e.g. answer.new_source_penalty")
    parser.add_argument("--values", required=True, help="comma-separated values to try")
    parser.add_argument("--composer", default="extractive")
    args = parser.parse_args()
    try:
        sweep(args)
    except (DatasetError, StoreError, EmbedderError, LLMError, OSError) as exc:  # what a user's input can cause
        raise SystemExit(f"error: {exc}") from None


def sweep(args: argparse.Namespace) -> None:
    questions = load_dataset(args.dataset)
    index = open_corpus_index(args.corpus, Settings())
    base = index.runtime.settings
    try:
        for raw in args.values.split(","):
            index.runtime.settings = with_setting(base, args.setting, raw.strip())
            result = run_preset(index.runtime, questions, "configured", composer=args.composer)
            k = result.summary["config"]["k"]
            row = {"value": raw.strip()}
            for name, fold in (("fit", FIT_FOLD), ("held_out", HELD_OUT_FOLD)):
                row[name] = fold_figures([r for r in result.records if fold_of(r.id, 2) == fold], k)
            print(json.dumps(row), flush=True)
    finally:
        index.runtime.close()


if __name__ == "__main__":
    main()
