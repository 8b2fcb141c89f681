"""Do searches stall while an upload writes to the embedded store? Search latency idle and during upserts.

A fresh `EdgeStore` holds `--points` chunks (random unit vectors, sparse vectors and a chunk-sized payload); one
thread searches in a closed loop (dense, filtered on `state=ready`, as the retriever asks) and a second thread
ticks every millisecond in pure Python, so a tick gap far above 1 ms shows the GIL held by the engine. For each
`--batches` size the main thread then upserts `--upload` chunks in batches of that size (`+yield`: a `sleep(0)`
after each batch hands the GIL over), and the figures are printed for the idle phase and the upload phase:
search p50/p95/max, the longest tick gap, and the upload's time. First, apart from searches: how much Python a
second thread gets done while one `update()` call writes `--upload` chunks, against the same thread's pace while
the main thread sleeps (near 100 % if the engine released the GIL while it writes).

    python -m bench.upsert_stall --points 3000 --upload 3000 --batches 64,16,16+yield
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np

from common.schema import DENSE_VECTOR, SPARSE_VECTOR, CollectionInfo
from common.store.base import StoredPoint, VectorQuery
from common.store.edge import EdgeStore, qe

DIM = 384
TEXT = ("The co-financing rate at the level of each priority shall not exceed 85 % for the less developed regions. "
        * 9)[:900]


def _points(rng: np.random.Generator, start: int, count: int) -> list[StoredPoint]:
    vectors = rng.standard_normal((count, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    points = []
    for i, vector in enumerate(vectors, start):
        terms = sorted({int(t) for t in rng.integers(0, 50_000, 40)})
        payload = {"doc_id": f"doc-{i // 50}", "state": "ready", "language": "en", "text": TEXT, "title": "Guide",
                   "chunk_index": i % 50}
        points.append(StoredPoint(str(uuid.UUID(int=i + 1)), vector.tolist(),
                                  (terms, [1.0] * len(terms)), payload))
    return points


class Watch:
    """Searches in a closed loop and ticks every millisecond, recording (start time, latency) and tick gaps."""

    def __init__(self, store: EdgeStore, rng: np.random.Generator) -> None:
        self.store = store
        self.queries = [VectorQuery(DENSE_VECTOR, dense=(q / np.linalg.norm(q)).tolist(), must={"state": "ready"})
                        for q in rng.standard_normal((64, DIM)).astype(np.float32)]
        self.searches: list[tuple[float, float]] = []
        self.ticks: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def _search(self) -> None:
        n = 0
        while not self.stop.is_set():
            t = time.perf_counter()
            self.store.search(self.queries[n % len(self.queries)], 20)
            self.searches.append((t, (time.perf_counter() - t) * 1000))
            n += 1

    def _tick(self) -> None:
        last = time.perf_counter()
        while not self.stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            self.ticks.append((last, (now - last) * 1000))
            last = now

    def __enter__(self) -> Watch:
        self.threads = [threading.Thread(target=self._search, daemon=True),
                        threading.Thread(target=self._tick, daemon=True)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def figures(self, start: float, end: float) -> dict[str, float]:
        latencies = sorted(ms for t, ms in self.searches if start <= t < end)
        gaps = [ms for t, ms in self.ticks if start <= t < end]
        if not latencies:
            return {"searches": 0}
        return {"searches": len(latencies), "search_p50_ms": round(statistics.median(latencies), 2),
                "search_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
                "search_max_ms": round(latencies[-1], 2), "tick_gap_max_ms": round(max(gaps, default=0.0), 2)}


def python_pace_during_update(points: int, upload: int, seed: int) -> dict[str, float]:
    """Another thread's Python loop rate while the main thread sleeps, and while it is inside one update() call."""
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(prefix="upsert-gil-") as root:
        store = EdgeStore(Path(root), "gil")
        store.ensure_collection(CollectionInfo(embed_model="stall-bench", dim=DIM))
        store.upsert(_points(rng, 0, points))
        operation = qe.UpdateOperation.upsert_points([
            qe.Point(id=p.id, vector={DENSE_VECTOR: p.dense, SPARSE_VECTOR: qe.SparseVector(*p.sparse)},
                     payload=p.payload) for p in _points(rng, points, upload)])
        count, stop = [0], threading.Event()

        def spin() -> None:
            while not stop.is_set():
                count[0] += 1

        def pace(work) -> tuple[float, float]:
            before, t = count[0], time.perf_counter()
            work()
            seconds = time.perf_counter() - t
            return (count[0] - before) / seconds, seconds

        spinner = threading.Thread(target=spin, daemon=True)
        spinner.start()
        try:
            idle, _ = pace(lambda: time.sleep(1.0))
            writing, seconds = pace(lambda: store._require().update(operation))
        finally:
            stop.set()
            spinner.join()
            store.close()
    return {"update_s": round(seconds, 2), "python_pace_share": round(writing / idle, 3)}


