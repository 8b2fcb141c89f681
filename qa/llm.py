"""Chat backends: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, hosted APIs) or a GGUF model
run in this process (qa/local_llm.py), behind one small interface chosen by settings.

Only the protocol subset the helpdesk needs: `POST {base_url}/chat/completions`, whole or streamed as
server-sent events, optionally constrained by a JSON schema. Every failure surfaces as an LLMError whose message
says what went wrong, so callers can fall back to the extractive composer and report why.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Protocol

import httpx

from common.settings import LLMSettings


class LLMError(RuntimeError):
    """The LLM endpoint failed, timed out, or answered outside the protocol."""


class LLMNotConfiguredError(LLMError):
    def __init__(self) -> None:
        super().__init__("no LLM configured: set HELPDESK_LLM_GGUF, or HELPDESK_LLM_BASE_URL and HELPDESK_LLM_MODEL")


Message = dict[str, str]
Schema = dict[str, Any]


class ChatBackend(Protocol):
    """What the composer, the condenser and the reranker need from a model."""

    settings: LLMSettings

    def complete(self, messages: list[Message], max_tokens: int | None = None, schema: Schema | None = None) -> str:
        """The whole reply; with `schema`, a JSON document that the runtime constrained to it."""

    def stream(self, messages: list[Message], max_tokens: int | None = None) -> Iterator[str]:
        """Content deltas as they arrive; the whole exchange finishes within settings.timeout_s."""

    def close(self) -> None: ...


def chat_backend(settings: LLMSettings) -> ChatBackend | None:
    """The backend the settings choose: the in-process GGUF model, an HTTP endpoint, or none."""
    if settings.local:
        from qa.local_llm import LocalChatModel  # the runtime is an optional extra

        return LocalChatModel(settings)
    if settings.configured:
        return ChatClient(settings)
    return None


def response_format(schema: Schema) -> dict:
    return {"type": "json_schema", "json_schema": {"name": "answer", "strict": True, "schema": schema}}


class ChatClient:
    def __init__(self, settings: LLMSettings) -> None:
        if not (settings.base_url and settings.model):
            raise LLMNotConfiguredError()
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._http = httpx.Client(base_url=settings.base_url.rstrip("/"), headers=headers,
                                  timeout=httpx.Timeout(settings.timeout_s))

    def _body(self, messages: list[Message], stream: bool, max_tokens: int | None = None) -> dict:
        return {"model": self.settings.model, "messages": messages, "temperature": self.settings.temperature,
                "max_tokens": token_limit(self.settings, max_tokens), "stream": stream}

    def complete(self, messages: list[Message], max_tokens: int | None = None, schema: Schema | None = None) -> str:
        body = self._body(messages, False, max_tokens)
        if schema is not None:
            body["response_format"] = response_format(schema)
        try:
            response = self._http.post("/chat/completions", json=body)
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


def token_limit(settings: LLMSettings, max_tokens: int | None) -> int:
    """A caller's max_tokens can lower the configured ceiling, never raise it."""
    return min(max_tokens, settings.max_tokens) if max_tokens else settings.max_tokens


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
