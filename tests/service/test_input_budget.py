"""One input budget for every route (HELPDESK_INPUT_*): past it, 413 naming the field; a maximum-size request
does not hold up short ones. The `api` fixture runs with a small budget (conftest.BUDGET)."""

from __future__ import annotations

import statistics
import threading
import time

import httpx
import pytest

from service.ui import recent_turns
from tests.service.conftest import BUDGET

SHORT = "What is the co-financing rate for less developed regions?"
# Real words, so that detection, embedding and scoring do their full work on it.
FILLER = ("Beneficiaries in less developed regions ask which costs are eligible under the ESF+ programme, "
          "how the co-financing rate is set and which flat rates apply to indirect costs. ")


def _long(chars: int) -> str:
    return (FILLER * (chars // len(FILLER) + 1))[:chars]


def _turns(count: int, chars: int) -> list[dict]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": _long(chars)} for i in range(count)]


OVER = BUDGET.max_question_chars + 1


@pytest.mark.parametrize("path, body, field", [
    ("/v1/ask", {"question": _long(OVER)}, "question"),
    ("/v1/ask", {"question": SHORT, "history": _turns(BUDGET.max_history_turns + 1, 10)}, "history"),
    ("/v1/ask", {"question": SHORT, "history": _turns(2, BUDGET.max_history_chars // 2 + 1)}, "history"),
    ("/v1/search", {"query": _long(OVER)}, "query"),
    ("/v1/draft", {"inquiry": _long(BUDGET.max_inquiry_chars + 1)}, "inquiry"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": _long(OVER)}]}, "messages"),
    ("/v1/chat/completions", {"messages": [*_turns(BUDGET.max_history_turns + 1, 10),
                                           {"role": "user", "content": SHORT}]}, "messages"),
    ("/v1/chat/completions", {"messages": [*_turns(2, BUDGET.max_history_chars // 2 + 1),
                                           {"role": "user", "content": SHORT}]}, "messages"),
])
def test_past_the_budget_is_413_naming_the_field(api, path, body, field):
    response = api.post(path, json=body)
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "input_too_large" and [f["field"] for f in error["fields"]] == [field]


def test_at_the_budget_is_answered(api):
    response = api.post("/v1/ask", json={"question": _long(BUDGET.max_question_chars),
                                         "history": _turns(BUDGET.max_history_turns, 10)})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_past_the_limit_is_refused_before_it_is_parsed(api, chunked):
    body = b'{"question": "' + b"a" * (BUDGET.max_body_kb * 1024) + b'"}'
    content = iter([body[:1000], body[1000:]]) if chunked else body
    response = api.post("/v1/ask", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["fields"][0]["field"] == "body"


def test_the_ui_sends_only_the_turns_that_fit_the_budget():
    turns = _turns(10, 100)
    assert recent_turns(turns, 4, 10_000) == turns[-4:]
    assert recent_turns(turns, 10, 250) == turns[-2:]
    assert recent_turns(turns, 0, 10_000) == []


def _timed_ask(client: httpx.Client, question: str) -> float:
    started = time.perf_counter()
    assert client.post("/v1/ask", json={"question": question}).status_code == 200
    return time.perf_counter() - started


def test_short_questions_keep_their_latency_while_maximum_size_requests_run(api):
    """Short questions asked while maximum-size requests are answered wait for no one of them: a blocked event loop or
    a lock held through a long request would add that request's whole duration to each short one."""
    base = str(api.base_url)
    with httpx.Client(base_url=base, timeout=300) as client:
        _timed_ask(client, SHORT)  # warm
        alone = statistics.median(_timed_ask(client, SHORT) for _ in range(3))
        big = {"messages": [*_turns(BUDGET.max_history_turns, BUDGET.max_history_chars // BUDGET.max_history_turns),
                            {"role": "user", "content": _long(BUDGET.max_question_chars)}]}
        big_durations: list[float] = []

        def run_big():
            with httpx.Client(base_url=base, timeout=300) as big_client:
                for _ in range(2):
                    started = time.perf_counter()
                    assert big_client.post("/v1/chat/completions", json=big).status_code == 200
                    big_durations.append(time.perf_counter() - started)

        worker = threading.Thread(target=run_big)
        worker.start()
        time.sleep(0.05)
        during = []
        while worker.is_alive() and len(during) < 5:
            during.append(_timed_ask(client, SHORT))
        worker.join()
    assert during, "the maximum-size requests finished before a short question could be sent"
    # Generous: two requests share two cores, so a short one may take a few times longer, but never as long as
    # waiting for a whole maximum-size request on top of its own time.
    assert statistics.median(during) < max(4 * alone, alone + 0.5 * statistics.median(big_durations)), (
        alone, during, big_durations)
