"""The service when things go wrong: the store is unreachable, the LLM is slow, too many requests at once."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from contextlib import contextmanager

import httpx
import pytest

from common.settings import AnswerSettings, LLMSettings, ServiceSettings, Settings, StoreSettings
from service.api.admission import ANSWERS, STREAMS, lane_for
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


def with_llm(base: Settings, llm, model: str, timeout_s: float = 30, **service) -> Settings:
    """`base` answering with the LLM composer through the scripted server `llm`; no rate limit, `service` extras."""
    return base.model_copy(update={
        "llm": LLMSettings(base_url=llm.base_url, model=model, timeout_s=timeout_s),
        "answer": AnswerSettings(composer="llm"),
        "service": ServiceSettings(rate_limit_per_client="", **service),
    })


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


async def timed_post(client: httpx.AsyncClient, path: str, body: dict) -> tuple[httpx.Response, float, float]:
    """Sends `body` to `path`: (the response, the seconds it took, when it came back)."""
    started = time.perf_counter()
    response = await client.post(path, json=body)
    finished = time.perf_counter()
    return response, finished - started, finished


async def lane_reaches(client: httpx.AsyncClient, lane: str, active: int, queued: int, within_s: float = 30) -> None:
    """Waits until the server reports `active` slots held and `queued` requests waiting in `lane`: requests sent
    after that are known to come after those already there, however the machine schedules the connections."""
    wanted = (f'helpdesk_lane_active{{lane="{lane}"}} {float(active)}', f'helpdesk_lane_queued{{lane="{lane}"}} {float(queued)}')
    deadline = time.monotonic() + within_s
    while True:
        metrics = (await client.get("/metrics")).text
        if all(line in metrics.splitlines() for line in wanted):
            return
        assert time.monotonic() < deadline, f"lane {lane} never held {active} and queued {queued}:\n{metrics}"
        await asyncio.sleep(0.02)


def test_requests_beyond_the_limit_queue_in_order_and_only_past_the_queue_are_refused(sample_index):
    """One answer at a time and three places in the queue: of six requests sent one after another (each answer
    takes 3 s), the first four are all answered, in the order sent, and only the last two are refused, at once."""
    base, _ = sample_index
    with OpenAIProtocolServer() as llm:
        settings = with_llm(base, llm, "slow", timeout_s=10, max_concurrent=1, queue_size=3, queue_wait_s=60)
        with serving(settings) as url:
            async def burst():
                async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                    async def one(index: int):
                        response, seconds, finished = await timed_post(client, "/v1/ask", {
                            "question": "What is the co-financing rate for less developed regions?"})
                        return index, response.status_code, seconds, finished, response.headers

                    sent = [asyncio.create_task(one(0))]
                    for index in range(1, 6):  # each sent once the one before it holds the slot or its place in line
                        await lane_reaches(client, "answers", active=1, queued=min(index - 1, 3))
                        sent.append(asyncio.create_task(one(index)))
                    return await asyncio.gather(*sent)

            results = asyncio.run(burst())
            assert [status for _, status, *_ in results] == [200, 200, 200, 200, 503, 503]
            answered = sorted((r for r in results if r[1] == 200), key=lambda r: r[3])
            assert [index for index, *_ in answered] == [0, 1, 2, 3]  # first come, first served
            refused = [r for r in results if r[1] == 503]
            assert all(seconds < 1.5 for _, _, seconds, _, _ in refused)  # not after a wait
            assert all(int(headers["retry-after"]) >= 1 for *_, headers in refused)
            metrics = httpx.get(f"{url}/metrics").text
            assert "helpdesk_rejected_overload_total 2.0" in metrics


def test_a_burst_of_streams_waits_in_its_own_lane_and_plain_questions_go_past_it(sample_index):
    """One stream and one question at a time: three streamed chat completions (each held 3 s by the model) queue in
    their lane, in the order sent, while a plain question sent after them is answered before the first stream ends."""
    base, _ = sample_index
    with OpenAIProtocolServer() as llm:
        settings = with_llm(base, llm, "slow", timeout_s=10, max_concurrent=1, max_concurrent_streams=1,
                            queue_size=3, queue_wait_s=60)
        with serving(settings) as url:
            async def burst():
                async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                    async def stream(index: int):
                        asked = "What is the co-financing rate for less developed regions?"
                        response, _, finished = await timed_post(client, "/v1/chat/completions", {
                            "model": "funding-helpdesk", "stream": True,
                            "messages": [{"role": "user", "content": asked}]})
                        return "stream", index, response.status_code, finished

                    async def question():
                        response, _, finished = await timed_post(client, "/v1/ask", {
                            "question": "What flat rate covers indirect costs?", "composer": "extractive"})
                        return "question", 0, response.status_code, finished

                    sent = [asyncio.create_task(stream(0))]
                    for index in range(1, 3):  # each sent once the one before it holds the slot or its place in line
                        await lane_reaches(client, "streams", active=1, queued=index - 1)
                        sent.append(asyncio.create_task(stream(index)))
                    await lane_reaches(client, "streams", active=1, queued=2)
                    sent.append(asyncio.create_task(question()))
                    return await asyncio.gather(*sent)

            results = asyncio.run(burst())
            assert [status for _, _, status, _ in results] == [200, 200, 200, 200]
            streams = sorted((r for r in results if r[0] == "stream"), key=lambda r: r[3])
            assert [index for _, index, _, _ in streams] == [0, 1, 2]  # first come, first served in their lane
            finished_question = next(r[3] for r in results if r[0] == "question")
            assert finished_question < streams[0][3]
            metrics = httpx.get(f"{url}/metrics").text
            assert 'helpdesk_queue_wait_seconds_count{lane="streams"} 3.0' in metrics
            assert 'helpdesk_queue_wait_seconds_count{lane="answers"} 1.0' in metrics


@pytest.mark.parametrize("body, streams", [
    (b'{"stream": true, "messages": []}', True), (b'{"stream": "true"}', True), (b'{"stream": 1}', True),
    (b'{"stream": false}', False), (b'{"messages": [{"content": "stream"}]}', False), (b'{"stream": tru', False),
    (b'["stream"]', False), (b'{"stream": "maybe"}', False),
])
def test_a_chat_completion_is_a_stream_exactly_when_the_schema_reads_it_so(body, streams):
    assert (lane_for("POST", "/v1/chat/completions", body) == STREAMS) is streams
    assert lane_for("POST", "/v1/ask", body) == ANSWERS


def test_a_request_waiting_past_the_queue_wait_is_refused(sample_index):
    base, _ = sample_index
    with OpenAIProtocolServer() as llm:
        settings = with_llm(base, llm, "slow", timeout_s=10, max_concurrent=1, queue_size=5, queue_wait_s=1)
        with serving(settings) as url:
            async def pair():
                async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                    async def one():
                        response, seconds, _ = await timed_post(client, "/v1/ask", {"question": "What is ESF+ for?"})
                        return response.status_code, seconds

                    first = asyncio.create_task(one())
                    await lane_reaches(client, "answers", active=1, queued=0)
                    return await asyncio.gather(first, one())

            (first, _), (second, waited) = asyncio.run(pair())
            assert first == 200 and second == 503 and 0.9 < waited < 2.5


def test_uploads_while_serving_fail_no_query_and_keys_never_reach_the_logs(tmp_path, embedding_cache_dir):
    """A real `helpdesk serve` process: queries keep answering during an upload, no document is ever visible with only
    some of its chunks, and the log never shows a key."""
    import os
    import subprocess
    import sys

    from common.runtime import Runtime
    from ingest.pipeline import Ingestor
    from tests.conftest import SAMPLE_CORPUS

    key = "admin-key-never-logged-4471"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    runtime = Runtime(Settings(data_dir=data_dir))
    assert Ingestor(runtime.settings, runtime.store, runtime.embedder).ingest([SAMPLE_CORPUS]).ok
    runtime.close()
    port = closed_port()
    env = {**os.environ, "HELPDESK_DATA_DIR": str(data_dir), "HELPDESK_ADMIN_KEYS": key, "HELPDESK_EMBED_BATCH_SIZE": "4",
           "HELPDESK_RATE_LIMIT_PER_CLIENT": ""}  # the loop below asks as fast as the server answers
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port), "--no-ui"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        paragraphs = [f"## Part {i}\n\nRule {i} of the Oostdorp scheme: allowance {100 + i} euro, deadline day {i}."
                      for i in range(60)]
        document = "---\ntitle: Oostdorp scheme\nlanguage: en\n---\n\n" + "\n\n".join(paragraphs)
        upload: dict = {}

        def do_upload():
            upload["response"] = httpx.post(f"{url}/v1/documents", headers={"Authorization": f"Bearer {key}"},
                                            files={"file": ("oostdorp.md", document.encode())}, timeout=300)

        uploader = threading.Thread(target=do_upload)
        uploader.start()
        statuses, half_listed = [], []
        while uploader.is_alive():
            statuses.append(httpx.post(f"{url}/v1/search", json={"query": "co-financing rate"}, timeout=60).status_code)
            statuses.append(httpx.post(f"{url}/v1/ask", json={"question": "Who can apply for ESF+?"}, timeout=60).status_code)
            listed = httpx.get(f"{url}/v1/documents", timeout=60).json()["documents"]
            half_listed += [d["doc_id"] for d in listed if d["chunks_ready"] != d["chunk_count"]]
        uploader.join()
        assert half_listed == []  # never a document with only some of its chunks visible
        assert upload["response"].status_code == 201, upload["response"].text
        assert statuses and set(statuses) == {200}
        found = httpx.post(f"{url}/v1/search", json={"query": "Oostdorp scheme allowance rule 7", "k": 3}).json()
        assert any("Oostdorp" in hit["title"] for hit in found["results"])
        assert httpx.post(f"{url}/v1/documents", headers={"Authorization": "Bearer wrong-key-9"},
                          files={"file": ("x.md", b"# x")}).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
    log_text = log_path.read_text()
    assert "POST /v1/documents" in log_text  # the access log was written
    assert key not in log_text and "wrong-key-9" not in log_text
