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
    # A server builds the embedded store's index in the background after uploads; a one-shot command does not.
    background_index: bool = False

    @cached_property
    def store(self) -> VectorStore:
        return open_store(self.settings, background_index=self.background_index)

    @cached_property
    def embedder(self) -> CachedEmbedder:
        cache = EmbeddingCache(self.settings.cache_dir / "embeddings.sqlite")
        return CachedEmbedder(load_embedder(self.settings.embed), cache, self.settings.embed.batch_size)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
        if "embedder" in self.__dict__:
            self.embedder.cache.close()
