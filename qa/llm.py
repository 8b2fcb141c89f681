"""A client for any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server, hosted APIs).

Only the protocol subset the helpdesk needs: `POST {base_url}/chat/completions`, whole or streamed as
server-sent events. Every failure surfaces as an LLMError whose message says what went wrong, so callers can
fall back to the extractive composer and report why.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx

from common.settings import LLMSettings


class LLMError(RuntimeError):
    """The LLM endpoint failed, timed out, or answered outside the protocol."""


class LLMNotConfiguredError(LLMError):
    def __init__(self) -> None:
        super().__init__("no LLM configured: set HELPDESK_LLM_BASE_URL and HELPDESK_LLM_MODEL")


Message = dict[str, str]


class ChatClient:
    def __init__(self, settings: LLMSettings) -> None:
        if not settings.configured:
            raise LLMNotConfiguredError()
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._http = httpx.Client(base_url=settings.base_url.rstrip("/"), headers=headers,
                                  timeout=httpx.Timeout(settings.timeout_s))

    def _body(self, messages: list[Message], stream: bool, max_tokens: int | None = None) -> dict:
        # A caller's max_tokens can lower the configured ceiling, never raise it.
        limit = min(max_tokens, self.settings.max_tokens) if max_tokens else self.settings.max_tokens
        return {"model": self.settings.model, "messages": messages, "temperature": self.settings.temperature,
                "max_tokens": limit, "stream": stream}

    def complete(self, messages: list[Message], max_tokens: int | None = None) -> str:
        try:
            response = self._http.post("/chat/completions", json=self._body(messages, False, max_tokens))
        except httpx.TimeoutException as exc:
            raise LLMError(f"LLM timed out after {self.settings.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"LLM unreachable at {self.settings.base_url}: {exc}") from exc
        _check_status(response)
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError("LLM reply is not an OpenAI chat completion (no choices[0].message.content)") from exc
        if not isinstance(content, str):
            raise LLMError("LLM reply content is not text")
        return content

    def stream(self, messages: list[Message], max_tokens: int | None = None) -> Iterator[str]:
        """Content deltas as they arrive; the whole exchange must finish within the timeout."""
        deadline = time.monotonic() + self.settings.timeout_s
        body = self._body(messages, True, max_tokens)
        try:
            with self._http.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    _check_status(response)
                for line in response.iter_lines():
                    if time.monotonic() > deadline:
                        raise LLMError(f"LLM stream timed out after {self.settings.timeout_s:g} s")
                    delta = _parse_event(line)
                    if delta is None:
                        return
                    if delta:
                        yield delta
        except httpx.TimeoutException as exc:
            raise LLMError(f"LLM timed out after {self.settings.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"LLM stream failed: {exc}") from exc
        raise LLMError("LLM stream ended without [DONE]")

    def close(self) -> None:
        self._http.close()


def _check_status(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise LLMError(f"LLM answered HTTP {response.status_code}: {response.text[:200]}")


def _parse_event(line: str) -> str | None:
    """Delta text of one SSE line ('' for lines without content); None at the closing [DONE]."""
    line = line.strip()
    if not line.startswith("data:"):
        return ""  # blank separators, comments and other fields carry no content
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        choice = json.loads(data)["choices"][0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"malformed stream event from LLM: {data[:120]!r}") from exc
    content = (choice.get("delta") or {}).get("content")
    return content if isinstance(content, str) else ""
