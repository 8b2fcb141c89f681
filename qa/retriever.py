"""Hybrid retrieval with language-aware fusion.

Plain RRF of BM25 and dense lists was measured to wreck cross-lingual recall: keyword hits in the wrong
language drown the dense ones. So the sparse list only ranks chunks in the question's language, while the
dense list ranks everything, and the two lists are fused with weighted RRF here rather than in Qdrant:
Qdrant's RRF `weights` were measured to act inversely to their documented meaning on both engines, and doing it
here keeps the embedded engine and a server identical.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from common.anchors import question_anchors, version_key
from common.answer_types import asked_value_kinds, value_kinds
from common.embedder import Embedder
from common.language import detect_language
from common.countries import canonical_country, question_countries
from common.periods import PeriodError, known_periods, normalise_period, question_periods
from common.schema import DENSE_VECTOR, FILTERABLE_FIELDS, SPARSE_VECTOR, STATE_READY, UNITS_VECTOR, SearchHit
from common.settings import SEARCH_MODES, Settings
from common.sparse import BM25Encoder
from common.store import Hit, VectorQuery, VectorStore, check_compatible
from qa.glossary import glossary_variants
from qa.glossary import load_all as load_glossaries
from qa.overlap import asked_words, content_tokens, jaccard, subject_overlap, unit_texts

MODES = SEARCH_MODES


class FilterError(ValueError):
    """A `--filter key=value` the store cannot apply."""


class SearchModeError(ValueError):
    """A search mode that is not one of MODES."""


def parse_filters(items: list[str] | dict[str, Any] | None) -> dict[str, Any]:
    """`["fund=ESF+", "country=EE"]` (or a dict) -> store conditions; repeated keys match any value."""
    pairs = items.items() if isinstance(items, dict) else [_split(item) for item in items or []]
    conditions: dict[str, Any] = {}
    for key, value in pairs:
        if key not in FILTERABLE_FIELDS:
            raise FilterError(f"unknown filter {key!r}; use one of: {', '.join(FILTERABLE_FIELDS)}")
        values = value if isinstance(value, list) else [value]
        values = [_filter_value(key, v) for v in values]
        previous = conditions.get(key, [])
        merged = (previous if isinstance(previous, list) else [previous]) + values
        conditions[key] = merged[0] if len(merged) == 1 else merged
    return conditions


def _filter_value(key: str, value: Any) -> str:
    text = str(value).strip()
    if key == "period":
        try:
            return normalise_period(text)
        except PeriodError as exc:
            raise FilterError(f"filter period: {exc}") from exc
    if key == "country":
        code = canonical_country(text)
        if code is None:
            raise FilterError(f"filter country: unknown country code {text!r}; use a two-letter code such as EE, FR, BG")
        return code
    if key == "language":
        return text.lower()
    return text


def _split(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise FilterError(f"filter {item!r} is not key=value")
    return key.strip(), value.strip()


@dataclass
class Retrieval:
    query: str
    language: str
    hits: list[SearchHit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    query_vector: list[float] | None = None  # the dense query embedding, when the mode computed one
    glossary_terms: dict[str, str] = field(default_factory=dict)  # what was also searched, by document language


# Anchor frequencies remembered at most; more distinct anchors than this start the memory afresh.
_ANCHOR_COUNT_CACHE = 4096


class Retriever:
    def __init__(self, settings: Settings, store: VectorStore, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.sparse = BM25Encoder()
        self._checked = False
        self._anchor_counts: dict[tuple[str, int], int] = {}
        self._languages: tuple[int, list[str]] | None = None
        if settings.search.glossary:
            load_glossaries(tuple(settings.languages))

    def search(
        self, query: str, k: int | None = None, mode: str | None = None, language: str | None = None,
        filters: dict[str, Any] | None = None, language_hint: str | None = None,
        variants: list[str] | None = None,
    ) -> Retrieval:
        """`variants`: the same question in other words or languages; each passage keeps its best dense score."""
        cfg = self.settings.search
        k = k or cfg.k
        mode = mode or cfg.mode
        if mode not in MODES:
            raise SearchModeError(f"unknown search mode {mode!r}; use one of: {', '.join(MODES)}")
        if not self._checked:
            check_compatible(self.store, self.embedder.name, self.embedder.dim)
            self._checked = True
        timings: dict[str, float] = {}
        t = time.perf_counter()
        lang = language or detect_language(query, hint=language_hint, languages=tuple(self.settings.languages))
        timings["detect"] = (time.perf_counter() - t) * 1000

        must = {**(filters or {}), "state": STATE_READY}
        said: dict[str, str] = {}  # the glossary's terms for the question, by document language
        ready: int | None = None  # ready chunks, counted once per search for whoever needs it first
        if mode in ("dense", "hybrid") and cfg.glossary:
            t = time.perf_counter()
            allowed = must.get("language")
            ready = self.store.count({"state": STATE_READY})
            targets = [code for code in self._document_languages(ready) if code != lang and
                       (allowed is None or code in _as_list(allowed))]
            said = glossary_variants(query, lang, targets[:cfg.glossary_languages], cfg.glossary_min_concepts)
            timings["glossary"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        dense = sparse = vector = None
        said_vectors: list[list[float]] = []
        if mode in ("dense", "hybrid"):
            # One call for the question and its glossary terms: the engine embeds them side by side.
            vectors = self.embedder.embed_queries([query, *said.values()])
            vector, said_vectors = vectors[0].tolist(), [v.tolist() for v in vectors[1:]]
            dense = VectorQuery(DENSE_VECTOR, dense=vector, must=must, limit=max(cfg.prefetch, k * 3))
        if mode in ("sparse", "hybrid"):
            indices, values = self.sparse.encode_query(query, lang)
            sparse = VectorQuery(SPARSE_VECTOR, sparse=(indices, values), must=must, limit=max(cfg.prefetch, k * 3))
            if mode == "hybrid":
                # Only the question's language, and only where the caller's own language filter allows it.
                allowed = must.get("language", lang)
                sparse.must = {**must, "language": lang}
                if lang not in _as_list(allowed):
                    indices = []
            if not indices:
                sparse = None
        timings["embed"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        fetch = k * 3  # room for near-duplicate collapsing
        lists = []
        if dense:
            ranked = self.dense_search(dense)
            others = [self.dense_search(replace(dense, dense=vector.tolist()))
                      for vector in (self.embedder.embed_queries(variants) if variants else [])]
            # The glossary's terms search their own language's passages only, and count for less than the
            # question: a few terms match more loosely than a whole question.
            for code, said_vector in zip(said, said_vectors):
                found = self.dense_search(replace(dense, dense=said_vector, must={**dense.must, "language": code},
                                                  limit=_GLOSSARY_CANDIDATES))
                others.append([Hit(h.id, h.score - cfg.glossary_discount, h.payload)
                               for h in found[:_GLOSSARY_PROPOSALS]])
            if said and cfg.glossary_keyword_weight:
                others.append(self._glossary_keywords(said, dense, ranked, cfg.glossary_keyword_weight))
            if others:
                ranked = _best_of(ranked, others)
            if cfg.anchor_weight:
                ranked = self._anchor_bonus(ranked, dense, question_anchors(query), cfg.anchor_weight, ready)
            ranked = prefer_answer_type(ranked, asked_value_kinds(query, lang), cfg.answer_type_weight)
            ranked = _boost_language(ranked, lang, cfg.language_boost)
            ranked = prefer_context(ranked, question_periods(query), question_countries(query),
                                    cfg.period_penalty, cfg.country_penalty)
            lists.append((ranked, cfg.dense_weight))
        if sparse:
            lists.append((self.store.search(sparse, sparse.limit), cfg.sparse_weight))
        if len(lists) == 2:
            hits = one_version_per_document(weighted_rrf(lists, cfg.rrf_k))[:fetch]
        else:
            hits = one_version_per_document(lists[0][0])[:fetch] if lists else []
        timings["search"] = (time.perf_counter() - t) * 1000
        results = _collapse([SearchHit.from_payload(h.payload, h.score, h.id) for h in hits], max(k, cfg.words_depth))
        if cfg.words_depth and (cfg.words_overlap_weight or cfg.words_subject_weight):
            t = time.perf_counter()
            results = self._order_by_words(results, query, lang)
            timings["words"] = (time.perf_counter() - t) * 1000
        results = _quotable_first(results)[:k]
        if cfg.asker_version and vector is not None and "language" not in (filters or {}):
            t = time.perf_counter()
            results = self._asker_versions(results, lang, vector, must)
            timings["versions"] = (time.perf_counter() - t) * 1000
        self._attach_unit_vectors(results)
        return Retrieval(query, lang, results, timings, vector, said)

    def _order_by_words(self, hits: list[SearchHit], query: str, language: str) -> list[SearchHit]:
        """The first `words_depth` hits in order of their score plus what their best sentence shares with the
        question's words (qa/overlap.py); the hits after them keep their places. The score returned stays the
        search's own."""
        cfg = self.settings.search
        head, tail = hits[:cfg.words_depth], hits[cfg.words_depth:]
        units = [(i, text) for i, hit in enumerate(head) for text in unit_texts(hit.text, hit.section)]
        if not units:
            return hits
        asked = asked_words(query, language, [head[i].language for i, _ in units], cfg.glossary)
        tokens = [content_tokens(text, head[i].language) for i, text in units]
        subject = subject_overlap(asked, tokens)
        overlap, share = np.zeros(len(head)), np.zeros(len(head))
        for n, (i, _) in enumerate(units):
            overlap[i] = max(overlap[i], jaccard(asked[n], tokens[n]))
            share[i] = max(share[i], subject[n])
        bonus = cfg.words_overlap_weight * overlap + cfg.words_subject_weight * share
        order = sorted(range(len(head)), key=lambda i: -(head[i].score + bonus[i]))
        return [head[i] for i in order] + tail

    def _glossary_keywords(self, said: dict[str, str], dense: VectorQuery, ranked: list[Hit],
                           weight: float) -> list[Hit]:
        """Passages whose words match the glossary's terms for the question in their own language (a keyword
        search per language), each scored by its similarity to the question plus `weight` x its keyword score
        relative to the best one of its language. A term list embeds loosely; its words match exactly, and a
        small embedder is least sure across languages. Passages the question's search `ranked` already keep the
        similarity it gave them; only the others are scored."""
        keyword: dict[str, float] = {}
        for code, terms in said.items():
            indices, values = self.sparse.encode_query(terms, code)
            if not indices:
                continue
            found = self.store.search(VectorQuery(SPARSE_VECTOR, sparse=(indices, values),
                                                  must={**dense.must, "language": code}, limit=_KEYWORD_CANDIDATES),
                                      _KEYWORD_CANDIDATES)
            top = max((h.score for h in found), default=0.0)
            if top <= 0:
                continue
            for hit in found:
                keyword[hit.id] = max(keyword.get(hit.id, 0.0), hit.score / top)
        known = {hit.id: hit for hit in ranked if hit.id in keyword}
        missing = [chunk_id for chunk_id in keyword if chunk_id not in known]
        scored = list(known.values())
        if missing:
            scored += self.dense_search(replace(dense, ids=missing, limit=len(missing)))
        return [Hit(h.id, h.score + weight * keyword[h.id], h.payload) for h in scored if h.id in keyword]

    def dense_search(self, dense: VectorQuery) -> list[Hit]:
        """Chunks by unit_weight x their best unit's similarity + (1 - unit_weight) x their own. The chunk vectors
        find the candidates and the unit vectors rescore them: letting the units propose candidates of their own
        found one answer more in 79 (README, "Sentence units") and would need a graph over the units to scale.
        Chunks stored without units keep their own score."""
        weight = self.settings.search.unit_weight
        chunks = self.store.search(dense, dense.limit)
        ids = [h.id for h in chunks if h.payload.get("unit_keys")]
        if not weight or not ids:
            return chunks
        # The ids alone: they passed the filter already, and with it the engine scans the filter's matches instead
        # of reading just these points.
        unit_score = {hit.id: hit.score for hit in
                      self.store.search(replace(dense, using=UNITS_VECTOR, ids=ids, exact=True, must={}), len(ids))}
        scored = [Hit(h.id, weight * unit_score[h.id] + (1 - weight) * h.score if h.id in unit_score else h.score,
                      h.payload) for h in chunks]
        return sorted(scored, key=lambda h: -h.score)

    def _attach_unit_vectors(self, hits: list[SearchHit]) -> None:
        """The stored unit vectors of the hits, for the extractive composer (which otherwise embeds every
        sentence of them per question). Units embedded with title and section (the default) never match the
        composer's own unit texts, so they are not read at all: that would be a read per answer for nothing."""
        if self.settings.chunk.unit_context:
            return
        ids = [hit.chunk_id for hit in hits if hit.chunk_id and hit.unit_keys]
        if not ids:
            return
        stored = self.store.unit_vectors(ids)
        for hit in hits:
            hit.unit_vectors = stored.get(hit.chunk_id) if hit.chunk_id else None

    def _asker_versions(self, hits: list[SearchHit], language: str, vector: list[float],
                        must: dict[str, Any]) -> list[SearchHit]:
        """Each hit in another language whose act and article are also indexed in `language` gives way to that
        version's passage closest to the question, at the hit's rank and score; the hit's own version stays when
        there is none. A version already among the hits moves up to that rank rather than appear twice."""
        out: list[SearchHit] = []
        taken: set[str | None] = set()
        for hit in hits:
            if hit.chunk_id in taken:
                continue  # moved up already, as another hit's version
            key = version_key(hit.title, hit.url, hit.section) if hit.language != language else None
            if key is None:
                out.append(hit)
                taken.add(hit.chunk_id)
                continue
            acts, article = key
            query = VectorQuery(DENSE_VECTOR, dense=vector, must={**must, "language": language, "anchors": [article]},
                                limit=_VERSION_CANDIDATES)
            match = next((h for h in self.store.search(query, _VERSION_CANDIDATES)
                          if (found := version_key(h.payload.get("title", ""), h.payload.get("url"),
                                                   h.payload.get("section"))) and found[1] == article
                          and found[0] & acts), None)
            if match is None:
                out.append(hit)
                taken.add(hit.chunk_id)
            elif match.id not in taken:  # else its version stands higher already
                taken.add(match.id)
                out.append(SearchHit.from_payload(match.payload, hit.score, match.id))
        return out

    def _document_languages(self, total: int) -> list[str]:
        """The languages of the ready chunks, those with most chunks first; remembered while the index holds the
        same number (`total`) of them."""
        if self._languages is None or self._languages[0] != total:
            counts = self.store.facet("language", {"state": STATE_READY})
            self._languages = (total, sorted(counts, key=lambda code: (-counts[code], code)))
        return self._languages[1]

    def _anchor_frequency(self, key: str, total: int) -> int:
        """Ready chunks carrying the anchor; remembered while the index holds `total` ready chunks (an ingest or
        a delete changes that, and with it the key), so a question costs one count, not one per anchor."""
        cached = self._anchor_counts.get((key, total))
        if cached is None:
            if len(self._anchor_counts) > _ANCHOR_COUNT_CACHE:
                self._anchor_counts.clear()
            cached = self._anchor_counts[(key, total)] = self.store.count({"anchors": key, "state": STATE_READY})
        return cached

    def _anchor_bonus(self, hits: list[Hit], dense: VectorQuery, anchors: set[str], weight: float,
                      ready: int | None = None) -> list[Hit]:
        """Add `weight` x the IDF-weighted share of the question's anchors a chunk carries. Chunks that carry
        them but rank below the dense list's cut are fetched too (the same dense query, filtered by anchor)."""
        if not anchors:
            return hits
        keys = sorted(anchors)
        pool = {h.id: h for h in hits}
        for hit in self.dense_search(VectorQuery(DENSE_VECTOR, dense=dense.dense, must={**dense.must, "anchors": keys},
                                                  limit=dense.limit)):
            pool.setdefault(hit.id, hit)
        total = max(self.store.count({"state": STATE_READY}) if ready is None else ready, 1)
        idf = {key: math.log(1 + total / (1 + self._anchor_frequency(key, total))) for key in keys}
        whole = sum(idf.values()) or 1.0
        scored = [Hit(h.id, h.score + weight * sum(idf[k] for k in keys if k in (h.payload.get("anchors") or ())) / whole,
                      h.payload) for h in pool.values()]
        return sorted(scored, key=lambda h: -h.score)


