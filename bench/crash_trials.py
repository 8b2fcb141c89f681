"""Crash trials: kill -9 `helpdesk ingest`, and `helpdesk serve` in the middle of an upload, at random moments;
after a restart and a re-run, the collection must equal a clean run's (documents, chunk count, content hashes)
and never show half a document. Seeds are printed so a trial can be replayed (--seed).

Run: python -m bench.crash_trials --ingest-trials 10 --upload-trials 5
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.documents import scheme_document
from bench.server import CLI, free_port, start_server
from common.runtime import Runtime
from common.schema import STATE_READY, document_hash
from common.settings import Settings
from ingest.pipeline import Ingestor

ROOT = Path(__file__).resolve().parents[1]


def collection_state(data_dir: Path) -> tuple[int, list[tuple], int]:
    """(chunks, sorted (doc_id, chunk_hash, chunk_index), ready chunks) of the data dir's collection."""
    runtime = Runtime(Settings(data_dir=data_dir))
    try:
        rows = [(p["doc_id"], p["chunk_hash"], p["chunk_index"], p["state"])
                for _, p in runtime.store.scroll({}, ["doc_id", "chunk_hash", "chunk_index", "state"])]
    finally:
        runtime.close()
    return len(rows), sorted(r[:3] for r in rows), sum(r[3] == STATE_READY for r in rows)


def half_documents(data_dir: Path) -> list[str]:
    """Documents that search could see with fewer chunks than they have."""
    runtime = Runtime(Settings(data_dir=data_dir))
    try:
        counts: dict[str, list[int]] = {}
        for _, p in runtime.store.scroll({"state": STATE_READY}, ["doc_id", "chunk_count"]):
            counts.setdefault(p["doc_id"], []).append(p["chunk_count"])
    finally:
        runtime.close()
    return [doc for doc, seen in counts.items() if len(seen) != seen[0]]


def clean_state(paths: list[Path], workdir: Path) -> tuple:
    data_dir = workdir / "clean"
    settings = Settings(data_dir=data_dir)
    runtime = Runtime(settings)
    try:
        Ingestor(settings, runtime.store, runtime.embedder).ingest(paths)
    finally:
        runtime.close()
    return collection_state(data_dir)


def _data_dir(workdir: Path, name: str) -> Path:
    """A fresh data dir sharing the clean run's embedding cache, so trials cost writes, not model time."""
    data_dir = workdir / name
    data_dir.mkdir()
    (data_dir / "cache").symlink_to(workdir / "clean" / "cache", target_is_directory=True)
    return data_dir


