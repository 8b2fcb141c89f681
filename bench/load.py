"""Load test: N concurrent clients for T seconds against `helpdesk serve`, mixing routes; prints per-route figures.

Starts the server itself on a free loopback port over HELPDESK_DATA_DIR, or drives --url. With --corpus it first
ingests those paths into a collection of their own (--collection; unchanged files are a no-op on later runs).
Bounded in time and in requests. Reports throughput, p50/p95/p99 per route, errors, requests refused by admission
(503 overloaded: queue full or waited too long, counted apart from errors; the client pauses --backoff-ms), and the server's
RSS before, at peak and after each round once idle, in all and for the heap alone (RssAnon, without the index files
the engine maps): --rounds shows whether memory settles or climbs round after round.

--uploads N: N documents are uploaded during the run (retrying on 503 like any client) while a watcher polls
/v1/documents and counts any document listed with fewer ready chunks than it has: a half-ingested document
exposed. The uploads are deleted afterwards, so the collection ends as it started.

Run: python -m bench.load --corpus corpus ../shared/corpus --clients 50 --duration 60 \
         --routes search,ask,chat-stream --uploads 6 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.documents import scheme_document
from bench.search_latency import percentile
from bench.server import CLI, free_port, start_server
from evals.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[1]


def rss_mib(pid: int, kind: str = "VmRSS") -> float:
    """Resident memory; kind "RssAnon" is the heap alone, without the index files the engine maps into memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far (every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.25)


def _request(route: str, question: str) -> tuple[str, str, dict]:
    if route == "search":
        return "POST", "/v1/search", {"query": question, "k": 5}
    if route == "ask":
        return "POST", "/v1/ask", {"question": question}
    return "POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": question}], "stream": True}


async def client(http: httpx.AsyncClient, routes: list[str], questions: list[str], deadline: float,
                 budget: list[int], results: dict[str, list], seed: int, backoff_s: float) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        route = rng.choice(routes)
        method, path, body = _request(route, rng.choice(questions))
        started = time.perf_counter()
        reason = ""
        try:
            if route == "chat-stream":
                async with http.stream(method, path, json=body) as response:
                    status = response.status_code
                    if status == 503:
                        reason = _refusal_reason(await response.aread())
                    async for line in response.aiter_lines():
                        if line == "data: [DONE]":
                            break
            else:
                response = await http.request(method, path, json=body)
                status = response.status_code
                if status == 503:
                    reason = _refusal_reason(response.content)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        results.setdefault(route, []).append((status, (time.perf_counter() - started) * 1000, reason))
        if status == 503:
            await asyncio.sleep(backoff_s)


def _refusal_reason(body: bytes) -> str:
    """Why admission refused: "queue full" or "waited too long" (the 503's message), else the store's own 503."""
    text = body.decode("utf-8", "replace")
    return next((reason for reason in ("queue full", "waited too long") if reason in text), "other")


class UploadReport:
    def __init__(self) -> None:
        self.statuses: list[int | str] = []
        self.ms: list[float] = []
        self.retries = 0
        self.doc_ids: list[str] = []
        self.checks = 0
        self.half_exposed: set[str] = set()

    def as_dict(self) -> dict:
        ok = [ms for status, ms in zip(self.statuses, self.ms) if status == 201]
        return {"tried": len(self.statuses), "ok": len(ok), "statuses": sorted({str(s) for s in self.statuses}),
                "retries_after_503": self.retries, "p50_ms": round(percentile(ok, 0.5)) if ok else None,
                "list_checks": self.checks, "half_exposed_documents": sorted(self.half_exposed)}