# Candidates each glossary search rescores (a limit as high as the question's own found no more answers, at twice
# the cost), and the best of them it proposes: uncapped, one language's terms could fill a whole answer with its
# passages, which the evidence gate then refused (README, "Retrieval on real regulations").
_GLOSSARY_CANDIDATES = 20
_GLOSSARY_PROPOSALS = 3
# Passages each glossary keyword search proposes.
_KEYWORD_CANDIDATES = 10

# Passages of the asker's language carrying the article's anchor, read to find one of the same act.
_VERSION_CANDIDATES = 10


def _as_list(value: Any) -> list[Any]:
    """A filter value as a list of the values it allows ("fr" or ["fr", "nl"])."""
    return value if isinstance(value, list) else [value]


def _best_of(ranked: list[Hit], others: list[list[Hit]]) -> list[Hit]:
    """One list of the passages found by any query, each with its best score."""
    best = {hit.id: hit for hit in ranked}
    for hits in others:
        for hit in hits:
            if hit.id not in best or hit.score > best[hit.id].score:
                best[hit.id] = hit
    return sorted(best.values(), key=lambda hit: hit.score, reverse=True)


# Chunks indexed before kinds were stored: reading a chunk's values takes about a millisecond, and the same
# passages come back question after question.
@lru_cache(maxsize=4096)
def _kinds_in(text: str, language: str) -> frozenset[str]:
    return frozenset(value_kinds(text, language))


