"""A GGUF chat model run in this process through llama.cpp (the `xllamacpp` bindings): the fully offline mode.

Same contract as the HTTP client: chat messages in, text (or schema-constrained JSON) out, deltas when streamed,
every failure an LLMError. The model is loaded once per process and shared; llama.cpp queues concurrent requests
itself. Generation runs on llama.cpp's own thread and reports chunks through a callback, so a deadline can stop it
(the callback's True cancels the task) instead of leaving it to run on after a timeout.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common.settings import LLMSettings
from qa.llm import LLMError, Message, Schema, response_format, token_limit

GGUF_MAGIC = b"GGUF"
INSTALL_HINT = "pip install 'funding-helpdesk[local-llm]'"

_models: dict[tuple, Any] = {}
_models_lock = threading.Lock()
# How long a cancelled generation is waited for; cancelling takes effect at the next token.
_CANCEL_WAIT_S = 2.0


@atexit.register
def _unload() -> None:
    # llama.cpp's server loop must stop while the interpreter is whole, not during its teardown.
    with _models_lock:
        _models.clear()


class LocalModelError(LLMError):
    """The GGUF model cannot be used: missing file, not a GGUF file, runtime not installed, or it failed to load."""


def check_gguf(path: Path) -> Path:
    """The path, if it names a readable GGUF file; otherwise a LocalModelError that says why."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise LocalModelError(f"HELPDESK_LLM_GGUF: {path} does not exist or is not a file")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise LocalModelError(f"HELPDESK_LLM_GGUF: cannot read {path}: {exc.strerror or exc}") from exc
    if magic != GGUF_MAGIC:
        raise LocalModelError(f"HELPDESK_LLM_GGUF: {path} is not a GGUF model (it starts with {magic!r}, "
                              f"not {GGUF_MAGIC!r})")
    return path


def runtime():
    """The xllamacpp module, or a LocalModelError that says how to install it."""
    try:
        import xllamacpp
    except ImportError as exc:
        raise LocalModelError(f"HELPDESK_LLM_GGUF needs the llama.cpp runtime: {INSTALL_HINT}") from exc
    return xllamacpp


def server_params(path: Path, threads: int, context_tokens: int, port: int | None = None):
    """llama.cpp's parameters for one model; with `port`, it also serves the OpenAI protocol on loopback."""
    params = runtime().CommonParams()
    params.model.path = str(path)
    params.n_ctx = context_tokens
    params.n_parallel = 1  # one slot gets the whole context; llama.cpp queues the rest
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.warmup = False
    params.verbosity = -1  # llama.cpp's per-token logs would drown the service's own
    if port is not None:
        params.port = port
    return params


def _server(path: Path, threads: int, context_tokens: int):
    """One llama.cpp server object per (file, threads, context) in this process."""
    key = (str(path.resolve()), threads, context_tokens)
    with _models_lock:
        if key in _models:
            return _models[key]
        xllamacpp = runtime()
        try:
            server = xllamacpp.Server(server_params(path, threads, context_tokens))
        except Exception as exc:  # the binding raises plain RuntimeErrors for unloadable files
            raise LocalModelError(f"HELPDESK_LLM_GGUF: llama.cpp could not load {path}: {exc}") from exc
        _models[key] = server
        return server


class LocalChatModel:
    """A ChatBackend over a GGUF file (HELPDESK_LLM_GGUF)."""

    def __init__(self, settings: LLMSettings) -> None:
        if settings.gguf is None:
            raise LocalModelError("HELPDESK_LLM_GGUF is not set")
        self.settings = settings
        self.path = check_gguf(settings.gguf)
        threads = settings.threads or os.cpu_count() or 1
        self._server = _server(self.path, threads, settings.context_tokens)

    def _body(self, messages: list[Message], max_tokens: int | None) -> dict:
        return {"messages": messages, "temperature": self.settings.temperature,
                "max_tokens": token_limit(self.settings, max_tokens), "stream": True}

    def complete(self, messages: list[Message], max_tokens: int | None = None, schema: Schema | None = None) -> str:
        body = self._body(messages, max_tokens)
        if schema is not None:
            body["response_format"] = response_format(schema)
        return "".join(self._generate(body))

    def stream(self, messages: list[Message], max_tokens: int | None = None) -> Iterator[str]:
        yield from self._generate(self._body(messages, max_tokens))

    def _generate(self, body: dict) -> Iterator[str]:
        """Deltas from llama.cpp's thread; past the deadline the task is cancelled and an LLMError raised."""
        chunks: queue.Queue = queue.Queue()
        deadline = time.monotonic() + self.settings.timeout_s
        stop = threading.Event()
        end = object()

        def on_chunk(chunk: Any) -> bool:
            chunks.put(chunk)
            return stop.is_set()  # True asks llama.cpp to cancel the task

        def run() -> None:
            try:
                self._server.handle_chat_completions(body, on_chunk)
            except Exception as exc:  # the binding's ValueError/RuntimeError for requests it cannot take
                chunks.put(LLMError(f"local LLM refused the request: {exc}"))
            finally:
                chunks.put(end)

        worker = threading.Thread(target=run, name="local-llm", daemon=True)
        worker.start()
        finished = False
        try:
            while True:
                try:
                    chunk = chunks.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise LLMError(f"LLM timed out after {self.settings.timeout_s:g} s") from None
                if chunk is end:
                    break
                if isinstance(chunk, LLMError):
                    raise chunk
                if delta := _delta(chunk):
                    yield delta
                if _finished(chunk):
                    finished = True
        finally:
            stop.set()  # also when the consumer stops reading: the model stops writing at its next token
            worker.join(timeout=_CANCEL_WAIT_S)
        if not finished:
            raise LLMError("local LLM stream ended without a finish reason")

    def close(self) -> None:
        """The model stays loaded for the process's other helpdesks; it goes with the process."""


def _delta(chunk: Any) -> str:
    if not isinstance(chunk, dict):
        raise LLMError(f"local LLM sent a chunk that is not an object: {str(chunk)[:120]!r}")
    if "error" in chunk:
        error = chunk["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise LLMError(f"local LLM error: {str(message)[:300]}")
    try:
        content = (chunk["choices"][0].get("delta") or {}).get("content")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise LLMError(f"local LLM sent a malformed chunk: {str(chunk)[:120]!r}") from exc
    return content if isinstance(content, str) else ""


def _finished(chunk: dict) -> bool:
    try:
        return chunk["choices"][0].get("finish_reason") is not None
    except (KeyError, IndexError, TypeError, AttributeError):
        return False
