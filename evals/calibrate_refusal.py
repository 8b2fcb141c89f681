"""Calibrate the refusal threshold (HELPDESK_ANSWER_MIN_EVIDENCE) on a development set.

For every question, the evidence is the best cosine similarity between the question and a retrieved passage;
the helpdesk refuses below the threshold (and, whatever the threshold, when the question names a year no
passage mentions: qa/evidence.py). This sweeps thresholds and prints, for each, the share of answerable
questions still answered, of unanswerable ones refused, and refusal accuracy over all, then the best threshold.

A threshold is never graded on the questions it was fitted on: the questions are split into --folds folds by a
hash of their id (evals.dataset.fold_of); the sweep table and the chosen threshold come from the fit fold
(evals.dataset.FIT_FOLD), and the figures reported for it, and for the configured threshold, from the held-out
fold. With more than two folds each fold is also held out in turn (k-fold) and the pooled held-out accuracy printed.
Run: python -m evals.calibrate_refusal [DATASET ...] [--corpus corpus] [--data-dir data] [--folds 2]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from rich.progress import track

from common.settings import Settings
from evals.corpus_index import open_corpus_index
from evals.dataset import FIT_FOLD, HELD_OUT_FOLD, fold_of, load_dataset
from qa.evidence import passage_similarity, unmatched_years
from qa.helpdesk import Helpdesk

ROOT = Path(__file__).resolve().parents[1]


def sweep(scored: list[tuple[float, bool, bool]], low: float = 0.70, high: float = 0.92, step: float = 0.005):
    """Per threshold: (threshold, answered share of answerable, refused share of unanswerable, accuracy).

    `scored` holds (similarity, gold answerable, refused by the year check) per question.
    """
    rows = []
    n_answerable = sum(a for _, a, _ in scored)
    n_unanswerable = len(scored) - n_answerable
    for i in range(int(round((high - low) / step)) + 1):
        t = round(low + i * step, 4)
        answers = [(s >= t and not year, a) for s, a, year in scored]
        kept = sum(answered for answered, a in answers if a) / max(n_answerable, 1)
        refused = sum(not answered for answered, a in answers if not a) / max(n_unanswerable, 1)
        accuracy = sum(answered == a for answered, a in answers) / len(scored)
        rows.append((t, kept, refused, accuracy))
    return rows


Scored = list[tuple[float, bool, bool]]


def best_threshold(scored: Scored) -> tuple[float, float, float, float]:
    """The sweep row with the best accuracy (then the most answerable questions answered)."""
    return max(sweep(scored), key=lambda r: (r[3], r[1]))


def grade(scored: Scored, threshold: float) -> tuple[float, float, float]:
    """(answered share of answerable, refused share of unanswerable, accuracy) at one threshold."""
    _, kept, refused, accuracy = sweep(scored, threshold, threshold)[0]
    return kept, refused, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", type=Path, default=[ROOT / "evals/datasets/sample.jsonl"])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--folds", type=int, default=2, help="folds by id hash; the threshold is fitted on fold 0")
    args = parser.parse_args()
    index = open_corpus_index(args.corpus, Settings(data_dir=args.data_dir))
    runtime = index.runtime
    helpdesk = Helpdesk(runtime.settings, runtime.store, runtime.embedder)
    questions = [q for path in args.datasets for q in load_dataset(path)]
    scored: Scored = []
    folds: list[int] = []
    year_refusals: list[tuple[str, bool, list[str]]] = []
    for question in track(questions, description="retrieving"):
        # The language as the helpdesk finds it, not the gold one: the threshold meets detected languages.
        retrieval = helpdesk.retriever.search(question.question)
        similarity = passage_similarity(runtime.embedder, question.question, retrieval.hits, retrieval.query_vector)
        years = unmatched_years(question.question, retrieval.hits)
        scored.append((similarity, question.answerable, bool(years)))
        folds.append(fold_of(question.id, args.folds))
        if years:
            year_refusals.append((question.id, question.answerable, years))
    runtime.close()

    fit = [row for row, fold in zip(scored, folds) if fold == FIT_FOLD]
    held = [row for row, fold in zip(scored, folds) if fold == HELD_OUT_FOLD]
    answerable = [s for s, a, _ in fit if a]
    unanswerable = [s for s, a, _ in fit if not a]
    print(f"{len(questions)} questions in {args.folds} folds; fit fold {FIT_FOLD}: {len(fit)} questions, "
          f"{len(answerable)} answerable, {len(unanswerable)} unanswerable; held-out fold {HELD_OUT_FOLD}: "
          f"{len(held)} questions")
    for label, values in (("answerable", answerable), ("unanswerable", unanswerable)):
        if values:
            q = statistics.quantiles(values, n=10) if len(values) > 1 else values * 9
            print(f"  evidence {label:<13} min {min(values):.3f}  p10 {q[0]:.3f}  median {statistics.median(values):.3f}"
                  f"  p90 {q[-1]:.3f}  max {max(values):.3f}")
    rows = sweep(fit)
    print(f"sweep on the fit fold:\n{'threshold':>10}{'answered':>10}{'refused':>10}{'accuracy':>10}")
    for t, kept, refused, accuracy in rows[::2]:
        print(f"{t:>10.3f}{kept:>10.2f}{refused:>10.2f}{accuracy:>10.2f}")
    best = best_threshold(fit)
    wrong = [r for r in year_refusals if r[1]]
    print(f"the year check refuses {len(year_refusals)} questions, {len(wrong)} of them answerable: "
          + ", ".join(f"{qid} ({' '.join(years)})" for qid, _, years in year_refusals))
    print(f"best threshold on the fit fold {best[0]:.3f}: answered {best[1]:.2f} of answerable, refused "
          f"{best[2]:.2f} of unanswerable, refusal accuracy {best[3]:.2f} (fitted here: not a measurement)")
    configured = runtime.settings.answer.min_evidence
    for label, threshold in (("fitted", best[0]), ("configured", configured)):
        kept, refused, accuracy = grade(held, threshold)
        print(f"held-out fold at the {label} threshold {threshold:.3f}: answered {kept:.2f} of answerable, "
              f"refused {refused:.2f} of unanswerable, refusal accuracy {accuracy:.2f} ({len(held)} questions)")
    if args.folds > 2:
        correct = 0
        for fold in range(args.folds):
            train = [row for row, f in zip(scored, folds) if f != fold]
            test = [row for row, f in zip(scored, folds) if f == fold]
            threshold = best_threshold(train)[0]
            accuracy = grade(test, threshold)[2] if test else 0.0
            correct += accuracy * len(test)
            print(f"  fold {fold}: threshold fitted on the others {threshold:.3f}, accuracy on it {accuracy:.2f}")
        print(f"{args.folds}-fold held-out refusal accuracy {correct / len(scored):.2f}")


if __name__ == "__main__":
    main()
