"""One input budget (HELPDESK_INPUT_*) for every route and the UI: what is past it is refused, naming the field.

Every answer costs language detection, embedding and sentence scoring in proportion to its text; without one
budget, a route that accepted more than the others let one request hold the CPU for seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from common.settings import InputSettings


class InputTooLarge(ValueError):
    """Input past the budget: HTTP 413 with `field` named."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_text(field: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise InputTooLarge(field, f"{field} is {len(text)} characters long; the limit is {limit}")


def check_question(budget: InputSettings, text: str, field: str = "question") -> None:
    check_text(field, text, budget.max_question_chars)


def check_inquiry(budget: InputSettings, text: str) -> None:
    check_text("inquiry", text, budget.max_inquiry_chars)


def check_history(budget: InputSettings, contents: Sequence[str], field: str = "history") -> None:
    if len(contents) > budget.max_history_turns:
        raise InputTooLarge(field, f"{field} has {len(contents)} earlier turns; the limit is "
                                   f"{budget.max_history_turns}")
    total = sum(len(c) for c in contents)
    if total > budget.max_history_chars:
        raise InputTooLarge(field, f"{field} holds {total} characters of earlier turns; the limit is "
                                   f"{budget.max_history_chars}")


class BodySizeLimit:
    """413 for a request body past `max_bytes`, before it is read whole or parsed (uploads excepted: their own limit).

    A body without a Content-Length (chunked) is read here up to the limit, then passed on.
    """

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/v1/") or _is_upload(scope):
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        if declared is not None:
            return await self.app(scope, receive, send)
        # Chunked: read it here, up to the limit, then hand it on whole.
        parts, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            parts.append(message.get("body", b""))
            size += len(parts[-1])
            if size > self.max_bytes:
                return await self._refuse(send)
            more = message.get("more_body", False)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(parts), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send) -> None:
        body = (b'{"error":{"code":"input_too_large","message":"the request body is larger than '
                + str(self.max_bytes // 1024).encode() + b' KB","fields":[{"field":"body","message":"too large"}]}}')
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _is_upload(scope) -> bool:
    return scope["method"] == "POST" and scope["path"].rstrip("/") == "/v1/documents"
