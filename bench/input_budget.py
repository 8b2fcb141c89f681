"""Short questions' latency while maximum-size requests run: what the input budget (HELPDESK_INPUT_*) promises.

Starts `helpdesk serve` over the corpus (a collection of its own; unchanged files are a no-op on later runs), or
drives --url, and reads the budget from the same HELPDESK_INPUT_* environment as the server. Then, one phase each:
  idle   short questions (/v1/ask) one after another, nothing else running (before and after the others);
  chat   the same, while /v1/chat/completions requests with the longest history allowed (every turn, every
         character) and a last message of the maximum length run back to back (--heavy-clients at once);
  draft  the same, while /v1/draft requests with an inquiry of the maximum length (real questions) run back to back.
Prints, per phase, the short questions' p50/p95 and their ratio to idle, and the heavy requests' own duration.
A blocked event loop, or a lock a long request holds, shows as a ratio near heavy duration / idle latency.

Run: python -m bench.input_budget [--n 20] [--heavy-clients 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.search_latency import percentile
from bench.server import CLI, free_port, start_server
from common.settings import InputSettings
from evals.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "evals/datasets/sample.jsonl"
# Real prose for the history turns, so that detection, condensing and embedding do their full work on them.
PROSE = ("Beneficiaries in less developed regions ask which costs are eligible under the ESF+ programme, how the "
         "co-financing rate is set, which flat rates apply to indirect costs and when expenditure must be paid. ")


def filled(text: str, chars: int) -> str:
    """`text` repeated and cut to exactly `chars` characters."""
    return (text * (chars // len(text) + 1))[:chars]


def maximum_chat(budget: InputSettings) -> dict:
    turns = budget.max_history_turns
    per_turn = budget.max_history_chars // max(turns, 1)
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": filled(PROSE, per_turn)}
               for i in range(turns)]
    last = filled("Which of these costs are eligible, and at what rate? " + PROSE, budget.max_question_chars)
    return {"messages": [*history, {"role": "user", "content": last}]}


def maximum_draft(budget: InputSettings, questions: list[str]) -> dict:
    """An inquiry of exactly the maximum length made of real questions, each on a line of its own."""
    lines, size, i = ["Dear helpdesk,", ""], 0, 0
    closing = ["", "Kind regards", "Maria Example"]
    reserve = sum(len(line) + 1 for line in closing) + len("Dear helpdesk,") + 2
    while size + len(questions[i % len(questions)]) + 1 + reserve <= budget.max_inquiry_chars:
        lines.append(questions[i % len(questions)])
        size += len(lines[-1]) + 1
        i += 1
    inquiry = "\n".join(lines + closing)
    return {"inquiry": inquiry, "questions": i}


def timed(client: httpx.Client, path: str, body: dict) -> float:
    started = time.perf_counter()
    response = client.post(path, json=body)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
    return time.perf_counter() - started


def short_questions(client: httpx.Client, questions: list[str], n: int) -> list[float]:
    return [timed(client, "/v1/ask", {"question": questions[i % len(questions)]}) for i in range(n)]


def under_load(url: str, path: str, body: dict, clients: int, questions: list[str], n: int,
               timeout_s: float) -> tuple[list[float], list[float]]:
    """Short questions' durations while `clients` threads send `body` to `path` back to back; the heavy durations."""
    stop = threading.Event()
    heavy: list[float] = []
    started = threading.Barrier(clients + 1)
    failures: list[BaseException] = []

    def run_heavy() -> None:
        with httpx.Client(base_url=url, timeout=timeout_s) as client:
            started.wait()
            try:
                while not stop.is_set():
                    heavy.append(timed(client, path, body))
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)

    workers = [threading.Thread(target=run_heavy, daemon=True) for _ in range(clients)]
    for worker in workers:
        worker.start()
    started.wait()
    time.sleep(0.5)  # the heavy requests are past parsing and into the work
    with httpx.Client(base_url=url, timeout=timeout_s) as client:
        short = short_questions(client, questions, n)
    stop.set()
    for worker in workers:
        worker.join(timeout_s)
    if failures:
        raise RuntimeError(f"a heavy request failed: {failures[0]}")
    return short, heavy


