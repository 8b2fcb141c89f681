"""A dataset's questions against the corpus's eval collection: the indexed search's top 10 against the exact one's.

    python -m evals.index_agreement evals/datasets/sample.jsonl --corpus corpus

A collection as small as the sample corpus is never indexed by default (HELPDESK_INDEX_MIN_CHUNKS), so this forces
the index on a copy of the eval collection (every segment gets a graph, and the graph answers even tiny filters)
and measures how far its answers move from exact search: recall@10 and the share of identical top-10 lists.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from common.schema import DENSE_VECTOR, STATE_READY
from common.settings import Settings
from common.store.base import VectorQuery
from common.store.edge import EdgeStore
from evals.corpus_index import open_corpus_index
from evals.dataset import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--corpus", type=Path, required=True)
    args = parser.parse_args()
    settings = Settings()
    questions = [q.question for q in load_dataset(args.dataset)]
    corpus = open_corpus_index(args.corpus, settings)
    try:
        vectors = corpus.runtime.embedder.embed_queries(questions)
        source = corpus.settings.store_dir / corpus.settings.store.collection
        forced = settings.index.model_copy(update={"min_chunks": 0, "indexing_threshold_kb": 1, "full_scan_threshold_kb": 1})
        with tempfile.TemporaryDirectory() as work:
            # The eval holds its collection open; a copy of its files (reads do not change them) is indexed instead.
            shutil.copytree(source, Path(work) / "copy")
            store = EdgeStore(Path(work), "copy", index=forced)
            try:
                store.build_index()
                recalls, identical = [], 0
                for vector in vectors:
                    query = dict(using=DENSE_VECTOR, dense=vector.tolist(), must={"state": STATE_READY})
                    indexed = [h.id for h in store.search(VectorQuery(**query), 10)]
                    exact = [h.id for h in store.search(VectorQuery(**query, exact=True), 10)]
                    identical += indexed == exact
                    recalls.append(len(set(indexed) & set(exact)) / max(1, len(exact)))
                chunks = store.count({})
            finally:
                store.close()
    finally:
        corpus.runtime.close()
    print(json.dumps({"dataset": str(args.dataset), "questions": len(questions), "chunks": chunks,
                      "recall_at_10_vs_exact": round(statistics.mean(recalls), 4), "identical_top10": identical}))


if __name__ == "__main__":
    main()
