"""No question, answer, draft or feedback text in the server log at debug level, nor in /metrics.

A real `helpdesk serve --log-level debug` process (every library's logger at DEBUG) answers ask, search, chat
(plain and streamed), draft and feedback; then its log and /metrics are searched for every sentence it was sent
and every sentence it answered.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import httpx

from tests.service.test_api_faults import closed_port

ADMIN_KEY = "admin-key-for-the-log-test"
QUESTION_BG = "Какъв е максималният процент на съфинансиране за по-слабо развитите региони? Обадете се на 0888 123 456."
QUESTION_FR = "Quels coûts de personnel sont éligibles au titre du FSE+ pour une association de Lyon ?"
FOLLOW_UP_EN = "And what about the transition regions of Vestland county?"
INQUIRY_NL = ("Beste helpdesk,\n\nKunnen wij als stichting Zonnebloem Zuidstad kinderopvang vergoeden uit ESF+?\n\n"
              "Met vriendelijke groet,\nJanneke de Vries-Bosma\n")
COMMENT = "The answer missed paragraph 3, says Petra Nováková from Ostrava"


def _fragments(text: str) -> list[str]:
    """The sentences and lines of a text long enough to be its own (short template words are not evidence)."""
    pieces = re.split(r"(?<=[.?!])\s+|\n", text)
    return [p.strip() for p in pieces if len(p.strip()) >= 16]


def test_no_request_or_answer_text_in_debug_logs_or_metrics(tmp_path, sample_index):
    settings, _ = sample_index
    data_dir = tmp_path / "data"
    shutil.copytree(settings.data_dir, data_dir, symlinks=True)  # its own copy: the index admits one process
    port = closed_port()
    env = {**os.environ, "HELPDESK_DATA_DIR": str(data_dir), "HELPDESK_ADMIN_KEYS": ADMIN_KEY}
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port), "--no-ui", "--log-level", "debug"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    sent, answered = [QUESTION_BG, QUESTION_FR, FOLLOW_UP_EN, INQUIRY_NL, COMMENT], []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        with httpx.Client(base_url=url, timeout=120) as client:
            ask = client.post("/v1/ask", json={"question": QUESTION_BG}).json()
            answered.append(ask["answer"])
            search = client.post("/v1/search", json={"query": QUESTION_FR, "k": 3}).json()
            assert search["results"]
            chat = client.post("/v1/chat/completions", json={"messages": [
                {"role": "user", "content": QUESTION_FR}]}).json()
            answered.append(chat["choices"][0]["message"]["content"])
            with client.stream("POST", "/v1/chat/completions", json={"stream": True, "messages": [
                    {"role": "user", "content": QUESTION_BG}, {"role": "assistant", "content": ask["answer"]},
                    {"role": "user", "content": FOLLOW_UP_EN}]}) as stream:
                assert stream.status_code == 200 and "[DONE]" in "".join(stream.iter_text())
            draft = client.post("/v1/draft", json={"inquiry": INQUIRY_NL, "sender_name": "Janneke"}).json()
            answered.append(draft["draft"])
            created = client.post("/v1/feedback", json={"rating": "down", "question": QUESTION_BG,
                                                         "answer": ask["answer"], "comment": COMMENT})
            assert created.status_code == 201
            assert client.delete(f"/v1/feedback/{created.json()['id']}",
                                 headers={"Authorization": f"Bearer {ADMIN_KEY}"}).status_code == 200
            metrics = client.get("/metrics").text
    finally:
        server.terminate()
        server.wait(timeout=30)
    log_text = log_path.read_text()
    assert re.search(r"^DEBUG ", log_text, re.MULTILINE)  # debug logging was on
    assert "POST /v1/ask" in log_text  # and the access log written
    assert 'route="/v1/feedback/{feedback_id}"' in metrics  # ids never become labels
    leaked = [f for text in sent + answered for f in _fragments(text) if f in log_text or f in metrics]
    assert leaked == []