def _stated_kinds(hit: Hit) -> set[str] | frozenset[str]:
    stored = hit.payload.get("value_kinds")
    return set(stored) if stored is not None else _kinds_in(hit.payload.get("text", ""), hit.payload.get("language", "en"))


def _lift(hits: list[Hit], boost: float, chosen: Callable[[Hit], bool]) -> list[Hit]:
    """`hits` with the chosen ones `boost` similarity higher, best first."""
    if not boost:
        return hits
    return sorted((Hit(h.id, h.score + boost, h.payload) if chosen(h) else h for h in hits), key=lambda h: -h.score)


def prefer_answer_type(hits: list[Hit], kinds: set[str], weight: float) -> list[Hit]:
    """Lift by `weight` the chunks that state a value of a kind the question asks for: most helpdesk questions
    ask for a rate, an amount, a date, and among the near-identical articles of an act the one stating such a
    value is the likelier answer. Chunks indexed before kinds were stored are read from their text."""
    if not kinds:
        return hits
    return _lift(hits, weight, lambda hit: bool(_stated_kinds(hit) & kinds))


def _boost_language(hits: list[Hit], language: str, boost: float) -> list[Hit]:
    """Lift chunks in the asker's language by `boost` similarity, so a near-equal passage they can read wins."""
    return _lift(hits, boost, lambda hit: hit.payload.get("language") == language)


