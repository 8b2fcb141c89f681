"""Admission: at most N requests are answered at once; more wait in a bounded first-come queue, and only a request
that finds the queue full, or waits past its limit, is refused (503 with Retry-After).

Lanes keep kinds of work apart: questions (every /v1/ route and the UI's Chat and Draft), streamed answers (a chat
completion asked with `"stream": true`, which holds its slot while the model writes) and document writes (uploads,
deletes), so neither a long upload nor a burst of streams takes a question's place. A lane can be entered from any
event loop or thread: the API's middleware and Gradio's handlers share one.

Whether a chat completion streams is in its body, so the middleware reads that body before admitting it; the body
is already bounded by the input budget (BodySizeLimit runs first), and no slot is held while a client sends it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pydantic import TypeAdapter, ValidationError

from common.settings import ServiceSettings

ANSWERS = "answers"
STREAMS = "streams"
DOCUMENT_WRITES = "document-writes"
# Routes whose JSON body may ask for a streamed answer with "stream": true.
STREAMING_ROUTES = frozenset({"/v1/chat/completions"})
_AS_BOOL = TypeAdapter(bool)  # read "stream" as the request schema does (lax: true, 1, "true", ...)


class Overloaded(Exception):
    """The lane's queue is full, or the wait for a slot ran past its limit."""

    def __init__(self, lane: str, reason: str, retry_after_s: int) -> None:
        super().__init__(f"{lane}: {reason}")
        self.lane, self.reason, self.retry_after_s = lane, reason, retry_after_s


@dataclass
class Lane:
    name: str
    limit: int
    queue_size: int
    wait_s: float
    active: int = 0
    waits: deque = field(default_factory=deque)  # (loop, future) of queued requests, first come first
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def queued(self) -> int:
        return len(self.waits)

    async def acquire(self) -> float:
        """Take a slot, waiting in line if need be; returns the seconds waited. Raises Overloaded."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.active < self.limit and not self.waits:
                self.active += 1
                return 0.0
            if len(self.waits) >= self.queue_size:
                raise Overloaded(self.name, "queue full", self._retry_after())
            entry = (loop, loop.create_future())
            self.waits.append(entry)
        started = time.monotonic()
        try:
            await asyncio.wait_for(asyncio.shield(entry[1]), self.wait_s)
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            with self._lock:
                handed = entry not in self.waits  # release() passed its slot on just now
                if not handed:
                    self.waits.remove(entry)
            if isinstance(exc, asyncio.CancelledError):
                if handed:
                    self.release()
                raise
            if not handed:
                raise Overloaded(self.name, "waited too long", self._retry_after()) from None
        return time.monotonic() - started

    def release(self) -> None:
        """Pass the slot to the first in line, or free it."""
        with self._lock:
            if not self.waits:
                self.active -= 1
                return
            loop, future = self.waits.popleft()
        loop.call_soon_threadsafe(_grant, future)

    def _retry_after(self) -> int:
        return max(1, round(self.wait_s / 4))

    @asynccontextmanager
    async def slot(self):
        waited = await self.acquire()
        try:
            yield waited
        finally:
            self.release()


def _grant(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(True)


class Admission:
    def __init__(self, service: ServiceSettings) -> None:
        self.lanes = {
            ANSWERS: Lane(ANSWERS, service.max_concurrent, service.queue_size, service.queue_wait_s),
            STREAMS: Lane(STREAMS, service.max_concurrent_streams, service.queue_size, service.queue_wait_s),
            # Uploads and deletes run one at a time anyway (the ingest lock); they queue apart from questions.
            DOCUMENT_WRITES: Lane(DOCUMENT_WRITES, 1, service.queue_size, service.queue_wait_s),
        }

    def lane(self, name: str) -> Lane:
        return self.lanes[name]


def lane_for(method: str, path: str, body: bytes | None = None) -> str | None:
    """The lane of an HTTP request; None for routes outside admission (health, metrics, the UI's own traffic).
    `body`: the request's body, for the routes of STREAMING_ROUTES."""
    if not path.startswith("/v1/"):
        return None
    if path.startswith("/v1/documents") and method in ("POST", "DELETE", "PUT"):
        return DOCUMENT_WRITES
    if method == "POST" and path.rstrip("/") in STREAMING_ROUTES and body is not None and asks_to_stream(body):
        return STREAMS
    return ANSWERS


def asks_to_stream(body: bytes) -> bool:
    """Whether a JSON body asks for a streamed answer; a body that does not parse is the route's to refuse."""
    if b"stream" not in body:  # most bodies: no need to parse
        return False
    try:
        data = json.loads(body)
        return isinstance(data, dict) and _AS_BOOL.validate_python(data.get("stream", False))
    except (ValueError, ValidationError):
        return False


class AdmissionControl:
    """ASGI middleware: each /v1/ request holds a slot of its lane for as long as it is answered."""

    def __init__(self, app, admission: Admission, metrics, max_body_bytes: int) -> None:
        self.app = app
        self.admission = admission
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method, path = scope.get("method", ""), scope["path"]
        body = None
        if method == "POST" and path.rstrip("/") in STREAMING_ROUTES:
            body, receive = await self._read_body(receive)
        name = lane_for(method, path, body)
        if name is None:
            return await self.app(scope, receive, send)
        lane = self.admission.lane(name)
        try:
            waited = await lane.acquire()
        except Overloaded as exc:
            self.metrics.rejected.inc()
            body = (b'{"error":{"code":"overloaded","message":"the helpdesk is busy (' + exc.reason.encode()
                    + b'); retry shortly"}}')
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/json"), (b"retry-after", str(exc.retry_after_s).encode()),
                (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        self.metrics.queue_wait.labels(name).observe(waited)
        try:
            await self.app(scope, receive, send)
        finally:
            lane.release()

    async def _read_body(self, receive):
        """The whole body, up to max_body_bytes, and a `receive` that hands it on; (None, receive) past that bound
        or when the client leaves (the app then meets the same messages)."""
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_body_bytes or not message.get("more_body", False):
                break
        complete = messages[-1]["type"] == "http.request" and not messages[-1].get("more_body", False)
        body = b"".join(m.get("body", b"") for m in messages) if complete and size <= self.max_body_bytes else None
        pending = list(messages)

        async def replay():
            return pending.pop(0) if pending else await receive()

        return body, replay