def run(points: int, upload: int, batch: int, hand_over: bool, idle_s: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(prefix="upsert-stall-") as root:
        store = EdgeStore(Path(root), "stall")
        store.ensure_collection(CollectionInfo(embed_model="stall-bench", dim=DIM))
        base = _points(rng, 0, points)
        for start in range(0, len(base), 256):
            store.upsert(base[start:start + 256])
        store.flush()
        new = _points(rng, points, upload)
        try:
            with Watch(store, rng) as watch:
                idle_start = time.perf_counter()
                time.sleep(idle_s)
                upload_start = time.perf_counter()
                batch_ms = []
                for start in range(0, len(new), batch):
                    t = time.perf_counter()
                    store.upsert(new[start:start + batch])
                    batch_ms.append((time.perf_counter() - t) * 1000)
                    if hand_over:
                        time.sleep(0)
                upload_end = time.perf_counter()
                time.sleep(0.05)
        finally:
            store.close()
    return {"batch": f"{batch}{'+yield' if hand_over else ''}",
            "idle": watch.figures(idle_start, upload_start),
            "upload": {**watch.figures(upload_start, upload_end),
                       "upload_s": round(upload_end - upload_start, 2),
                       "batch_p95_ms": round(sorted(batch_ms)[int(0.95 * (len(batch_ms) - 1))], 2)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=3000, help="chunks in the store before the upload")
    parser.add_argument("--upload", type=int, default=3000, help="chunks the upload writes")
    parser.add_argument("--batches", default="64,16,16+yield",
                        help="upsert batch sizes to compare; +yield sleeps(0) after each batch")
    parser.add_argument("--idle-s", type=float, default=3.0, help="seconds of searching before the upload")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pace = python_pace_during_update(args.points, args.upload, args.seed)
    results = []
    for spec in args.batches.split(","):
        size, _, hand_over = spec.partition("+")
        results.append(run(args.points, args.upload, int(size), hand_over == "yield", args.idle_s, args.seed))
    if args.json:
        print(json.dumps({"gil": pace, "runs": results}, indent=2))
        return
    print(f"one update() of {args.upload} chunks took {pace['update_s']:.2f} s; another thread's Python ran at "
          f"{pace['python_pace_share']:.0%} of its idle pace meanwhile")
    print(f"{args.points} chunks in the store, {args.upload} upserted; search p50/p95/max and the longest 1 ms tick "
          "gap (GIL held), idle -> during the upload")
    for r in results:
        idle, up = r["idle"], r["upload"]
        print(f"batch {r['batch']:>9}: p50 {idle['search_p50_ms']:.1f} -> {up['search_p50_ms']:.1f} ms, "
              f"p95 {idle['search_p95_ms']:.1f} -> {up['search_p95_ms']:.1f} ms, "
              f"max {idle['search_max_ms']:.1f} -> {up['search_max_ms']:.1f} ms, "
              f"tick gap {idle['tick_gap_max_ms']:.1f} -> {up['tick_gap_max_ms']:.1f} ms; "
              f"upload {up['upload_s']:.2f} s (batch p95 {up['batch_p95_ms']:.1f} ms), "
              f"{idle['searches']} / {up['searches']} searches")


if __name__ == "__main__":
    main()