def figures(durations: list[float]) -> dict:
    return {"n": len(durations), "p50_ms": round(percentile(durations, 0.5) * 1000, 1),
            "p95_ms": round(percentile(durations, 0.95) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (its budget must be this environment's); default: start one")
    parser.add_argument("--corpus", nargs="+", type=Path, default=[ROOT / "corpus"])
    parser.add_argument("--collection", default="input-budget")
    parser.add_argument("--n", type=int, default=20, help="short questions per phase")
    parser.add_argument("--heavy-clients", type=int, default=1, help="maximum-size requests at once")
    parser.add_argument("--phases", default="chat,draft", help="comma list of chat, draft")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one request may take")
    parser.add_argument("--server-log", type=Path, default=Path(tempfile.gettempdir()) / "helpdesk-budget-server.log")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    budget = InputSettings()
    dataset = load_dataset(QUESTIONS)
    # Short questions: every language of the sample set; the draft's inquiry: its English questions.
    short = [q.question for q in dataset if len(q.question) <= 200]
    english = [q.question for q in dataset if q.language == "en"]
    heavy = {"chat": ("/v1/chat/completions", maximum_chat(budget))}
    draft = maximum_draft(budget, english)
    heavy["draft"] = ("/v1/draft", {"inquiry": draft["inquiry"]})
    for name, (_, body) in heavy.items():
        size = len(json.dumps(body, ensure_ascii=False).encode())
        if size > budget.max_body_kb * 1024:
            parser.error(f"the maximum {name} body ({size} bytes) is past HELPDESK_INPUT_MAX_BODY_KB")

    env = os.environ.copy()
    env.setdefault("HELPDESK_RATE_LIMIT_PER_CLIENT", "")  # one address sends everything here
    server, url = None, args.url
    if url is None:
        env["HELPDESK_QDRANT_COLLECTION"] = args.collection
        subprocess.run(CLI + ["ingest", *map(str, args.corpus)], env=env, check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        server = start_server(env, port, wait_for="/readyz", log=args.server_log)
        url = f"http://127.0.0.1:{port}"
    report: dict = {"budget": budget.model_dump(), "draft_questions": draft["questions"], "phases": {}}
    try:
        with httpx.Client(base_url=url, timeout=args.timeout) as client:
            for name, (path, body) in heavy.items():  # each once, unmeasured: models and caches warm
                if name in args.phases.split(","):
                    timed(client, path, body)
            # Every phase asks the same short questions: ask them once first, so that no phase finds the
            # answers' sentence vectors cached by an earlier one and the others not.
            short_questions(client, short, args.n)
            idle = short_questions(client, short, args.n)
        measured = {}
        for name in args.phases.split(","):
            path, body = heavy[name]
            measured[name] = under_load(url, path, body, args.heavy_clients, short, args.n, args.timeout)
        with httpx.Client(base_url=url, timeout=args.timeout) as client:
            idle += short_questions(client, short, args.n)  # idle before and after: a drifting load shows in both
        report["phases"]["idle"] = {"short": figures(idle)}
        for name, (during, durations) in measured.items():
            report["phases"][name] = {
                "short": figures(during), "heavy": figures(durations),
                "ratio_p50": round(percentile(during, 0.5) / percentile(idle, 0.5), 2),
                "ratio_p95": round(percentile(during, 0.95) / percentile(idle, 0.95), 2)}
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)

    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"input budget: question {budget.max_question_chars} chars, history {budget.max_history_turns} turns / "
          f"{budget.max_history_chars} chars, inquiry {budget.max_inquiry_chars} chars "
          f"({draft['questions']} questions); {args.heavy_clients} maximum-size request(s) at once")
    print(f"{'phase':<7}{'short p50 ms':>14}{'short p95 ms':>14}{'x idle p50':>12}{'x idle p95':>12}"
          f"{'heavy p50 s':>13}{'heavy n':>9}")
    for name, phase in report["phases"].items():
        s, h = phase["short"], phase.get("heavy")
        ratios = (f"{phase['ratio_p50']:>12.2f}{phase['ratio_p95']:>12.2f}" if h else f"{'':>12}{'':>12}")
        heavy_cells = f"{h['p50_ms'] / 1000:>13.1f}{h['n']:>9}" if h else ""
        print(f"{name:<7}{s['p50_ms']:>14.1f}{s['p95_ms']:>14.1f}{ratios}{heavy_cells}")


if __name__ == "__main__":
    main()
