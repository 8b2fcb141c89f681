"""`ask` latency per stage (detect, embed, search, compose, total): p50/p95 over N questions, the process's CPU
seconds per answer, plus one answer shown.

The corpus is indexed once into its own collection (reused on later runs, see evals/corpus_index.py), models are
warmed up, then questions from the development set are asked in turn with the offline extractive composer.
Run: python -m bench.ask_latency --corpus ../shared/corpus --n 100 [--data-dir data]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.search_latency import percentile
from common.settings import Settings
from evals.corpus_index import open_corpus_index
from evals.dataset import load_dataset
from qa.helpdesk import Helpdesk

ROOT = Path(__file__).resolve().parents[1]
SHOWN_QUESTION = "Какъв е максималният процент на съфинансиране за по-слабо развитите региони?"
STAGES = ("detect", "embed", "search", "compose", "total")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--questions", type=Path, nargs="*",
                        default=[ROOT / "evals/datasets/sample.jsonl", ROOT / "evals/datasets/shared.jsonl"])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    args = parser.parse_args()

    started = time.perf_counter()
    index = open_corpus_index(args.corpus, Settings(data_dir=args.data_dir))
    print(f"index {index.describe()} ready in {time.perf_counter() - started:.1f} s")
    runtime = index.runtime
    helpdesk = Helpdesk(runtime.settings, runtime.store, runtime.embedder)
    started = time.perf_counter()
    shown = helpdesk.ask(SHOWN_QUESTION)
    print(f"first ask (loads the language and embedding models): {time.perf_counter() - started:.1f} s\n")
    print(shown.answer)
    for citation in shown.citations:
        print(f"  [{citation.n}] {citation.title} ({citation.language}) p. {citation.page_start}  § {citation.section}")

    questions = [q.question for path in args.questions if path.is_file() for q in load_dataset(path)]
    timings: dict[str, list[float]] = {stage: [] for stage in STAGES}
    answered = 0
    # CPU seconds of this process (every thread) per answer: what bounds throughput on a shared machine.
    cpu_started = time.process_time()
    for i in range(args.n):
        answer = helpdesk.ask(questions[i % len(questions)])
        answered += answer.answerable
        for stage in STAGES:
            timings[stage].append(answer.timings_ms[stage])
    cpu_per_answer = (time.process_time() - cpu_started) / max(args.n, 1)
    runtime.close()
    print(f"\n{args.n} asks over {runtime.store.engine} ({answered} answered, {args.n - answered} refused)")
    print(f"{'stage':<9}{'p50 ms':>9}{'p95 ms':>9}")
    for stage in STAGES:
        print(f"{stage:<9}{percentile(timings[stage], 0.5):>9.1f}{percentile(timings[stage], 0.95):>9.1f}")
    print(f"CPU per answer: {cpu_per_answer:.3f} s")


if __name__ == "__main__":
    main()
