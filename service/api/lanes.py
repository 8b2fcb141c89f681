"""Two embedding lanes, so a short question never waits behind a long text's embedding.

An embedding model instance answers one call at a time (its engine is not re-entrant), and a text near the input
budget costs the model many times what a short question does. Long texts get a second instance of the same model
(loaded on first use, with the same cache), so short questions keep their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

# Texts up to this many characters (about a hundred tokens: any ordinary question) take the short lane.
SHORT_LANE_CHARS = 400


class LaneEmbedder:
    def __init__(self, short, make_long: Callable[[], object], short_chars: int = SHORT_LANE_CHARS) -> None:
        self.short = short
        self._make_long = make_long
        self._long = None
        self._loading = threading.Lock()
        self.short_chars = short_chars
        self.name = short.name
        self.dim = short.dim

    @property
    def inner(self):  # for whoever looks for the model behind (token counts)
        return self.short

    def _lane(self, texts: Sequence[str]):
        if max((len(t) for t in texts), default=0) <= self.short_chars:
            return self.short
        with self._loading:
            if self._long is None:
                self._long = self._make_long()
        return self._long

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._lane(texts).embed_queries(texts)

    def embed_passages(self, texts: Sequence[str], *args, **kwargs) -> np.ndarray:
        return self._lane(texts).embed_passages(texts, *args, **kwargs)
