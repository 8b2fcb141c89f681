"""Scale of the embedded store: N chunks built from real chunk vectors plus noise, indexed, then searched.

    python -m bench.scale --chunks 100000 [--json]

The real vectors come from a corpus (`--corpus`, the sample corpus by default), ingested once through the project's
pipeline into its own collection under the data dir and kept as a file, so that later runs make no model calls.
Each synthetic chunk is a real chunk's vector plus Gaussian noise, renormalised, with that chunk's payload (text,
language, ...) and, as ingest stores them by default (HELPDESK_CHUNK_EMBED_UNITS), its unit vectors with noise of
their own. The collection is written through `EdgeStore` and indexed with its own `build_index()` while a thread
keeps searching (the answers' latency during the build is reported too; `--search-every 0` builds alone). Search is
then measured in a fresh process that only opens the built collection, so that its RSS is the serving footprint and
not the loader's.

The noise (`--noise`, `auto` by default) is calibrated to the source: a noisy copy lies as far from its original as a
real chunk lies from its nearest real neighbour (the median over the source), so that a synthetic collection is as
crowded as a real one of that size would be, neither a cloud of exact duplicates nor of unrelated points.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import numpy as np

from common.schema import DENSE_VECTOR, FILTER_KEYS, STATE_READY, UNITS_VECTOR, CollectionInfo
from common.settings import Settings
from common.store.base import StoredPoint, VectorQuery
from common.store.edge import EdgeStore
from qa.retriever import Retriever

SAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
COLLECTION = "scale"
SELECTIVE_FIELDS = ("language", "country", "doc_type", "period")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_mb() -> tuple[float, float]:
    """Resident and peak resident set size of this process, MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def source_chunks(settings: Settings, corpus: Path = SAMPLE_CORPUS
                  ) -> list[tuple[np.ndarray, tuple[list[int], list[float]], dict, np.ndarray]]:
    """A corpus's chunks with their dense and sparse vectors: ingested once into a collection of their own and kept
    as a file, so that later runs (and the serving process) load no model."""
    import qdrant_edge as qe

    from common.runtime import Runtime
    from ingest.pipeline import Ingestor

    corpus = corpus.resolve()
    if not corpus.is_dir():
        raise SystemExit(f"bench.scale: the corpus {corpus} is not a folder")
    tag = "" if corpus == SAMPLE_CORPUS.resolve() else f"-{corpus.name}-{hashlib.sha256(str(corpus).encode()).hexdigest()[:8]}"
    source = settings.model_copy(update={"data_dir": settings.data_dir / "bench" / f"scale-source{tag}"})
    kept = source.data_dir / f"chunks-units-{settings.embed.model.replace('/', '_')}.json"
    if not kept.exists():
        runtime = Runtime(source)
        try:
            Ingestor(source, runtime.store, runtime.embedder).ingest([corpus])
            rows, offset = [], None
            while True:
                records, offset = runtime.store._require().scroll(qe.ScrollRequest(  # type: ignore[attr-defined]
                    offset=offset, limit=512, with_payload=True, with_vector=True))
                for r in records:
                    sparse = r.vector["sparse"]
                    rows.append({"dense": list(r.vector[DENSE_VECTOR]), "sparse": [list(sparse.indices), list(sparse.values)],
                                 "payload": dict(r.payload), "units": [list(u) for u in r.vector.get(UNITS_VECTOR) or []]})
                if offset is None:
                    break
        finally:
            runtime.close()
        kept.write_text(json.dumps(rows), encoding="utf-8")
    rows = json.loads(kept.read_text(encoding="utf-8"))
    if not rows:
        kept.unlink()  # nothing to copy: the next run ingests again
        raise SystemExit(f"bench.scale: no chunks were ingested from {corpus}: nothing to copy")
    # The payload as ingest gave it: without the keys the embedded store derives (and refuses to be given).
    return [(np.asarray(r["dense"], dtype=np.float32), (r["sparse"][0], r["sparse"][1]),
             {k: v for k, v in r["payload"].items() if k != FILTER_KEYS},
             np.asarray(r["units"], dtype=np.float32).reshape(-1, len(r["dense"]))) for r in rows]