async def uploader(http: httpx.AsyncClient, count: int, duration: float, key: str, run_id: str,
                   report: UploadReport) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    started = time.monotonic()
    for index in range(count):  # spread over the run: upload i starts at (i + 1) / (count + 1) of it, or later
        await asyncio.sleep(max(0.0, started + duration * (index + 1) / (count + 1) - time.monotonic()))
        name, data = f"load-{run_id}-{index}.md", scheme_document(f"{run_id}-{index}", sections=90).encode()
        started = time.perf_counter()
        while True:
            try:
                response = await http.post("/v1/documents", headers=headers, files={"file": (name, data)})
                status = response.status_code
            except httpx.HTTPError as exc:
                response, status = None, type(exc).__name__
            if status != 503:
                break
            report.retries += 1
            await asyncio.sleep(float(response.headers.get("retry-after", 1)))
        report.statuses.append(status)
        report.ms.append((time.perf_counter() - started) * 1000)
        if status == 201:
            report.doc_ids.append(response.json()["document"]["doc_id"])


async def watcher(http: httpx.AsyncClient, deadline: float, report: UploadReport) -> None:
    while time.monotonic() < deadline:
        try:
            response = await http.get("/v1/documents")
        except httpx.HTTPError:
            response = None
        if response is None or response.status_code != 200:
            await asyncio.sleep(0.01)  # refused at the limit: try again soon, a check is due
            continue
        report.checks += 1
        for doc in response.json()["documents"]:
            if doc["chunks_ready"] != doc["chunk_count"]:
                report.half_exposed.add(doc["doc_id"])
        await asyncio.sleep(0.5)


async def drive(url: str, args: argparse.Namespace, questions: list[str], key: str | None,
                uploads: UploadReport | None) -> tuple[dict[str, list], float]:
    results: dict[str, list] = {}
    limits = httpx.Limits(max_connections=args.clients + 2, max_keepalive_connections=args.clients + 2)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        started = time.monotonic()
        deadline = started + args.duration
        budget = [args.max_requests]
        routes = args.routes.split(",")
        side_tasks = []
        if uploads is not None:
            run_id = secrets.token_hex(3)
            side_tasks = [asyncio.create_task(uploader(http, args.uploads, args.duration, key, run_id, uploads)),
                          asyncio.create_task(watcher(http, deadline, uploads))]
        await asyncio.gather(*(client(http, routes, questions, deadline, budget, results, seed, args.backoff_ms / 1000)
                               for seed in range(args.clients)))
        elapsed = time.monotonic() - started
        await asyncio.gather(*side_tasks)  # an upload still running finishes; its time is not in the throughput
        return results, elapsed


