"""The service when things go wrong: the store is unreachable, the LLM is slow, too many requests at once."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from contextlib import contextmanager

import httpx

from common.settings import AnswerSettings, LLMSettings, ServiceSettings, Settings, StoreSettings
from tests.qa.openai_server import OpenAIProtocolServer


@contextmanager
def serving(settings: Settings):
    import uvicorn

    from service.api import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(settings, with_ui=False), host="127.0.0.1", port=0,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_store_gives_503_not_a_crash(tmp_path):
    settings = Settings(data_dir=tmp_path, store=StoreSettings(url=f"http://127.0.0.1:{closed_port()}", timeout_s=2))
    with serving(settings) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 503 and ready.json()["store"] != "ok"
        response = httpx.post(f"{url}/v1/ask", json={"question": "What is the co-financing rate?"}, timeout=30)
        assert response.status_code == 503 and response.json()["error"]["code"] == "store_unavailable"
        search = httpx.post(f"{url}/v1/search", json={"query": "co-financing"}, timeout=30)
        assert search.status_code == 503


def test_requests_beyond_the_limit_are_refused_quickly(sample_index):
    base, _ = sample_index
    with OpenAIProtocolServer() as llm:
        settings = base.model_copy(update={
            "llm": LLMSettings(base_url=llm.base_url, model="slow", timeout_s=10),
            "answer": AnswerSettings(composer="llm"),
            "service": ServiceSettings(max_concurrent=2),
        })
        with serving(settings) as url:
            async def burst():
                async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                    async def one():
                        started = time.perf_counter()
                        response = await client.post("/v1/ask", json={
                            "question": "What is the co-financing rate for less developed regions?"})
                        return response.status_code, time.perf_counter() - started, response.headers
                    return await asyncio.gather(*(one() for _ in range(6)))

            results = asyncio.run(burst())
            refused = [r for r in results if r[0] == 503]
            assert len([r for r in results if r[0] == 200]) == 2 and len(refused) == 4
            assert all(seconds < 1.5 for _, seconds, _ in refused)  # the slow LLM takes 3 s
            assert all(headers["retry-after"] == "1" for _, _, headers in refused)
            metrics = httpx.get(f"{url}/metrics").text
            assert "helpdesk_rejected_overload_total 4.0" in metrics
