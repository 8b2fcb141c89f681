"""Calibrate the refusal threshold (HELPDESK_ANSWER_MIN_EVIDENCE) on a development set.

For every question, the evidence is the best cosine similarity between the question and a retrieved passage;
the helpdesk refuses below the threshold (and, whatever the threshold, when the question names a year no
passage mentions: qa/evidence.py). This sweeps thresholds and prints, for each, the share of answerable
questions still answered, of unanswerable ones refused, and refusal accuracy over all, then the best threshold.
Run: python -m evals.calibrate_refusal [DATASET ...] [--corpus corpus] [--data-dir data]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from rich.progress import track

from common.settings import Settings
from evals.corpus_index import open_corpus_index
from evals.dataset import load_dataset
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", type=Path, default=[ROOT / "evals/datasets/sample.jsonl"])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    args = parser.parse_args()
    index = open_corpus_index(args.corpus, Settings(data_dir=args.data_dir))
    runtime = index.runtime
    helpdesk = Helpdesk(runtime.settings, runtime.store, runtime.embedder)
    questions = [q for path in args.datasets for q in load_dataset(path)]
    scored: list[tuple[float, bool, bool]] = []
    year_refusals: list[tuple[str, bool, list[str]]] = []
    for question in track(questions, description="retrieving"):
        retrieval = helpdesk.retriever.search(question.question, language=question.language)
        similarity = passage_similarity(runtime.embedder, question.question, retrieval.hits, retrieval.query_vector)
        years = unmatched_years(question.question, retrieval.hits)
        scored.append((similarity, question.answerable, bool(years)))
        if years:
            year_refusals.append((question.id, question.answerable, years))
    runtime.close()

    answerable = [s for s, a, _ in scored if a]
    unanswerable = [s for s, a, _ in scored if not a]
    print(f"{len(questions)} questions: {len(answerable)} answerable, {len(unanswerable)} unanswerable")
    for label, values in (("answerable", answerable), ("unanswerable", unanswerable)):
        if values:
            q = statistics.quantiles(values, n=10) if len(values) > 1 else values * 9
            print(f"  evidence {label:<13} min {min(values):.3f}  p10 {q[0]:.3f}  median {statistics.median(values):.3f}"
                  f"  p90 {q[-1]:.3f}  max {max(values):.3f}")
    rows = sweep(scored)
    print(f"{'threshold':>10}{'answered':>10}{'refused':>10}{'accuracy':>10}")
    for t, kept, refused, accuracy in rows[::2]:
        print(f"{t:>10.3f}{kept:>10.2f}{refused:>10.2f}{accuracy:>10.2f}")
    best = max(rows, key=lambda r: (r[3], r[1]))
    wrong = [r for r in year_refusals if r[1]]
    print(f"the year check refuses {len(year_refusals)} questions, {len(wrong)} of them answerable: "
          + ", ".join(f"{qid} ({' '.join(years)})" for qid, _, years in year_refusals))
    print(f"best threshold {best[0]:.3f}: answered {best[1]:.2f} of answerable, refused {best[2]:.2f} of "
          f"unanswerable, refusal accuracy {best[3]:.2f}")


if __name__ == "__main__":
    main()
