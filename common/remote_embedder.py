"""Embeddings from an OpenAI-compatible endpoint (`POST {url}/embeddings`): Hugging Face TEI, Infinity, vLLM,
Ollama — so a deployment that outgrows one CPU can put embedding on a GPU service."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from common.embedder import EmbedderError


class RemoteEmbedderError(EmbedderError):
    """The embeddings endpoint failed or answered something that is not the expected vectors."""


class RemoteEmbedder:
    def __init__(self, url: str, model: str, api_key: str | None = None, dim: int = 0, prefixes: bool = True,
                 timeout_s: float = 60.0) -> None:
        import httpx

        base = url.rstrip("/")
        if not base.endswith("/v1"):
            base += "/v1"
        self.endpoint = base + "/embeddings"
        self.model = model
        self.name = f"remote/{model}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=timeout_s)
        self._prefixes = ("query: ", "passage: ") if prefixes else ("", "")
        self.dim = dim or len(self._request(["dimension probe"])[0])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self._prefixes[0])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self._prefixes[1])

    def _embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self._request([prefix + t for t in texts])
        sizes = sorted({len(row) for row in rows})
        if sizes != [self.dim]:
            raise RemoteEmbedderError(f"{self.endpoint} returned vectors of dimension {sizes} for model "
                                      f"{self.model!r}, expected {self.dim}")
        vectors = np.asarray(rows, dtype=np.float32)
        norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors / norms

    def _request(self, inputs: list[str]) -> list[list[float]]:
        import httpx

        try:
            response = self._client.post(self.endpoint, json={"model": self.model, "input": inputs,
                                                              "encoding_format": "float"})
        except httpx.HTTPError as exc:
            raise RemoteEmbedderError(f"cannot reach the embeddings endpoint {self.endpoint}: {exc}") from exc
        if response.status_code != 200:
            raise RemoteEmbedderError(f"embeddings endpoint {self.endpoint} answered HTTP {response.status_code}: "
                                      f"{response.text[:300]}")
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = [item["embedding"] for item in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise RemoteEmbedderError(f"embeddings endpoint {self.endpoint} answered something that is not an "
                                      f"OpenAI embeddings response: {response.text[:300]}") from exc
        if len(vectors) != len(inputs):
            raise RemoteEmbedderError(f"embeddings endpoint {self.endpoint} returned {len(vectors)} vectors "
                                      f"for {len(inputs)} inputs")
        return vectors

    def close(self) -> None:
        self._client.close()
