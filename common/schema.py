"""The collection schema and the records that cross the ingest -> store -> qa boundary."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from pydantic import BaseModel, Field

from common.settings import Settings

# The collection's layout (its named vectors). 2 added the `units` multivector; a collection of an older layout is
# copied into the new one by `helpdesk ingest` (common/store), and searching it before that is a named error.
SCHEMA_VERSION = 2
# What a chunk's vectors and payload are computed from (the text embedded, the title and period rules, the page
# breaks, the unit vectors, the kinds of value it states). Part of each chunk's `build`, so that `helpdesk ingest`
# re-indexes documents built by an older version in place. 7: an act's short-title clause is no unit, and a
# sentence ending in no punctuation is followed by a blank line in its chunk. 8: every number of a list of
# articles ("Articles 10 and 14") is a reference, so a chunk's stored value kinds no longer count it. 9: a list
# of links (by its addresses, or by its link label repeated), or a row of a blank form's fields, is no unit.
# 10: HTML and DOCX are read by their blocks: a list item is a "- " (or "3.") line under the sentence introducing
# its list, inline markup (<strong>) no longer breaks a sentence, and a DOCX table stands where it stands.
# 11: a guide's note that it is not legal advice is no unit.
INDEX_VERSION = 11
DENSE_VECTOR = "dense"
SPARSE_VECTOR = "sparse"
# One vector per quotable unit of the chunk (common/units.py), compared by MaxSim: a single query vector's score
# against it is its best unit's similarity.
UNITS_VECTOR = "units"

# Payload fields with a keyword index: the ones filters and status counts use.
INDEXED_FIELDS: tuple[str, ...] = (
    "language", "doc_id", "fund", "country", "doc_type", "period", "doc_hash", "build", "state", "anchors",
)
# The embedded store folds these into one keyword array, FILTER_KEYS ("field=value" each), indexed once: qdrant builds
# each field index by reading every chunk's payload again, so one array in place of seven makes an index build much
# cheaper for the same filters (common/store/edge.py). None of them changes after ingest, so the array never goes
# stale; `state` (set when a document lands) and `language` (faceted per question) keep indexes of their own, and
# `build` is only ever filtered together with `doc_id`.
FOLDED_FIELDS: tuple[str, ...] = ("doc_id", "fund", "country", "doc_type", "period", "doc_hash", "anchors")
FILTER_KEYS = "filter_keys"
# Filters a user may pass as `--filter key=value`.
FILTERABLE_FIELDS: tuple[str, ...] = ("language", "doc_id", "fund", "country", "doc_type", "period")
# A chunk is only visible to search once its whole document has landed (see ingest.pipeline).
# A keyword, not a bool: qdrant-edge 0.9 does not match boolean payload values.
STATE_PENDING = "pending"
STATE_READY = "ready"

_POINT_NAMESPACE = uuid.UUID("6f1d3c2e-8a4b-4f3e-9c51-2b7d0e9a4c11")


def document_hash(data: bytes) -> str:
    """A document's version: the hash of its file's bytes, stored as `doc_hash` on each of its chunks."""
    return hashlib.sha256(data).hexdigest()


def indexing_recipe(settings: Settings, embed_model: str) -> dict[str, Any]:
    """The settings that change a document's chunks or vectors: ingest and the eval index key both hash these.
    Search settings are applied at query time and are not part of it."""
    return {
        "embed_model": embed_model, "chunk_size": settings.chunk.size, "chunk_overlap": settings.chunk.overlap,
        "embed_title": settings.chunk.embed_title, "embed_units": settings.chunk.embed_units,
        "unit_context": settings.chunk.unit_context,
        "header_footer_min_share": settings.ingest.header_footer_min_share,
    }


def index_build(doc_hash: str, indexing: dict[str, Any]) -> str:
    """A document's indexed version: its bytes, the index version and the settings that shape its chunks and
    vectors. A chunk whose `build` differs from this is stale and is replaced by the next ingest."""
    recipe = json.dumps({"doc_hash": doc_hash, "index_version": INDEX_VERSION, **indexing}, sort_keys=True)
    return hashlib.sha256(recipe.encode("utf-8")).hexdigest()[:32]


def point_id(doc_id: str, build: str, chunk_index: int) -> str:
    """Deterministic id, so that re-running an interrupted ingest overwrites instead of duplicating."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{doc_id}\x00{build}\x00{chunk_index}"))