def route_figures(results: dict[str, list], elapsed: float) -> dict:
    figures = {}
    for route, rows in sorted(results.items()):
        ok = [ms for status, ms, _ in rows if status == 200]
        refused = [ms for status, ms, _ in rows if status == 503]
        overloaded = len(refused)
        reasons: dict[str, int] = {}
        for status, _, reason in rows:
            if status == 503:
                reasons[reason] = reasons.get(reason, 0) + 1
        kinds: dict[str, int] = {}
        for status, _, _ in rows:
            if status not in (200, 503):
                kinds[str(status)] = kinds.get(str(status), 0) + 1
        figures[route] = {
            "requests": len(rows), "ok": len(ok), "overloaded_503": overloaded, "overloaded_reasons": reasons,
            "errors": sum(kinds.values()),
            "error_kinds": kinds, "per_s": round(len(ok) / elapsed, 2),
            "p50_ms": round(percentile(ok, 0.5), 1) if ok else None,
            "p95_ms": round(percentile(ok, 0.95), 1) if ok else None,
            "p99_ms": round(percentile(ok, 0.99), 1) if ok else None,
            "overloaded_p95_ms": round(percentile(refused, 0.95), 1) if refused else None,
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server; default: start one")
    parser.add_argument("--corpus", nargs="+", type=Path, help="ingest these paths first (own collection)")
    parser.add_argument("--collection", default="load", help="the collection --corpus fills and the server reads")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=1, help="repeat the run; RSS is reported after each")
    parser.add_argument("--routes", default="search,ask", help="comma list of search, ask, chat-stream")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per round")
    parser.add_argument("--backoff-ms", type=float, default=100, help="a client's pause after a 503")
    parser.add_argument("--uploads", type=int, default=0, help="documents uploaded during each round")
    parser.add_argument("--admin-key", help="for --uploads against --url (a started server gets a fresh one)")
    parser.add_argument("--questions", type=Path, nargs="+",
                        default=[ROOT / "evals/datasets/sample.jsonl", ROOT / "evals/datasets/shared.jsonl"])
    parser.add_argument("--server-log", type=Path, default=Path(tempfile.gettempdir()) / "helpdesk-load-server.log",
                        help="the started server's output (access log, errors)")
    parser.add_argument("--idle", type=float, default=10, help="seconds to wait before the after-round RSS")
    args = parser.parse_args()
    questions = [q.question for path in args.questions for q in load_dataset(path)]
    env = os.environ.copy()
    # All the bench's clients share one address: a per-client rate limit would measure itself, not the server.
    env.setdefault("HELPDESK_RATE_LIMIT_PER_CLIENT", "")
    if args.corpus:
        env["HELPDESK_QDRANT_COLLECTION"] = args.collection
        subprocess.run(CLI + ["ingest", *map(str, args.corpus)], env=env, check=True)
    key = args.admin_key
    server = None
    url = args.url
    if url is None:
        key = key or secrets.token_urlsafe(16)
        env["HELPDESK_ADMIN_KEYS"] = key
        port = free_port()
        server = start_server(env, port, wait_for="/readyz", log=args.server_log)
        url = f"http://127.0.0.1:{port}"
    if args.uploads and not key:
        parser.error("--uploads against --url needs --admin-key")
    try:
        httpx.post(f"{url}/v1/ask", json={"question": questions[0]}, timeout=120)  # warm-up
        chunks = sum(d["chunk_count"] for d in httpx.get(f"{url}/v1/documents", timeout=60).json()["documents"])
        report: dict = {"clients": args.clients, "chunks_indexed": chunks, "rounds": []}
        if server:
            report["server_log"] = str(args.server_log)
        if server:
            report["rss_mib_before"] = {"rss": round(rss_mib(server.pid), 1),
                                        "anon": round(rss_mib(server.pid, "RssAnon"), 1)}
        for _ in range(args.rounds):
            uploads = UploadReport() if args.uploads else None
            sampler = RssSampler(server.pid) if server else None
            if sampler:
                sampler.start()
            cpu_before = cpu_seconds(server.pid) if server else None
            results, elapsed = asyncio.run(drive(url, args, questions, key, uploads))
            round_report: dict = {"seconds": round(elapsed, 1), "requests": sum(map(len, results.values())),
                                  "routes": route_figures(results, elapsed)}
            if server:
                # The CPU bound: with the server's CPU seconds per answered request, `cores` cores answer at most
                # cores / that many requests a second; `of_cpu_bound` is how close the run came.
                used = cpu_seconds(server.pid) - cpu_before
                answered = sum(figures["ok"] for figures in round_report["routes"].values())
                per_request = used / max(answered, 1)
                bound = (os.cpu_count() or 1) / per_request if answered else None
                total_per_s = sum(figures["per_s"] for figures in round_report["routes"].values())
                round_report["server_cpu"] = {
                    "cpu_s": round(used, 1), "cpu_ms_per_answered": round(1000 * per_request, 1),
                    "cores": os.cpu_count(), "cpu_bound_per_s": round(bound, 2) if bound else None,
                    "of_cpu_bound": round(total_per_s / bound, 2) if bound else None}
            if uploads is not None:
                for doc_id in uploads.doc_ids:  # leave the collection as it was
                    httpx.delete(f"{url}/v1/documents/{doc_id}", headers={"Authorization": f"Bearer {key}"},
                                 timeout=120).raise_for_status()
                round_report["uploads"] = uploads.as_dict()
            if sampler:
                sampler.running = False
                time.sleep(args.idle)
                round_report["rss_mib"] = {"peak": round(sampler.peak, 1), "after_idle": round(rss_mib(server.pid), 1),
                                           "after_idle_anon": round(rss_mib(server.pid, "RssAnon"), 1)}
            report["rounds"].append(round_report)
            print(json.dumps(round_report, indent=2), flush=True)
        print(json.dumps(report, indent=2))
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
