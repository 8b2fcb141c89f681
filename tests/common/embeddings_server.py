"""A real HTTP server speaking the OpenAI embeddings protocol (`POST /v1/embeddings`), backed by a real embedder.

Like Hugging Face TEI it embeds each input as given (the client adds the e5 prefixes). The `model` name scripts
failures: "error" answers HTTP 500, "short" returns vectors one dimension short, "garbled" returns non-JSON.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np


class _Handler(BaseHTTPRequestHandler):
    server: EmbeddingsServer

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        if self.path != "/v1/embeddings":
            return self._send(404, b'{"error": "not found"}')
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"headers": dict(self.headers), "body": request})
        model = request.get("model")
        if model == "error":
            return self._send(500, b'{"error": "model crashed"}')
        if model == "garbled":
            return self._send(200, b"<html>proxy error</html>")
        inputs = request["input"] if isinstance(request["input"], list) else [request["input"]]
        # The server's embedder prefixes nothing: embed the raw text through the engine's passage path minus prefix.
        vectors = self.server.embed(inputs)
        if model == "short":
            vectors = vectors[:, :-1]
        data = [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]
        data.reverse()  # the protocol orders by `index`, not by position
        self._send(200, json.dumps({"object": "list", "data": data, "model": model}).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class EmbeddingsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, embed) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.embed = lambda texts: np.asarray(embed(texts), dtype=np.float32)
        self.requests: list[dict] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> EmbeddingsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
