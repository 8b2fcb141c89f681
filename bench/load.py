"""Load test: N concurrent clients for T seconds against `helpdesk serve`, mixing routes; prints per-route figures.

Starts the server itself on a free loopback port over HELPDESK_DATA_DIR (ingest the corpus there first), or
drives --url. Bounded in time and in requests. Reports throughput, p50/p95/p99 per route, errors, requests
refused at the concurrency limit (503 overloaded, counted apart from errors), and the server's RSS: before,
peak, and after the run once idle. Run: python -m bench.load --clients 8 --duration 30 --routes search,ask
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bench.search_latency import percentile
from evals.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


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
                 budget: list[int], results: dict[str, list], seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        route = rng.choice(routes)
        method, path, body = _request(route, rng.choice(questions))
        started = time.perf_counter()
        try:
            if route == "chat-stream":
                async with http.stream(method, path, json=body) as response:
                    status = response.status_code
                    async for line in response.aiter_lines():
                        if line == "data: [DONE]":
                            break
            else:
                status = (await http.request(method, path, json=body)).status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        results.setdefault(route, []).append((status, (time.perf_counter() - started) * 1000))


async def drive(url: str, clients: int, duration: float, routes: list[str], max_requests: int,
                questions: list[str]) -> tuple[dict[str, list], float]:
    results: dict[str, list] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        started = time.monotonic()
        budget = [max_requests]
        await asyncio.gather(*(client(http, routes, questions, started + duration, budget, results, seed)
                               for seed in range(clients)))
        return results, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server; default: start one")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--routes", default="search,ask", help="comma list of search, ask, chat-stream")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--questions", type=Path, default=ROOT / "evals/datasets/sample.jsonl")
    parser.add_argument("--idle", type=float, default=10, help="seconds to wait before the after-run RSS")
    args = parser.parse_args()
    questions = [q.question for q in load_dataset(args.questions)]
    server = None
    url = args.url
    if url is None:
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port), "--no-ui"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            server.kill()
            sys.exit("server did not become ready")
    sampler = None
    if server:
        httpx.post(f"{url}/v1/ask", json={"question": questions[0]}, timeout=120)  # warm-up
        baseline = rss_mib(server.pid)
        sampler = RssSampler(server.pid)
        sampler.start()
    try:
        results, elapsed = asyncio.run(drive(url, args.clients, args.duration, args.routes.split(","),
                                             args.max_requests, questions))
        report = {"clients": args.clients, "seconds": round(elapsed, 1), "routes": {}}
        total = 0
        for route, rows in sorted(results.items()):
            ok = [ms for status, ms in rows if status == 200]
            overloaded = sum(status == 503 for status, _ in rows)
            errors = len(rows) - len(ok) - overloaded
            total += len(rows)
            kinds: dict[str, int] = {}
            for status, _ in rows:
                if status not in (200, 503):
                    kinds[str(status)] = kinds.get(str(status), 0) + 1
            report["routes"][route] = {
                "requests": len(rows), "ok": len(ok), "overloaded_503": overloaded, "errors": errors,
                "error_kinds": kinds,
                "per_s": round(len(ok) / elapsed, 2),
                "p50_ms": round(percentile(ok, 0.5), 1) if ok else None,
                "p95_ms": round(percentile(ok, 0.95), 1) if ok else None,
                "p99_ms": round(percentile(ok, 0.99), 1) if ok else None,
            }
        report["requests"] = total
        if server:
            sampler.running = False
            time.sleep(args.idle)
            report["rss_mib"] = {"before": round(baseline, 1), "peak": round(sampler.peak, 1),
                                 "after_idle": round(rss_mib(server.pid), 1)}
        print(json.dumps(report, indent=2))
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
