"""Builds the components the settings choose: the store, and the (cached) embedder."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from common.embedder import CachedEmbedder, EmbeddingCache, load_embedder
from common.settings import Settings
from common.store import VectorStore, open_store


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def store(self) -> VectorStore:
        return open_store(self.settings)

    @cached_property
    def embedder(self) -> CachedEmbedder:
        cache = EmbeddingCache(self.settings.cache_dir / "embeddings.sqlite")
        return CachedEmbedder(load_embedder(self.settings.embed), cache, self.settings.embed.batch_size)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
        if "embedder" in self.__dict__:
            self.embedder.cache.close()