def prefer_context(hits: list[Hit], periods_asked: list[str], countries_asked: list[str],
                   period_penalty: float, country_penalty: float) -> list[Hit]:
    """Lower chunks of documents from another programming period than the one asked about (or, when the
    question names none, an older period than the current one: their rules read alike but no longer apply),
    and from another country than the one the question names. Documents of no known period or country keep
    their score: an EU regulation applies everywhere."""
    if not period_penalty and not country_penalty:
        return hits
    periods = known_periods()

    def penalty(payload: dict[str, Any]) -> float:
        lowered = 0.0
        period = payload.get("period")
        if period in periods.names and (
                period not in periods_asked if periods_asked else periods.older_than_current(period)):
            lowered += period_penalty
        country = payload.get("country")
        if countries_asked and country and country not in countries_asked:
            lowered += country_penalty
        return lowered

    lowered = [Hit(h.id, h.score - penalty(h.payload), h.payload) for h in hits]
    return sorted(lowered, key=lambda h: -h.score)


def one_version_per_document(hits: list[Hit]) -> list[Hit]:
    """Hits of one version of each document: the most recently published one among them.

    Ingest publishes a new version (pending -> ready) before it deletes the old one, and a crash in between leaves
    both ready until the next run; no store can swap the two in one step, so search resolves it here.
    """
    newest: dict[str, tuple[int, str]] = {}
    for hit in hits:
        version = (int(hit.payload.get("published") or 0), str(hit.payload.get("build", "")))
        doc_id = hit.payload.get("doc_id")
        if doc_id not in newest or version > newest[doc_id]:
            newest[doc_id] = version
    return [h for h in hits if str(h.payload.get("build", "")) == newest[h.payload.get("doc_id")][1]]


