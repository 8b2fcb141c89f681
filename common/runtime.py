"""Builds the components the settings choose: the store, and the (cached) embedder."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from common.embedder import CachedEmbedder, EmbeddingCache, load_embedder
from common.settings import Settings
from common.store import StoreError, VectorStore, open_store


@dataclass
class Runtime:
    settings: Settings
    # A server builds the embedded store's index in the background after uploads; a one-shot command does not.
    background_index: bool = False

    @cached_property
    def store(self) -> VectorStore:
        return open_store(self.settings, background_index=self.background_index)

    @cached_property
    def embedder(self) -> CachedEmbedder:
        path = self.settings.cache_dir / "embeddings.sqlite"
        try:
            cache = EmbeddingCache(path)
        except (sqlite3.Error, OSError) as exc:
            # Like the store on the same disk: unavailable (503) until it is writable again, not a crash.
            raise StoreError(f"cannot open the embedding cache under {self.settings.data_dir}: {_cause(path, exc)}") from exc
        return CachedEmbedder(load_embedder(self.settings.embed), cache, self.settings.embed.batch_size)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
        if "embedder" in self.__dict__:
            self.embedder.cache.close()


def _cause(path: Path, exc: Exception) -> str:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        if os.statvfs(probe).f_flag & os.ST_RDONLY:
            return "Read-only file system"
    except OSError:
        pass
    return str(exc)