def ingest_trial(seed: int, corpus: Path, workdir: Path, expected: tuple) -> str | None:
    rng = random.Random(seed)
    data_dir = workdir / f"ingest-{seed}"  # cold embedding cache: the kill must land while work is left
    env = {**os.environ, "HELPDESK_DATA_DIR": str(data_dir), "HELPDESK_EMBED_BATCH_SIZE": "4"}
    process = subprocess.Popen(CLI + ["ingest", str(corpus)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    delay = rng.uniform(1.5, 15.0)  # start-up takes about 1.5 s, the whole ingest 15-30 s
    time.sleep(delay)
    killed = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    half = half_documents(data_dir) if (data_dir / "qdrant").exists() else []
    rerun = subprocess.run(CLI + ["ingest", str(corpus)], env=env, capture_output=True, text=True)
    state = collection_state(data_dir)
    print(f"  ingest seed {seed}: killed after {delay:.1f} s ({'mid-run' if killed else 'already done'}), "
          f"half documents visible {len(half)}, re-run exit {rerun.returncode}, chunks {state[0]}")
    if half or rerun.returncode != 0 or state != expected or state[0] != state[2]:
        return f"seed {seed}: state differs from a clean run (half={half}, rerun={rerun.returncode})"
    return None


def files_match_index(data_dir: Path) -> bool:
    """Every uploaded file's content is what the index holds ready for it (citations link to what they quote)."""
    runtime = Runtime(Settings(data_dir=data_dir))
    try:
        return all(runtime.store.count({"doc_hash": document_hash(path.read_bytes()), "state": STATE_READY}) > 0
                   for path in (data_dir / "uploads").glob("[!.]*"))
    finally:
        runtime.close()


def upload_trial(seed: int, workdir: Path, base_corpus: Path) -> str | None:
    """Odd seeds replace an earlier upload of the same name, so the kill can land between the old and new version."""
    rng = random.Random(seed)
    document = workdir / f"long-upload-{seed}.md"
    document.write_text(scheme_document(str(seed), sections=120), encoding="utf-8")
    data_dir = _data_dir(workdir, f"upload-{seed}")
    env = {**os.environ, "HELPDESK_DATA_DIR": str(data_dir), "HELPDESK_ADMIN_KEYS": "trial-key",
           "HELPDESK_EMBED_BATCH_SIZE": "4"}
    subprocess.run(CLI + ["ingest", str(base_corpus)], env=env, capture_output=True, check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1/documents"
    headers = {"Authorization": "Bearer trial-key"}
    server = start_server(env, port)
    replacing = seed % 2 == 1
    if replacing:
        first = "---\ntitle: Long upload\nlanguage: en\n---\n\n# First version\n\nThe first version of the scheme.\n"
        httpx.post(url, headers=headers, timeout=120, files={"file": (document.name, first.encode())}).raise_for_status()

    def upload() -> None:
        try:
            httpx.post(url, headers=headers, timeout=120, files={"file": (document.name, document.read_bytes())})
        except httpx.HTTPError:
            pass  # the server is killed under it

    thread = threading.Thread(target=upload)
    thread.start()
    delay = rng.uniform(0.3, 4.0)
    time.sleep(delay)
    server.send_signal(signal.SIGKILL)
    server.wait()
    thread.join()
    half = half_documents(data_dir)
    server = start_server(env, port)  # settles the uploads folder as it starts
    server.terminate()
    server.wait()
    settled = files_match_index(data_dir)
    server = start_server(env, port)
    try:
        response = httpx.post(url, headers=headers, timeout=300, files={"file": (document.name, document.read_bytes())})
    finally:
        server.terminate()
        server.wait()
    state = collection_state(data_dir)
    leftovers = [p.name for p in (data_dir / "uploads").glob(".*")]  # staged or backup files a crash left
    status = response.json().get("status")
    print(f"  upload seed {seed}: server killed {delay:.1f} s into {'a replacing' if replacing else 'an'} upload "
          f"({'mid-upload' if status != 'unchanged' else 'upload had finished'}), half documents visible {len(half)}, "
          f"files match the index after restart {settled}, re-upload {response.status_code} {status}, "
          f"chunks {state[0]}, leftovers {len(leftovers)}")
    if half or not settled or leftovers or response.status_code != 201 or state[0] != state[2]:
        return f"seed {seed}: half={half}, settled={settled}, leftovers={leftovers}, re-upload {response.status_code}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ingest-trials", type=int, default=10)
    parser.add_argument("--upload-trials", type=int, default=5)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    args = parser.parse_args()
    corpus = ROOT / "corpus"
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"base seed {args.seed}")
        expected = clean_state([corpus], workdir)
        print(f"clean run: {expected[0]} chunks in {len({d for d, _, _ in expected[1]})} documents")
        if args.ingest_trials:
            for i in range(args.ingest_trials):
                failures += filter(None, [ingest_trial(args.seed + i, corpus, workdir, expected)])
        if args.upload_trials:
            small = workdir / "base"
            small.mkdir()
            (small / "note.md").write_text("# Note\n\nA short base document.\n", encoding="utf-8")
            for i in range(args.upload_trials):
                failures += filter(None, [upload_trial(args.seed + 1000 + i, workdir, small)])
    total = args.ingest_trials + args.upload_trials
    print(f"{total - len(failures)} of {total} trials survived")
    for failure in failures:
        print("FAILED", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