def weighted_rrf(lists: list[tuple[list[Hit], float]], k: int) -> list[Hit]:
    """Reciprocal-rank fusion: each list adds weight / (k + rank) to the hits it contains."""
    scores: dict[str, float] = {}
    by_id: dict[str, Hit] = {}
    for hits, weight in lists:
        for rank, hit in enumerate(hits, start=1):
            scores[hit.id] = scores.get(hit.id, 0.0) + weight / (k + rank)
            by_id.setdefault(hit.id, hit)
    ranked = sorted(scores, key=lambda i: (-scores[i], i))
    return [Hit(i, scores[i], by_id[i].payload) for i in ranked]


def _quotable_first(hits: list[SearchHit]) -> list[SearchHit]:
    """Passages with nothing to quote (a bare address, a heading alone, a table's rows cut from their header: no
    quotable unit, common/units.py) after every passage with something, each group in its order: they resemble a
    question that names the document ("... under the ESF regulation?") and answer nothing."""
    quotable = [bool(hit.unit_keys) or bool(unit_texts(hit.text, hit.section)) for hit in hits]
    return [h for h, q in zip(hits, quotable) if q] + [h for h, q in zip(hits, quotable) if not q]


def _collapse(hits: list[SearchHit], k: int) -> list[SearchHit]:
    """Drop chunks whose text repeats a better-ranked one (the same guide copied into two folders, overlaps)."""
    kept: list[SearchHit] = []
    seen: set[str] = set()
    for hit in hits:
        key = " ".join(hit.text.split()).casefold()
        if key in seen:
            continue
        seen.add(key)
        kept.append(hit)
        if len(kept) == k:
            break
    return kept