class ChunkPayload(BaseModel):
    """Everything stored with a chunk; `text` is the chunk itself."""

    doc_id: str
    title: str
    source: str
    url: str | None = None
    language: str
    page_start: int | None = None
    page_end: int | None = None
    # [offset in `text`, page] where each page of the chunk begins; absent in payloads written before it existed.
    page_breaks: list[list[int]] | None = None
    section: str | None = None
    fund: list[str] = Field(default_factory=list)
    country: str | None = None
    doc_type: str | None = None
    period: str | None = None
    doc_hash: str
    build: str = ""
    chunk_hash: str
    chunk_index: int
    chunk_count: int
    text: str
    # Language-neutral keys (common/anchors.py) shared with questions in any language.
    anchors: list[str] = Field(default_factory=list)
    # Kinds of value the chunk states (common.answer_types.find_values); absent in payloads written before it
    # existed, which search then reads from the text.
    value_kinds: list[str] | None = None
    # common.units.unit_key of each unit whose vector is stored in the `units` multivector, in the same order.
    unit_keys: list[str] | None = None
    state: str = STATE_PENDING
    # When the version went ready (ns since the epoch); of two ready versions of a document search shows the later.
    published: int | None = None


class SearchHit(BaseModel):
    """One search result, in the shape `helpdesk search --json` prints."""

    doc_id: str
    title: str
    source: str
    page_start: int | None
    page_end: int | None
    section: str | None
    language: str
    score: float
    text: str
    url: str | None = None
    chunk_id: str | None = Field(None, exclude=True)
    # The document's country (common/countries.py), None for EU-wide documents.
    country: str | None = Field(None, exclude=True)
    page_breaks: list[list[int]] | None = Field(None, exclude=True)
    unit_keys: list[str] | None = Field(None, exclude=True)
    # The stored unit vectors (in `unit_keys` order), read by the retriever for the hits it returns.
    unit_vectors: list[list[float]] | None = Field(None, exclude=True, repr=False)

    @classmethod
    def from_payload(cls, payload: dict[str, Any], score: float, chunk_id: str | None = None) -> "SearchHit":
        return cls(
            doc_id=payload["doc_id"], title=payload["title"], source=payload["source"],
            page_start=payload.get("page_start"), page_end=payload.get("page_end"),
            section=payload.get("section"), language=payload["language"], score=float(score),
            text=payload["text"], url=payload.get("url"), chunk_id=chunk_id, page_breaks=payload.get("page_breaks"),
            country=payload.get("country"),
            unit_keys=payload.get("unit_keys"),
        )

    def page_at(self, offset: int) -> int | None:
        """The page on which the character at `offset` of `text` stands (the chunk's first page when unknown)."""
        page = self.page_start
        for start, number in self.page_breaks or []:
            if start > offset:
                break
            page = number
        return page


class CollectionInfo(BaseModel):
    """What a collection was built with; checked before every query."""

    embed_model: str
    dim: int
    schema_version: int = SCHEMA_VERSION


class Citation(BaseModel):
    """One numbered source of an answer; `n` is the number its [n] markers use."""

    n: int
    doc_id: str
    title: str
    source: str
    url: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    section: str | None = None
    language: str
    score: float
    text: str

    @classmethod
    def from_hit(cls, n: int, hit: SearchHit) -> "Citation":
        return cls(n=n, **hit.model_dump(include={
            "doc_id", "title", "source", "url", "page_start", "page_end", "section", "language", "score", "text"}))


class Answer(BaseModel):
    """What `helpdesk ask --json`, the API and the evals exchange.

    `diagnostics` is omitted when empty; it says when the LLM composer fell back to the extractive one and which
    sentences or citations validation flagged.
    """

    question: str
    language: str
    answer: str
    answerable: bool
    composer: str
    citations: list[Citation] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    diagnostics: dict[str, Any] = Field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        data = self.model_dump()
        if not data["diagnostics"]:
            del data["diagnostics"]
        return data