def calibrated_noise(base: np.ndarray) -> float:
    """The noise per dimension at which a copy's expected cosine to its original, 1 / sqrt(1 + dim * noise²), equals
    the median cosine between a real chunk and its nearest real neighbour."""
    unit = base / np.linalg.norm(base, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -1.0)
    nearest = float(np.clip(np.median(similarity.max(axis=1)), 0.5, 0.9999))
    return float(np.sqrt((1.0 / nearest ** 2 - 1.0) / base.shape[1]))


def noise_argument(text: str) -> str | float:
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither 'auto' nor a number") from None


def seconds_argument(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative: give 0 or more seconds")
    return value


def noise_level(args: argparse.Namespace, base: np.ndarray) -> float:
    return calibrated_noise(base) if args.noise == "auto" else float(args.noise)


def noisy(base: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    vectors = base + rng.normal(0.0, noise, base.shape).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def load(args: argparse.Namespace, settings: Settings, target: Path, chunks: list, base: np.ndarray, noise: float,
         rng: np.random.Generator) -> tuple[EdgeStore, int, float]:
    """Write the synthetic chunks through a fresh store; the store, the unit vectors written and the seconds."""
    store = EdgeStore(target, COLLECTION, index=settings.index)
    store.ensure_collection(CollectionInfo(embed_model="scale-bench", dim=base.shape[1]))
    with_units, units = settings.chunk.embed_units, 0
    started = time.perf_counter()
    for start in range(0, args.chunks, args.batch):
        ids = np.arange(start, min(args.chunks, start + args.batch))
        picks = rng.integers(0, len(chunks), len(ids))
        vectors = noisy(base[picks], noise, rng)
        store.upsert([
            StoredPoint(str(uuid.UUID(int=int(i))), vector.tolist(), chunks[p][1],
                        {**chunks[p][2], "doc_id": f"{chunks[p][2]['doc_id']}-{i // 500}", "state": STATE_READY},
                        noisy(chunks[p][3], noise, rng).tolist() if with_units and len(chunks[p][3]) else None)
            for i, p, vector in zip(ids, picks, vectors)
        ])
        units += sum(len(chunks[p][3]) for p in picks) if with_units else 0
    store.flush()
    return store, units, time.perf_counter() - started


def unbuilt_copy(args: argparse.Namespace, settings: Settings, target: Path) -> EdgeStore:
    """A copy of an unindexed collection kept by --keep-unbuilt, opened for its build."""
    source = args.from_unbuilt
    shutil.copytree(source, target)
    store = EdgeStore(target, COLLECTION, index=settings.index)
    found = store.count({})
    if found != args.chunks:
        store.close()
        raise SystemExit(f"bench.scale: {source} holds {found} chunks, not the {args.chunks} of --chunks")
    return store


def build(args: argparse.Namespace, settings: Settings, target: Path) -> dict:
    chunks = source_chunks(settings, args.corpus)
    base = np.stack([c[0] for c in chunks])
    noise = noise_level(args, base)
    rng = np.random.default_rng(args.seed)
    shutil.rmtree(target, ignore_errors=True)
    if args.from_unbuilt is not None:
        store = unbuilt_copy(args, settings, target)
        units, load_s = None, None
    else:
        store, units, load_s = load(args, settings, target, chunks, base, noise, rng)
        if args.keep_unbuilt is not None:
            # Before any build: later runs build from this copy (--from-unbuilt) without loading again.
            shutil.rmtree(args.keep_unbuilt, ignore_errors=True)
            shutil.copytree(target, args.keep_unbuilt)

    # Answers keep coming while the index builds: measure them.
    during: list[float] = []
    done = threading.Event()

    def keep_searching() -> None:
        probe = noisy(base[:20], noise, np.random.default_rng(1))
        i = 0
        while not done.is_set():
            t = time.perf_counter()
            store.search(VectorQuery(DENSE_VECTOR, dense=probe[i % 20].tolist(), must={"state": STATE_READY}), 10)
            during.append((time.perf_counter() - t) * 1000)
            i += 1
            time.sleep(args.search_every)

    searcher = threading.Thread(target=keep_searching)
    if args.search_every > 0:
        searcher.start()
    started = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    store.build_index()
    index_s = time.perf_counter() - started
    # CPU the build process used: unlike index_s, it does not grow when other work shares the cores.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    index_cpu_s = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    # The largest child's peak RSS (KB on Linux): the build process's, which holds the segments it merges.
    index_peak_rss_mb = after.ru_maxrss / 1024
    done.set()
    if searcher.is_alive():
        searcher.join()
    store.close()
    return {"source_chunks": len(chunks), "noise": round(noise, 4), "units": units, "search_every_s": args.search_every,
            "load_s": round(load_s, 1) if load_s is not None else None, "index_s": round(index_s, 1), "index_cpu_s": round(index_cpu_s, 1),
            "index_peak_rss_mb": round(index_peak_rss_mb),
            "searches_during_build": len(during),
            "during_build_p95_ms": round(percentile(during, 0.95), 1) if during else None,
            "during_build_max_ms": round(max(during), 1) if during else None}


def serve(args: argparse.Namespace, settings: Settings, target: Path) -> dict:
    """Open the built collection in this (fresh) process and measure search."""
    chunks = source_chunks(settings, args.corpus)
    base = np.stack([c[0] for c in chunks])
    noise = noise_level(args, base)
    languages = [c[2]["language"] for c in chunks]
    store = EdgeStore(target, COLLECTION, index=settings.index)
    rng = np.random.default_rng(args.seed + 1)
    picks = rng.integers(0, len(chunks), args.queries)
    queries = noisy(base[picks], noise, rng)
    ready = {"state": STATE_READY}

    def timed(must: dict, exact: bool = False) -> tuple[list[float], list[list[str]]]:
        times, results = [], []
        for vector in queries:
            query = VectorQuery(DENSE_VECTOR, dense=vector.tolist(), must=must(len(times)) if callable(must) else must,
                                exact=exact)
            t = time.perf_counter()
            hits = store.search(query, 10)
            times.append((time.perf_counter() - t) * 1000)
            results.append([h.id for h in hits])
        return times, results

    # The most selective filter the data offers among the fields users filter on (a small country, say): the case
    # a filtered graph walk finds hardest.
    shares = Counter((field, c[2][field]) for c in chunks for field in SELECTIVE_FIELDS
                     if isinstance(c[2].get(field), str))
    (rare_field, rare_value), rare_count = min(shares.items(), key=lambda item: item[1])
    selective = {**ready, rare_field: rare_value}
    timed(ready)  # warm the page cache the way a serving process is warm
    plain_ms, plain = timed(ready)
    by_language = lambda i: {**ready, "language": languages[picks[i]]}  # noqa: E731
    filtered_ms, filtered = timed(by_language)
    selective_ms, selective_found = timed(selective)
    # The retriever's dense step as answers run it: the chunk vectors' candidates, scored with their units too.
    retriever = Retriever(settings, store, embedder=None)  # type: ignore[arg-type]  # dense_search embeds nothing
    limit = max(settings.search.prefetch, settings.search.k * 3)

    def retrieval(must) -> list[float]:
        times = []
        for i, vector in enumerate(queries):
            query = VectorQuery(DENSE_VECTOR, dense=vector.tolist(), must=must(i) if callable(must) else must, limit=limit)
            t = time.perf_counter()
            retriever.dense_search(query)
            times.append((time.perf_counter() - t) * 1000)
        return times

    retrieval_ms = retrieval(ready)
    filtered_retrieval_ms = retrieval(by_language)
    # Before the exact searches, which read every original vector and would count them as resident.
    rss, peak = rss_mb()
    _, plain_exact = timed(ready, exact=True)
    _, filtered_exact = timed(by_language, exact=True)
    _, selective_exact = timed(selective, exact=True)
    store.close()

    def recall(found: list[list[str]], truth: list[list[str]]) -> float:
        return statistics.mean(len(set(f) & set(t)) / max(1, len(t)) for f, t in zip(found, truth))

    return {"rss_mb": round(rss), "rss_peak_mb": round(peak),
            "search_p50_ms": round(statistics.median(plain_ms), 2), "search_p95_ms": round(percentile(plain_ms, 0.95), 2),
            "filtered_p50_ms": round(statistics.median(filtered_ms), 2),
            "filtered_p95_ms": round(percentile(filtered_ms, 0.95), 2),
            "retrieval_p50_ms": round(statistics.median(retrieval_ms), 2),
            "retrieval_p95_ms": round(percentile(retrieval_ms, 0.95), 2),
            "filtered_retrieval_p95_ms": round(percentile(filtered_retrieval_ms, 0.95), 2),
            "recall_at_10_vs_exact": round(recall(plain, plain_exact), 4),
            "filtered_recall_at_10_vs_exact": round(recall(filtered, filtered_exact), 4),
            "selective_filter": f"{rare_field}={rare_value} ({rare_count / len(chunks):.1%} of chunks)",
            "selective_p95_ms": round(percentile(selective_ms, 0.95), 2),
            "selective_recall_at_10_vs_exact": round(recall(selective_found, selective_exact), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, required=True)
    parser.add_argument("--json", action="store_true", help="Print one JSON object only.")
    parser.add_argument("--corpus", type=Path, default=SAMPLE_CORPUS,
                        help="The corpus whose chunk vectors the synthetic ones copy (default: the sample corpus).")
    parser.add_argument("--noise", type=noise_argument, default="auto", help="Standard deviation of the noise per dimension, or 'auto': "
                                                         "calibrated to the source's nearest-neighbour spread.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--search-every", type=seconds_argument, default=0.05, metavar="SECONDS",
                        help="Pause between the searches made while the index builds (default 0.05: one after another, "
                             "about a core's worth on an unindexed million); 0: build alone.")
    parser.add_argument("--dir", type=Path, help="Where to build (default: the data dir's bench/scale-N).")
    parser.add_argument("--keep", action="store_true", help="Keep the built collection.")
    parser.add_argument("--keep-unbuilt", type=Path, metavar="DIR",
                        help="Also keep a copy of the collection as loaded, before its index is built.")
    parser.add_argument("--from-unbuilt", type=Path, metavar="DIR",
                        help="Build a copy of a collection kept by --keep-unbuilt instead of loading one "
                             "(load_s is then null): compares build settings without loading again. Give the "
                             "--corpus, --noise and --seed it was kept with: the queries are drawn from them.")
    parser.add_argument("--serve-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.from_unbuilt is not None:
        if args.keep_unbuilt is not None:
            parser.error("--from-unbuilt builds a kept collection; --keep-unbuilt keeps a new one: give one of them")
        if not (args.from_unbuilt / COLLECTION / "collection.json").is_file():
            parser.error(f"--from-unbuilt: {args.from_unbuilt} holds no collection kept by --keep-unbuilt")
    settings = Settings()
    target = args.dir or settings.data_dir / "bench" / f"scale-{args.chunks}"
    if args.serve_only:
        print(json.dumps(serve(args, settings, target)))
        return
    figures = {"chunks": args.chunks, **build(args, settings, target)}
    child = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--serve-only", "--dir", str(target), *sys.argv[1:]],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
    if child.returncode != 0:
        raise SystemExit(f"the serving process failed: {child.stderr[-3000:]}")
    figures.update(json.loads(child.stdout.strip().splitlines()[-1]))
    if not args.keep:
        shutil.rmtree(target, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:<32}{value}")


if __name__ == "__main__":
    main()
