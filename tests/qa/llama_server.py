"""A real llama.cpp server on a loopback port (xllamacpp's built-in HTTP server), speaking the OpenAI protocol."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    def __init__(self, gguf: Path, threads: int = 2, context_tokens: int = 4096) -> None:
        self.gguf, self.threads, self.context_tokens = gguf, threads, context_tokens
        self.port = free_port()
        self._server = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LlamaServer:
        from qa.local_llm import runtime, server_params

        self._server = runtime().Server(server_params(self.gguf, self.threads, self.context_tokens, self.port))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"llama.cpp server on port {self.port} did not become healthy")

    def __exit__(self, *exc) -> None:
        self._server = None  # the binding stops the HTTP loop and frees the model when the object goes
