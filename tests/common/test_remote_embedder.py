"""The OpenAI-compatible embeddings engine against a real HTTP server on a loopback port."""

from __future__ import annotations

import numpy as np
import pytest

from common.embedder import load_embedder
from common.remote_embedder import RemoteEmbedder, RemoteEmbedderError
from common.settings import EmbedSettings
from tests.common.embeddings_server import EmbeddingsServer


@pytest.fixture(scope="module")
def server(onnx_embedder):
    with EmbeddingsServer(lambda texts: onnx_embedder.embed(texts, "")) as running:
        yield running


def test_vectors_come_from_the_endpoint_with_e5_prefixes(server, onnx_embedder):
    embedder = load_embedder(EmbedSettings(url=server.base_url, api_key="secret", remote_model="e5-small"))
    assert isinstance(embedder, RemoteEmbedder)
    assert embedder.dim == 384 and embedder.name == "remote/e5-small"
    texts = ["Le taux de cofinancement n'excède pas 85 %.", "Visibility: the Union emblem on the website."]
    assert np.allclose(embedder.embed_passages(texts), onnx_embedder.embed_passages(texts), atol=1e-5)
    assert np.allclose(embedder.embed_queries(["co-financing rate"]), onnx_embedder.embed_queries(["co-financing rate"]),
                       atol=1e-5)
    last = server.requests[-1]
    assert last["body"]["input"] == ["query: co-financing rate"] and last["body"]["model"] == "e5-small"
    assert last["headers"]["Authorization"] == "Bearer secret"


def test_prefixes_can_be_left_to_the_server(server):
    embedder = RemoteEmbedder(server.base_url, "e5-small", prefixes=False)
    embedder.embed_passages(["plain text"])
    assert server.requests[-1]["body"]["input"] == ["plain text"]


def test_http_failure_is_a_named_error(server):
    embedder = RemoteEmbedder(server.base_url, "e5-small")
    embedder.model = "error"
    with pytest.raises(RemoteEmbedderError, match="HTTP 500.*model crashed"):
        embedder.embed_passages(["x"])
    embedder.model = "garbled"
    with pytest.raises(RemoteEmbedderError, match="not an OpenAI embeddings response"):
        embedder.embed_passages(["x"])


def test_wrong_dimension_is_a_named_error(server):
    with pytest.raises(RemoteEmbedderError, match=r"dimension \[383\].*expected 384"):
        RemoteEmbedder(server.base_url, "short", dim=384).embed_passages(["x"])


def test_unreachable_endpoint_is_a_named_error():
    with pytest.raises(RemoteEmbedderError, match="cannot reach the embeddings endpoint http://127.0.0.1:9/v1"):
        RemoteEmbedder("http://127.0.0.1:9", "e5-small", timeout_s=2)
