"""Search latency over an existing index: p50/p95 per stage for N queries in each mode.

Run after `helpdesk ingest ...` with the same HELPDESK_DATA_DIR: python -m bench.search_latency --n 200
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from common.runtime import Runtime
from common.settings import Settings
from evals.dataset import load_dataset
from qa.retriever import Retriever


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--modes", default="dense,sparse,hybrid")
    args = parser.parse_args()
    # The sample set's questions: many languages and lengths, as users ask.
    questions = [q.question for q in load_dataset(Path(__file__).resolve().parents[1] / "evals/datasets/sample.jsonl")]
    runtime = Runtime(Settings())
    retriever = Retriever(runtime.settings, runtime.store, runtime.embedder)
    print(f"engine {runtime.store.engine}, {runtime.store.count({})} chunks, {args.n} queries per mode")
    print(f"{'mode':<8}{'total p50':>10}{'p95':>8}{'embed p50':>10}{'search p50':>11}{'p95':>8}  (ms)")
    for mode in args.modes.split(","):
        totals, embeds, searches = [], [], []
        for i in range(args.n):
            question = questions[i % len(questions)]
            result = retriever.search(question, k=5, mode=mode)
            t = result.timings_ms
            totals.append(sum(t.values()))
            embeds.append(t["embed"])
            searches.append(t["search"])
        print(f"{mode:<8}{statistics.median(totals):>10.1f}{percentile(totals, 0.95):>8.1f}"
              f"{statistics.median(embeds):>10.1f}{statistics.median(searches):>11.2f}{percentile(searches, 0.95):>8.2f}")
    runtime.close()


if __name__ == "__main__":
    main()
