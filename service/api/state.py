"""What the routes share: settings, the store and embedder, the helpdesk, the ingest lock, feedback, metrics."""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from common.embedder import MemoryCachedEmbedder, load_embedder
from common.language import detect_language
from common.runtime import Runtime
from common.schema import STATE_READY, document_hash
from common.settings import Settings
from common.store import StoreError
from qa.helpdesk import Helpdesk
from service import uploads
from service.api.admission import Admission
from service.api.lanes import LaneEmbedder
from service.api.metrics import Metrics
from service.feedback import FeedbackStore


log = logging.getLogger("helpdesk")


@dataclass
class AppState:
    settings: Settings
    runtime: Runtime = field(init=False)
    metrics: Metrics = field(default_factory=Metrics)
    # One ingest at a time: uploads and deletes are serialised; queries keep running meanwhile.
    ingest_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.runtime = Runtime(self.settings, background_index=True)
        self.admission = Admission(self.settings.service)
        self.metrics.watch_lanes(self.admission.lanes)

    @cached_property
    def helpdesk(self) -> Helpdesk:
        entries = self.settings.embed.query_cache_entries
        # Questions share the model with uploads but not its disk cache (common/embedder.py: for_questions).
        short = MemoryCachedEmbedder(self.runtime.embedder.inner, entries)

        def long_lane() -> MemoryCachedEmbedder:
            # An instance of its own: the process's shared one would make long texts wait on the short lane's lock.
            return MemoryCachedEmbedder(load_embedder(self.settings.embed, separate=True), entries)

        return Helpdesk(self.settings, self.runtime.store, LaneEmbedder(short, long_lane))

    @cached_property
    def feedback(self) -> FeedbackStore:
        return FeedbackStore.open(self.settings)

    def purge_expired_feedback(self) -> int:
        """Delete feedback past its retention; a store that cannot be opened is logged, never fatal."""
        try:
            purged = self.feedback.purge_expired()
        except (sqlite3.Error, OSError) as exc:
            log.warning("could not purge expired feedback: %s", exc)
            return 0
        if purged:
            log.info("purged %d feedback rows past the %g-day retention", purged, self.settings.feedback.retention_days)
        return purged

    @property
    def uploads_dir(self):
        return self.settings.data_dir / "uploads"

    def warm_up(self) -> None:
        """Load the models and open the store now, so that no early question pays seconds for it.

        Lingua loads a script's language models the first time it meets that script; one sentence in each of
        Latin, Cyrillic and Greek loads them all.
        """
        for text in ("Which costs are eligible?", "Какви разходи са допустими?", "Ποιες δαπάνες είναι επιλέξιμες;"):
            detect_language(text, languages=tuple(self.settings.languages))
        try:
            self.runtime.embedder.embed_queries(["warm-up"])
            self.runtime.store.collection_info()
        except (StoreError, sqlite3.Error, OSError) as exc:
            # Start anyway (store down, data dir read-only): /healthz answers, /readyz and the routes say 503
            # until the store is back; both are opened again on the next request.
            log.warning("not ready at start: %s", exc)
            return
        try:
            uploads.recover(self.uploads_dir, self._indexed)  # after a crash in the middle of an upload
        except (StoreError, OSError) as exc:
            log.warning("could not settle an interrupted upload under %s: %s", self.uploads_dir, exc)

    def _indexed(self, path: Path) -> bool:
        """Whether the index holds this file's current content, ready for search."""
        return self.runtime.store.count({"doc_hash": document_hash(path.read_bytes()), "state": STATE_READY}) > 0

    def close(self) -> None:
        if "helpdesk" in self.__dict__:
            self.helpdesk.close()
        if "feedback" in self.__dict__:
            self.feedback.close()
        self.runtime.close()
